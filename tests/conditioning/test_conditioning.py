"""conditioning/: events → arrays, envelope extent, MIDI reading, note names, bank statistics."""

from __future__ import annotations

import mido
import numpy as np
import pytest

from conditioning import (
    COND_COLUMNS,
    LEVEL_FLOOR_DB,
    LEVEL_FULL_SCALE,
    LEVEL_INDEX,
    BankStats,
    MidiError,
    NoteEvent,
    events_to_conditioning,
    find_extent,
    level_column,
    level_column_db,
    level_db,
    note_name,
    note_span,
    parse_note,
    read_midi_notes,
)


def test_conditioning_matches_hand_computed_values() -> None:
    cond = events_to_conditioning([NoteEvent(pitch=48, velocity=90, onset=2, release=4, end=6)], 8)
    expected = np.array(
        [
            [0, 0, 0, 0, 0],
            [0, 0, 0, 0, 0],
            [48, 90, 3, 0, 0],
            [48, 90, 2, 1, 0],
            [48, 90, 1, 2, 0],
            [48, 90, 0, 3, 0],
            [0, 0, 0, 0, 0],
            [0, 0, 0, 0, 0],
        ],
        dtype=np.int32,
    )
    assert cond.dtype == np.int32
    np.testing.assert_array_equal(cond, expected)


def test_level_column_is_tenths_of_a_db_above_the_floor() -> None:
    assert COND_COLUMNS[LEVEL_INDEX] == "level" and LEVEL_FULL_SCALE == 800
    db = np.array([-100.0, LEVEL_FLOOR_DB, -23.4, 0.0, 6.0])
    values = level_column(db)
    np.testing.assert_array_equal(values, [0, 0, 566, 800, 800])  # clipped to 0 … LEVEL_FULL_SCALE
    np.testing.assert_allclose(level_column_db(values[1:4]), db[1:4])


def test_later_note_wins_and_events_past_the_end_are_cut() -> None:
    a = NoteEvent(40, 50, 0, 4, 6)
    b = NoteEvent(45, 70, 3, 8, 12)
    cond = events_to_conditioning([b, a], 10)
    assert list(cond[:3, 0]) == [40, 40, 40]
    assert list(cond[3:, 0]) == [45] * 7
    assert cond[3, 2] == 12 - 1 - 3 and cond[3, 3] == 0
    assert cond[-1, 2] == 12 - 1 - 9


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(pitch=128, velocity=1, onset=0, release=1, end=2),
        dict(pitch=60, velocity=1, onset=3, release=3, end=3),
        dict(pitch=60, velocity=1, onset=0, release=5, end=4),
    ],
)
def test_invalid_events_are_rejected(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        NoteEvent(**kwargs)


def test_find_extent_of_a_tone_burst() -> None:
    sr = 16000
    x = np.zeros(sr, dtype=np.float32)
    t = np.arange(4000) / sr
    x[3000:7000] = np.sin(2 * np.pi * 440 * t)
    start, end = find_extent(x)
    # The Hilbert envelope leaks a little outside a hard-edged burst; the extent must cover it.
    assert 2600 < start <= 3000 and 7000 <= end < 7400
    assert find_extent(np.zeros(100)) is None


def test_note_names_round_trip() -> None:
    assert parse_note("C4") == 60 and parse_note("Bb2") == 46 and parse_note("F#3") == 54
    assert parse_note("48") == 48 and note_name(40) == "E2"
    for p in range(128):
        assert parse_note(note_name(p)) == p
    with pytest.raises(ValueError, match="not a note"):
        parse_note("H2")


def test_a_span_of_one_pitch_names_it_once() -> None:
    # render summarised two D3s as 'rendered 2 notes (D3–D3)'
    assert note_span(50, 50) == "D3" and note_span(50, 50, numbers=True) == "D3 (50)"
    assert note_span(48, 69) == "C3–A4" and note_span(48, 69, numbers=True) == "C3–A4 (48–69)"


def test_note_names_take_the_sharp_and_flat_signs_sample_names_use() -> None:
    # prepare reads 'Viola_C♯4_ff.wav'; `synth --note C♯3` was "not a note name"
    assert parse_note("C♯3") == parse_note("D♭3") == parse_note("C#3") == 49


def _write_midi(path, tracks: list[list[mido.Message | mido.MetaMessage]], tpb: int = 480) -> None:
    mid = mido.MidiFile(ticks_per_beat=tpb)
    for msgs in tracks:
        tr = mido.MidiTrack()
        tr.extend(msgs)
        mid.tracks.append(tr)
    mid.save(path)


def test_midi_tempo_changes_tracks_and_velocity_zero_note_off(tmp_path) -> None:
    path = tmp_path / "song.mid"
    tempo_track = [
        mido.MetaMessage("set_tempo", tempo=500_000, time=0),  # 120 bpm: 1 beat = 0.5 s
        mido.MetaMessage("set_tempo", tempo=1_000_000, time=960),  # from 1.0 s on: 1 beat = 1 s
    ]
    notes = [
        mido.Message("note_on", note=48, velocity=100, time=0),
        mido.Message("note_on", note=48, velocity=0, time=480),  # velocity-0 note-off at 0.5 s
        mido.Message("note_on", note=52, velocity=80, time=480, channel=1),  # 1.0 s
        mido.Message("note_off", note=52, velocity=0, time=480, channel=1),  # 2.0 s (slow tempo)
    ]
    _write_midi(path, [tempo_track, notes])
    got = read_midi_notes(path)
    assert [(n.pitch, n.velocity, n.channel, n.track) for n in got] == [(48, 100, 0, 1), (52, 80, 1, 1)]
    assert got[0].start == pytest.approx(0.0) and got[0].stop == pytest.approx(0.5)
    assert got[1].start == pytest.approx(1.0) and got[1].stop == pytest.approx(2.0)


def test_unreadable_midi_names_the_file(tmp_path) -> None:
    bad = tmp_path / "broken.mid"
    bad.write_bytes(b"not a midi file at all")
    with pytest.raises(MidiError, match="broken.mid"):
        read_midi_notes(bad)


def test_bank_stats_nearest_entry_and_round_trip() -> None:
    stats = BankStats.from_notes(16000, [(40, 80, 4000), (40, 80, 5000), (50, 120, 3000)])
    assert stats.release_tail(40, 80) == 4500
    assert stats.release_tail(49, 10) == 3000
    assert stats.pitch_range == (40, 50)
    assert BankStats.from_dict(stats.to_dict()) == stats
    assert BankStats(16000).release_tail(60, 100) == 4000


def test_level_db_of_a_sine_and_of_silence() -> None:
    sr, hop = 16000, 160
    t = np.arange(sr) / sr
    x = 0.5 * np.sin(2 * np.pi * 200 * t)
    db = level_db(np.concatenate([x, np.zeros(sr)]), hop)
    assert db.shape == (2 * sr // hop,)
    np.testing.assert_allclose(db[5:95], 20 * np.log10(0.5 / np.sqrt(2)), atol=0.05)
    assert (db[105:] == LEVEL_FLOOR_DB).all()


def _flat_levels(pitch: int, velocity: int, held_db: float, frames: int, drop_per_frame: float) -> tuple:
    held = np.full(frames, held_db, np.float32)
    return pitch, velocity, held, held_db - drop_per_frame * np.arange(20, dtype=np.float32)


def test_level_curve_follows_sustain_then_release_and_interpolates_velocity() -> None:
    hop = 160
    levels = [_flat_levels(50, 40, -40.0, 50, 2.0), _flat_levels(50, 120, -20.0, 50, 2.0)]
    stats = BankStats.from_notes(16000, [(50, 40, 3000), (50, 120, 3000)], levels)
    assert stats.hop == hop
    # At the bank's velocities: the held level, then 2 dB per frame down from it after release.
    c = stats.level_curve(50, 120, length=10 * hop, release_at=4 * hop)
    np.testing.assert_allclose(c[: 4 * hop], -20.0)
    np.testing.assert_allclose(c[4 * hop + np.array([0, hop, 3 * hop])], [-20.0, -22.0, -26.0])
    # Held past the bank's longest note: the last sustain level.
    held = stats.level_curve(50, 40, length=200 * hop, release_at=199 * hop)
    assert held[150 * hop] == pytest.approx(-40.0)
    # Between velocities: interpolated in dB; another pitch: the nearest.
    assert stats.level_curve(50, 80, 100, 50)[0] == pytest.approx(-30.0)
    assert stats.level_curve(70, 40, 100, 50)[0] == pytest.approx(-40.0)
    # Above the loudest: its level. Below the softest: its level with the amplitude in proportion
    # to velocity (20 log10 of the ratio).
    assert stats.level_curve(50, 127, 100, 50)[0] == pytest.approx(-20.0)
    assert stats.level_curve(50, 20, 100, 50)[0] == pytest.approx(-40.0 - 6.0206, abs=1e-3)
    assert stats.level_curve(50, 0, 100, 50)[0] == pytest.approx(-40.0 - 20 * np.log10(40))
    assert stats.level_curve(50, 10, 100, 50)[0] < stats.level_curve(50, 20, 100, 50)[0]
    assert BankStats.from_dict(stats.to_dict()) == stats


def test_conditioning_level_column_from_bank_stats() -> None:
    stats = BankStats.from_notes(16000, [(50, 100, 3000)], [_flat_levels(50, 100, -25.0, 50, 1.0)])
    cond = events_to_conditioning([NoteEvent(50, 100, 100, 900, 1500)], 2000, stats)
    assert (cond[:100, 4] == 0).all() and (cond[1500:, 4] == 0).all()
    assert (cond[100:900, 4] == round((-25.0 - LEVEL_FLOOR_DB) * 10)).all()
    assert cond[900 + 320, 4] == round((-27.0 - LEVEL_FLOOR_DB) * 10)
    np.testing.assert_array_equal(level_column(np.array([-100.0, -80.0, -6.05, 3.0])), [0, 0, 740, 800])


def test_level_curve_without_envelopes_says_to_prepare_again() -> None:
    with pytest.raises(ValueError, match="prepare"):
        BankStats(16000).level_curve(60, 100, 100, 50)
