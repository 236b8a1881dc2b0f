"""Rendering MIDI files and synthesizing notes: planning, mixing, errors, the CLI."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import mido
import numpy as np
import pytest
import soundfile as sf
import torch
import typer
from typer.testing import CliRunner

from conditioning import BankStats
from samplernn.cli import app
from samplernn.common.audio import limit_peak, under_full_scale
from samplernn.common.errors import UsageError, UserError
from samplernn.generate.engine import numba_available
from samplernn.generate.options import ONSET_CANDIDATES, GenerationOptions
from samplernn.model.checkpoint import load_checkpoint, make_payload, save_checkpoint
from samplernn.model.config import ModelConfig
from samplernn.model.network import build_model
from samplernn.render import midi as render_mod
from samplernn.render.midi import RenderOptions, render_midi
from samplernn.render.streams import mix, note_stream
from samplernn.render.synth import SynthResult, write_takes

SR = 16000
TAIL = 400  # bank release tail in samples (25 ms)
# engine="notes": these tests spy on the per-note streams (samplernn.render.voices has its own tests)
FAST = RenderOptions(lead=0.01, tail=0.01, engine="notes", generation=GenerationOptions(seed=0))


@pytest.fixture(scope="module")
def ckpt_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    torch.manual_seed(0)
    cfg = ModelConfig(frame_sizes=(4, 2), dim=8, n_rnn=1, q_levels=32, embed_dim=4, note_embed_dim=4)
    stats = BankStats.from_notes(SR, [(p, 100, TAIL) for p in (48, 50, 52, 55)])
    path = tmp_path_factory.mktemp("ckpt") / "tiny.pt"
    save_checkpoint(path, make_payload(build_model(cfg), SR, stats))
    return path


@pytest.fixture(scope="module")
def ckpt(ckpt_path: Path):
    return load_checkpoint(ckpt_path)


def fake_synthesize(model, conds, options=None, **overrides):
    """A stand-in model: a sine at each stream's pitch wherever its note is active, loud (0.8)."""
    out = []
    for c in conds:
        t = np.arange(len(c)) / SR
        f = 440.0 * 2 ** ((c[:, 0] - 69) / 12)
        out.append((0.8 * np.sin(2 * np.pi * f * t) * (c[:, 0] > 0)).astype(np.float32))
    return out


def write_midi(path: Path, tracks: list[list[mido.Message | mido.MetaMessage]], tpb: int = 480) -> Path:
    mid = mido.MidiFile(type=1, ticks_per_beat=tpb)
    for msgs in tracks:
        mid.tracks.append(mido.MidiTrack(msgs))
    mid.save(path)
    return path


def on(note: int, vel: int = 100, time: int = 0, ch: int = 0) -> mido.Message:
    return mido.Message("note_on", note=note, velocity=vel, time=time, channel=ch)


def off(note: int, time: int = 0, ch: int = 0) -> mido.Message:
    return mido.Message("note_off", note=note, velocity=0, time=time, channel=ch)


def onsets(audio: np.ndarray, min_gap: int = 200) -> list[int]:
    """Sample positions where |audio| rises above a small threshold after silence."""
    loud = np.flatnonzero(np.abs(audio) > 1e-3)
    if not loud.size:
        return []
    starts = [int(loud[0])]
    starts += [int(b) for a, b in zip(loud[:-1], loud[1:], strict=True) if b - a > min_gap]
    return starts


def test_mix_and_limit_peak() -> None:
    a, b = np.ones(10, np.float32), np.ones(5, np.float32)
    m = mix([a, b], [-3, 4])
    assert m.shape == (9,) and m[0] == 1 and m[4] == 2 and m[6] == 2 and m[8] == 1
    loud, gain, peak = limit_peak(m)
    assert np.abs(loud).max() == pytest.approx(10 ** (-1 / 20), rel=1e-5)
    assert gain < 0 and peak == pytest.approx(20 * np.log10(2))
    quiet, gain, _ = limit_peak(m * 0.1)
    assert gain == 0.0 and np.allclose(quiet, m * 0.1)


def test_a_take_that_would_clip_is_written_lowered_and_the_rest_as_they_are(tmp_path: Path) -> None:
    x = np.sin(np.arange(800, dtype=np.float32) * 0.05)
    kept, gain = under_full_scale(0.99 * x)  # a take that peaks under full scale is left alone
    assert gain == 0.0 and np.array_equal(kept, 0.99 * x)
    over, gain = under_full_scale(1.25 * x)  # a de-emphasised take overshooting by ~2 dB
    assert gain == pytest.approx(-1.0 - 20 * np.log10(1.25), abs=1e-3)
    assert np.abs(over).max() == pytest.approx(10 ** (-1 / 20), rel=1e-4)
    spec = note_stream(48, 100, 0, 400, BankStats(16000, {(48, 100): 60}, {(48, 100): 1}), 0, 0)
    written = write_takes(SynthResult([0.5 * x, 1.25 * x], spec, 16000), tmp_path / "t.wav")
    assert [(p.name, round(g, 2)) for p, g in written] == [("t-1.wav", 0.0), ("t-2.wav", round(gain, 2))]
    peaks = [np.abs(sf.read(tmp_path / f"t-{k}.wav", dtype="float32")[0]).max() for k in (1, 2)]
    assert peaks[0] == pytest.approx(0.5, abs=1e-3) and peaks[1] == pytest.approx(10 ** (-1 / 20), abs=1e-3)


def test_cli_synth_says_which_take_it_lowered(tmp_path: Path, ckpt_path: Path, monkeypatch) -> None:
    from samplernn.render import synth

    spec = note_stream(48, 100, 0, 400, BankStats(SR, {(48, 100): 60}, {(48, 100): 1}), 0, 0)
    x = np.sin(np.arange(800, dtype=np.float32) * 0.05)
    monkeypatch.setattr(synth, "synth_note", lambda *a, **k: SynthResult([0.5 * x, 1.25 * x], spec, SR))
    out = str(tmp_path / "n.wav")
    r = runner.invoke(app, ["synth", str(ckpt_path), "--note", "C3", "--takes", "2", "-o", out])
    assert r.exit_code == 0, r.output
    lines = [line for line in r.output.splitlines() if line.startswith("wrote")]
    assert lines[0].endswith("n-1.wav")
    assert lines[1].endswith("n-2.wav (lowered 2.9 dB: the take reached full scale)")


def test_polyphonic_render(tmp_path: Path, ckpt, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render_mod, "synthesize", fake_synthesize)
    # 120 bpm, 480 ticks per beat → 960 ticks per second. C3 0–0.5 s, G3 0.25–0.75 s (overlapping).
    midi = write_midi(
        tmp_path / "two.mid", [[on(48), on(55, time=240), off(48, time=240), off(55, time=240)]]
    )
    out = tmp_path / "two.wav"
    report = render_midi(ckpt, midi, out, FAST)
    audio, sr = sf.read(out, dtype="float32")
    assert sr == SR and sf.info(out).subtype == "PCM_16"
    expected = round(0.75 * SR) + TAIL + round(0.01 * SR)  # last note's end + tail
    assert len(audio) == expected == round(report.seconds * SR)
    assert report.n_notes == 2 and report.gain_db < 0  # two 0.8 sines overlap: the gain came down
    assert np.abs(audio).max() <= 10 ** (-1 / 20) + 1e-4  # no clipping
    seg = audio[round(0.3 * SR) : round(0.45 * SR)]  # both sounding
    spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
    freqs = np.fft.rfftfreq(len(seg), 1 / SR)
    for pitch in (48, 55):
        f = 440 * 2 ** ((pitch - 69) / 12)
        band = spec[(freqs > f * 0.97) & (freqs < f * 1.03)].max()
        assert band > 0.2 * spec.max(), f"pitch {pitch} missing"
    assert onsets(audio)[0] == 0


def test_midi_quirks(tmp_path: Path, ckpt, ckpt_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Running status, note-on velocity 0 as note-off, a tempo change, two tracks, drums ignored."""
    captured: list = []

    def spy(model, conds, options=None, **overrides):
        captured.extend(conds)
        return fake_synthesize(model, conds, options, **overrides)

    monkeypatch.setattr(render_mod, "synthesize", spy)
    # Track 0: tempo map. 120 bpm, then 60 bpm from beat 1 (tick 480 = 0.5 s).
    tempo = [
        mido.MetaMessage("set_tempo", tempo=500_000),
        mido.MetaMessage("set_tempo", tempo=1_000_000, time=480),
    ]
    # Track 1: note_on/velocity-0 pairs (mido writes them with running status), plus a drum hit.
    notes = [
        on(48),
        on(48, vel=0, time=240),
        on(50, time=720),
        on(50, vel=0, time=480),
        on(36, ch=9),
        off(36, 10, ch=9),
    ]
    midi = write_midi(tmp_path / "quirks.mid", [tempo, notes])
    raw = midi.read_bytes()
    assert raw.count(bytes([0x90])) < 4  # running status really is in the file
    out = tmp_path / "quirks.wav"
    report = render_midi(ckpt, midi, out, FAST)
    assert report.n_notes == 2 and any("drum" in s for s in report.ignored)
    lead = round(0.01 * SR)
    active = [np.flatnonzero(c[:, 0] > 0) for c in captured]
    # Note 1: 0 → 0.25 s. Note 2: beat 2 = 0.5 s + 1 beat at 60 bpm = 1.5 s, lasting 1 beat = 1 s.
    assert active[0][0] == lead and captured[0][active[0][0], 0] == 48
    assert captured[1][lead, 0] == 50
    release2 = np.flatnonzero(captured[1][:, 2] == TAIL - 1)  # remaining = tail - 1 at the release sample
    assert release2.size and release2[0] - lead == SR
    audio, _ = sf.read(out, dtype="float32")
    assert onsets(audio) == [0, round(1.5 * SR)]
    # the notes are on track 1 (track 0 is the tempo map): a track with none is a wrong --track
    wrong = r"--track 0,5: quirks.mid has no notes there; its notes are on track\(s\) 1 "
    with pytest.raises(UsageError, match=wrong):
        render_midi(ckpt, midi, out, dataclasses.replace(FAST, tracks={0, 1, 5}))
    # and a channel with none a wrong --channel: a usage error naming the channels that hold notes
    wrong = r"^--channel 5: quirks.mid has no notes there; its notes are on channel\(s\) 1, 10$"
    with pytest.raises(UsageError, match=wrong):
        render_midi(ckpt, midi, out, dataclasses.replace(FAST, channels={1, 5}))
    r = runner.invoke(app, ["render", str(ckpt_path), str(midi), "-o", str(out), "--channel", "5", "-q"])
    assert r.exit_code == 2 and "its notes are on channel(s) 1, 10" in r.output, r.output  # as --track's


def test_non_note_events_are_counted_on_the_tracks_and_channels_played(
    tmp_path: Path, ckpt, ckpt_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A program change with the notes of track 0 (channel 1); a program change, two controllers and a
    bend with those of track 1 (channel 2): with --track 0 (or --channel 1) render said "non-note events:
    2 control_change, 1 pitchwheel, 2 program_change", counting the events of the track (channel) it
    left out with its notes; now those of the notes played alone, and where they were counted."""
    monkeypatch.setattr(render_mod, "synthesize", fake_synthesize)
    message = mido.Message
    midi = write_midi(tmp_path / "two.mid", [
        [message("program_change", program=57), on(48), off(48, 480)],
        [message("program_change", channel=1), message("control_change", channel=1, control=7, value=90),
         message("control_change", channel=1, control=10, value=30),
         message("pitchwheel", channel=1, pitch=99), on(50, ch=1), off(50, 480, ch=1)],
    ])  # fmt: skip
    out = tmp_path / "two.wav"
    every = render_midi(ckpt, midi, out, FAST).ignored
    assert every == ["non-note events: 2 control_change, 1 pitchwheel, 2 program_change"]
    for chosen, other in ((dict(tracks={0}), "tracks"), (dict(channels={1}), "channels")):
        ignored = render_midi(ckpt, midi, out, dataclasses.replace(FAST, **chosen)).ignored
        where = "track(s) 0" if other == "tracks" else "channel(s) 1"
        assert ignored == [f"1 note(s) on other {other}", f"non-note events on {where}: 1 program_change"]
    r = runner.invoke(app, ["render", str(ckpt_path), str(midi), "-o", str(out), "--track", "1"])
    assert r.exit_code == 0 and ("ignored: non-note events on track(s) 1: 2 control_change, 1 pitchwheel, "
                                 "1 program_change") in r.output, r.output


def test_errors_name_the_file(tmp_path: Path, ckpt) -> None:
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"MThd this is not a midi file")
    out = tmp_path / "x.wav"
    with pytest.raises(UserError, match="bad.mid"):
        render_midi(ckpt, bad, out, FAST)
    empty = write_midi(tmp_path / "empty.mid", [[mido.MetaMessage("set_tempo", tempo=500_000)]])
    with pytest.raises(UserError, match="empty.mid.*no notes"):
        render_midi(ckpt, empty, out, FAST)
    drums = write_midi(tmp_path / "drums.mid", [[on(36, ch=9), off(36, 100, ch=9)]])
    # was "no notes to render (1 drum-channel note(s))": the model's side unsaid (the web page said it)
    with pytest.raises(UserError, match=r"drums\.mid: only drum-channel notes \(channel 10\), and this model "
                                        r"is pitched: it leaves the drum channel out$"):
        render_midi(ckpt, drums, out, FAST)
    with pytest.raises(UserError, match="not found"):
        render_midi(ckpt, tmp_path / "missing.mid", out, FAST)
    assert not out.exists()


def test_out_of_range(tmp_path: Path, ckpt, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render_mod, "synthesize", fake_synthesize)
    midi = write_midi(tmp_path / "high.mid", [[on(48), off(48, 240), on(72), off(72, 240)]])
    out = tmp_path / "high.wav"
    with pytest.raises(UserError, match=r"C5 \(72\).*--clamp"):
        render_midi(ckpt, midi, out, FAST)
    assert not out.exists()
    report = render_midi(ckpt, midi, out, RenderOptions(lead=0.01, tail=0.01, clamp=True))
    assert report.n_notes == 2 and report.changed and report.notes_range == (48, 55)
    with pytest.raises(UserError, match="transposed by -12 outside"):
        render_midi(ckpt, midi, out, RenderOptions(lead=0.01, tail=0.01, transpose=-12))
    midi2 = write_midi(tmp_path / "high2.mid", [[on(62), off(62, 240)]])
    assert render_midi(ckpt, midi2, out, RenderOptions(lead=0.01, tail=0.01, transpose=-12)).n_notes == 1


def test_real_model_render_8bit(tmp_path: Path, ckpt) -> None:
    midi = write_midi(tmp_path / "two.mid", [[on(48), on(52, time=48), off(48, time=48), off(52, time=48)]])
    out = tmp_path / "song.wav"
    gen = GenerationOptions(seed=1, batch_size=1)
    opts = RenderOptions(lead=0.01, tail=0.01, bit_depth=8, generation=gen)
    report = render_midi(ckpt, midi, out, opts)
    info = sf.info(out)
    assert info.subtype == "PCM_U8" and info.frames == round(0.15 * SR) + TAIL + round(0.01 * SR)
    assert report.n_notes == 2
    a, _ = sf.read(out, dtype="float32")
    render_midi(ckpt, midi, tmp_path / "again.wav", opts)
    b, _ = sf.read(tmp_path / "again.wav", dtype="float32")
    assert np.array_equal(a, b)  # same seed, same file


runner = CliRunner()


def test_cli_render(tmp_path: Path, ckpt_path: Path) -> None:
    midi = write_midi(tmp_path / "s.mid", [[on(50), off(50, 48)]])
    out = tmp_path / "s.wav"
    r = runner.invoke(
        app,
        [
            "render",
            str(ckpt_path),
            str(midi),
            "-o",
            str(out),
            "--lead",
            "0.01",
            "-q",
            "--seed",
            "3",
            "--device",
            "cpu",
        ],
    )
    assert r.exit_code == 0, r.output
    assert out.exists() and "rendered 1 note (D3) in " in r.output, r.output  # not '(D3–D3)'
    assert not out.with_suffix(".png").exists()  # a picture only when asked
    r = runner.invoke(app, ["render", str(ckpt_path), str(midi), "-o", str(out), "--lead", "0.01", "-q",
                            "--seed", "3", "--plot"])  # fmt: skip
    png = out.with_suffix(".png")
    assert r.exit_code == 0 and f"wrote {png}" in r.output, r.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    two = write_midi(tmp_path / "two.mid", [[on(50), on(52), off(50, 48), off(52, 0)]])
    r = runner.invoke(app, ["render", str(ckpt_path), str(two), "-o", str(out), "--lead", "0.01", "-q",
                            "--weight-dtype", "float16", "--threads", "2", "--device", "cpu"])  # fmt: skip
    assert r.exit_code == 0 and "rendered 2 notes (D3–E3) in " in r.output, r.output
    again = write_midi(tmp_path / "again.mid", [[on(50), off(50, 48), on(50), off(50, 48)]])
    r = runner.invoke(app, ["render", str(ckpt_path), str(again), "-o", str(out), "--lead", "0.01", "-q",
                            "--onset-candidates", "1"])  # fmt: skip
    assert r.exit_code == 0 and "rendered 2 notes (D3) in " in r.output, r.output  # one pitch, named once
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"garbage")
    r = runner.invoke(app, ["render", str(ckpt_path), str(bad), "-o", str(tmp_path / "b.wav"), "-q"])
    assert r.exit_code == 1 and "bad.mid" in r.output and not (tmp_path / "b.wav").exists()
    high = write_midi(tmp_path / "h.mid", [[on(90), off(90, 48)]])
    r = runner.invoke(app, ["render", str(ckpt_path), str(high), "-o", str(tmp_path / "h.wav"), "-q"])
    assert r.exit_code == 1 and "F#6 (90)" in r.output
    wav = tmp_path / "e.wav"
    r = runner.invoke(app, ["render", str(ckpt_path), str(two), "-o", str(wav), "--engine", "bogus"])
    assert r.exit_code == 2 and "--engine 'bogus': choose from" in r.output and not wav.exists()


def test_cli_synth(tmp_path: Path, ckpt_path: Path) -> None:
    out = tmp_path / "note.wav"
    args = [
        "synth",
        str(ckpt_path),
        "--note",
        "C3",
        "--duration",
        "0.05",
        "--lead",
        "0.01",
        "--takes",
        "2",
        "--seed",
        "1",
        "-o",
        str(out),
        "--plot",
        "-q",
    ]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    for i in (1, 2):
        wav = tmp_path / f"note-{i}.wav"
        assert wav.exists() and (tmp_path / f"note-{i}.png").exists()
        assert sf.info(wav).frames == round(0.01 * SR) + round(0.05 * SR) + TAIL + round(0.1 * SR)
    assert f"onsets searched (up to {ONSET_CANDIDATES} candidates)" in r.output  # a pitched model searches
    r = runner.invoke(app, ["synth", str(ckpt_path), "--note", "H9", "-o", str(out)])
    assert r.exit_code == 2 and "--note" in r.output
    (tmp_path / "set-2.wav").mkdir()  # take 2's name is taken by a folder: refused before take 1 is written
    r = runner.invoke(app, ["synth", str(ckpt_path), "--note", "C3", "--takes", "2", "-q", "-o",
                            str(tmp_path / "set.wav")])  # fmt: skip
    assert r.exit_code == 1 and "set-2.wav: is a folder; give a file name" in r.output, r.output
    assert not (tmp_path / "set-1.wav").exists()
    r = runner.invoke(app, ["synth", str(ckpt_path), "--note", "C3", "--takes", "100000", "-o", str(out)])
    assert r.exit_code == 2 and "--takes" in r.output
    r = runner.invoke(app, ["synth", str(tmp_path / "nope.pt"), "--note", "C3", "-o", str(out)])
    assert r.exit_code == 1 and "nope.pt" in r.output


def test_cli_bench_generate() -> None:
    args = ["bench", "generate", "--preset", "small", "--seconds", "0.02", "--repeats", "1"]
    args += ["--device", "cpu"]
    r = runner.invoke(app, [*args, "--weight-dtype", "float32", "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert report["samples_per_s_per_stream"] > 0 and report["weight_dtype"] == "float32"
    assert report["sample_rate"] == 16000  # the rate prepare makes datasets at (presets record none)
    table = runner.invoke(app, args)  # to a pipe or file (as here) the table was cut to 80 columns
    assert table.exit_code == 0 and "…" not in table.stdout and "/ stream, " in table.stdout, table.stdout
    r = runner.invoke(app, [*args, "--precision", "float32", "--json"])  # the deprecated spelling
    assert r.exit_code == 0 and json.loads(r.stdout)["weight_dtype"] == "float32", r.output
    assert r.stderr.count("deprecated") == 1


@pytest.mark.parametrize("command", ["render", "synth"])
def test_weight_dtype_and_its_deprecated_spelling(tmp_path: Path, ckpt_path: Path, command: str) -> None:
    """--weight-dtype is the option; --precision still works for one release, with a one-line
    note on stderr, and gives the same file; the two spellings may not disagree."""
    midi = write_midi(tmp_path / "s.mid", [[on(50), off(50, 48)]])
    what = [str(midi)] if command == "render" else ["--note", "D3", "--duration", "0.03"]
    common = [command, str(ckpt_path), *what, "--lead", "0.01", "-q", "--seed", "3", "--device", "cpu"]
    new, old = tmp_path / "new.wav", tmp_path / "old.wav"
    r = runner.invoke(app, [*common, "-o", str(new), "--weight-dtype", "float16"])
    assert r.exit_code == 0 and "deprecated" not in r.stderr, r.output
    r = runner.invoke(app, [*common, "-o", str(old), "--precision", "float16"])
    assert r.exit_code == 0, r.output
    assert [line for line in r.stderr.splitlines() if "deprecated" in line] == [
        "note: --precision is deprecated here; use --weight-dtype (same values)"
    ]
    assert new.read_bytes() == old.read_bytes()
    r = runner.invoke(app, [*common, "-o", str(old), "--precision", "float16", "--weight-dtype", "float32"])
    assert r.exit_code == 2 and "contradicts" in r.output
    r = runner.invoke(app, [*common, "-o", str(old), "--weight-dtype", "bf16"])
    assert r.exit_code == 2 and "bf16" in r.output
    assert "--precision" not in runner.invoke(app, [command, "--help"]).output  # hidden


def test_shipped_temperature_is_the_default_and_an_explicit_one_wins(ckpt_path: Path, tmp_path: Path) -> None:
    from samplernn.render.synth import synth_note

    payload = torch.load(ckpt_path, weights_only=True)
    payload["generation"] = {"temperature": 0.0}  # greedy: the seed no longer matters
    greedy_path = tmp_path / "greedy.pt"
    torch.save(payload, greedy_path)
    plain, greedy = load_checkpoint(ckpt_path), load_checkpoint(greedy_path)
    assert plain.temperature == 1.0 and greedy.temperature == 0.0

    def take(c, seed, **kw):
        return synth_note(c, 50, 100, 0.1, generation=GenerationOptions(seed=seed, **kw)).takes[0]

    assert np.array_equal(take(greedy, 1), take(greedy, 2))
    assert not np.array_equal(take(plain, 1), take(plain, 2))
    assert not np.array_equal(take(greedy, 1, temperature=1.0), take(greedy, 2, temperature=1.0))


def test_outputs_never_overwrite_an_input(tmp_path: Path, ckpt_path: Path) -> None:
    model = tmp_path / "m.pt"
    model.write_bytes(ckpt_path.read_bytes())
    picture = tmp_path / "t-1.png"  # a checkpoint named as take 1's --plot picture would be
    picture.write_bytes(ckpt_path.read_bytes())
    midi = write_midi(tmp_path / "s.mid", [[on(50), off(50, 48)]])
    before = midi.read_bytes(), model.read_bytes(), picture.read_bytes()
    link = tmp_path / "link.mid"
    link.symlink_to(midi)
    takes = ["synth", str(picture), "--note", "C3", "--takes", "2", "--plot", "-o", str(tmp_path / "t.wav")]
    for args in (["render", str(model), str(midi), "-o", str(midi)],
                 ["render", str(model), str(midi), "-o", str(link)],  # the same file by another name
                 ["render", str(model), str(midi), "-o", str(model)],
                 ["synth", str(model), "--note", "C3", "-o", str(model)],
                 takes):  # fmt: skip
        r = runner.invoke(app, [*args, "-q"])
        assert r.exit_code == 1 and "this is an input" in r.output, (args, r.output)
        assert len(r.output.strip().splitlines()) == 1
    assert (midi.read_bytes(), model.read_bytes(), picture.read_bytes()) == before


def test_a_stuck_note_is_refused_by_its_length(tmp_path: Path, ckpt, ckpt_path: Path) -> None:
    hours = write_midi(tmp_path / "stuck.mid", [[on(50), on(52, time=480), off(52, 480),
                                                 off(50, 480 * 2 * 3600 * 10)]])  # fmt: skip
    stuck = r"stuck.mid: the notes end at 36001 s.*D3 \(50\) at 0.00 s, lasts 36001 s"
    with pytest.raises(UserError, match=stuck):
        render_midi(ckpt, hours, tmp_path / "o.wav", FAST)
    assert not (tmp_path / "o.wav").exists()
    short = write_midi(tmp_path / "s.mid", [[on(50), off(50, 480 * 4)]])  # 2 s at 120 bpm
    with pytest.raises(UserError, match=r"end at 2 s, longer than --max-seconds 1$"):
        render_midi(ckpt, short, tmp_path / "o.wav", RenderOptions(max_seconds=1.0))
    r = runner.invoke(app, ["render", str(ckpt_path), str(short), "-o", str(tmp_path / "o.wav"), "-q",
                            "--max-seconds", "1"])  # fmt: skip
    assert r.exit_code == 1 and "--max-seconds 1" in r.output
    # half a second past the limit reads as past it, not "end at 2 s, longer than --max-seconds 2"
    with pytest.raises(UserError, match=r"end at 2.5 s, longer than --max-seconds 2$"):
        render_midi(ckpt, write_midi(tmp_path / "h.mid", [[on(50), off(50, 480 * 5)]]), tmp_path / "o.wav",
                    RenderOptions(max_seconds=2.0))  # fmt: skip
    r = runner.invoke(app, ["render", str(ckpt_path), str(hours), "-o", str(tmp_path / "o.wav"), "-q",
                            "--max-seconds", "nan"])  # fmt: skip
    # NaN would turn the stuck-note guard off (no length is > nan): typer's range check refuses it
    assert r.exit_code == 2 and "--max-seconds" in r.output
    r = runner.invoke(app, ["render", str(ckpt_path), str(hours), "-o", str(tmp_path / "o.wav"), "-q",
                            "--max-seconds", "inf"])  # fmt: skip
    assert r.exit_code == 2 and "--max-seconds" in r.output  # inf too: the option's maximum (a day)
    assert not (tmp_path / "o.wav").exists()
    assert RenderOptions().max_seconds == 3600.0  # the --max-seconds help says so
    params = typer.main.get_command(app).commands["render"].params
    assert "[default: 3600]" in next(p.help for p in params if p.name == "max_seconds")


def test_a_note_the_sustain_pedal_holds_past_the_limit_blames_the_pedal(tmp_path: Path, ckpt) -> None:
    """A 0.5-s note under a pedal left down until its track ends at 200 s: the pedal makes it long,
    so the refusal says so (as serve's upload check does), not that a note-off is missing."""
    pedal = mido.Message("control_change", control=64, value=127, time=0)
    end = mido.MetaMessage("end_of_track", time=480 * 400)  # 200 s at 120 bpm
    held = write_midi(tmp_path / "pedal.mid", [[pedal, on(50), off(50, 480), end]])
    with pytest.raises(UserError) as caught:
        render_midi(ckpt, held, tmp_path / "o.wav", RenderOptions(max_seconds=60.0))
    assert str(caught.value).endswith(
        "pedal.mid: the notes end at 200 s, longer than --max-seconds 60 "
        f"({render_mod.PEDAL_HOLDS})")  # fmt: skip
    assert "note-off missing" not in str(caught.value) and not (tmp_path / "o.wav").exists()


def test_numbers_beyond_any_note_are_refused(tmp_path: Path, ckpt_path: Path) -> None:
    out = tmp_path / "a.wav"
    for opt, value in (("--duration", "inf"), ("--duration", "1e9"), ("--lead", "inf"), ("--tail", "1e6"),
                       ("--seed", "-1"), ("--threads", "100000")):
        r = runner.invoke(app, ["synth", str(ckpt_path), "--note", "C3", opt, value, "-o", str(out), "-q"])
        assert r.exit_code == 2 and opt in r.output and "Traceback" not in r.output, (opt, r.output)
    assert not out.exists()


def test_a_note_with_no_note_off_is_played_and_named(tmp_path: Path, ckpt_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render_mod, "synthesize", fake_synthesize)
    # D3 never released; E3 released; the track ends 1 s in (120 bpm)
    midi = write_midi(tmp_path / "h.mid", [[on(50), on(52, time=480), off(52, 480)]])
    report = render_midi(load_checkpoint(ckpt_path), midi, tmp_path / "h.wav", FAST)
    assert report.n_notes == 2
    hanging = "D3 (50) at 0.00 s has no note-off: played until its track's last event, 1.00 s"
    assert report.hanging == [hanging]
    r = runner.invoke(app, ["render", str(ckpt_path), str(midi), "-o", str(tmp_path / "c.wav"), "-q",
                            "--lead", "0.01"])  # fmt: skip
    assert r.exit_code == 0 and "warning: D3 (50) at 0.00 s has no note-off" in r.output


def test_a_note_of_no_length_is_played_and_named(tmp_path: Path, ckpt_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render_mod, "synthesize", fake_synthesize)
    # D3's note-off shares its note-on's tick; E3 is held half a second (120 bpm)
    midi = write_midi(tmp_path / "z.mid", [[on(50), off(50, 0), on(52, time=480), off(52, 480)]])
    report = render_midi(load_checkpoint(ckpt_path), midi, tmp_path / "z.wav", FAST)
    assert report.n_notes == 2
    assert report.hanging == ["D3 (50) at 0.00 s has no length (its note-on and note-off share a tick): "
                              "played as an attack and its release"]


def test_many_notes_of_no_length_are_one_warning_line(tmp_path: Path, ckpt_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A file of hundreds of note-ons and note-offs on one tick gave render one warning line each."""
    monkeypatch.setattr(render_mod, "synthesize", fake_synthesize)
    ticks = [m for i in range(300) for m in (on(50, time=0 if i == 0 else 48), off(50, 0))]
    midi = write_midi(tmp_path / "t.mid", [ticks])
    report = render_midi(load_checkpoint(ckpt_path), midi, tmp_path / "t.wav", FAST)
    assert report.hanging == ["300 notes have no length (each one's note-on and note-off share a tick): each "
                              "played as an attack and its release (D3 (50) at 0.00 s, D3 (50) at 0.05 s, "
                              "D3 (50) at 0.10 s and 297 more)"]  # fmt: skip
    assert render_mod.timing_warnings([dataclasses.replace(n, hanging=True) for n in
                                       render_mod.read_notes(tmp_path / "t.mid")[:2]])[0].startswith(
        "2 notes have no note-off: each played until its track's last event (D3 (50) at 0.00 s to ")


def test_many_clamped_notes_are_one_line(tmp_path: Path, ckpt_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A piano part rendered with --clamp printed a `clamped:` line for every note outside the range
    (hundreds of lines); it is one line, the first notes named and a count, as the timing warnings are."""
    monkeypatch.setattr(render_mod, "synthesize", fake_synthesize)
    ticks = [m for i in range(200) for m in (on(72 + i % 5, time=0 if i == 0 else 24), off(72 + i % 5, 24))]
    midi = write_midi(tmp_path / "piano.mid", [[on(50), off(50, 24), *ticks]])
    args = ["render", str(ckpt_path), str(midi), "-o", str(tmp_path / "p.wav"), "--clamp", "-q"]
    result = runner.invoke(app, [*args, "--engine", "notes"])
    assert result.exit_code == 0, result.output
    clamped = [line for line in result.output.splitlines() if line.startswith("clamped:")]
    assert clamped == ["clamped: 200 notes outside the model's trained range C3–G3 (48–55) moved to its "
                       "nearest edge (C5 (72) at 0.03 s → G3, C#5 (73) at 0.07 s → G3, D5 (74) at 0.12 s → "
                       "G3 and 197 more)"]  # fmt: skip


def test_a_folder_for_a_file_is_named_as_one(tmp_path: Path, ckpt_path: Path) -> None:
    midi = write_midi(tmp_path / "s.mid", [[on(50), off(50, 48)]])
    (tmp_path / "dir.pt").mkdir()
    (tmp_path / "dir.mid").mkdir()
    out = str(tmp_path / "a.wav")
    r = runner.invoke(app, ["render", str(tmp_path / "dir.pt"), str(midi), "-o", out, "-q"])
    assert r.exit_code == 1 and "dir.pt: a folder, not a checkpoint" in r.output
    r = runner.invoke(app, ["render", str(ckpt_path), str(tmp_path / "dir.mid"), "-o", out])
    assert r.exit_code == 1 and "dir.mid: a folder, not a MIDI file" in r.output


def test_a_wav_is_not_written_under_another_formats_name(tmp_path: Path, ckpt_path: Path) -> None:
    r = runner.invoke(app, ["synth", str(ckpt_path), "--note", "C3", "--duration", "0.05", "-o",
                            str(tmp_path / "x.mp3"), "-q"])  # fmt: skip
    # a suffix --out cannot take is a usage mistake: one line naming the command and the option, status 2
    assert r.exit_code == 2 and "x.mp3: the output is a WAV file; give it a .wav name" in r.output
    assert " synth: --out " in r.output and len(r.output.strip().splitlines()) == 1, r.output
    assert not (tmp_path / "x.mp3").exists()


def test_out_dash_is_not_taken_for_a_file_named_dash(tmp_path: Path, ckpt_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """`-o -` (standard output, to pipe into a player) wrote a WAV file named '-' in the current folder."""
    monkeypatch.chdir(tmp_path)
    midi = write_midi(tmp_path / "s.mid", [[on(50), off(50, 48)]])
    for args in (["synth", str(ckpt_path), "--note", "C3", "--duration", "0.05"],
                 ["render", str(ckpt_path), str(midi)], ["play", str(ckpt_path), "--midi-file", str(midi)]):
        r = runner.invoke(app, [*args, "-o", "-"])
        said = "--out -: the output is a WAV file, not standard output"
        assert r.exit_code == 2 and said in r.output and len(r.output.strip().splitlines()) == 1, r.output
        assert not (tmp_path / "-").exists()


def test_the_onset_search_is_on_by_default_for_a_pitched_model_on_either_engine(
    tmp_path: Path, ckpt, ckpt_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from samplernn.render import voices

    seen: list[GenerationOptions] = []

    def spy(model, conds, options=None, **overrides):
        seen.append(options)
        return fake_synthesize(model, conds)

    def spy_voices(model, stats, sr, notes, lead, tail, generation):
        seen.append(generation)
        return np.zeros(sr, np.float64)

    monkeypatch.setattr(render_mod, "synthesize", spy)
    monkeypatch.setattr(render_mod, "render_voices", spy_voices)
    midi = write_midi(tmp_path / "s.mid", [[on(50), off(50, 48)]])
    opts = RenderOptions(lead=0.01, tail=0.01, generation=GenerationOptions(seed=0))
    for engine in ("notes", "voices"):
        report = render_midi(ckpt, midi, tmp_path / f"{engine}.wav", dataclasses.replace(opts, engine=engine))
        assert report.onset_candidates == ONSET_CANDIDATES == seen[-1].onset_search.candidates, engine
        assert seen[-1].onset_search.sample_rate == SR
        unsearched = dataclasses.replace(opts, onset_candidates=1, engine=engine)
        report = render_midi(ckpt, midi, tmp_path / f"{engine}1.wav", unsearched)
        assert report.onset_candidates == 1 and seen[-1].onset_search is None, engine
    if numba_available():  # the search no longer decides the engine: one CPU thread still takes voices
        searching = GenerationOptions(threads=1, device="cpu").with_onset_search(4, SR)
        assert voices.pick_render_engine("auto", ckpt.model, searching) == "voices"
    r = runner.invoke(app, ["render", str(ckpt_path), str(midi), "-o", str(tmp_path / "d.wav"), "-q",
                            "--onset-candidates", "2", "--device", "cpu"])  # fmt: skip
    assert r.exit_code == 0 and "up to 2 candidates" in r.output, r.output
    r = runner.invoke(app, ["render", str(ckpt_path), str(midi), "-o", str(tmp_path / "e.wav"), "-q",
                            "--onset-candidates", "0"])  # fmt: skip
    assert r.exit_code == 2 and not (tmp_path / "e.wav").exists()


def test_an_output_render_or_synth_cannot_write_is_refused_before_generating(tmp_path: Path, ckpt_path: Path,
                                                                           monkeypatch) -> None:
    from samplernn.render import midi as render_midi_module
    from samplernn.render import synth as synth_module

    def never(*args, **kwargs):
        raise AssertionError("generated before checking the output")

    monkeypatch.setattr(render_midi_module, "render_midi", never)
    monkeypatch.setattr(synth_module, "synth_note", never)
    song = write_midi(tmp_path / "s.mid", [[on(50), off(50, 48)]])
    (tmp_path / "folder.wav").mkdir()
    for out, says, status in ((tmp_path / "x.mp3", "give it a .wav name", 2),
                              (tmp_path / "folder.wav", "is a folder", 1)):
        for args in (["render", str(ckpt_path), str(song)], ["synth", str(ckpt_path), "--note", "C3"]):
            r = runner.invoke(app, [*args, "-o", str(out), "-q"])
            assert r.exit_code == status and says in r.output, (args, r.output)
            assert "Traceback" not in r.output
            if status == 2:
                assert f" {args[0]}: --out {out}" in r.output, r.output
    assert not (tmp_path / "x.mp3").exists()
    (tmp_path / "pic.png").mkdir()  # the picture's place is taken: refused before generating, no WAV
    r = runner.invoke(app, ["render", str(ckpt_path), str(song), "-o", str(tmp_path / "pic.wav"), "-q",
                            "--plot"])  # fmt: skip
    assert r.exit_code == 1 and "pic.png" in r.output and not (tmp_path / "pic.wav").exists(), r.output


def test_synth_writes_24_bit_as_pack_does(tmp_path: Path, ckpt_path: Path) -> None:
    out = tmp_path / "n24.wav"
    args = ["--duration", "0.05", "--lead", "0.01", "--bit-depth", "24", "--onset-candidates", "1"]
    r = runner.invoke(app, ["synth", str(ckpt_path), "--note", "C3", *args, "-o", str(out), "-q"])
    assert r.exit_code == 0, r.output
    assert sf.info(out).subtype == "PCM_24"


def test_take_names_keep_the_suffix_given_or_none() -> None:
    from samplernn.render.synth import take_paths

    assert take_paths(Path("d/x.wav"), 1) == [Path("d/x.wav")]
    assert take_paths(Path("d/x.wav"), 2) == [Path("d/x-1.wav"), Path("d/x-2.wav")]
    assert take_paths(Path("d/x"), 1) == [Path("d/x")]
    assert take_paths(Path("d/x"), 2) == [Path("d/x-1"), Path("d/x-2")]  # was x-1.wav beside one take's x


def test_a_long_silence_before_the_first_note_is_warned_of(tmp_path: Path, ckpt_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render_mod, "synthesize", fake_synthesize)
    ckpt = load_checkpoint(ckpt_path)
    late = write_midi(tmp_path / "late.mid", [[on(50, time=11520), off(50, 48)]])  # 120 bpm: at 12 s
    report = render_midi(ckpt, late, tmp_path / "late.wav", FAST)
    assert report.hanging == ["the first note starts at 12.0 s: the WAV begins with 12.0 s of silence "
                              "(the file's own timing, kept so that it lines up with the file's other parts)"]
    assert report.seconds > 12.0
    early = write_midi(tmp_path / "early.mid", [[on(50, time=9120), off(50, 48)]])  # at 9.5 s
    assert render_midi(ckpt, early, tmp_path / "early.wav", FAST).hanging == []


def test_synth_render_and_pack_refuse_outputs_inside_a_prepared_dataset(tmp_path: Path, ckpt_path: Path,
                                                                         monkeypatch) -> None:
    """`synth -o DATASET/audio/x.wav` was written, though evaluate refuses its folders inside the
    dataset: the next `prepare` into it refuses a file it did not write. Refused before generating."""
    from samplernn.data.dataset import CREATED_BY, INFO_FILE
    from samplernn.render import midi as render_midi_module
    from samplernn.render import synth as synth_module

    def never(*args, **kwargs):
        raise AssertionError("generated before checking the output")

    monkeypatch.setattr(render_midi_module, "render_midi", never)
    monkeypatch.setattr(synth_module, "synth_note", never)
    data = tmp_path / "data"
    (data / "audio").mkdir(parents=True)
    (data / INFO_FILE).write_text(json.dumps({"created_by": CREATED_BY}))
    song = write_midi(tmp_path / "s.mid", [[on(50), off(50, 48)]])
    for args in (["synth", str(ckpt_path), "--note", "C3", "-o", str(data / "audio" / "x.wav")],
                 ["synth", str(ckpt_path), "--note", "C3", "-o", str(data / "x.wav"), "--takes", "2"],
                 ["render", str(ckpt_path), str(song), "-o", str(data / "new" / "song.wav")],
                 ["pack", str(ckpt_path), "-o", str(data / "pack")]):
        r = runner.invoke(app, [*args, "-q"])
        assert r.exit_code == 1, (args, r.output)
        assert f"lies in the dataset {data}; write the outputs elsewhere" in r.output, r.output
        assert len(r.output.strip().splitlines()) == 1, r.output
    assert sorted(p.name for p in data.rglob("*")) == ["audio", INFO_FILE]
    (data / INFO_FILE).write_text("{}")  # not prepare's: an ordinary folder
    r = runner.invoke(app, ["synth", str(ckpt_path), "--note", "C3", "-o", str(data / "x.wav"), "-q"])
    assert isinstance(r.exception, AssertionError), r.output  # past the check, to the generation
