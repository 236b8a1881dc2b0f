"""`samplernn play`: MIDI messages → notes, a file in simulated real time → WAV, one-line errors
where there is no MIDI port or sound card (as on this machine)."""

from __future__ import annotations

import queue
import time
from pathlib import Path

import mido
import numpy as np
import pytest
from support.audio import write_midi
from support.tiny import tiny_checkpoint
from typer.testing import CliRunner

from conditioning import BankStats
from conditioning.bankstats import note_levels
from samplernn.cli import app
from samplernn.common.audio import read_audio
from samplernn.common.errors import UserError
from samplernn.generate.stream import StreamConfig
from samplernn.model.checkpoint import load_checkpoint
from samplernn.play import devices
from samplernn.play.events import TimedMessage, midi_file_messages
from samplernn.play.keyboard import Keyboard
from samplernn.play.run import PlayOptions, make_keyboard, play_file
from samplernn.play.session import play_messages
from samplernn.render.midi import RenderOptions, render_midi

pytestmark = pytest.mark.usefixtures("one_thread")
SR = 4000
runner = CliRunner()


class FakeEngine:
    """Records the notes a Keyboard asks for (at a clock of 0 and blocks of 64 samples)."""

    clock, sample_rate, cfg = 0, SR, StreamConfig(block=64)

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def note_on(self, key, pitch, velocity, at=None, release=None) -> None:
        self.calls.append(("on", key, pitch, at))

    def note_off(self, key, at=None) -> None:
        self.calls.append(("off", key, at))


def msg(kind: str, **kw) -> mido.Message:
    return mido.Message(kind, **kw)


def test_sustain_pedal_holds_notes_until_it_comes_up():
    eng = FakeEngine()
    kb = Keyboard(eng, (40, 70))
    kb.handle(msg("note_on", note=60, velocity=90), 0)
    kb.handle(msg("control_change", control=64, value=127), 10)
    kb.handle(msg("note_off", note=60), 20)  # held by the pedal
    kb.handle(msg("note_on", note=62, velocity=90), 30)
    kb.handle(msg("note_on", note=62, velocity=0), 40)  # velocity 0 = note-off, held too
    assert [c[0] for c in eng.calls] == ["on", "on"]
    kb.handle(msg("control_change", control=64, value=0), 50)
    offs = [c for c in eng.calls if c[0] == "off"]
    assert len(offs) == 2 and all(c[2] == 50 for c in offs)
    assert kb.counters.pedal_held == 2


def test_a_key_struck_again_ends_the_note_the_pedal_holds_as_render_does():
    # a pedalled passage of repeated notes: each new strike takes over from the note the pedal held
    # (render.sustain ends it there); it used to sound on until the pedal came up, six voices of one
    # key stacked 5 dB louder than render's
    eng = FakeEngine()
    kb = Keyboard(eng, (40, 70))
    kb.handle(msg("control_change", control=64, value=127), 0)
    for i in range(3):
        kb.handle(msg("note_on", note=50, velocity=90), 100 * i)
        kb.handle(msg("note_off", note=50), 100 * i + 50)  # held by the pedal
    kb.handle(msg("note_on", note=50, velocity=90, channel=1), 260)  # another channel's key: no
    offs = [(c[1], c[2]) for c in eng.calls if c[0] == "off"]
    assert offs == [((0, 50, 0), 100), ((0, 50, 1), 200)]
    kb.handle(msg("control_change", control=64, value=0), 400)
    offs = [(c[1], c[2]) for c in eng.calls if c[0] == "off"]
    assert offs[2:] == [((0, 50, 2), 400)] and kb.counters.pedal_held == 3


def test_a_note_struck_over_keeps_its_own_note_off_as_render_pairs_them():
    """A file's overlapping notes of one key (on 0, on 100, off 200, off 300) and a legato export
    that writes the next note-on before the old note-off on one tick (on 400, on 500, off 500, off
    600): render pairs note-offs first on, first off, so each second note lasts to its own note-off;
    play released it at the first note's note-off (at 200, and at once at 500)."""
    eng = FakeEngine()
    kb = Keyboard(eng, (40, 70))
    for kind, at in (("note_on", 0), ("note_on", 100), ("note_off", 200), ("note_off", 300),
                     ("note_on", 400), ("note_on", 500), ("note_off", 500), ("note_off", 600)):  # fmt: skip
        kb.handle(msg(kind, note=50, velocity=90 if kind == "note_on" else 0), at)
    offs = [(c[1][2], c[2]) for c in eng.calls if c[0] == "off"]
    assert offs == [(0, 100), (1, 300), (2, 500), (3, 600)]  # (serial of the note, when it ends)


def test_a_key_released_as_the_pedal_goes_down_is_not_held_whichever_comes_first():
    for pedal_first in (True, False):  # legato pedalling in a file: both events on one tick
        eng = FakeEngine()
        kb = Keyboard(eng, (40, 70))
        kb.handle(msg("note_on", note=48, velocity=90), 0)
        events = [msg("control_change", control=64, value=127), msg("note_off", note=48)]
        for m in events if pedal_first else events[::-1]:
            kb.handle(m, 100)
        assert ("off", (0, 48, 0), 100) in eng.calls and kb.counters.pedal_held == 0  # as render reads it
    kb.handle(msg("note_on", note=52, velocity=90), 100)
    kb.handle(msg("note_off", note=52), 101)  # released under the pedal: held
    assert kb.counters.pedal_held == 1


def test_keyboard_counts_what_it_leaves_out():
    eng = FakeEngine()
    kb = Keyboard(eng, (40, 70), transpose=-12)
    kb.handle(msg("note_on", note=50, velocity=90))  # 38 after transposing: below the range
    kb.handle(msg("note_on", note=60, channel=9, velocity=90))  # drum channel
    kb.handle(msg("pitchwheel", pitch=2000))
    kb.handle(msg("program_change", program=3))
    kb.handle(msg("note_on", note=70, velocity=90))
    kb.handle(msg("note_on", note=70, velocity=80))  # struck again: the first one is released
    assert [(c[0], c[2] if c[0] == "on" else None) for c in eng.calls] == [
        ("on", 58),
        ("off", None),
        ("on", 58),
    ]
    lines = " ".join(kb.counters.summary())
    assert "1 note(s) transposed by -12 outside" in lines and "1 drum-channel" in lines
    assert "1 pitch bend message(s) ignored" in lines and "1 program_change" in lines


class KitEngine(FakeEngine):
    """A FakeEngine with the clock and statistics a kit's hits are timed by."""

    def __init__(self, stats: BankStats) -> None:
        super().__init__()
        self.clock, self.stats = 64, stats

    def note_on(self, key, pitch, velocity, at=None, release=None) -> None:
        self.calls.append(("on", key, pitch, at, release))


def test_a_drum_model_strikes_one_shots_of_the_kits_length():
    from samplernn.render.drums import held_samples

    kit_stats = _kit_stats()
    eng = KitEngine(kit_stats)
    kb = Keyboard(eng, (36, 49), kit=[36, 38, 42, 49])
    kb.handle(msg("note_on", note=38, channel=9, velocity=100), 100)  # a pad on the drum channel
    kb.handle(msg("note_on", note=35, channel=0, velocity=60), 200)  # a keyboard: 35 → the bass drum
    kb.handle(msg("control_change", control=64, value=127), 210)  # the pedal changes nothing
    kb.handle(msg("note_off", note=38, channel=9), 220)  # nor does a note-off
    kb.handle(msg("note_on", note=38, channel=9, velocity=40), 300)  # again: a second hit, none cut
    kb.handle(msg("note_on", note=60, channel=9, velocity=90), 400)  # a bongo: the kit has none
    kb.handle(msg("note_on", note=36, channel=9, velocity=90))  # now: at the engine's clock
    kb.handle(msg("control_change", control=64, value=0), 500)
    assert [c[0] for c in eng.calls] == ["on"] * 4 and kb.counters.notes == 4
    assert [(c[2], c[3]) for c in eng.calls] == [(38, 100), (36, 200), (38, 300), (36, 64)]
    for (_, _, piece, at, release), velocity in zip(eng.calls, (100, 60, 40, 90), strict=True):
        assert release - at == held_samples(kit_stats, piece, velocity) > 0
    assert held_samples(kit_stats, 38, 100) != held_samples(kit_stats, 36, 60)
    assert len({c[1] for c in eng.calls}) == 4
    lines = " ".join(kb.counters.summary())
    assert "1 note(s) on 60 (" in lines and "left out: no such piece in the kit" in lines
    assert "1 note(s) on 35 (acoustic bass drum) played by the kit's 36 (bass drum)" in lines
    assert "drum-channel" not in lines and "pedal" not in lines


def _kit_stats(sr: int = SR) -> BankStats:
    """A kit of four pieces, each with its own held part (s) at velocities 40 and 100."""
    hop, x = round(0.01 * sr), np.full(sr, 0.3, np.float32)
    held = ((36, 0.05), (38, 0.12), (42, 0.02), (49, 0.3))
    rows = [(p, v, round(h * sr)) for p, h in held for v in (40, 100)]
    return BankStats.from_notes(sr, [(p, v, 400) for p, v, _ in rows],
                                [(p, v, *note_levels(x, 0, h, h + 400, hop)) for p, v, h in rows])


def test_a_drum_model_plays_a_drum_file_into_a_wav(tmp_path: Path):
    from support.drum_kit import SR as KIT_SR
    from support.drum_kit import drum_checkpoint

    from samplernn.render.drums import held_samples

    kit_stats = _kit_stats(KIT_SR)
    ckpt_path = drum_checkpoint(tmp_path / "kit.pt", kit_stats)
    ckpt = load_checkpoint(ckpt_path)
    midi = write_midi(tmp_path / "d.mid", [(38, 100, 0.0, 0.01), (36, 100, 0.5, 2.0)], channel=9)
    opts = PlayOptions(StreamConfig(block=64, lead=0.02, tail=0.01))
    report = play_file(ckpt, midi, opts, tmp_path / "d.wav")
    audio, sr = read_audio(tmp_path / "d.wav")
    assert report.notes == 2 and not report.remarks and np.abs(audio).max() > 0 and sr == KIT_SR
    assert report.countdown == "one-shot"
    r = runner.invoke(app, ["play", str(ckpt_path), "--midi-file", str(midi), "-o", str(tmp_path / "c.wav"),
                            "--block", "64"])  # fmt: skip
    assert r.exit_code == 0 and "played 2 hits" in r.output and "a one-shot of the kit's length" in r.output
    tune = write_midi(tmp_path / "tune.mid", [(38, 100, 0.0, 0.1)])  # channel 1: not a drum part
    r = runner.invoke(app, ["play", str(ckpt_path), "--midi-file", str(tune), "-o", str(tmp_path / "u.wav")])
    assert r.exit_code == 1 and "no drum-channel notes (channel 10), and this model is a drum" in r.output
    assert "play takes a file's drum part from channel 10" in r.output and "--channel" not in r.output
    assert not (tmp_path / "u.wav").exists()
    r = runner.invoke(app, ["play", str(ckpt_path), "--midi-file", str(midi), "-o", str(tmp_path / "t.wav"),
                            "--transpose", "3"])  # as render: a file's drum keys are pieces
    assert r.exit_code == 2 and "a drum model's keys are pieces, not pitches" in r.output
    assert not (tmp_path / "t.wav").exists()
    # The bass drum's 1.5 s note-off changes nothing: its hit lasts the kit's length, then silence.
    onset, hit = round(0.5 * sr) + 64, held_samples(kit_stats, 36, 100) + kit_stats.release_tail(36, 100)
    assert len(audio) >= round(2.0 * sr) and hit < round(0.5 * sr)
    assert np.abs(audio[onset : onset + hit]).max() > 0 and not np.abs(audio[onset + hit + 800 :]).any()


def stats() -> BankStats:
    return BankStats(SR, {(p, 100): 60 for p in range(45, 66)}, {(p, 100): 1 for p in range(45, 66)})


@pytest.fixture
def ckpt_path(tmp_path: Path) -> Path:
    return tiny_checkpoint(tmp_path / "tiny.pt", sample_rate=SR, stats=stats())


def test_a_file_plays_in_simulated_real_time(ckpt_path: Path):
    """Every message reaches the engine only once the engine's clock has passed its time, and
    takes effect one block after it (no look-ahead, the spacing kept)."""
    ckpt = load_checkpoint(ckpt_path)
    kb = make_keyboard(ckpt, PlayOptions(StreamConfig(voices=2, block=64, lead=0.02, tail=0.01)))
    seen = []
    note_on = kb.engine.note_on
    kb.engine.note_on = lambda key, p, v, at=None, release=None: (
        seen.append((kb.engine.clock, at)),
        note_on(key, p, v, at, release),
    )[1]
    times = [0.01, 0.1, 0.23]
    msgs = [TimedMessage(t, msg("note_on", note=50 + i, velocity=100)) for i, t in enumerate(times)]
    msgs += [TimedMessage(t + 0.05, msg("note_off", note=50 + i)) for i, t in enumerate(times)]
    blocks: list[np.ndarray] = []
    timing = play_messages(kb, msgs, lambda b: blocks.append(b) or False)
    assert [at for _, at in seen] == [round(t * SR) + 64 for t in times]
    assert all(clock >= at - 64 for clock, at in seen)  # delivered once its time had come
    assert all(at >= clock for clock, at in seen)  # and only into blocks not yet made
    assert not kb.engine.pending and timing.summary()["blocks"] == len(blocks)


def test_play_writes_a_wav_without_devices(ckpt_path: Path, tmp_path: Path):
    midi = write_midi(tmp_path / "m.mid", [(50, 100, 0.0, 0.2), (55, 90, 0.15, 0.4)])
    out = tmp_path / "out.wav"
    result = runner.invoke(
        app,
        ["play", str(ckpt_path), "--midi-file", str(midi), "-o", str(out), "--seed", "1", "--block", "64"],
    )
    assert result.exit_code == 0, result.output
    assert "played 2 notes" in result.output and "frozen countdown" in result.output
    audio, sr = read_audio(out)
    assert sr == SR and 0.4 * SR < len(audio) < 0.8 * SR
    same = play_file(
        load_checkpoint(ckpt_path), midi, PlayOptions(StreamConfig(block=64)), tmp_path / "b.wav"
    )
    assert same.notes == 2 and same.countdown == "frozen"
    held = tiny_checkpoint(tmp_path / "held.pt", sample_rate=SR, stats=stats(), held_flag=True)
    report = play_file(load_checkpoint(held), midi, PlayOptions(StreamConfig(block=64)), tmp_path / "h.wav")
    assert report.countdown == "held"


def test_no_port_and_no_device_are_one_line(ckpt_path: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(devices, "midi_input_ports", lambda: [])
    result = runner.invoke(app, ["play", str(ckpt_path), "-o", str(tmp_path / "x.wav")])
    assert result.exit_code == 1 and "no MIDI input port found" in result.output
    assert "Traceback" not in result.output
    monkeypatch.setattr(devices, "audio_outputs", lambda: [])
    midi = write_midi(tmp_path / "m.mid", [(50, 100, 0.0, 0.1)])
    result = runner.invoke(app, ["play", str(ckpt_path), "--midi-file", str(midi)])
    assert result.exit_code == 1 and "no audio output device found" in result.output


def test_play_into_a_file_never_overwrites_an_input(ckpt_path: Path, tmp_path: Path):
    midi = write_midi(tmp_path / "m.mid", [(50, 100, 0.0, 0.1)])
    before = midi.read_bytes()
    result = runner.invoke(app, ["play", str(ckpt_path), "--midi-file", str(midi), "-o", str(midi)])
    assert result.exit_code == 1 and "this is an input" in result.output
    assert midi.read_bytes() == before


def test_an_output_that_cannot_be_written_is_refused_before_playing(
    ckpt_path: Path, tmp_path: Path, monkeypatch
):
    """A bad -o is said up front: after a live session (or a file played in real time) the take
    would be lost. Neither the file's notes nor the keyboard's port are reached."""
    import samplernn.play.run as run

    def never(*args, **kwargs):
        raise AssertionError("played before the output was checked")

    monkeypatch.setattr(run, "play_messages", never)
    monkeypatch.setattr(run, "MidiInput", never)
    midi = write_midi(tmp_path / "m.mid", [(50, 100, 0.0, 0.1)])
    (tmp_path / "folder").mkdir()
    # a suffix --out cannot take is a usage mistake (status 2, naming the option); a folder is bad input
    for out, said, status in ((tmp_path / "take.mp3", " play: --out {}: the output is a WAV file", 2),
                              (tmp_path / "folder", "folder: is a folder; give a file name", 1)):
        for source in (["--midi-file", str(midi)], []):
            result = runner.invoke(app, ["play", str(ckpt_path), *source, "-o", str(out)])
            assert result.exit_code == status and said.format(out) in result.output, result.output
            assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder", "m.mid", "tiny.pt"]


def test_a_typo_of_a_pool_or_a_block_is_a_usage_error(ckpt_path: Path, tmp_path: Path):
    """--voices 1000000 asked numpy for 92 GiB (a traceback); --block 100000000 filled the memory
    until the kernel killed the process. Both are bounded by the parser."""
    midi = write_midi(tmp_path / "m.mid", [(50, 100, 0.0, 0.1)])
    for option, value in (("--voices", "1000000"), ("--block", "100000000")):
        out = str(tmp_path / "x.wav")
        args = ["play", str(ckpt_path), "--midi-file", str(midi), "-o", out, option, value]
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and f"Invalid value for '{option}'" in result.output, result.output
        assert "Traceback" not in result.output and not (tmp_path / "x.wav").exists()


def test_a_block_or_countdown_the_model_cannot_take_is_a_usage_error(ckpt_path: Path, tmp_path: Path):
    """--block off the model's lookback and --countdown held for a model without a held flag were
    refused by the engine with exit 1 and a line not naming the option ("block 100 must be a
    multiple of …"); they are values the option cannot take: the usage error's line and status 2."""
    midi = write_midi(tmp_path / "m.mid", [(50, 100, 0.0, 0.1)])
    lookback = load_checkpoint(ckpt_path).model.lookback
    off = 16 * lookback + lookback // 2  # within the parser's bounds, not a multiple of the lookback
    for args, said in ((["--block", str(off)], f"--block {off}: must be a multiple of the model's lookback"),
                       (["--countdown", "held"], "--countdown held: this model has no held flag")):
        out = tmp_path / "x.wav"
        result = runner.invoke(app, ["play", str(ckpt_path), "--midi-file", str(midi), "-o", str(out), *args])
        assert result.exit_code == 2, result.output
        assert said in result.output and "play --help" in result.output, result.output
        assert "Traceback" not in result.output and not out.exists()


def test_bench_stream_checks_the_block_as_play_does(ckpt_path: Path, tmp_path: Path):
    """bench stream --block off the model's lookback exited 1 with the engine's line ("block 100 must
    be a multiple of …", not naming the option); it now gets play's usage error, status 2, timing or
    comparing (--quality), before anything is played."""
    midi = write_midi(tmp_path / "m.mid", [(50, 100, 0.0, 0.1)])
    lookback = load_checkpoint(ckpt_path).model.lookback
    off = 16 * lookback + lookback // 2
    for extra in ([], ["--quality", str(midi)]):
        result = runner.invoke(app, ["bench", "stream", "--checkpoint", str(ckpt_path), "--voices", "1",
                                     "--seconds", "1", "--block", str(off), *extra])  # fmt: skip
        assert result.exit_code == 2, result.output
        assert f"--block {off}: must be a multiple of the model's lookback" in result.output, result.output
        assert "bench stream --help" in result.output and len(result.output.strip().splitlines()) == 1


def test_a_note_without_note_off_ends_where_render_ends_it_and_is_said(ckpt_path: Path, tmp_path: Path):
    """D3 from 0 s with no note-off, E3 0.2–0.4 s, the track's end at 1.5 s: render holds D3 to the
    track's last event; a file played as a keyboard does too, and says so."""
    mid, track = mido.MidiFile(ticks_per_beat=480), mido.MidiTrack()  # 120 bpm: 960 ticks a second
    track += [mido.Message("note_on", note=50, velocity=100, time=0),
              mido.Message("note_on", note=52, velocity=100, time=192),
              mido.Message("note_off", note=52, velocity=0, time=192),
              mido.MetaMessage("end_of_track", time=1056)]  # fmt: skip
    mid.tracks.append(track)
    mid.save(tmp_path / "hanging.mid")
    opts = PlayOptions(StreamConfig(block=64))
    report = play_file(load_checkpoint(ckpt_path), tmp_path / "hanging.mid", opts, tmp_path / "h.wav")
    audio, sr = read_audio(tmp_path / "h.wav")
    assert len(audio) > 1.5 * sr  # held to 1.5 s, not to E3's note-off at 0.4 s
    said = "D3 (50) at 0.00 s has no note-off: played until its track's last event, 1.50 s"
    assert report.remarks == [said]


def _save_track(path: Path, messages: list) -> None:
    """A one-track MIDI file of `messages` at 480 ticks a beat and 120 bpm: 960 ticks a second."""
    mid = mido.MidiFile(ticks_per_beat=480)
    mid.tracks.append(mido.MidiTrack(messages))
    mid.save(path)


def _play_and_render(ckpt_path: Path, midi: Path):  # noqa: ANN202 — (report, audio, report, audio)
    """`midi` played into a WAV (blocks of 64) and rendered on the voices, beside it: (play's report,
    its audio, render's report, its audio)."""
    ckpt, p_wav, r_wav = load_checkpoint(ckpt_path), midi.with_suffix(".p.wav"), midi.with_suffix(".r.wav")
    report = play_file(ckpt, midi, PlayOptions(StreamConfig(block=64)), p_wav)
    rendered = render_midi(ckpt, midi, r_wav, RenderOptions(engine="voices"))
    return report, read_audio(p_wav)[0], rendered, read_audio(r_wav)[0]


def test_notes_an_all_notes_off_ends_are_not_said_to_hang(ckpt_path: Path, tmp_path: Path):
    """D3 and F3 with no note-off, ended by an all-notes-off (CC123) at 0.5 s, the track's end at 1.5 s:
    render ends them there and warns of nothing; play said both were "played until its track's last event,
    1.50 s" and wrote a WAV a second longer than render's, of silence."""
    _save_track(tmp_path / "off.mid", [mido.Message("note_on", note=50, velocity=100, time=0),
                                       mido.Message("note_on", note=53, velocity=100, time=0),
                                       mido.Message("control_change", control=123, value=0, time=480),
                                       mido.MetaMessage("end_of_track", time=960)])
    report, played, rendered, render_audio = _play_and_render(ckpt_path, tmp_path / "off.mid")
    assert report.remarks == [] and rendered.hanging == []
    assert abs(len(played) - len(render_audio)) <= 2 * 64


def _play_and_render_notes(ckpt_path: Path, midi: Path, monkeypatch) -> tuple[list, list]:
    """`midi` as `play --midi-file -o` plays it (the engine's note-ons and first note-offs, less the
    one block of latency) and as `render` plays it (render.midi.as_played): two sorted lists of
    (pitch, start, stop) in seconds."""
    import samplernn.play.run as run
    from samplernn.render.midi import as_played, parse_midi, read_notes

    ons, offs, real = {}, {}, run.make_keyboard

    def spied(ckpt, opts):  # noqa: ANN001, ANN202
        kb = real(ckpt, opts)
        on, off = kb.engine.note_on, kb.engine.note_off
        kb.engine.note_on = lambda key, p, v, at=None, release=None: (ons.__setitem__(key, (p, at)),
                                                                       on(key, p, v, at, release))[1]
        kb.engine.note_off = lambda key, at=None: (offs.setdefault(key, at), off(key, at))[1]
        return kb

    monkeypatch.setattr(run, "make_keyboard", spied)
    play_file(load_checkpoint(ckpt_path), midi, PlayOptions(StreamConfig(block=64)), midi.with_suffix(".wav"))
    seconds = lambda at: round((at - 64) / SR, 3)  # noqa: E731
    played = sorted((p, seconds(at), seconds(offs[key])) for key, (p, at) in ons.items())
    parsed = parse_midi(midi)
    rendered = sorted((n.pitch, round(n.start, 3), round(n.stop, 3))
                      for n in as_played(read_notes(midi, parsed), parsed, drums=False))
    return played, rendered


def test_a_note_off_after_an_all_notes_off_is_the_next_notes_in_play_and_render(
        ckpt_path: Path, tmp_path: Path, monkeypatch):
    """D3 on at 0 s, an all-notes-off (CC123) at 0.5 s, D3 on again at 1 s, one note-off at 1.5 s, the
    track's end at 3 s: the all-notes-off ended the first D3, so the note-off is the second's (1-1.5 s),
    in play as in render. Render paired it first on, first off with the ended note and left the second
    hanging to the track's end (1-3 s)."""
    _save_track(tmp_path / "again.mid", [mido.Message("note_on", note=50, velocity=100, time=0),
                                         mido.Message("control_change", control=123, value=0, time=480),
                                         mido.Message("note_on", note=50, velocity=100, time=480),
                                         mido.Message("note_off", note=50, velocity=0, time=480),
                                         mido.MetaMessage("end_of_track", time=1440)])
    played, rendered = _play_and_render_notes(ckpt_path, tmp_path / "again.mid", monkeypatch)
    assert rendered == [(50, 0.0, 0.5), (50, 1.0, 1.5)]
    assert played == rendered
    eng = FakeEngine()  # live: the note-off of a note the all-notes-off ended is ignored
    kb = Keyboard(eng, (40, 70))
    for m, at in ((msg("note_on", note=50, velocity=90), 0), (msg("control_change", control=123), 10),
                  (msg("note_on", note=50, velocity=90), 20), (msg("note_off", note=50), 30)):  # fmt: skip
        kb.handle(m, at)
    assert [(c[1][2], c[2]) for c in eng.calls if c[0] == "off"] == [(0, 10), (1, 30)]


def test_a_note_struck_with_an_all_notes_off_sounds_in_play_as_in_render(ckpt_path: Path, tmp_path: Path,
                                                                          monkeypatch):
    """D3 on at 0 s with an all-notes-off (CC123) listed after it on the same tick, its note-off at
    0.5 s: render counts the all-notes-off at the note's own tick as before it (0-0.5 s); play took the
    file's order and ended the note at once (0-0 s)."""
    _save_track(tmp_path / "reset.mid", [mido.Message("note_on", note=50, velocity=100, time=0),
                                         mido.Message("control_change", control=123, value=0, time=0),
                                         mido.Message("note_off", note=50, velocity=0, time=480)])
    played, rendered = _play_and_render_notes(ckpt_path, tmp_path / "reset.mid", monkeypatch)
    assert rendered == [(50, 0.0, 0.5)]
    assert played == rendered


def test_a_key_struck_twice_at_one_instant_sounds_twice_as_render_leaves_it(ckpt_path: Path, tmp_path: Path,
                                                                           monkeypatch):
    """D3 struck twice on one tick (a doubled part), note-offs at 0.5 and 1 s, D3 struck again at 0.75 s
    and released at 1.25 s: render leaves notes struck at one instant as they are (0-0.5 s and 0-1 s,
    the second ended at 0.75 s by the third strike); play ended the first at its own note-on (0-0 s)."""
    _save_track(tmp_path / "twice.mid", [mido.Message("note_on", note=50, velocity=100, time=0),
                                         mido.Message("note_on", note=50, velocity=90, time=0),
                                         mido.Message("note_off", note=50, velocity=0, time=480),
                                         mido.Message("note_on", note=50, velocity=80, time=240),
                                         mido.Message("note_off", note=50, velocity=0, time=240),
                                         mido.Message("note_off", note=50, velocity=0, time=240)])
    played, rendered = _play_and_render_notes(ckpt_path, tmp_path / "twice.mid", monkeypatch)
    assert rendered == [(50, 0.0, 0.5), (50, 0.0, 0.75), (50, 0.75, 1.25)]
    assert played == rendered


def test_a_pedal_left_down_holds_its_notes_to_the_files_end_as_render_does(ckpt_path: Path, tmp_path: Path):
    """The pedal down from 0 s and never up, D3 released at 0.4 s, the track's end at 1.5 s: render
    holds D3 to the file's last event; a file played as a keyboard used to let it go at its last
    channel message (0.4 s), a WAV 1.1 s short of render's."""
    _save_track(tmp_path / "pedal.mid", [mido.Message("control_change", control=64, value=127, time=0),
                                         mido.Message("note_on", note=50, velocity=100, time=0),
                                         mido.Message("note_off", note=50, velocity=0, time=384),
                                         mido.MetaMessage("end_of_track", time=1056)])
    report, played, _, render_audio = _play_and_render(ckpt_path, tmp_path / "pedal.mid")
    assert len(played) > 1.5 * SR and report.remarks == ["1 note(s) held by the sustain pedal"]
    assert abs(len(played) - len(render_audio)) <= 2 * 64  # a block late, a block whole


def test_a_stuck_note_is_refused_before_playing_into_a_file(ckpt_path: Path, tmp_path: Path):
    midi = write_midi(tmp_path / "stuck.mid", [(50, 100, 0.0, 5000.0)])
    out = tmp_path / "s.wav"
    result = runner.invoke(app, ["play", str(ckpt_path), "--midi-file", str(midi), "-o", str(out)])
    assert result.exit_code == 1 and "stuck.mid: the notes end at 5000 s" in result.output
    assert not out.exists()


def test_a_note_the_pedal_holds_too_long_is_refused_as_render_refuses_it(ckpt_path: Path, tmp_path: Path,
                                                                         monkeypatch):
    """A pedal held far past the note-offs (a pedal-up missing or hours late) made render refuse the file
    while play, measuring the notes as released, played it into memory: 1,056 s of a 4,000-s pedal before
    a Ctrl-C. The limit is lowered here to 2 s, the pedal held to 5 s. The message named render's
    --max-seconds, an option play does not have."""
    from samplernn.render.midi import RenderOptions

    monkeypatch.setattr(RenderOptions, "max_seconds", 2.0)
    mid, track = mido.MidiFile(ticks_per_beat=480), mido.MidiTrack()  # 120 bpm: 960 ticks a second
    track += [mido.Message("control_change", control=64, value=127, time=0),
              mido.Message("note_on", note=50, velocity=100, time=0),
              mido.Message("note_off", note=50, velocity=0, time=480),
              mido.Message("control_change", control=64, value=0, time=4320)]  # fmt: skip
    mid.tracks.append(track)
    mid.save(tmp_path / "pedal.mid")
    out = tmp_path / "p.wav"
    args = ["play", str(ckpt_path), "--midi-file", str(tmp_path / "pedal.mid"), "-o", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and not out.exists(), result.output
    assert ("pedal.mid: the notes end at 5 s, longer than the 2 s a file is played into a WAV (the sustain "
            "pedal holds its notes past their note-offs)") in result.output
    assert "--max-seconds" not in result.output


def test_a_drum_part_alone_for_a_pitched_model_is_said_in_renders_words(ckpt_path: Path, tmp_path: Path):
    """A file whose notes are all on the drum channel, played with a pitched model: the line render and
    the web page give, before any playing (was "no note could be played (2 drum-channel note(s) left
    out)" into a WAV, and a silence played live)."""
    midi = write_midi(tmp_path / "beat.mid", [(36, 100, 0.0, 0.2), (38, 90, 0.3, 0.5)], channel=9)
    out = tmp_path / "b.wav"
    result = runner.invoke(app, ["play", str(ckpt_path), "--midi-file", str(midi), "-o", str(out)])
    assert result.exit_code == 1 and not out.exists(), result.output
    assert ("beat.mid: only drum-channel notes (channel 10), and this model is pitched: it leaves the drum "
            "channel out") in result.output
    with pytest.raises(UserError, match="only drum-channel notes"):  # live, to a device: refused alike
        play_file(load_checkpoint(ckpt_path), midi, PlayOptions(StreamConfig(block=64)), None, device="none")


def test_a_file_of_which_no_note_can_be_played_writes_nothing(ckpt_path: Path, tmp_path: Path):
    """Every note outside the model's range: refused as render refuses it, not a WAV of silence."""
    midi = write_midi(tmp_path / "high.mid", [(100, 100, 0.0, 0.2), (101, 90, 0.3, 0.5)])
    out = tmp_path / "h.wav"
    result = runner.invoke(app, ["play", str(ckpt_path), "--midi-file", str(midi), "-o", str(out)])
    assert result.exit_code == 1 and "high.mid: no note could be played" in result.output
    assert ("2 note(s) outside the model's trained range A2–F4 (45–65) left out: E7 (100) at 0.00 s, "
            "F7 (101) at 0.30 s") in result.output and not out.exists()


def test_notes_outside_the_range_are_named_once_in_renders_words(ckpt_path: Path, tmp_path: Path):
    """Five notes above the range among two within it: play said only "5 note(s) outside the model's
    trained range left out", naming neither the range nor the notes, which render names (refusing the
    file, or moving them with --clamp); now one summary line names the range and the first notes at their
    times in the file, as render's refusal does, and counts the rest."""
    notes = [(50, 100, 0.0, 0.2)] + [(100 + i, 90, 0.25 + 0.1 * i, 0.3 + 0.1 * i) for i in range(5)]
    midi = write_midi(tmp_path / "some.mid", notes + [(52, 100, 0.8, 1.0)])
    out = tmp_path / "s.wav"
    result = runner.invoke(app, ["play", str(ckpt_path), "--midi-file", str(midi), "-o", str(out)])
    assert result.exit_code == 0, result.output
    said = [line for line in result.output.splitlines() if "outside the model" in line]
    named = "E7 (100) at 0.25 s, F7 (101) at 0.35 s, F#7 (102) at 0.45 s"
    outside = "5 note(s) outside the model's trained range A2–F4 (45–65)"
    assert said == [f"note: {outside} left out: {named} and 2 more"]
    refused = runner.invoke(app, ["render", str(ckpt_path), str(midi), "-o", str(tmp_path / "r.wav")])
    assert refused.exit_code == 1 and f"{outside}: {named}, " in refused.output


def test_a_ctrl_c_while_playing_a_file_into_a_wav_keeps_what_was_played(
    ckpt_path: Path, tmp_path: Path, monkeypatch
):
    """As from a keyboard: the blocks played so far are written and a remark says so (everything
    was lost, exit 130 with nothing said)."""
    import samplernn.play.run as run

    midi = write_midi(tmp_path / "m.mid", [(50, 100, 0.0, 0.4), (52, 90, 0.5, 0.9)])
    real = run._WavSink.__call__
    calls = []

    def interrupted(self, block):
        calls.append(1)
        if len(calls) == 20:
            raise KeyboardInterrupt
        return real(self, block)

    monkeypatch.setattr(run._WavSink, "__call__", interrupted)
    out = tmp_path / "part.wav"
    report = play_file(load_checkpoint(ckpt_path), midi, PlayOptions(StreamConfig(block=64)), out)
    audio, _ = read_audio(out)
    assert len(audio) == 19 * 64  # the blocks before the Ctrl-C
    assert report.remarks[-1].startswith("stopped by Ctrl-C at") and report.notes == 1 and report.interrupted


class FakeMidiIn:
    """A MIDI input port whose `messages` have just arrived, for play_keyboard without a MIDI system."""

    def __init__(self, messages: list[mido.Message]) -> None:
        self.name, self.inbox = "fake keyboard", queue.SimpleQueue()
        for m in messages:
            self.inbox.put((time.perf_counter(), m))

    def close(self) -> None:
        pass


def test_a_live_session_stopped_before_any_note_writes_nothing(ckpt_path: Path, tmp_path: Path, monkeypatch):
    """`play -o take.wav` stopped by Ctrl-C at once wrote a WAV of no samples (44 bytes) and a summary of
    "played 0 notes … → take.wav"; a session of silence, or of notes all outside the range, a WAV of
    silence. Now nothing is written and one line says so, with the exit status of a normal stop (0);
    a session with a note is written as before."""
    import samplernn.play.run as run

    def ctrl_c(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(run, "MidiInput", lambda port: FakeMidiIn([]))
    monkeypatch.setattr(run, "play_live", ctrl_c)
    out = tmp_path / "take.wav"
    result = runner.invoke(app, ["play", str(ckpt_path), "-o", str(out)])
    assert result.exit_code == 0 and not out.exists(), result.output
    assert result.output.splitlines()[1:] == [f"nothing was played from fake keyboard: {out} not written"]
    monkeypatch.undo()
    ckpt, opts = load_checkpoint(ckpt_path), PlayOptions(StreamConfig(block=64))
    for note, blocks in ((None, 0), (None, 4), (100, 4), (50, 4)):  # 100: outside the range
        played = [] if note is None else [msg("note_on", note=note, velocity=90)]
        monkeypatch.setattr(run, "MidiInput", lambda port, played=played: FakeMidiIn(played))
        calls = iter(range(blocks + 1))
        report = run.play_keyboard(ckpt, opts, out=out, stop=lambda calls=calls, n=blocks: next(calls) == n)
        assert report.written == out.exists() == (note == 50)
        assert report.timing["blocks"] == blocks
        assert (note == 100) == any("E7 (100)" in line for line in report.remarks)
    assert len(read_audio(out)[0]) == 4 * 64 and report.notes == 1


def test_missing_portaudio_is_one_line(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_portaudio(name, *args, **kw):
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return real_import(name, *args, **kw)

    monkeypatch.setattr(builtins, "__import__", no_portaudio)
    with pytest.raises(UserError, match=r"libportaudio2.*-o out\.wav plays into a WAV file"):
        devices.sounddevice()


def test_list_and_bad_files(ckpt_path: Path, tmp_path: Path):
    result = runner.invoke(app, ["play", str(ckpt_path), "--list"])
    assert result.exit_code == 0 and "MIDI inputs" in result.output and "audio outputs" in result.output
    alone = runner.invoke(app, ["play", "--list"])  # no checkpoint needed to list the ports
    assert alone.exit_code == 0 and "MIDI inputs" in alone.output
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"MThd\x00\x00")
    with pytest.raises(UserError, match="unreadable"):
        midi_file_messages(bad)
    with pytest.raises(UserError, match="not found"):
        midi_file_messages(tmp_path / "none.mid")
    result = runner.invoke(
        app, ["play", str(ckpt_path), "--midi-file", str(bad), "-o", str(tmp_path / "o.wav")]
    )
    assert result.exit_code == 1 and "unreadable" in result.output
    # as render says it (play said "unreadable MIDI file ([Errno 2] No such file or directory: …)")
    for given, said in ((tmp_path / "none.mid", "none.mid: MIDI file not found"),
                        (tmp_path, f"{tmp_path}: a folder, not a MIDI file")):  # fmt: skip
        args = ["play", str(ckpt_path), "--midi-file", str(given), "-o", str(tmp_path / "o.wav")]
        result = runner.invoke(app, args)
        assert result.exit_code == 1 and said in result.output and "Errno" not in result.output


def test_bench_stream_reports_every_voice_count(ckpt_path: Path):
    import json

    args = ["bench", "stream", "--checkpoint", str(ckpt_path), "--voices", "1,2", "--seconds", "1",
            "--block", "64", "--json"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    r = json.loads(result.output)
    assert [row["voices"] for row in r["runs"]] == [1, 2]
    for row in r["runs"]:
        assert row["blocks"] > 0 and row["late_blocks"] >= 0 and row["realtime_factor"] > 0
        assert row["offline_realtime_factor"] > 0 and row["offline_voices_realtime_factor"] > 0
    bad = runner.invoke(app, ["bench", "stream", "--checkpoint", str(ckpt_path), "--voices", "x"])
    assert bad.exit_code == 2 and "--voices" in bad.output


def test_bench_stream_quality_compares_three_ways(ckpt_path: Path, tmp_path: Path):
    import json

    midi = write_midi(tmp_path / "m.mid", [(50, 100, 0.0, 0.3), (55, 90, 0.35, 0.7)])
    args = ["bench", "stream", "--checkpoint", str(ckpt_path), "--quality", str(midi), "--seeds", "1",
            "--block", "64", "--json"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    r = json.loads(result.output)
    assert set(r["ways"]) == {"offline", "voices", "live"} and r["countdown"] == "frozen"
    assert all(w["notes"] == 2 for w in r["ways"].values())
    assert r["ways"]["live"]["boundary_mean"] >= 0
    # the table written to a pipe or file (as here) was cut to 80 columns: '100.…', 'offl…'
    table = runner.invoke(app, args[:-1])
    assert table.exit_code == 0 and "…" not in table.output, table.output
    assert "offline" in table.output and "boundary |Δ| mean / max" in table.output


def test_file_messages_follow_an_smpte_clock(tmp_path: Path):
    # a file timed in SMPTE frames (25 fps × 40 ticks = 1 ms a tick): played from a file, its notes
    # come when render places them (mido's own playback read the division as ticks per beat and
    # gave negative times)
    mid = mido.MidiFile(type=0, ticks_per_beat=-(25 << 8) + 40)
    mid.tracks.append(mido.MidiTrack([
        mido.Message("note_on", note=48, velocity=90, time=500), mido.Message("note_off", note=48, time=1000),
        mido.Message("note_on", note=50, velocity=90, time=0), mido.Message("note_off", note=50, time=1000),
    ]))
    mid.save(tmp_path / "smpte.mid")
    times = [(round(m.time, 6), m.message.type) for m in midi_file_messages(tmp_path / "smpte.mid")]
    assert times == [(0.5, "note_on"), (1.5, "note_off"), (1.5, "note_on"), (2.5, "note_off")]
    zero = mido.MidiFile(type=0)
    zero.tracks.append(mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=0)] + list(mid.tracks[0])))
    zero.save(tmp_path / "t0.mid")
    with pytest.raises(UserError, match=r"t0\.mid: impossible tempo"):
        midi_file_messages(tmp_path / "t0.mid")
