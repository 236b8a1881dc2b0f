"""The serve API through the framework's test client on the tiny checkpoint: takes ranked and
drawn, sample packs, MIDI renders with progress, refusals in one line, jobs kept apart."""

from __future__ import annotations

import io
import json
import threading
import zipfile
from pathlib import Path

import pytest
import soundfile as sf
from support.audio import write_midi

SR = 16000
TAKE_SAMPLES = 4000 + 3200 + 400 + 1600  # lead 0.25 s, 0.2 s held, bank tail, 0.1 s after the end
PNG = b"\x89PNG"


def takes_job(client, wait, **body):
    response = client.post("/api/takes", json={"note": "D3", "duration": 0.2, "takes": 2, "seed": 0, **body})
    assert response.status_code == 202, response.text
    return wait(client, response.json())


def test_model_info_offers_the_trained_range_and_the_limits(client, limits) -> None:
    info = client.get("/api/model").json()
    assert info["sample_rate"] == SR
    assert info["pitch_range"] == [48, 52] and info["bank_pitches"] == [48, 50, 52]
    assert [n["name"] for n in info["notes"]] == ["C3", "C#3", "D3", "D#3", "E3"]
    assert info["limits"]["max_takes"] == limits.max_takes
    assert info["name"] == "tiny"  # the model's, as the files the page offers are named


def test_page_and_its_scripts_are_served_and_name_nothing_on_the_internet(client) -> None:
    page = client.get("/")
    assert page.status_code == 200 and 'id="takes-form"' in page.text
    for asset in ("/static/app.js", "/static/style.css"):
        response = client.get(asset)
        assert response.status_code == 200
        assert "http://" not in response.text and "https://" not in response.text, asset
    assert "http" not in page.text.replace('name="viewport"', "")
    assert client.get("/docs").status_code == 404  # FastAPI's docs page would load from a CDN


def test_head_is_answered_as_get_without_a_body(client) -> None:
    """HEAD / was 405 (FastAPI routes a GET alone; /static answered HEAD): a link checker or `curl -I`
    took the page for missing."""
    for path in ("/", "/api/model"):
        head, get = client.head(path), client.get(path)
        assert head.status_code == get.status_code == 200, path
        assert head.headers["content-type"] == get.headers["content-type"], path
        assert head.headers["content-length"] == get.headers["content-length"], path
    assert client.head("/").content == b""  # the body is left out (uvicorn leaves it out of any HEAD)
    assert client.head("/api/jobs/unknown").status_code == 404  # refused as a GET is


def test_takes_are_ranked_measured_and_drawn(client, wait) -> None:
    job, progress = takes_job(client, wait, takes=3)
    assert job["state"] == "done", job["message"]
    assert progress == sorted(progress) and progress[-1] == 1.0
    result = job["result"]
    assert (result["note"], result["pitch"], result["velocity"]) == ("D3", 50, 100)
    assert result["onset_s"] == 0.25 and result["release_s"] == pytest.approx(0.45)
    takes = result["takes"]
    assert [t["rank"] for t in takes] == [1, 2, 3] and sorted(t["take"] for t in takes) == [1, 2, 3]
    assert [t["score"] for t in takes] == sorted(t["score"] for t in takes)
    for t in takes:
        assert {"cents", "f0_hz", "noise_floor_db", "level_db", "bank_level_db", "level_diff_db"} <= set(t)
        assert t["bank_level_db"] == pytest.approx(-20.0, abs=1.0)  # the bank's envelope is -20 dBFS held
        assert t["download"] == f"tiny-D3-v100-0.20s-take{t['take']}.wav"
        wav = client.get(f"/api/jobs/{job['id']}/files/{t['wav']}")
        assert wav.headers["content-type"] == "audio/wav"
        audio, sr = sf.read(io.BytesIO(wav.content))
        assert sr == SR and len(audio) == TAKE_SAMPLES == round(t["seconds"] * SR)
        png = client.get(f"/api/jobs/{job['id']}/files/{t['png']}")
        assert png.headers["content-type"] == "image/png" and png.content.startswith(PNG)


def test_the_same_seed_gives_the_same_takes(client, wait) -> None:
    a, _ = takes_job(client, wait, takes=1, seed=7)
    b, _ = takes_job(client, wait, takes=1, seed=7)
    fetch = [client.get(f"/api/jobs/{j['id']}/files/take-1.wav").content for j in (a, b)]
    assert fetch[0] == fetch[1]


def test_sample_pack_zips_the_kept_takes_with_their_measures(client, wait) -> None:
    first, _ = takes_job(client, wait)
    other, _ = takes_job(client, wait, note="C3", velocity=80)
    kept = [f"{first['id']}:2", f"{other['id']}:1", f"{first['id']}:02"]  # take 2 twice: zipped once
    response = client.get("/api/pack", params={"take": kept})
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"] == 'attachment; filename="tiny-pack.zip"'
    zf = zipfile.ZipFile(io.BytesIO(response.content))
    assert zf.namelist() == ["tiny-D3-v100-0.20s-take2.wav", "tiny-C3-v80-0.20s-take1.wav", "takes.json"]
    listed = json.loads(zf.read("takes.json"))
    assert [(e["file"], e["note"], e["velocity"]) for e in listed] == [
        ("tiny-D3-v100-0.20s-take2.wav", "D3", 100), ("tiny-C3-v80-0.20s-take1.wav", "C3", 80)]  # fmt: skip
    assert all("cents" in e and "score" in e for e in listed)
    original = client.get(f"/api/jobs/{first['id']}/files/take-2.wav").content
    assert zf.read("tiny-D3-v100-0.20s-take2.wav") == original
    # take 2 of two generations of one note share a download name: the zip keeps both
    again, _ = takes_job(client, wait, seed=5)
    both = client.get("/api/pack", params={"take": [f"{first['id']}:2", f"{again['id']}:2"]})
    zf = zipfile.ZipFile(io.BytesIO(both.content))
    assert zf.namelist() == ["tiny-D3-v100-0.20s-take2.wav", "tiny-D3-v100-0.20s-take2-2.wav", "takes.json"]
    assert [e["file"] for e in json.loads(zf.read("takes.json"))] == zf.namelist()[:2]
    second = client.get(f"/api/jobs/{again['id']}/files/take-2.wav").content
    assert zf.read("tiny-D3-v100-0.20s-take2-2.wav") == second


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"note": "C7"}, 400, "outside the notes the model knows, C3–E3 (48–52)"),
        ({"note": "H2"}, 400, "not a note name"),
        ({"note": 200}, 400, "note 200 is outside the MIDI range"),  # was "note: note 200 …"
        ({"velocity": 0}, 400, "velocity must be 1..127"),
        ({"duration": 5.0}, 400, "length (duration) must be 0.05..0.5 s"),
        ({"duration": 0.0}, 400, "length (duration) must be"),
        ({"takes": 4}, 400, "takes must be 1..3"),
        ({"seed": -1}, 400, "seed must be"),
        ({"velocity": "loud"}, 422, "velocity:"),
        ({"duration": "1"}, 422, "duration"),  # a string is no length, as "4" is no number of takes
        ({"duration": True}, 422, "duration"),
        ({"note": True}, 422, "note.int: Input should be a valid integer"),  # was read as note 1, C#-1
        ({"velocity": True}, 422, "velocity:"),
        ({"temperature": 5}, 422, "temperature:"),
    ],
)
def test_take_requests_outside_the_limits_are_refused_in_one_line(client, body, status, says) -> None:
    response = client.post("/api/takes", json={"note": "D3", "duration": 0.2, **body})
    assert response.status_code == status
    detail = response.json()["detail"]
    assert isinstance(detail, str) and says in detail and "\n" not in detail and "Traceback" not in detail
    assert "note: note" not in detail


@pytest.mark.parametrize(
    ("content", "says"),
    [  # was "1: JSON decode error", a character position read as a field
        ("{bad", "the request body is not valid JSON (Expecting property name enclosed in double quotes "
                 "at character 1)"),
        ('{"note": "C3",}', "the request body is not valid JSON (Expecting property name enclosed in double "
                            "quotes at character 14)"),
        ("", "the request body is empty: send a JSON object"),
        ("[1]", "the request body must be a JSON object"),
        ("null", "the request body must be a JSON object"),
    ],
)
def test_a_body_that_is_no_json_object_is_refused_in_words(client, content, says) -> None:
    response = client.post("/api/takes", content=content, headers={"content-type": "application/json"})
    assert response.status_code == 422 and response.json()["detail"] == says


def test_pack_of_nothing_or_unknown_takes_is_refused(client, wait) -> None:
    job, _ = takes_job(client, wait, takes=1)
    assert "keep at least one take" in client.get("/api/pack").json()["detail"]
    response = client.get("/api/pack", params={"take": [f"{job['id']}:9"]})
    assert response.status_code == 404 and "no take" in response.json()["detail"]
    assert client.get("/api/pack", params={"take": ["nope:1"]}).status_code == 404
    assert client.get("/api/pack", params={"take": [f"{job['id']}:01"]}).status_code == 200  # take 1
    for malformed in ("nope", f"{job['id']}:", f"{job['id']}:x", ":1", f"{job['id']}:²"):
        response = client.get("/api/pack", params={"take": [malformed]})
        assert response.status_code == 400 and "take must be JOB:K" in response.json()["detail"], malformed


def test_only_the_files_a_job_wrote_are_served(client, wait) -> None:
    job, _ = takes_job(client, wait, takes=1)
    assert client.get("/api/jobs/unknown").status_code == 404
    for name in ("take-2.wav", "..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd"):
        assert client.get(f"/api/jobs/{job['id']}/files/{name}").status_code == 404


def _expiring_on(monkeypatch, owner, method: str, store) -> None:
    """Make every job expire just before `owner.method` reads a job's file: the race of a request that
    looked its job up a moment before another request's (or the worker's) JobStore.expire removed it."""
    import inspect
    import time

    read = getattr(owner, method)

    def expire() -> None:
        store.expire(now=time.monotonic() + 2 * store.ttl_s)

    if inspect.iscoroutinefunction(read):
        async def expiring(self, *args, **kwargs):
            expire()
            return await read(self, *args, **kwargs)
    else:
        def expiring(self, *args, **kwargs):
            expire()
            return read(self, *args, **kwargs)
    monkeypatch.setattr(owner, method, expiring)


def test_a_take_that_expires_while_it_is_fetched_is_sent_not_a_500(client, wait, monkeypatch) -> None:
    """A job that expired between a download's lookup and its read was a 500 naming the server's
    folder ("server error: File at path /tmp/samplernn-serve-…/take-1.wav does not exist."), a pack
    of it one too ("[Errno 2] No such file or directory: …")."""
    from starlette.responses import FileResponse

    store = client.app.state.store
    job, _ = takes_job(client, wait, takes=1)
    expected = (store.root / job["id"] / "take-1.wav").read_bytes()
    _expiring_on(monkeypatch, FileResponse, "__call__", store)
    response = client.get(f"/api/jobs/{job['id']}/files/take-1.wav")
    assert response.status_code == 200 and response.content == expected  # asked before it expired: sent
    assert not (store.root / job["id"]).exists()  # and removed once sent
    assert client.get(f"/api/jobs/{job['id']}/files/take-1.wav").status_code == 404
    monkeypatch.undo()
    job, _ = takes_job(client, wait, takes=1)
    _expiring_on(monkeypatch, zipfile.ZipFile, "write", store)
    response = client.get("/api/pack", params={"take": [f"{job['id']}:1"]})
    assert response.status_code == 200, response.text
    assert zipfile.ZipFile(io.BytesIO(response.content)).namelist() == ["tiny-D3-v100-0.20s-take1.wav",
                                                                        "takes.json"]
    assert not (store.root / job["id"]).exists()


def test_midi_upload_renders_with_progress(client, wait, tmp_path: Path) -> None:
    midi = write_midi(tmp_path / "two notes.mid", [(48, 100, 0.0, 0.2), (52, 90, 0.1, 0.3)])
    response = client.post("/api/render", files={"file": ("two notes.mid", midi.read_bytes())})
    assert response.status_code == 202, response.text
    job, progress = wait(client, response.json())
    assert job["state"] == "done", job["message"]
    assert progress == sorted(progress) and progress[-1] == 1.0
    result = job["result"]
    assert result["name"] == "two_notes.mid" and result["notes"] == 2
    assert result["download"] == "two_notes-tiny.wav"  # the song's and the model's
    audio, sr = sf.read(io.BytesIO(client.get(f"/api/jobs/{job['id']}/files/render.wav").content))
    assert sr == SR and len(audio) / SR == pytest.approx(result["seconds"])
    assert 0.3 < result["seconds"] < 0.5  # last note-off + bank tail + 0.1 s
    assert client.get(f"/api/jobs/{job['id']}/files/render.png").content.startswith(PNG)


def test_one_note_is_one_note_and_many_of_no_length_one_line(client, wait, tmp_path: Path) -> None:
    """The page said '1 notes'; a file of many notes of no length gave it one warning per note."""
    import shutil
    import subprocess

    import mido

    one = write_midi(tmp_path / "one.mid", [(48, 100, 0.0, 0.2)]).read_bytes()
    response = client.post("/api/render", files={"file": ("one.mid", one)})
    assert response.status_code == 202 and response.json()["stage"] == "1 note, 0.2 s of music"
    wait(client, response.json())
    mid = mido.MidiFile(type=0, ticks_per_beat=480)  # 5 notes of no length, 0.1 s apart at 120 bpm
    mid.tracks.append(mido.MidiTrack([m for i in range(5) for m in (
        mido.Message("note_on", note=48, velocity=90, time=96 * (i > 0)),
        mido.Message("note_off", note=48, velocity=0, time=0))]))  # fmt: skip
    mid.save(tmp_path / "ticks.mid")
    empty = (tmp_path / "ticks.mid").read_bytes()
    job, _ = wait(client, client.post("/api/render", files={"file": ("ticks.mid", empty)}).json())
    assert job["state"] == "done", job["message"]
    (line,) = job["result"]["hanging"]
    assert line.startswith("5 notes have no length") and line.endswith("and 2 more)")
    app_js = (Path(__file__).parents[2] / "samplernn" / "serve" / "static" / "app.js").read_text()
    summary = next(x for x in app_js.splitlines() if 'querySelector(".summary")' in x)
    assert "counted(r.notes" in summary  # the page's count goes through counted(), as the CLI's
    if shutil.which("node"):  # counted() itself, where node is at hand
        helper = next(x for x in app_js.splitlines() if x.startswith("const counted"))
        said = subprocess.run(["node", "-e", f'{helper}\nconsole.log(counted(1, "note"), counted(2, "hit"))'],
                              capture_output=True, text=True, check=True).stdout  # fmt: skip
        assert said.strip() == "1 note 2 hits"


def test_midi_out_of_range_renders_when_clamped(client, wait, tmp_path: Path) -> None:
    midi = write_midi(tmp_path / "high.mid", [(72, 100, 0.0, 0.1)]).read_bytes()
    refused = client.post("/api/render", files={"file": ("high.mid", midi)})
    assert refused.status_code == 400
    assert "outside the model's trained range" in refused.json()["detail"]
    assert "tick 'clamp'" in refused.json()["detail"]
    response = client.post("/api/render", files={"file": ("high.mid", midi)}, data={"clamp": "true"})
    job, _ = wait(client, response.json())
    assert job["state"] == "done" and job["result"]["changed"] == ["C5 (72) at 0.00 s → E3"]


def test_a_note_with_no_note_off_is_warned_of_as_render_warns(client, wait, tmp_path: Path) -> None:
    import mido

    mid = mido.MidiFile(type=0, ticks_per_beat=480)
    mid.tracks.append(mido.MidiTrack([mido.Message("note_on", note=50, velocity=90, time=0),
                                      mido.Message("note_on", note=48, velocity=90, time=240),
                                      mido.Message("note_off", note=48, velocity=0, time=240)]))
    mid.save(tmp_path / "stuck.mid")
    data = (tmp_path / "stuck.mid").read_bytes()
    response = client.post("/api/render", files={"file": ("stuck.mid", data)})
    job, _ = wait(client, response.json())
    assert job["state"] == "done", job["message"]
    (line,) = job["result"]["hanging"]
    assert line.startswith("D3 (50) at 0.00 s has no note-off")
    assert job["result"]["notes"] == 2


def _midi(tmp_path: Path, notes) -> bytes:
    return write_midi(tmp_path / "m.mid", notes).read_bytes()


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda p: b"hello, I am a text file", "song.mid: not a MIDI file"),
        (lambda p: b"MThd\x00\x00\x00\x06\x00\x01", "song.mid: unreadable MIDI file"),
        (lambda p: _midi(p, []), "song.mid: the MIDI file holds no notes"),
        (lambda p: _midi(p, [(50, 100, 0.0, 3.0)]), "song.mid: 3 s long; at most 2 s here"),
        (lambda p: _midi(p, [(50, 100, i * 0.1, i * 0.1 + 0.05) for i in range(7)]), "7 notes; at most 6"),
        (lambda p: b"MThd" + bytes(5000), "song.mid: the file is too large"),
        (lambda p: b"", "song.mid: the file is empty"),  # was "the file is empty", of no name
    ],
)
def test_bad_midi_files_get_a_clear_message(client, tmp_path: Path, make, says) -> None:
    response = client.post("/api/render", files={"file": ("song.mid", make(tmp_path))})
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert says in detail and "\n" not in detail
    assert "/tmp" not in detail and "samplernn-serve" not in detail  # no server paths


def test_a_file_of_drums_only_is_told_the_model_is_pitched(client, tmp_path: Path) -> None:
    """A file whose notes are all on the drum channel was refused as "no notes to render (2 drum-channel
    note(s))", which says neither why nor what the model plays."""
    drums = write_midi(tmp_path / "beat.mid", [(36, 100, 0.0, 0.1), (38, 100, 0.2, 0.3)], channel=9)
    response = client.post("/api/render", files={"file": ("beat.mid", drums.read_bytes())})
    assert response.status_code == 400
    assert response.json()["detail"] == ("beat.mid: only drum-channel notes (channel 10), and this model is "
                                         "pitched: it leaves the drum channel out")
    assert list(client.app.state.store.root.iterdir()) == []


def test_a_riff_midi_file_is_rendered(client, wait, tmp_path: Path) -> None:
    smf = _midi(tmp_path, [(50, 100, 0.0, 0.3)])
    data = b"data" + len(smf).to_bytes(4, "little") + smf + b"\0" * (len(smf) % 2)
    rmi = b"RIFF" + (4 + len(data)).to_bytes(4, "little") + b"RMID" + data
    response = client.post("/api/render", files={"file": ("song.rmi", rmi)})
    assert response.status_code == 202, response.text
    job, _ = wait(client, response.json())
    assert job["state"] == "done", job["message"]
    assert job["result"]["notes"] == 1


@pytest.mark.parametrize(
    ("released", "says"),
    [(240, "10 s long (the sustain pedal holds its notes past their note-offs)"),
     (2880, "10 s long")],  # 3 s: too long without the pedal, which is not blamed
)
def test_a_note_the_sustain_pedal_holds_past_the_limit_is_refused(client, tmp_path: Path, released, says):
    """A note under a pedal that stays down until the track ends 10 s later renders 10 s: the length
    limit (2 s) is checked on the notes as render plays them, not as the file releases them."""
    import mido

    mid = mido.MidiFile(type=0, ticks_per_beat=480)  # 120 bpm: 960 ticks a second
    mid.tracks.append(mido.MidiTrack([mido.Message("control_change", control=64, value=127, time=0),
                                      mido.Message("note_on", note=50, velocity=90, time=0),
                                      mido.Message("note_off", note=50, velocity=0, time=released),
                                      mido.MetaMessage("end_of_track", time=9840 - released)]))  # fmt: skip
    mid.save(path := tmp_path / "pedal.mid")
    response = client.post("/api/render", files={"file": ("pedal.mid", path.read_bytes())})
    assert response.status_code == 400, response.text
    assert response.json()["detail"] == f"pedal.mid: {says}; at most 2 s here"
    assert list(client.app.state.store.root.iterdir()) == []


@pytest.mark.parametrize(
    ("sent", "shown"),
    [("Песня.mid", "Песня.mid"), ("曲.mid", "曲.mid"), ("e\u0301te\u0301 2.mid", "\u00e9t\u00e9_2.mid"),
     ("../../a b.mid", "a_b.mid")],
)
def test_an_upload_is_named_as_the_user_named_it(client, sent, shown) -> None:
    """A file name in another script than Latin is kept (only ASCII letters were, so 'Песня.mid'
    was called 'mid' in the page and downloaded as 'mid-samplernn.wav'); paths and spaces are not."""
    response = client.post("/api/render", files={"file": (sent, b"not a MIDI file")})
    assert response.status_code == 400
    assert response.json()["detail"].startswith(f"{shown}: not a MIDI file")


def test_an_upload_just_over_the_limit_says_by_how_much() -> None:
    """An upload a few bytes over the limit was refused as "1024 KiB; at most 1024 KiB"."""
    from samplernn.common.errors import UserError
    from samplernn.serve.limits import ServeLimits
    from samplernn.serve.requests import check_upload_size

    limits = ServeLimits()
    with pytest.raises(UserError) as info:
        check_upload_size(limits.max_upload_bytes + 14, limits)
    assert str(info.value) == "the file is too large (1,048,590 bytes; at most 1,048,576 bytes)"
    with pytest.raises(UserError, match=r"\(2048 KiB; at most 1024 KiB\)"):
        check_upload_size(2 * limits.max_upload_bytes, limits)


def test_uploads_are_refused_by_their_declared_length_before_reading(client) -> None:
    big = client.post("/api/render", files={"file": ("song.mid", b"MThd" + bytes(60_000))})
    assert big.status_code == 400 and "too large" in big.json()["detail"]
    # the request's size, not that size less the slack for the form (which read 16 KiB too small)
    sent = int(big.request.headers["content-length"])
    assert f"({sent / 1024:.0f} KiB with its form fields" in big.json()["detail"]
    unsized = client.post("/api/render", content=iter([b"MThd"]), headers={"content-type": "audio/midi"})
    assert unsized.status_code == 411 and "declare its length" in unsized.json()["detail"]


def test_refused_uploads_leave_no_files(client, tmp_path: Path) -> None:
    store = client.app.state.store
    client.post("/api/render", files={"file": ("song.mid", b"not midi")})
    assert list(store.root.iterdir()) == []


def test_concurrent_requests_keep_their_own_output(client, wait) -> None:
    """Takes requested at once from several threads come out as each would alone."""
    jobs: dict[int, dict] = {}

    def ask(seed: int) -> None:
        response = client.post("/api/takes", json={"note": "E3", "duration": 0.1, "takes": 1, "seed": seed})
        jobs[seed] = wait(client, response.json())[0]

    threads = [threading.Thread(target=ask, args=(seed,)) for seed in (1, 2, 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(j["state"] == "done" for j in jobs.values())
    together = {s: client.get(f"/api/jobs/{j['id']}/files/take-1.wav").content for s, j in jobs.items()}
    assert len(set(together.values())) == 3
    alone, _ = takes_job(client, wait, note="E3", duration=0.1, takes=1, seed=2)
    assert client.get(f"/api/jobs/{alone['id']}/files/take-1.wav").content == together[2]


def test_generated_files_are_removed_at_shutdown(ckpt, limits) -> None:
    from fastapi.testclient import TestClient

    from samplernn.serve.app import create_app

    with TestClient(create_app(ckpt, limits)) as c:
        root = c.app.state.store.root
        job = c.post("/api/takes", json={"note": "C3", "duration": 0.1, "takes": 1}).json()
        assert (root / job["id"]).is_dir()
    assert not root.exists()


@pytest.mark.parametrize(
    ("form", "says"),
    [
        ({"transpose": "49"}, "transpose must be -48..48 semitones, got 49"),
        ({"transpose": "-100"}, "transpose must be -48..48 semitones, got -100"),
        ({"seed": "-1"}, "seed must be 0..4294967295, got -1"),
    ],
)
def test_a_render_transpose_or_seed_out_of_bounds_is_a_400_as_a_takes_one(client, tmp_path: Path, form,
                                                                          says) -> None:
    """POST /api/takes answers a seed out of bounds with 400 (outside the limits), /api/render
    answered it, and a transpose past ±48, with 422 (a malformed request: docs/serve.md)."""
    midi = write_midi(tmp_path / "a.mid", [(48, 100, 0.0, 0.2)]).read_bytes()
    response = client.post("/api/render", files={"file": ("a.mid", midi)}, data=form)
    assert response.status_code == 400 and response.json()["detail"] == says
    assert list(client.app.state.store.root.iterdir()) == []
    typo = client.post("/api/render", files={"file": ("a.mid", midi)}, data={"transpose": "up"})
    assert typo.status_code == 422  # not a number at all: malformed, as before


def test_two_files_in_one_render_request_are_refused(client, tmp_path: Path) -> None:
    midi = write_midi(tmp_path / "a.mid", [(48, 100, 0.0, 0.2)]).read_bytes()
    response = client.post("/api/render", files=[("file", ("a.mid", midi)), ("file", ("b.mid", midi))])
    assert response.status_code == 400
    assert response.json()["detail"] == "upload one MIDI file to render, got 2 in one request"
    assert list(client.app.state.store.root.iterdir()) == []
