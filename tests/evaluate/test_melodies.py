"""Melodies in `evaluate`: fitting into the range, the shipped set, and scoring with fake generators
whose answers are known (right, an octave up, late, louder)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from conditioning import read_midi_notes
from samplernn.common.errors import UserError
from samplernn.common.paths import DEMO_MELODY
from samplernn.evaluate.melodies import find_melodies, load_melody
from samplernn.evaluate.options import HELDOUT_MELODIES, SHIPPED_MELODIES, EvaluateOptions
from samplernn.evaluate.run import evaluate_model
from samplernn.evaluate.scoring import score_stream, summarize_scored
from samplernn.render.range_fit import fit_to_range

SR = 16000
LEAD, TAIL = 4000, 8000


def _run(dataset, stats, melody, generate):
    """evaluate_model on one test note and the melody (no sweep, no missing semitones)."""
    return evaluate_model(None, dataset, "test", max_notes=1, generate=generate, stats=stats,
                          melodies=[melody], missing_pitches=False, sweep_velocities=False).report


def test_fit_to_range() -> None:
    # The middle of the melody's span lands on the middle of the range.
    assert fit_to_range([60, 67], 48, 55) == (-12, [48, 55], 0)
    assert fit_to_range(list(range(48, 73)), 40, 65) == (-7, list(range(41, 66)), 0)
    # Wider than the range: notes still outside move by octaves into it (pitch class kept).
    assert fit_to_range([36, 60, 70], 48, 63) == (3, [51, 63, 61], 2)
    # A range narrower than an octave clamps.
    assert fit_to_range([40, 60, 70], 48, 55) == (-3, [48, 55, 55], 3)


def test_find_melodies(tmp_path: Path) -> None:
    for name in ("b.mid", "a.MIDI", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in find_melodies(tmp_path)] == ["a.MIDI", "b.mid"]
    assert find_melodies(tmp_path / "b.mid") == [tmp_path / "b.mid"]
    with pytest.raises(UserError, match="no such melody"):
        find_melodies(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="no MIDI files"):
        find_melodies(tmp_path / "empty")


def test_load_melody_errors(tmp_path: Path, bank_stats) -> None:
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"not midi")
    with pytest.raises(UserError, match="bad.mid"):
        load_melody(bad, (48, 55), bank_stats, SR, LEAD, TAIL)
    import mido  # a drum track only (channel 10): said so, not just "no notes to play"

    drums = mido.MidiFile()
    drums.tracks.append(mido.MidiTrack([mido.Message("note_on", note=36, velocity=100, channel=9),
                                        mido.Message("note_off", note=36, channel=9, time=240)]))
    drums.save(tmp_path / "drums.mid")
    with pytest.raises(UserError, match=r"drums\.mid: only drum-channel notes \(channel 10\)"):
        load_melody(tmp_path / "drums.mid", (48, 55), bank_stats, SR, LEAD, TAIL)


def test_shipped_melody_set() -> None:
    """Short notes down to 0.15 s, legato, repeated notes, velocities between 40 / 80 / 120, wide
    lines; 4–6 melodies of a few seconds; the demo melody stays where it was."""
    files = find_melodies(EvaluateOptions(shipped_melodies=True).melody_source)
    assert EvaluateOptions(shipped_melodies=True).melody_source == SHIPPED_MELODIES
    assert 4 <= len(files) <= 6 and DEMO_MELODY.is_file()
    melodies = [read_midi_notes(f) for f in files]
    notes = [n for m in melodies for n in m]
    assert min(n.stop - n.start for n in notes) == pytest.approx(0.15, abs=0.002)
    assert all(2.5 <= max(n.stop for n in m) <= 6.0 for m in melodies)
    assert any(b.start < a.stop for m in melodies for a, b in zip(m, m[1:], strict=False))  # legato
    assert any(a.pitch == b.pitch for m in melodies for a, b in zip(m, m[1:], strict=False))  # repeated
    assert {n.velocity for n in notes} & {50, 60, 70, 90, 100, 110}  # between the usual layers
    assert max(max(n.pitch for n in m) - min(n.pitch for n in m) for m in melodies) >= 24
    # Monophonic: no note starts before the one before it ends, save the 20 ms legato overlap.
    assert all(a.stop - b.start <= 0.021 for m in melodies for a, b in zip(m, m[1:], strict=False))


def test_make_melodies_writes_the_shipped_files(tmp_path: Path) -> None:
    script = Path(__file__).resolve().parents[2] / "scripts" / "make_melodies.py"
    spec = importlib.util.spec_from_file_location("make_melodies", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for make, folder in module.SETS.values():
        shipped = sorted(p.name for p in folder.glob("*.mid"))
        assert shipped == sorted(f"{name}.mid" for name in make())
        for name, notes in make().items():
            module.build(name, notes).save(tmp_path / f"{name}.mid")
            written = (tmp_path / f"{name}.mid").read_bytes()
            assert written == (folder / f"{name}.mid").read_bytes(), name


def test_heldout_melody_set_is_other_music() -> None:
    """The held-out set is selected by its own option, shares no line with the shipped set, and
    still holds short, legato and in-between-velocity notes."""
    options = EvaluateOptions(heldout_melodies=True)
    assert options.melody_source == HELDOUT_MELODIES
    with pytest.raises(ValueError, match="give one of"):
        EvaluateOptions(heldout_melodies=True, shipped_melodies=True)
    heldout = {f.stem: read_midi_notes(f) for f in find_melodies(options.melody_source)}
    lines = {stem: [(n.pitch, round(n.stop - n.start, 3)) for n in m] for stem, m in heldout.items()}
    shipped = [[(n.pitch, round(n.stop - n.start, 3)) for n in read_midi_notes(f)]
               for f in find_melodies(SHIPPED_MELODIES)]
    assert len(lines) == 6 and not any(line in shipped for line in lines.values())
    notes = [n for m in heldout.values() for n in m]
    assert min(n.stop - n.start for n in notes) == pytest.approx(0.15, abs=0.002)
    assert {n.velocity for n in notes} & {56, 64, 72, 84, 88, 90}
    assert lines["h1_ode"][:4] == [(64, 0.35), (64, 0.35), (65, 0.35), (67, 0.35)]


def test_oracle_melody_is_in_tune_on_time(long_dataset, bank_stats, melody, fakes) -> None:
    r = _run(long_dataset, bank_stats, melody, fakes.oracle(wave="sawtooth"))
    mel = r["melodies"]
    (one,) = mel["per_melody"]
    assert one["name"] == "line" and one["transpose"] == -12 and one["moved"] == 0
    assert [n["pitch"] for n in one["notes"]] == [48, 50, 52, 55, 53, 53]
    assert [n["written_pitch"] for n in one["notes"]] == [60, 62, 64, 67, 65, 65]
    assert one["notes"][0]["seconds"] == pytest.approx(0.15)
    o = mel["overall"]
    assert o["n_notes"] == 6 and o["pitch"]["accuracy"] == 1.0 and o["pitch"]["kinds"]["ok"] == 6
    assert o["pitch"]["octave_errors_long"] == 0 and o["pitch"]["misses_cents"] == []
    assert o["length"]["median_abs_ms"] < 6 and o["length"]["p90_abs_ms"] < 6
    assert o["settle"]["median_ms"] <= 24 and o["settle"]["n_unsettled"] == 0
    groups = mel["groups"]
    assert groups["pitch not in the bank"]["n_notes"] == 4  # 50, 52, 53, 53
    assert groups["velocity not in the bank"]["n_notes"] == 1  # 48 at velocity 100
    assert groups["short (< 0.3 s)"]["n_notes"] + groups["long (>= 0.3 s)"]["n_notes"] == 6
    assert set(r["test_split_scored"]) == {"real", "generated"}
    bars = {b["name"]: b["passed"] for b in r["bars"]}
    assert bars["melody pitch"] is True and bars["melody octave errors"] is True
    assert bars["missing-pitch accuracy"] is None and bars["in-between velocities"] is None  # not measured
    assert o["bursts"]["n_notes"] == 0 and o["bursts"]["max_over_db"] < 6


def test_split_scored_settle_agrees_with_the_split(long_dataset, bank_stats, melody, fakes) -> None:
    """The split in the melodies' terms gives the same settling as the split's own table (it had
    left the notes' settle_ms out, so every note read as never settling)."""
    r = _run(long_dataset, bank_stats, melody, fakes.oracle(wave="sawtooth"))
    for source in ("real", "generated"):
        assert r["test_split_scored"][source]["settle"] == r[source]["settle"]
    assert r["generated"]["settle"]["n_unsettled"] == 0


def test_octave_up_oracle_counts_octave_errors(long_dataset, bank_stats, melody, fakes) -> None:
    r = _run(long_dataset, bank_stats, melody, fakes.oracle(detune=12))
    p = r["melodies"]["overall"]["pitch"]
    assert p["accuracy"] == 0.0 and p["kinds"]["octave"] == 6 and p["kinds"]["other"] == 0
    assert p["octave_errors_long"] == 6  # every note is held 0.15 s or more
    assert r["melodies"]["overall"]["settle"]["n_unsettled"] == 6
    assert all(c == pytest.approx(1200, abs=10) for c in p["misses_cents"])
    bars = {b["name"]: b["passed"] for b in r["bars"]}
    assert bars["melody pitch"] is False and bars["melody octave errors"] is False


def test_late_notes_give_that_length_error(long_dataset, bank_stats, melody, fakes) -> None:
    r = _run(long_dataset, bank_stats, melody, fakes.late(delay=1600))  # 100 ms
    length = r["melodies"]["overall"]["length"]
    assert length["median_ms"] == pytest.approx(100, abs=3)
    assert length["median_abs_ms"] == pytest.approx(100, abs=3)
    assert r["melodies"]["overall"]["pitch"]["accuracy"] == 1.0


def test_level_error_follows_the_gain(bank_stats, melody, fakes) -> None:
    mel = load_melody(melody, (48, 55), bank_stats, SR, LEAD, TAIL)
    conds = [s.cond for s in mel.specs]
    errors = {}
    for gain in (1.0, 2.0):
        audio = fakes.oracle(wave="sawtooth", gain=gain)(conds)
        errors[gain] = np.array([score_stream(s, x, SR, bank_stats)["level_error_db"]
                                 for s, x in zip(mel.specs, audio, strict=True)])
    assert errors[2.0] - errors[1.0] == pytest.approx(np.full(6, 20 * np.log10(2)), abs=0.01)


def test_a_burst_in_a_melody_note_is_counted(bank_stats, melody, fakes) -> None:
    """A 20-ms square burst near full scale in one rendered note's middle puts its loudest 10 ms far
    over the bank's level for the note; the other notes stay under the threshold."""
    mel = load_melody(melody, (48, 55), bank_stats, SR, LEAD, TAIL)
    rendered = fakes.oracle(wave="sawtooth")([s.cond for s in mel.specs])
    audio = [np.array(x, dtype=np.float64) for x in rendered]
    spec = mel.specs[3]
    mid = (spec.event.onset + spec.event.release) // 2 - spec.start
    audio[3][mid : mid + 320] += 0.9 * np.sign(np.sin(np.arange(320) * 2 * np.pi / 40))
    scored = [score_stream(s, x, SR, bank_stats) for s, x in zip(mel.specs, audio, strict=True)]
    over = [m["over_level_db"] for m in scored]
    assert over[3] > 10 and max(over[:3] + over[4:]) < 6
    assert summarize_scored(scored)["bursts"]["n_notes"] == 1


def test_report_written_to_a_file_truncates_no_figure(long_dataset, bank_stats, melody, fakes) -> None:
    """Printed to a file or pipe (80 columns), the wide melody table kept its columns narrow and cut
    its figures ("10…" for 100 %, "-1…" for a level): a report redirected to a file now holds every
    figure whole."""
    from io import StringIO

    from rich.console import Console

    from samplernn.evaluate.view import render_tables

    r = _run(long_dataset, bank_stats, melody, fakes.oracle(wave="sawtooth"))
    out = StringIO()
    render_tables(r, Console(file=out, width=80))
    text = out.getvalue()
    assert "…" not in text.replace("|…|", "")  # the melody title's "median |…|" is no cut
    assert "all melodies" in text and "100%" in text
