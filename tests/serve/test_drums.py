"""The serve API with a drum model: the kit's pieces by name, takes of a hit as long as the kit's,
judged by the one-shot checks (best first), named by piece, packed like a pitched model's."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
import soundfile as sf
from support.drum_kit import PIECES

from samplernn.render.drums import held_samples, piece_name

SR = 16000
Note = tuple[int, int, float, float]  # pitch, velocity, start and stop in s
TAIL = round(0.1 * SR)  # generated after a hit's end (render.pack.generate_takes)


def hit_job(client, wait, **body):
    response = client.post("/api/takes", json={"note": 38, "takes": 2, "seed": 0, **body})
    assert response.status_code == 202, response.text
    return wait(client, response.json())


def test_model_info_offers_the_kits_pieces_by_name(drum_client) -> None:
    info = drum_client.get("/api/model").json()
    assert info["drums"] is True
    assert [(n["pitch"], n["name"]) for n in info["notes"]] == [(k, piece_name(k)) for k in sorted(PIECES)]
    assert [n["name"] for n in info["notes"]] == ["bass drum", "acoustic snare", "closed hi-hat"]


def test_hits_last_the_kits_length_and_rank_by_their_checks(drum_client, drum_ckpt, wait) -> None:
    job, _ = hit_job(drum_client, wait, takes=3)
    assert job["state"] == "done", job["message"]
    result = job["result"]
    assert (result["note"], result["pitch"], result["duration"]) == ("acoustic snare", 38, None)
    assert result["drums"] is True
    stats = drum_ckpt.stats
    held, tail = held_samples(stats, 38, 100), stats.release_tail(38, 100)
    assert round(result["release_s"] * SR) == held and round(result["end_s"] * SR) == held + tail
    assert result["reference"] == "the kit's real samples in data"  # its folder's name, not the server's path
    takes = result["takes"]
    assert [t["rank"] for t in takes] == [1, 2, 3] and sorted(t["take"] for t in takes) == [1, 2, 3]
    assert [t["score"] for t in takes] == sorted((t["score"] for t in takes), reverse=True)
    for t in takes:
        assert {"attack", "decay", "clean", "like", "novel", "distinct"} == set(t["checks"])
        assert {"attack_ms", "decay_ms", "decay_ref_ms", "loudness_db", "gain_db"} <= set(t)
        assert t["nearest_piece"] in {piece_name(k) for k in PIECES}
        assert t["download"] == f"kit-38-acoustic-snare-v100-take{t['take']}.wav"
        audio, sr = sf.read(io.BytesIO(drum_client.get(f"/api/jobs/{job['id']}/files/{t['wav']}").content))
        assert sr == SR and len(audio) == held + tail + TAIL
        assert t["seconds"] == pytest.approx(len(audio) / SR, abs=5e-4)
    again, _ = hit_job(drum_client, wait, takes=3)
    assert [t["score"] for t in again["result"]["takes"]] == [t["score"] for t in takes]  # the seed's


def test_a_length_for_a_hit_is_refused_not_ignored(drum_client) -> None:
    response = drum_client.post("/api/takes", json={"note": 38, "duration": 3.5})
    assert response.status_code == 400
    assert response.json()["detail"] == "a drum model's hits last as long as the kit's; leave out the length"


def test_a_key_of_no_piece_is_refused_in_one_line_and_a_name_or_a_kind_is_played(drum_client, wait) -> None:
    response = drum_client.post("/api/takes", json={"note": 49})
    assert response.status_code == 400
    assert response.json()["detail"] == ("note 49 (crash cymbal 1): the kit has no piece of its kind "
                                         "(it has 36 bass drum, 38 acoustic snare, 42 closed hi-hat)")
    for note, piece, said in (("snare", 38, None), (40, 38, "40 (electric snare (rimshot)) is played by the "
                                                       "kit's 38 (acoustic snare)")):
        job, _ = hit_job(drum_client, wait, note=note, takes=1)
        assert job["state"] == "done" and job["result"]["pitch"] == piece, job
        assert job["result"]["warning"] == said  # a substitution is said, as synth says it


def test_kept_hits_pack_under_their_piece_names(drum_client, wait) -> None:
    job, _ = hit_job(drum_client, wait, takes=1, note="36", velocity=40)
    response = drum_client.get("/api/pack", params={"take": [f"{job['id']}:1"]})
    zf = zipfile.ZipFile(io.BytesIO(response.content))
    assert zf.namelist() == ["kit-36-bass-drum-v40-take1.wav", "takes.json"]
    (entry,) = json.loads(zf.read("takes.json"))
    assert (entry["note"], entry["velocity"], entry["duration"]) == ("bass drum", 40, None)
    assert "attack_ms" in entry and "checks" in entry


def test_without_the_kits_samples_hits_are_judged_by_the_statistics(drum_ckpt, tmp_path) -> None:
    from support.drum_kit import drum_checkpoint

    from samplernn.model.checkpoint import load_checkpoint
    from samplernn.serve.hits import kit_reference

    gone = str(tmp_path / "gone")  # the kit's folder moved away since training
    moved = load_checkpoint(drum_checkpoint(tmp_path / "d.pt", drum_ckpt.stats, dataset_path=gone))
    ref, where = kit_reference(moved)
    assert where == "the kit's statistics in the checkpoint" and not ref.centroids and ref.decay


def test_a_drum_midi_file_renders_its_drum_channel(drum_client, wait, tmp_path) -> None:
    import mido

    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    on = lambda n, t, ch: mido.Message("note_on", note=n, velocity=90, time=t, channel=ch)  # noqa: E731
    off = lambda n, t, ch: mido.Message("note_off", note=n, velocity=0, time=t, channel=ch)  # noqa: E731
    mid.tracks.append(mido.MidiTrack([on(36, 0, 9), off(36, 10, 9), on(38, 230, 9), off(38, 10, 9),
                                      on(35, 230, 9), off(35, 10, 9)]))
    mid.tracks.append(mido.MidiTrack([on(60, 0, 0), off(60, 480, 0)]))  # a piano note: left out, no error
    path = tmp_path / "beat.mid"
    mid.save(path)
    response = drum_client.post("/api/render", files={"file": ("beat.mid", path.read_bytes())})
    assert response.status_code == 202, response.text
    job, _ = wait(drum_client, response.json())
    assert job["state"] == "done", job["message"]
    result = job["result"]
    assert result["notes"] == 3 and "1 note(s) on other channels" in result["ignored"]
    assert result["changed"] == ["1 note(s) on 35 (acoustic bass drum) → 36 (bass drum)"]
    # a transpose is refused at the upload (it was taken, then failed in the job with a CLI hint)
    response = drum_client.post("/api/render", files={"file": ("beat.mid", path.read_bytes())},
                                data={"transpose": "2"})
    assert response.status_code == 400 and "it takes no transpose" in response.json()["detail"]


def test_a_drum_file_on_another_channel_is_told_what_the_page_can_do(drum_client, tmp_path) -> None:
    import mido

    mid = mido.MidiFile(type=0, ticks_per_beat=480)
    mid.tracks.append(mido.MidiTrack([mido.Message("note_on", note=36, velocity=90, time=0),
                                      mido.Message("note_off", note=36, velocity=0, time=10)]))
    mid.save(tmp_path / "ch1.mid")
    data = (tmp_path / "ch1.mid").read_bytes()
    response = drum_client.post("/api/render", files={"file": ("ch1.mid", data)})
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail.endswith("move the file's drums to channel 10") and "--channel" not in detail, detail
    # was "no notes to render (1 note(s) on other channels); a drum model plays …": the file's fault unsaid
    assert detail == ("ch1.mid: no drum-channel notes (channel 10), and this model is a drum model: it plays "
                      "the drum channel only; move the file's drums to channel 10")


def _two_parts(path: Path, melody: list[Note], drums: list[Note]) -> Path:
    """A two-track MIDI file: `melody` on channel 1, `drums` on the drum channel (10)."""
    import mido
    from support.audio import write_midi

    first = mido.MidiFile(write_midi(path, melody))
    merged = mido.MidiFile(type=1, ticks_per_beat=first.ticks_per_beat)
    merged.tracks.append(first.tracks[0])
    merged.tracks.append(mido.MidiFile(write_midi(path, drums, channel=9)).tracks[0])
    merged.save(path)
    return path


def test_the_upload_limit_measures_what_the_loaded_model_plays(ckpt, drum_ckpt, limits, tmp_path) -> None:
    """A pitched model skips the drum channel and a drum model plays it alone: a long part on the
    channel a model does not play does not make a short file too long (the limit is 2 s here)."""
    from samplernn.render.drums import kit_keys
    from samplernn.render.midi import RenderOptions
    from samplernn.serve.requests import check_midi

    beat = [(36, 90, float(t), t + 0.05) for t in range(0, 10, 2)]  # a drum part 8 s long
    melody = _two_parts(tmp_path / "melody.mid", [(50, 100, 0.0, 0.25)], beat)
    assert check_midi(melody, "melody.mid", RenderOptions(), limits, ckpt.pitch_range) == (1, 0.25)
    groove = _two_parts(tmp_path / "groove.mid", [(50, 100, 0.0, 10.0)], beat[:1])  # a 10-s melody
    stats = drum_ckpt.stats
    hits, seconds = check_midi(groove, "groove.mid", RenderOptions(), limits, None, kit_keys(stats), stats)
    assert hits == 1 and seconds == held_samples(stats, 36, 90) / stats.sample_rate  # the kit's length
