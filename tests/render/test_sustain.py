"""The sustain pedal in `render`: note-offs under the pedal move to its release (or a re-strike)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import mido
import pytest
from support.tiny import tiny_checkpoint

from conditioning import BankStats, MidiNote
from samplernn.generate.options import GenerationOptions
from samplernn.model.checkpoint import load_checkpoint
from samplernn.render.midi import RenderOptions, render_midi
from samplernn.render.sustain import apply_restrikes, apply_sustain

pytestmark = pytest.mark.usefixtures("one_thread")


def n(pitch: int, start: float, stop: float, channel: int = 0) -> MidiNote:
    return MidiNote(pitch, 100, start, stop, channel, 0)


def test_a_note_off_under_the_pedal_waits_for_its_release_or_a_restrike():
    notes = [n(60, 0.0, 0.5), n(64, 0.0, 0.2), n(60, 0.8, 1.5), n(67, 1.2, 1.3), n(62, 0.1, 0.5, 9),
             n(65, 0.0, 0.5, channel=1)]
    out, moved = apply_sustain(notes, {0: [(0.3, 1.0), (1.25, 2.0)], 9: [(0.0, 2.0)]})
    stops = [m.stop for m in out]
    # 60 is struck again at 0.8, before the pedal comes up at 1.0; 64 was released before the
    # pedal went down; the second 60 and 67 wait for the second span's release at 2.0; the drum
    # note and the other channel's note are left as they are
    assert stops == [0.8, 0.2, 2.0, 2.0, 0.5, 0.5] and moved == 3
    out, moved = apply_sustain(notes, {0: [(0.3, 1.0)]})
    assert [m.stop for m in out][:4] == [0.8, 0.2, 1.5, 1.3] and moved == 1  # released between spans
    assert [m.start for m in out] == [m.start for m in notes]
    assert apply_sustain(notes, {}) == (notes, 0)


def test_a_key_released_as_the_pedal_goes_down_is_not_held():
    # legato pedalling: the old note's note-off and the pedal-down on one tick; play hears the
    # note-off first and lets the note go, and render held it to the pedal's release
    legato = [n(48, 0.0, 0.5), n(52, 0.5, 1.0)]
    out, moved = apply_sustain(legato, {0: [(0.5, 2.0)]})
    assert [m.stop for m in out] == [0.5, 2.0] and moved == 1


def test_a_long_pedalled_performance_is_held_note_by_note():
    """10,000 notes, each under a pedal span of its own (a long piano performance, or an upload to
    `serve` made to look like one): every note's span and re-strike are looked up by bisection, not
    by a scan of all spans, which took 10 s here (and a 600-KiB upload a minute of the server's time).
    Its speed is not timed here (timed tests are flaky on a loaded machine): each note must find its
    own span among 10,000 and end at that span's release."""
    notes = [n(60, i, i + 0.5) for i in range(10_000)]
    spans = [(i + 0.25, i + 0.75) for i in range(10_000)]
    out, moved = apply_sustain(notes, {0: spans})
    assert moved == 10_000 and [m.stop for m in out] == [up for _, up in spans]


def test_render_holds_the_notes_the_pedal_holds(tmp_path: Path):
    sr = 4000
    stats = BankStats(sr, {(p, 100): 40 for p in range(55, 66)})
    ckpt = load_checkpoint(tiny_checkpoint(tmp_path / "t.pt", sample_rate=sr, stats=stats))
    on = lambda p, t: mido.Message("note_on", note=p, velocity=100, time=t)  # noqa: E731
    off = lambda p, t: mido.Message("note_off", note=p, velocity=0, time=t)  # noqa: E731
    pedal = lambda v, t: mido.Message("control_change", control=64, value=v, time=t)  # noqa: E731
    mid = mido.MidiFile(type=0, ticks_per_beat=480)  # 0.5 s a beat
    mid.tracks.append(mido.MidiTrack([pedal(127, 0), on(60, 0), off(60, 48), pedal(0, 912)]))
    mid.save(tmp_path / "p.mid")
    opts = RenderOptions(lead=0.01, tail=0.01, onset_candidates=1, generation=GenerationOptions(seed=0))
    held = render_midi(ckpt, tmp_path / "p.mid", tmp_path / "held.wav", opts)
    assert held.pedal_held == 1 and not held.ignored  # the pedal is played, not ignored
    assert held.seconds == pytest.approx(1.0 + 0.01 + 40 / sr + 0.01, abs=0.02)  # to the pedal's release


def test_render_counts_only_the_held_notes_it_plays(tmp_path: Path):
    """Two channels, each with a note the pedal holds: `render --channel 1` plays one of them and
    says one note was held (it said two, counting the note it left out)."""
    sr = 4000
    stats = BankStats(sr, {(p, 100): 40 for p in range(55, 66)})
    ckpt = load_checkpoint(tiny_checkpoint(tmp_path / "t.pt", sample_rate=sr, stats=stats))
    msg = lambda kind, ch, t, **kw: mido.Message(kind, channel=ch, time=t, **kw)  # noqa: E731
    pedal, on, off = (partial(msg, "control_change", control=64), partial(msg, "note_on", velocity=100),
                      partial(msg, "note_off", velocity=0))  # fmt: skip
    mid = mido.MidiFile(type=0, ticks_per_beat=480)  # 0.5 s a beat: a note each, released at 0.05 s
    mid.tracks.append(mido.MidiTrack([pedal(0, 0, value=127), pedal(1, 0, value=127), on(0, 0, note=60),
                                      on(1, 0, note=62), off(0, 48, note=60), off(1, 0, note=62),
                                      pedal(0, 192, value=0), pedal(1, 0, value=0)]))  # fmt: skip
    mid.save(tmp_path / "two.mid")
    opts = RenderOptions(channels={1}, lead=0.01, tail=0.01, onset_candidates=1,
                         generation=GenerationOptions(seed=0))
    report = render_midi(ckpt, tmp_path / "two.mid", tmp_path / "one.wav", opts)
    assert report.n_notes == 1 and report.pedal_held == 1
    assert report.ignored == ["1 note(s) on other channels"]


def test_all_notes_off_ends_the_notes_still_sounding(tmp_path: Path):
    """A sequencer's stop: C4 with no note-off and D4 released under the pedal, both ended by an
    all-notes-off (CC123) at 0.5 s, as `play` ends them, though the pedal stays down and the track
    runs on to 5 s. Render played both to 5 s, warned that C4 had no note-off and listed the
    all-notes-off as ignored."""
    sr = 4000
    stats = BankStats(sr, {(p, 100): 40 for p in range(55, 66)})
    ckpt = load_checkpoint(tiny_checkpoint(tmp_path / "t.pt", sample_rate=sr, stats=stats))
    cc = lambda control, value, t: mido.Message("control_change", control=control, value=value, time=t)  # noqa: E731
    mid = mido.MidiFile(type=0, ticks_per_beat=480)  # 0.5 s a beat
    mid.tracks.append(mido.MidiTrack([cc(64, 127, 0), mido.Message("note_on", note=60, velocity=100, time=0),
                                      mido.Message("note_on", note=62, velocity=100, time=0),
                                      mido.Message("note_off", note=62, velocity=0, time=96), cc(123, 0, 384),
                                      mido.MetaMessage("end_of_track", time=4320)]))  # fmt: skip
    mid.save(tmp_path / "stop.mid")
    opts = RenderOptions(lead=0.01, tail=0.01, onset_candidates=1, generation=GenerationOptions(seed=0))
    report = render_midi(ckpt, tmp_path / "stop.mid", tmp_path / "stop.wav", opts)
    assert report.n_notes == 2 and report.hanging == [] and report.ignored == []
    assert report.pedal_held == 1  # D4, held from 0.1 s to the all-notes-off
    assert report.seconds == pytest.approx(0.5 + 40 / sr + 0.01, abs=0.02)


def test_render_parses_the_midi_file_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    sr = 4000
    stats = BankStats(sr, {(p, 100): 40 for p in range(55, 66)})
    ckpt = load_checkpoint(tiny_checkpoint(tmp_path / "t.pt", sample_rate=sr, stats=stats))
    mid = mido.MidiFile(type=0, ticks_per_beat=480)
    mid.tracks.append(mido.MidiTrack([mido.Message("note_on", note=60, velocity=100, time=0),
                                      mido.Message("control_change", control=7, value=90, time=0),
                                      mido.Message("note_off", note=60, velocity=0, time=96)]))
    mid.save(tmp_path / "m.mid")
    parses: list[object] = []
    real_init = mido.MidiFile.__init__

    def counting_init(self, *args, **kwargs):  # a file name, or the bytes open_midi read (file=)
        if args or kwargs.get("filename") or kwargs.get("file"):
            parses.append(args[0] if args else kwargs.get("filename") or kwargs["file"])
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(mido.MidiFile, "__init__", counting_init)
    opts = RenderOptions(lead=0.01, tail=0.01, onset_candidates=1, generation=GenerationOptions(seed=0))
    report = render_midi(ckpt, tmp_path / "m.mid", tmp_path / "m.wav", opts)
    assert len(parses) == 1  # notes, the pedal and the events that are not notes: one parse
    assert report.n_notes == 1 and any("control_change" in i for i in report.ignored)


def test_a_key_struck_again_ends_its_note_as_play_releases_it():
    """Notes of one pitch that overlap in the file (a legato export, a doubled part) were rendered on
    top of each other, where `play` releases the first at the second's note-on."""
    notes = [n(60, 0.0, 1.0), n(60, 0.6, 1.4), n(60, 2.0, 2.5), n(60, 2.0, 2.4), n(62, 0.1, 1.0),
             n(60, 0.2, 0.9, channel=1), n(38, 0.0, 0.8, channel=9), n(38, 0.3, 0.6, channel=9)]
    out = apply_restrikes(notes)
    # the first C4 ends at the re-strike; notes struck together, other pitches, another channel's
    # note and the drum channel's hits (which ring over each other) are left as they are
    assert [m.stop for m in out] == [0.6, 1.4, 2.5, 2.4, 1.0, 0.9, 0.8, 0.6]
    assert [m.start for m in out] == [m.start for m in notes]
