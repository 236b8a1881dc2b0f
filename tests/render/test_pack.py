"""Drum models: told from pitched ones by what they were trained on; synth's takes of the kit's
length; render plays the drum channel; `samplernn pack` writes a sample pack (WAVs by piece,
velocity and take, index.json with measures, sheet.png), keeps the best, refuses what it must."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import mido
import numpy as np
import pytest
import soundfile as sf
from support.audio import write_midi
from support.drum_kit import HIT, SR, drum_checkpoint, drum_stats, write_drum_dataset
from support.tiny import tiny_checkpoint
from typer.testing import CliRunner

from conditioning import BankStats, MidiNote
from conditioning.bankstats import note_levels
from samplernn.cli import app
from samplernn.common.errors import UsageError, UserError
from samplernn.data.dataset import load_dataset
from samplernn.generate.engine import numba_available
from samplernn.generate.options import ONSET_CANDIDATES, GenerationOptions
from samplernn.measures import oneshot
from samplernn.measures.resonance import TONAL_SHARE, hit_resonance
from samplernn.model.checkpoint import load_checkpoint
from samplernn.render import drums
from samplernn.render import midi as render_mod
from samplernn.render.midi import RenderOptions, render_midi
from samplernn.render.pack import PackOptions, Take, generate_takes, make_pack, real_hits
from samplernn.render.synth import DEFAULT_DURATION, synth_note

pytestmark = pytest.mark.usefixtures("one_thread")
GEN = GenerationOptions(seed=0, threads=1)
KIT = [36, 37, 38, 42, 45, 47, 49, 50]


@pytest.fixture(scope="module")
def kit_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_drum_dataset(tmp_path_factory.mktemp("kit") / "data")


@pytest.fixture(scope="module")
def drum_ckpt_path(kit_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return drum_checkpoint(tmp_path_factory.mktemp("ckpt") / "drums.pt", drum_stats(kit_dir))


@pytest.fixture(scope="module")
def drum_ckpt(drum_ckpt_path: Path):
    return load_checkpoint(drum_ckpt_path)


def _held_stats(held_s: float, pitches: tuple[int, ...] = (48, 50)) -> BankStats:
    hop = round(0.01 * SR)
    x = np.full(SR, 0.3, np.float32)
    held = round(held_s * SR)
    return BankStats.from_notes(SR, [(p, 100, 800) for p in pitches],
                                [(p, 100, *note_levels(x, 0, held, held + 800, hop)) for p in pitches])


def test_a_drum_model_is_told_by_what_it_was_trained_on(tmp_path: Path, kit_dir: Path) -> None:
    stats = drum_stats(kit_dir)
    ck = lambda name, **kw: load_checkpoint(drum_checkpoint(tmp_path / name, **kw))  # noqa: E731
    assert drums.is_drum_model(ck("a.pt", stats=stats))
    assert not drums.is_drum_model(ck("b.pt", stats=stats, layout="named"))  # the record wins
    # No record: the dataset.json it was trained on, while it is there …
    assert drums.is_drum_model(ck("c.pt", stats=stats, layout=None, dataset_path=str(kit_dir)))
    # … else the statistics: GM drum keys held no longer than an attack peak.
    assert drums.is_drum_model(ck("d.pt", stats=stats, layout=None))
    assert not drums.is_drum_model(ck("e.pt", stats=_held_stats(0.5), layout=None))
    assert not drums.is_drum_model(ck("f.pt", stats=_held_stats(0.01, (20, 30)), layout=None))
    assert not drums.is_drum_model(load_checkpoint(tiny_checkpoint(tmp_path / "g.pt")))


def test_pieces_by_name_kind_or_key() -> None:
    assert drums.resolve_pieces(["kick", "snare", "hat", "42"], KIT) == [36, 38, 42]
    assert drums.resolve_pieces(["tom", "crash"], KIT) == [45, 47, 50, 49]  # every tom of the kit
    with pytest.raises(UserError, match="cowbell.*no such piece.*36 bass drum"):
        drums.resolve_pieces(["cowbell"], KIT)
    # a key the kit lacks but synth/render would play by its kind's piece: the refusal names it
    with pytest.raises(UserError, match="--pieces 35: the kit has no acoustic bass drum; .*ask for 36"):
        drums.resolve_pieces(["35"], KIT)
    for number in ("-1", "1.5", "200"):  # '-1' packed 'crash cymbal 1' by its name's word '1'
        with pytest.raises(UserError, match="no such piece"):
            drums.resolve_pieces([number], KIT)
    assert drums.piece_slug(42) == "42-closed-hi-hat" and drums.piece_name(35) == "acoustic bass drum"


def test_a_named_piece_the_kit_lacks_is_played_as_render_plays_its_key() -> None:
    """'floor tom' asked to choose between the kit's toms and 'crash 2' played 49 without a word;
    render plays their keys (41, 57) by the kit's piece of their kind and says so."""
    said = "'floor tom' (41 low floor tom) is played by the kit's 45 (low tom)"
    assert drums.kit_piece("floor tom", KIT) == (45, said)
    key, said = drums.kit_piece("crash 2", KIT)
    assert key == 49 and "(57 crash cymbal 2) is played by the kit's 49" in said
    assert drums.kit_piece("snare", KIT) == (38, None)
    key, said = drums.kit_piece("crash 3", KIT)  # General MIDI has crashes 1 and 2: it played 49 unsaid
    assert key == 49 and said == (
        "'crash 3' names no General MIDI piece; it is played by the kit's 49 (crash cymbal 1)"
    )
    assert drums.kit_piece("crash cymbal 1", KIT) == (49, None)
    for spelling in ("floor-tom", "floor_tom", "floortom"):  # spelt otherwise: the same piece
        assert drums.kit_piece(spelling, KIT)[0] == 45
    assert "(43 high floor tom)" in drums.kit_piece("high floor tom", KIT)[1]  # not 41
    for kind in ("tom", "flor tom"):  # a bare kind, or a typo read as one, still asks for one
        with pytest.raises(UserError, match="names 3 of the kit's pieces"):
            drums.kit_piece(kind, KIT)
    with pytest.raises(UserError, match="--pieces 'floor tom': the kit has no low floor tom; .*ask for 45"):
        drums.resolve_pieces(["floor tom"], KIT)  # pack packed every tom of the kit for it


def test_a_kind_played_by_another_piece_of_it_is_said() -> None:
    """'ride' on a kit whose only ride is its bell played the bell without a word; a name whose own
    piece the kit has (or that names no piece) says nothing."""
    bell = [36, 38, 42, 53]
    said = "'ride' (51 ride cymbal 1) is played by the kit's 53 (ride bell)"
    assert drums.kit_piece("ride", bell) == (53, said)
    said = "'hat' (42 closed hi-hat) is played by the kit's 46 (open hi-hat)"
    assert drums.kit_piece("hat", [36, 46]) == (46, said)
    assert drums.kit_piece("ride bell", bell) == (53, None) and drums.kit_piece("kick", bell) == (36, None)
    assert drums.kit_piece("ride", [51, 53]) == (51, None)  # its own piece, among two rides


def test_a_word_that_may_name_a_piece_is_told_from_a_bad_note() -> None:
    names = ("kick", "snare", "tom", "crash", "hat", "cowbell")
    assert all(drums.may_name_a_piece(t) for t in names)
    assert not any(drums.may_name_a_piece(t) for t in ("H9", "C9x", "high", ""))


def test_keys_the_kit_lacks_are_played_by_a_piece_of_their_kind() -> None:
    # 43 high floor tom sounds below 45 low tom: the nearest tom, not the other "high" one.
    assert [drums.substitute(k, KIT) for k in (35, 40, 57, 43, 56, 60)] == [36, 38, 49, 45, None, None]
    assert drums.substitute(43, [41, 45, 50]) == 41  # a floor tom first, when the kit has one
    # every key of the General MIDI drum map has a name (62: mute high conga, played by a conga)
    assert all(not drums.piece_name(k).startswith("key") for k in range(35, 82))
    assert drums.substitute(62, [36, 63, 64]) in (63, 64)
    notes = [MidiNote(k, 100, 0.0, 0.1, 9, 0) for k in (36, 35, 35, 56)]
    played, ignored, changed = drums.kit_notes(notes, KIT)
    assert [k for _, k in played] == [36, 36, 36]
    assert changed == ["2 note(s) on 35 (acoustic bass drum) → 36 (bass drum)"]
    assert ignored == ["1 note(s) on 56 (cowbell): no such piece in the kit"]


def test_synth_takes_a_drum_hit_s_length_from_the_kit(drum_ckpt, tmp_path: Path) -> None:
    stats = drum_ckpt.stats
    res = synth_note(drum_ckpt, 38, 100, takes=3, lead=0.01, tail=0.01, generation=GEN)
    ev, tail = res.spec.event, round(0.01 * SR)
    assert ev.release - ev.onset == drums.held_samples(stats, 38, 100) == stats.hop  # one 10 ms frame
    assert ev.end - ev.release == stats.release_tail(38, 100)
    # One-shots: each take starts at its hit (the lead was context, cut off) and fades out.
    assert res.drums and ev.onset == 0 and len(res.takes) == 3
    assert all(len(t) == ev.end + tail and t[-1] == 0 and np.abs(t[: ev.end]).max() > 0 for t in res.takes)
    assert res.warning is None and res.onset_candidates == ONSET_CANDIDATES  # hits are searched too
    assert "no piece on key 60" in synth_note(drum_ckpt, 60, 100, 0.05, lead=0.0, tail=0.0).warning
    pitched = load_checkpoint(tiny_checkpoint(tmp_path / "p.pt", SR, _held_stats(0.5)))
    ev = synth_note(pitched, 48, 100, lead=0.0, tail=0.0, generation=GEN).spec.event
    assert ev.release - ev.onset == round(DEFAULT_DURATION * SR)  # a pitched model: as before


def _drum_midi(path: Path) -> Path:
    on = lambda n, t, ch: mido.Message("note_on", note=n, velocity=90, time=t, channel=ch)  # noqa: E731
    off = lambda n, t, ch: mido.Message("note_off", note=n, velocity=0, time=t, channel=ch)  # noqa: E731
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    mid.tracks.append(mido.MidiTrack([on(36, 0, 9), off(36, 480, 9), on(35, 0, 9), off(35, 10, 9),
                                      on(56, 0, 9), off(56, 10, 9)]))
    mid.tracks.append(mido.MidiTrack([on(60, 0, 0), off(60, 480, 0)]))
    mid.save(path)
    return path


def test_render_plays_the_drum_channel_with_a_drum_model(drum_ckpt, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    captured: list = []
    searches: list = []

    def fake(model, conds, options=None, **kw):
        captured.extend(conds)
        searches.append(options.active_onset_search)
        return [np.zeros(len(c), np.float32) for c in conds]

    monkeypatch.setattr(render_mod, "synthesize", fake)
    opts = RenderOptions(lead=0.01, tail=0.01, engine="notes", generation=GEN)
    report = render_midi(drum_ckpt, _drum_midi(tmp_path / "d.mid"), tmp_path / "d.wav", opts)
    assert report.n_notes == 2 and [c[round(0.01 * SR), 0] for c in captured] == [36, 36]
    assert [s.measure for s in searches] == ["level"]  # each hit the best start by its level
    assert "1 note(s) on other channels" in report.ignored
    assert any("56 (cowbell)" in line for line in report.ignored)
    assert report.changed == ["1 note(s) on 35 (acoustic bass drum) → 36 (bass drum)"]
    held = drums.held_samples(drum_ckpt.stats, 36, 90)
    # A hit ignores its note-off: the half-second note and the 10-tick one are held alike.
    assert len(captured[0]) == len(captured[1])
    assert len(captured[0]) == 2 * round(0.01 * SR) + held + drum_ckpt.stats.release_tail(36, 90)
    only_piano = RenderOptions(channels={1}, lead=0.01, tail=0.01, generation=GEN)
    with pytest.raises(UserError, match="no notes to render.*no such piece"):
        render_midi(drum_ckpt, _drum_midi(tmp_path / "p.mid"), tmp_path / "p.wav", only_piano)
    on_one = write_midi(tmp_path / "one.mid", [(36, 90, 0.0, 0.1), (38, 90, 0.5, 0.6)], channel=0)
    with pytest.raises(UserError, match=r"one\.mid: no drum-channel notes \(channel 10\), and this model is "
                                        r"a drum model: it plays the drum channel only "
                                        r"\(`render --channel N` plays the file's channel N\)$"):
        render_midi(drum_ckpt, on_one, tmp_path / "one.wav", opts)
    on_one_played = dataclasses.replace(opts, channels={1})
    assert render_midi(drum_ckpt, on_one, tmp_path / "one.wav", on_one_played).n_notes == 2
    with pytest.raises(UsageError, match=r"--transpose \+3: a drum model's keys are pieces"):
        render_midi(drum_ckpt, on_one, tmp_path / "t.wav", dataclasses.replace(on_one_played, transpose=3))


def test_clamp_with_a_drum_model_is_said_to_do_nothing(drum_ckpt_path: Path, tmp_path: Path) -> None:
    """A drum model's keys are pieces: --clamp (to a pitch range) cannot apply; one line on stderr says
    so rather than the option passing silently."""
    midi = _drum_midi(tmp_path / "d.mid")
    args = ["render", str(drum_ckpt_path), str(midi), "-o", str(tmp_path / "c.wav"),
            "--onset-candidates", "1", "--quiet"]
    r = CliRunner().invoke(app, [*args, "--clamp"])
    assert r.exit_code == 0 and "rendered 2 hits" in r.stdout, r.output
    assert r.stderr.splitlines() == ["note: --clamp does nothing with a drum model: its keys are pieces, "
                                     "not pitches (a key the kit lacks is played by a like piece or left "
                                     "out, as listed)"], r.stderr
    assert "--clamp" not in CliRunner().invoke(app, args).stderr


def test_voices_render_a_drum_part_with_the_kits_lengths(drum_ckpt, drum_ckpt_path: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    midi = _drum_midi(tmp_path / "d.mid")
    r = CliRunner().invoke(app, ["render", str(drum_ckpt_path), str(midi), "-o", str(tmp_path / "c.wav"),
                                 "--onset-candidates", "1"])  # fmt: skip
    assert r.exit_code == 0 and "rendered 2 hits (bass drum) in" in r.output, r.output
    hit = drums.kit_hits([(MidiNote(36, 90, 0.5, 0.51, 9, 0), 36)], drum_ckpt.stats, SR)[0][0]
    held = drums.held_samples(drum_ckpt.stats, 36, 90)
    assert hit.start == 0.5 and round((hit.stop - hit.start) * SR) == held
    lengths = {}
    for engine in ("notes", "voices"):
        opts = RenderOptions(lead=0.01, tail=0.01, engine=engine, generation=GEN)
        render_midi(drum_ckpt, midi, tmp_path / f"{engine}.wav", opts)
        audio, sr = sf.read(tmp_path / f"{engine}.wav")
        assert sr == SR and np.abs(audio).max() > 0
        lengths[engine] = len(audio)
    # Both hits (the half-second note and the 10-tick one) last the kit's length on either engine.
    tail = drum_ckpt.stats.release_tail(36, 90) + round(0.01 * SR)
    assert lengths["voices"] == lengths["notes"] == round(0.5 * SR) + held + tail
    seen: list = []
    monkeypatch.setattr(render_mod, "render_voices", lambda *a: seen.append(a[-1]) or np.zeros(SR))
    if numba_available():  # one CPU thread: a kit renders on voices too, its hits searched by level
        render_midi(drum_ckpt, midi, tmp_path / "auto.wav", RenderOptions(generation=GEN))
        assert seen and seen[-1].onset_search.measure == "level"


def test_takes_on_the_voices_are_the_kits_hits_as_on_per_note_streams(drum_ckpt, drum_ckpt_path: Path,
                                                                      tmp_path: Path) -> None:
    layers = [(36, 40), (38, 100), (42, 100)]
    made = {e: generate_takes(drum_ckpt, layers, 2, GEN, lead=0.02, tail=0.01, engine=e)
            for e in ("notes", "voices")}
    for notes, voices in zip(made["notes"], made["voices"], strict=True):
        assert (notes.key, notes.velocity, notes.number) == (voices.key, voices.velocity, voices.number)
        assert len(notes.audio) == len(voices.audio) > 0 and np.abs(voices.audio).max() > 0
    assert len({len(t.audio) for t in made["voices"]}) == 3  # each piece its own length: in order
    with pytest.raises(UserError, match="--engine 'fast': choose from auto, notes, voices"):
        make_pack(drum_ckpt, tmp_path / "p", PackOptions(engine="fast", generation=GEN))
    r = CliRunner().invoke(app, ["pack", str(drum_ckpt_path), "-o", str(tmp_path / "n"), "--pieces", "kick",
                                 "--velocities", "100", "--takes", "1", "--engine", "notes",
                                 "-q"])  # fmt: skip
    assert r.exit_code == 0 and (tmp_path / "n" / "36-bass-drum_v100_01.wav").is_file(), r.output


def test_pack_writes_takes_index_and_sheet(drum_ckpt_path: Path, drum_ckpt, kit_dir: Path,
                                           tmp_path: Path) -> None:
    out = tmp_path / "pack"
    opts = PackOptions(pieces=("kick", "hat"), velocities=(40, 120), takes=2, generation=GEN)
    report = make_pack(drum_ckpt, out, opts, kit_dir, source=str(drum_ckpt_path))
    names = sorted(p.name for p in out.iterdir())
    wavs = [f"{piece}_v{v:03d}_0{t}.wav" for piece in ("36-bass-drum", "42-closed-hi-hat")
            for v in (40, 120) for t in (1, 2)]
    assert names == [*wavs, "index.json", "sheet.png"]
    index = json.loads((out / "index.json").read_text())
    assert index["created_by"] == "samplernn pack" and len(index["takes"]) == 8
    assert index["settings"]["onset_candidates"] == ONSET_CANDIDATES
    assert index["settings"]["searched_by"] == "level"  # a checkpoint without its kit's pieces
    take = index["takes"][0]
    assert set(take["checks"]) == {"attack", "decay", "clean", "like", "novel", "distinct"}
    assert {"attack_ms", "decay_ms", "loudness_db", "nearest_piece", "nearest_train_db"} <= set(take)
    written = oneshot.features(sf.read(out / take["file"], dtype="float32")[0], SR)
    assert take["band_floor_db"] == pytest.approx(oneshot.band_floor_db(written), abs=0.05)
    assert "gain_db" in take
    for t in index["takes"]:  # a take's ring, as measured on it: a pitch only where its body rings
        peak, share = hit_resonance(sf.read(out / t["file"], dtype="float32")[0], SR)
        assert t["ringing"] == pytest.approx(share, abs=0.002)
        assert t["ring_hz"] == (pytest.approx(peak, abs=0.1) if share >= TONAL_SHARE else None)
    for t in index["takes"]:  # a take that reached full scale is lowered, never written clipped
        peak = np.abs(sf.read(out / t["file"], dtype="float32")[0]).max()
        assert peak < 1.0 and (t["gain_db"] < 0) == t["clipped"]
    kick = index["pieces"]["36"]
    assert kick["name"] == "bass drum" and set(kick["loudness_db"]) == {"40", "120"}
    assert kick["drawn"] == {"40": 2, "120": 2} and index["takes"][0]["draw"] == 0  # no --best: no redraw
    x, sr = sf.read(out / take["file"], dtype="float32")
    held = drums.held_samples(drum_ckpt.stats, 36, 40)
    tail = drum_ckpt.stats.release_tail(36, 40)
    assert sr == SR and len(x) == held + tail + round(0.1 * SR)  # from the note-on
    assert abs(x[-1]) < 1e-3  # faded out
    assert report.reference.startswith("the real samples")
    # A re-run replaces the pack whole; without a dataset the measures come from the statistics.
    make_pack(drum_ckpt, out, PackOptions(pieces=("snare",), velocities=(80,), takes=1, generation=GEN))
    index = json.loads((out / "index.json").read_text())
    names = sorted(p.name for p in out.iterdir())
    assert names == ["38-acoustic-snare_v080_01.wav", "index.json", "sheet.png"]
    assert set(index["takes"][0]["checks"]) == {"attack", "decay", "clean"}


def test_the_sheet_shows_real_hits_from_soft_to_hard(kit_dir: Path) -> None:
    hits = real_hits(load_dataset(kit_dir), [36, 42], 2)
    got = [(h.key, h.velocity, h.number) for h in hits]
    assert got == [(36, 40, 1), (36, 100, 2), (42, 40, 1), (42, 100, 2)]
    assert all(len(h.audio) == HIT for h in hits)  # from the onset


def test_best_keeps_k_of_n_by_score(drum_ckpt, kit_dir: Path, tmp_path: Path) -> None:
    opts = PackOptions(pieces=("snare",), velocities=(100,), takes=4, best=2, redraws=0, generation=GEN)
    report = make_pack(drum_ckpt, tmp_path / "best", opts, kit_dir)
    assert [t.number for t in report.takes] == [1, 2]
    assert report.takes[0].score >= report.takes[1].score
    everything = make_pack(drum_ckpt, tmp_path / "all", PackOptions(pieces=("snare",), velocities=(100,),
                                                                      takes=4, generation=GEN), kit_dir)
    assert report.takes[0].score == max(t.score for t in everything.takes)  # same seed, same takes
    # Drawn again (the untrained model's snares are short of usable ones), the kept are no worse.
    seen: list[tuple[int, int | None]] = []
    counted = dataclasses.replace(GEN, progress=lambda done, total=None, **_: seen.append((done, total)))
    again = make_pack(drum_ckpt, tmp_path / "again", dataclasses.replace(opts, redraws=1, generation=counted),
                      kit_dir)
    assert again.index["pieces"]["38"]["drawn"] == {"100": 8}
    totals = [t for _, t in seen if t is not None]  # the redraw's count goes on from the first round's
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and totals[-1] == 2 * totals[0]
    assert [t.number for t in again.takes] == [1, 2] and again.takes[0].score >= report.takes[0].score


def test_pack_refuses_what_it_must(tmp_path: Path, drum_ckpt, kit_dir: Path) -> None:
    pitched = load_checkpoint(tiny_checkpoint(tmp_path / "p.pt", SR, _held_stats(0.5)))
    with pytest.raises(UserError, match="not a drum model"):
        make_pack(pitched, tmp_path / "x", PackOptions())
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(UserError, match="not a sample pack"):
        make_pack(drum_ckpt, tmp_path / "mine", PackOptions())
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"
    opts = PackOptions(pieces=("snare",), velocities=(100,), takes=1, generation=GEN)
    pack = make_pack(drum_ckpt, tmp_path / "pack", opts).out
    make_pack(drum_ckpt, pack, opts)  # a re-run replaces its own pack
    (pack / "my-favourite.wav").write_bytes((pack / "38-acoustic-snare_v100_01.wav").read_bytes())
    with pytest.raises(UserError, match=r"also holds files it did not write \(my-favourite.wav\)"):
        make_pack(drum_ckpt, pack, opts)
    assert (pack / "my-favourite.wav").is_file() and (pack / "38-acoustic-snare_v100_01.wav").is_file()
    (pack / "my-favourite.wav").unlink()
    (pack / ".DS_Store").write_bytes(b"finder")  # a file browser's, not the user's: still a pack
    make_pack(drum_ckpt, pack, opts)
    (tmp_path / "fresh").mkdir()
    (tmp_path / "fresh" / "Thumbs.db").write_bytes(b"explorer")
    make_pack(drum_ckpt, tmp_path / "fresh", opts)
    with pytest.raises(ValueError, match="best 1..takes"):
        PackOptions(takes=2, best=3)
    with pytest.raises(ValueError, match="onset candidates"):
        PackOptions(onset_candidates=0)
    with pytest.raises(ValueError, match="pieces: none given"):
        PackOptions(pieces=())


def test_pack_checks_its_folder_before_the_generation_and_again_before_the_swap(
    tmp_path: Path, drum_ckpt, monkeypatch
) -> None:
    from samplernn.render import pack as pack_mod

    opts = PackOptions(pieces=("snare",), velocities=(100,), takes=1, generation=GEN)
    (tmp_path / "a-file").write_text("in the way")
    generated: list[int] = []
    real_generate = pack_mod.generate_takes
    monkeypatch.setattr(pack_mod, "generate_takes",
                        lambda *a, **k: generated.append(1) or real_generate(*a, **k))  # fmt: skip
    with pytest.raises(UserError, match=r"pack: cannot be made, .*a-file is a file"):
        make_pack(drum_ckpt, tmp_path / "a-file" / "pack", opts)
    assert not generated  # refused before any generation, not after it
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    for cwd_or_above in (Path("."), Path("..")):
        with pytest.raises(UserError, match="the current folder .* cannot be replaced.*e.g. ./pack$"):
            make_pack(drum_ckpt, cwd_or_above, opts)
    assert not generated and list((tmp_path / "here").iterdir()) == []
    pack = make_pack(drum_ckpt, tmp_path / "pack", opts).out
    before = sorted(p.name for p in pack.iterdir())

    def a_file_arrives(*args, **kwargs):  # the user saves a file into OUT while the takes generate
        (pack / "mine.wav").write_bytes(b"keep me")
        return real_generate(*args, **kwargs)

    monkeypatch.setattr(pack_mod, "generate_takes", a_file_arrives)
    with pytest.raises(UserError, match=r"also holds files it did not write \(mine.wav\)"):
        make_pack(drum_ckpt, pack, opts)
    assert (pack / "mine.wav").read_bytes() == b"keep me"
    assert sorted(p.name for p in pack.iterdir()) == sorted([*before, "mine.wav"])
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging left


def test_a_velocity_given_twice_is_one_layer_of_distinct_files(drum_ckpt, kit_dir: Path,
                                                               tmp_path: Path) -> None:
    opts = PackOptions(pieces=("kick", "36"), velocities=(100, 100), takes=2, best=1, generation=GEN)
    report = make_pack(drum_ckpt, tmp_path / "p", opts, kit_dir)  # used to fail comparing two takes' audio
    assert opts.velocities == (100,) and [t.file for t in report.takes] == ["36-bass-drum_v100_01.wav"]
    wavs = sorted(p.name for p in (tmp_path / "p").glob("*.wav"))
    assert wavs == [t["file"] for t in report.index["takes"]]


def test_cli_pack_and_synth(drum_ckpt_path: Path, kit_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "cli_pack"
    r = runner.invoke(app, ["pack", str(drum_ckpt_path), "-o", str(out), "--pieces", "hat", "--takes", "2",
                            "--best", "1", "--velocities", "60", "--seed", "1", "--dataset", str(kit_dir),
                            "--onset-candidates", "2", "--attack-temperature", "1.25", "--min-p", "0.2",
                            "-q"])
    assert r.exit_code == 0, r.output
    settings = json.loads((out / "index.json").read_text())["settings"]
    assert (settings["temperature"], settings["attack_temperature"], settings["min_p"]) == (1.0, 1.25, 0.2)
    assert settings["onset_candidates"] == 2  # one CPU thread: the takes were struck on the voices
    assert settings["piece_min_p"] is None and settings["piece_min_p_attack"] is None  # --min-p: one P
    assert settings["engine"] == ("voices" if numba_available() else "notes")
    assert "wrote 1 take to" in r.output and "42 closed hi-hat" in r.output
    assert "(index.json, sheet.png) at temperature 1 (attack 1.25), min-p 0.2;" in r.output  # tiny model: 1.0
    assert "distinct –" in r.output  # one take of its layer: not judged, not counted as failed
    assert (out / "42-closed-hi-hat_v060_01.wav").is_file()
    refusals = ((["--pieces", "cowbell"], "no such piece"), (["--velocities", "loud"], "comma-separated"),
                # the option named, before the checkpoint is loaded (they named none: 'velocities must be
                # 1..127', 'takes must be >= 1 and best 1..takes', 'bit depth 12')
                (["--velocities", "0"], "--velocities '0': every value must be >= 1"),
                (["--velocities", "60,128"], "--velocities '60,128': every value must be <= 127"),
                (["--takes", "2", "--best", "3"], "--best 3: keeps K of the --takes 2 takes"),
                (["--bit-depth", "12"], "--bit-depth 12: use 16, 24 or 8"),
                (["--attack-temperature", "0"], "attack temperature must be a finite number > 0, got 0"),
                (["--redraws", "3"], "--redraws 3: takes are drawn again only for --best K"),
                (["--redraws", "2"], "--redraws 2: takes are drawn again only for --best K"))  # the default
    for args, why in refusals:
        r = runner.invoke(app, ["pack", str(drum_ckpt_path), "-o", str(tmp_path / "bad"), *args, "-q"])
        assert r.exit_code == 2 and why in r.output and len(r.output.strip().splitlines()) == 1, r.output
    # --redraws 0 asks for none, which needs no --best (it was refused as if it asked for some); the
    # default velocities (40, 80, 120) were chosen by no one: 120, above the layers, gets no note
    r = runner.invoke(app, ["pack", str(drum_ckpt_path), "-o", str(tmp_path / "none"), "--pieces", "hat",
                            "--takes", "1", "--redraws", "0", "--onset-candidates", "1", "-q"])  # fmt: skip
    assert r.exit_code == 0 and (tmp_path / "none" / "42-closed-hi-hat_v120_01.wav").is_file(), r.output
    assert "outside the kit's layers" not in r.output
    for name in ("kit.zip", "kick.WAV"):  # a pack is a folder: not a folder named like a file
        r = runner.invoke(app, ["pack", str(drum_ckpt_path), "-o", str(tmp_path / name), "-q"])
        assert r.exit_code == 2 and "a pack is a folder of WAV files, not a" in r.output, r.output
        assert len(r.output.strip().splitlines()) == 1 and not (tmp_path / name).exists()
    r = runner.invoke(app, ["synth", str(drum_ckpt_path), "--note", "38", "--takes", "2", "-o",
                            str(tmp_path / "snare.wav"), "--seed", "0", "-q"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "snare-1.wav").is_file() and (tmp_path / "snare-2.wav").is_file()
    assert "38 acoustic snare velocity 100: one-shots from the hit, held 0.01 s" in r.output
    assert "onsets searched (up to 8 candidates)" in r.output  # each hit's start, by its level
    synth = ["synth", str(drum_ckpt_path), "--takes", "1", "--seed", "0", "-q", "-o"]
    r = runner.invoke(app, [*synth, str(tmp_path / "k.wav"), "--note", "kick"])  # a piece's name
    assert r.exit_code == 0 and "36 bass drum velocity 100" in r.output, r.output
    r = runner.invoke(app, [*synth, str(tmp_path / "loud.wav"), "--note", "snare", "--velocity", "120"])
    said = "warning: velocity 120 lies outside the kit's layers of acoustic snare (40-100): it plays at the"
    assert r.exit_code == 0 and said in " ".join(r.output.split()), r.output
    r = runner.invoke(app, [*synth, str(tmp_path / "a.wav"), "--note", "35"])  # played as render plays it
    assert r.exit_code == 0 and "35 (acoustic bass drum) is played by the kit's 36 (bass drum)" in r.output
    for note, why in (("60", "note 60 (high bongo): the kit has no piece of its kind (it has 36 bass drum,"),
                      ("cowbell", "note 'cowbell': the kit has no such piece")):
        r = runner.invoke(app, [*synth, str(tmp_path / "x.wav"), "--note", note])
        assert r.exit_code == 2 and f"--{why}" in r.output, r.output
        assert len(r.output.strip().splitlines()) == 1
    assert not (tmp_path / "x.wav").exists()
    r = runner.invoke(app, [*synth, str(tmp_path / "x.wav"), "--note", "nonsense"])  # the pieces suggested
    assert r.exit_code == 2 and "(a drum model also takes its pieces by name: kick, snare" in r.output
    r = runner.invoke(app, ["synth", "trombone-small", "-o", str(tmp_path / "x.wav"), "--note", "snare"])
    assert r.exit_code == 2 and "'snare' would name a drum piece, and this model is not a drum" in r.output


def test_the_sheet_labels_a_cell_with_its_longest_take_in_seconds(tmp_path: Path, monkeypatch) -> None:
    from samplernn.render import pack_sheet

    drawn = []
    cell = pack_sheet._cell

    def record(ax, specs, seconds):
        drawn.append((len(specs), seconds))
        return cell(ax, specs, seconds)

    monkeypatch.setattr(pack_sheet, "_cell", record)
    rng = np.random.default_rng(0)
    takes = [pack_sheet.Hit(38, 100, k, 0.1 * rng.standard_normal(n)) for k, n in ((1, 7000), (2, 7411))]
    pack_sheet.plot_sheet(tmp_path / "sheet.png", takes, SR)
    assert drawn == [(2, 7411 / SR)]  # not the strip's width in whole mel frames
    assert (tmp_path / "sheet.png").stat().st_size > 0


def test_best_keeps_a_stuck_take_only_when_nothing_else_is_left() -> None:
    """A take whose output sticks on one value is a broken sound: --best passes over it whatever
    its score, and its index entry says stuck with checks.clean false."""
    from samplernn.render.pack import Take, judge, keep_best

    def hit(seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        n = round(0.3 * SR)
        return (0.15 * rng.standard_normal(n) * np.exp(-np.arange(n) / (0.05 * SR))).astype(np.float32)

    real = [oneshot.measure(hit(s), SR, 38, 100) for s in (1, 2, 3)]
    ref = oneshot.KitReference.from_sounds(real, real)
    broken = hit(10)
    broken[400 : 400 + round(0.045 * SR)] = -0.877
    takes = [Take(38, 100, i + 1, x, oneshot.measure(x, SR, 38, 100))
             for i, x in enumerate([broken, hit(11), hit(12)])]
    judge(takes, ref)
    assert takes[0].sound.stuck and not takes[0].sound.clipped and takes[0].checks["clean"] is False
    assert takes[1].checks["clean"] is True
    assert takes[0].record(SR)["stuck"] is True and takes[1].record(SR)["stuck"] is False
    takes[0].score = 99.0  # even a top score does not keep it
    assert [t.sound.stuck for t in keep_best(list(takes), 2, ref)] == [False, False]
    assert [t.sound.stuck for t in keep_best(list(takes), 3, ref)] == [False, False, True]


def test_a_velocity_no_one_chose_is_not_warned_of(drum_ckpt, monkeypatch) -> None:
    """A kit prepared without velocity marks has one layer (80): synth's default velocity (100) lay
    outside it and every synth warned of a velocity the user never gave. Only a given one is."""
    from samplernn.render import synth

    monkeypatch.setattr(synth, "DEFAULT_VELOCITY", 120)  # above this kit's layers (40-100)
    unasked = synth_note(drum_ckpt, 38, takes=1, generation=GEN, onset_candidates=1)
    assert unasked.warning is None and unasked.spec.event.velocity == 120
    asked = synth_note(drum_ckpt, 38, 120, takes=1, generation=GEN, onset_candidates=1)
    assert asked.warning.startswith("velocity 120 lies outside the kit's layers of acoustic snare (40-100)")


def test_velocities_outside_a_piece_s_layers_are_said(kit_dir: Path, capsys) -> None:
    from samplernn.commands.pack_cmd import _outside_layers

    stats = drum_stats(kit_dir)  # every piece layered at 40 and 100
    assert drums.velocity_outside_layers(stats, 38, 70) is None
    assert drums.velocity_outside_layers(stats, 38, 20) == (
        "velocity 20 lies outside the kit's layers of acoustic snare (40-100): it plays the softest layer "
        "6 dB quieter")  # a sampler's velocity / 40 of the layer: -6.0 dB
    _outside_layers(stats, {"pieces": {"36": {}, "38": {}}, "settings": {"velocities": [20, 70, 127]}})
    err = " ".join(capsys.readouterr().err.split())
    assert "note: velocity 20 lies outside the kit's layers of 2 pieces (bass drum, acoustic snare)" in err
    assert "velocity 127" in err and "velocity 70" not in err


def _noise_hit(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = round(0.3 * SR)
    return (0.15 * rng.standard_normal(n) * np.exp(-np.arange(n) / (0.05 * SR))).astype(np.float32)


def _tone_hit(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(round(0.3 * SR)) / SR
    x = np.sin(2 * np.pi * (70 + 5 * rng.random()) * t) + 0.02 * rng.standard_normal(t.size)
    return (0.5 * x * np.exp(-t / 0.1)).astype(np.float32)


def test_best_draws_again_only_for_the_layers_short_of_usable_takes(monkeypatch) -> None:
    """With --best K, a (piece, velocity) with fewer than K takes like their piece, new and clean
    gets new takes (its own seed a round), the others none; a round that leaves none short ends it."""
    from samplernn.render import pack as pack_mod

    real = [oneshot.measure(_noise_hit(s), SR, 38, 100) for s in (1, 2, 3)]
    real += [oneshot.measure(_tone_hit(s), SR, 36, 100) for s in (1, 2, 3)]
    ref = oneshot.KitReference.from_sounds(real, real)
    calls: list[tuple[list[tuple[int, int]], int | None]] = []

    def fake_takes(ckpt, layers, takes, gen, lead, tail, engine):  # a kick sounds like a snare at first
        calls.append((list(layers), gen.seed))
        kick = _noise_hit if not calls[1:] else _tone_hit
        made = [(k, v, (_noise_hit if k == 38 else kick)(100 * len(calls) + i)) for k, v in layers
                for i in range(takes)]
        return [pack_mod.Take(k, v, i % takes + 1, x, oneshot.measure(x, SR, k, v))
                for i, (k, v, x) in enumerate(made)]

    monkeypatch.setattr(pack_mod, "generate_takes", fake_takes)
    gen = GenerationOptions(seed=0)
    opts = PackOptions(velocities=(100,), takes=2, best=2, generation=gen)
    first = fake_takes(None, [(36, 100), (38, 100)], 2, gen, 0, 0, "notes")
    pack_mod.judge(first, ref)
    assert [pack_mod.usable(t) for t in first] == [False, False, True, True]
    takes = pack_mod.redraw(None, first, opts, gen, ref)
    assert calls[1][0] == [(36, 100)] and calls[1][1] not in (None, 0)  # the short layer, a new seed
    assert len(calls) == 2  # the round left no layer short: no third draw
    again = [t for t in takes if t.draw == 1]
    assert [(t.key, t.number) for t in again] == [(36, 3), (36, 4)] and all(map(pack_mod.usable, again))
    kept = pack_mod.keep_best(takes, 2, ref)
    assert [(t.key, t.draw) for t in kept] == [(36, 1), (36, 1), (38, 0), (38, 0)]
    del calls[1:]
    for off in (dataclasses.replace(opts, redraws=0), dataclasses.replace(opts, best=None)):
        assert pack_mod.redraw(None, first, off, gen, ref) == first and len(calls) == 1


def test_the_summary_names_the_layers_drawn_again(capsys) -> None:
    from samplernn.commands.pack_cmd import _redrawn

    index = {"settings": {"takes": 8, "best": 4},
             "pieces": {"36": {"name": "bass drum", "drawn": {"40": 8, "80": 24}},
                        "38": {"name": "acoustic snare", "drawn": {"40": 16, "80": 8}}}}
    _redrawn(index)
    out = capsys.readouterr().out
    assert out.startswith("drawn again, short of 4 takes like their piece")
    assert "bass drum v80 (24 drawn in all), acoustic snare v40 (16 drawn in all)" in out
    assert "v40 (8" not in out
    index["pieces"] = {"36": {"name": "bass drum", "drawn": {"40": 8}}}
    _redrawn(index)
    assert capsys.readouterr().out == ""


def test_a_take_s_entry_gives_its_ring_where_its_body_rings() -> None:
    t = np.arange(SR) / SR
    tom = (0.5 * np.exp(-t / 0.3) * np.sin(2 * np.pi * 118.2 * t)).astype(np.float32)
    hiss = (0.5 * np.exp(-t / 0.3) * np.random.default_rng(0).standard_normal(SR)).astype(np.float32)
    rows = [Take(key, 100, 1, x, oneshot.measure(x, SR, key, 100)).record(SR)
            for key, x in ((50, tom), (42, hiss))]
    assert rows[0]["ring_hz"] == pytest.approx(118.2, abs=0.5) and rows[0]["ringing"] > 0.8
    assert rows[1]["ring_hz"] is None and rows[1]["ringing"] < TONAL_SHARE
