"""Real-world files: each fault a musician's bank can hold gets the right value or a one-line error
naming the file, and the rest of the bank still prepares.

SMPTE MIDI timing, impossible MIDI headers, whatever the MIDI parser rejects (also through
`render`), non-finite samples, DC offsets, note-offs after the recording, quiet notes over hiss.
"""

from __future__ import annotations

import re
from pathlib import Path

import mido
import numpy as np
import pytest
import soundfile as sf
from support.audio import tone, write_audio, write_midi
from typer.testing import CliRunner

from samplernn.cli import app
from samplernn.common.errors import UserError
from samplernn.data.dataset import load_dataset
from samplernn.prepare import PrepareSettings, prepare_bank

SR = 44100
HISS_DB = -75.0


def write_division_midi(path: Path, division: int, notes: list[tuple[int, int, int, int]]) -> Path:
    """One-track MIDI with `division` as is in its header; notes (pitch, velocity, on, off) in ticks."""
    events = sorted([(on, 1, mido.Message("note_on", note=p, velocity=v)) for p, v, on, _ in notes]
                    + [(off, 0, mido.Message("note_off", note=p, velocity=0)) for p, _, _, off in notes],
                    key=lambda e: (e[0], e[1]))
    track, now = mido.MidiTrack(), 0
    for tick, _, msg in events:
        track.append(msg.copy(time=tick - now))
        now = tick
    mid = mido.MidiFile(type=0, ticks_per_beat=division)
    mid.tracks.append(track)
    path.parent.mkdir(parents=True, exist_ok=True)
    mid.save(path)
    return path


def key_signature_midi(path: Path, notes: list[tuple[int, int, float, float]]) -> Path:
    """A MIDI file of `notes` whose track starts with a key signature of 9 flats (the parser refuses it)."""
    raw = write_midi(path, notes).read_bytes()
    body = bytes([0x00, 0xFF, 0x59, 0x02, 0xF7, 0x00]) + raw[22:]
    path.write_bytes(raw[:14] + b"MTrk" + len(body).to_bytes(4, "big") + body)
    return path


def cut_short_midi(path: Path, notes: list[tuple[int, int, float, float]]) -> Path:
    raw = write_midi(path, notes).read_bytes()
    path.write_bytes(raw[:-6])
    return path


def hiss(seconds: float, seed: int, db: float = HISS_DB) -> np.ndarray:
    noise = np.random.default_rng(seed).standard_normal(round(seconds * SR)) * 10 ** (db / 20)
    return noise.astype(np.float32)


def notes_by_id(out: Path) -> dict:
    return {n.id: n for n in load_dataset(out).notes}


def one_line(message: str, *fragments: str) -> bool:
    return "\n" not in message and all(f in message for f in fragments)


# -- MIDI ------------------------------------------------------------------------------------------

def test_smpte_midi_times_are_seconds(tmp_path, note_pair):
    src = tmp_path / "src"
    note_pair(src, "good", pitch=62)
    write_audio(src / "smpte.wav", tone(SR, 60, 0.5, 0.8), SR)
    # 25 frames per second, 40 ticks per frame: 1000 ticks per second
    write_division_midi(src / "smpte.mid", -(25 << 8) + 40, [(60, 100, 500, 800)])
    result = prepare_bank(src, tmp_path / "out")
    assert not result.failures
    note = notes_by_id(tmp_path / "out")["smpte"]
    assert note.release - note.onset == pytest.approx(0.3 * 16000, abs=1)
    assert abs(result.onset_lag_ms["max"]) < 10


@pytest.mark.parametrize(("division", "reason"), [(0, "time division of 0 ticks per beat"),
                                                    (-(23 << 8) + 40, "23 frames per second")])
def test_impossible_midi_header_is_one_line_and_the_rest_prepares(tmp_path, note_pair, division, reason):
    src = tmp_path / "src"
    note_pair(src, "good", pitch=62)
    write_audio(src / "bad.wav", tone(SR, 60, 0.05, 0.3), SR)
    write_division_midi(src / "bad.mid", division, [(60, 100, 50, 300)])
    result = prepare_bank(src, tmp_path / "out")
    assert list(notes_by_id(tmp_path / "out")) == ["good"]
    (failure,) = result.failures
    assert one_line(failure.message, "bad.mid", "impossible MIDI header", reason)


PARSER_FAULTS = {"key signature": (key_signature_midi, "9 flats"), "cut short": (cut_short_midi, "cut short")}


@pytest.mark.parametrize("fault", PARSER_FAULTS)
@pytest.mark.parametrize("layout", ["pairs", "session", "folder-midi"])
def test_a_midi_file_the_parser_rejects_fails_alone(tmp_path, fault, layout):
    """Pairs, a session recording, a folder of takes: the file is named with the parser's reason."""
    write_bad, reason = PARSER_FAULTS[fault]
    src = tmp_path / "src"
    if layout == "folder-midi":
        for folder, pitch, writer in (("good", 62, write_midi), ("bad", 60, write_bad)):
            writer(src / folder / f"{folder}.mid", [(pitch, 100, 0.05, 0.35)])
            for k in (1, 2):
                write_audio(src / folder / f"take{k}.wav", tone(SR, pitch, 0.05, 0.35), SR)
        expected = ["good-take1", "good-take2"]
    else:
        per_file = 1 if layout == "pairs" else 2
        for stem, pitch, writer in (("good", 62, write_midi), ("bad", 60, write_bad)):
            notes = [(pitch, 100, 0.1 + 0.6 * k, 0.4 + 0.6 * k) for k in range(per_file)]
            write_audio(src / f"{stem}.wav", sum(tone(SR, p, a, b, total=1.4) for p, _, a, b in notes), SR)
            writer(src / f"{stem}.mid", notes)
        expected = ["good"] if layout == "pairs" else ["good-001", "good-002"]
    result = prepare_bank(src, tmp_path / "out", PrepareSettings(layout=layout))
    assert sorted(notes_by_id(tmp_path / "out")) == expected
    assert len(result.failures) == 1 + (layout == "folder-midi") * 0
    message = result.failures[0].message
    assert one_line(message, "bad.mid: unreadable MIDI file (", reason) and "()" not in message


def test_cli_skip_bad_with_a_midi_file_the_parser_rejects(tmp_path, note_pair):
    src = tmp_path / "src"
    note_pair(src, "good1", pitch=60)
    note_pair(src, "good2", pitch=62)
    write_audio(src / "bad.wav", tone(SR, 64, 0.05, 0.35), SR)
    key_signature_midi(src / "bad.mid", [(64, 100, 0.05, 0.35)])
    runner = CliRunner()
    result = runner.invoke(app, ["prepare", str(src), str(tmp_path / "out")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "bad.mid: unreadable MIDI file (Could not decode key with 9 flats" in result.output
    assert "prepared 2 notes" in result.output and "--skip-bad" in result.output
    result = runner.invoke(app, ["prepare", str(src), str(tmp_path / "out"), "--skip-bad"])
    assert result.exit_code == 0 and "failed        1" in result.output
    assert sorted(notes_by_id(tmp_path / "out")) == ["good1", "good2"]


def test_render_reads_midi_like_prepare(tmp_path):
    """`render` uses the same reader: SMPTE times in seconds, a rejected file as one line."""
    from support.tiny import tiny_checkpoint

    from conditioning import BankStats
    from samplernn.model.checkpoint import load_checkpoint
    from samplernn.render.midi import RenderOptions, render_midi

    stats = BankStats.from_notes(16000, [(60, 100, 160)])
    ckpt = load_checkpoint(tiny_checkpoint(tmp_path / "tiny.pt", stats=stats))
    opts = RenderOptions(lead=0.01, tail=0.01)
    midi = write_division_midi(tmp_path / "smpte.mid", -(25 << 8) + 40, [(60, 100, 50, 100)])  # 0.05–0.1 s
    report = render_midi(ckpt, midi, tmp_path / "smpte.wav", opts)
    assert sf.info(tmp_path / "smpte.wav").frames == round(0.1 * 16000) + 160 + round(0.01 * 16000)
    assert report.n_notes == 1
    bad = key_signature_midi(tmp_path / "bad.mid", [(60, 100, 0.0, 0.1)])
    with pytest.raises(UserError) as err:
        render_midi(ckpt, bad, tmp_path / "bad.wav", opts)
    assert one_line(str(err.value), "bad.mid: unreadable MIDI file (Could not decode key with 9 flats")
    zero = write_division_midi(tmp_path / "zero.mid", 0, [(60, 100, 0, 10)])
    with pytest.raises(UserError, match="zero.mid: impossible MIDI header"):
        render_midi(ckpt, zero, tmp_path / "zero.wav", opts)


# -- audio -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("normalize", ["bank", "per-file"])
def test_non_finite_samples_skip_the_file_and_never_reach_the_gain(tmp_path, note_pair, value, normalize):
    src = tmp_path / "src"
    note_pair(src, "loud", pitch=60, amplitude=0.5)
    note_pair(src, "soft", pitch=62, amplitude=0.1)
    x = tone(SR, 64, 0.05, 0.35, amplitude=0.3)
    x[round(0.2 * SR)] = value
    sf.write(src / "bad.wav", x, SR, subtype="FLOAT")
    write_midi(src / "bad.mid", [(64, 100, 0.05, 0.35)])
    result = prepare_bank(src, tmp_path / "out", PrepareSettings(normalize=normalize))
    (failure,) = result.failures
    assert one_line(failure.message, "bad.wav", "1 non-finite sample(s) (NaN or ±inf)", "0.200 s", "skipped")
    ds = load_dataset(tmp_path / "out")
    peaks = {n.id: float(np.abs(ds.load_audio(n)).max()) for n in ds.notes}
    assert sorted(peaks) == ["loud", "soft"]
    assert peaks["loud"] == pytest.approx(0.9, abs=0.01)
    assert peaks["soft"] == pytest.approx(0.9 if normalize == "per-file" else 0.18, abs=0.01)


def test_non_finite_samples_in_a_session_fail_only_their_note(tmp_path):
    notes = [(60, 100, 0.1, 0.4), (62, 100, 0.7, 1.0), (64, 100, 1.3, 1.6)]
    x = sum(tone(SR, p, a, b, total=2.0) for p, _, a, b in notes)
    x[round(0.8 * SR) : round(0.8 * SR) + 3] = np.nan
    sf.write(tmp_path / "session.wav", x, SR, subtype="FLOAT")
    write_midi(tmp_path / "session.mid", notes)
    (tmp_path / "src").mkdir()
    (tmp_path / "session.wav").rename(tmp_path / "src" / "session.wav")
    (tmp_path / "session.mid").rename(tmp_path / "src" / "session.mid")
    result = prepare_bank(tmp_path / "src", tmp_path / "out")
    assert [n.pitch for n in load_dataset(tmp_path / "out").notes] == [60, 64]
    (failure,) = result.failures
    assert failure.source == "session.wav#2" and one_line(failure.message, "3 non-finite", "0.800 s")
    all_nan = np.full(SR // 2, np.nan, np.float32)
    sf.write(tmp_path / "src" / "nan.wav", all_nan, SR, subtype="FLOAT")
    write_midi(tmp_path / "src" / "nan.mid", [(60, 100, 0.05, 0.3)])
    result = prepare_bank(tmp_path / "src", tmp_path / "out2", PrepareSettings(layout="session"))
    assert any(one_line(f.message, "nan.wav", "22050 non-finite") for f in result.failures)


@pytest.mark.parametrize("dc", [0.05, -0.2])
def test_dc_offset_is_removed_before_detection(tmp_path, dc):
    x = tone(SR, 60, 0.3, 0.6, tail=0.1, total=1.0, amplitude=0.5)
    write_audio(tmp_path / "clean" / "a.wav", x, SR)
    write_audio(tmp_path / "offset" / "a.wav", np.clip(x + dc, -1, 1), SR)
    for folder in ("clean", "offset"):
        write_midi(tmp_path / folder / "a.mid", [(60, 100, 0.3, 0.6)])
    prepare_bank(tmp_path / "clean", tmp_path / "clean_out")
    result = prepare_bank(tmp_path / "offset", tmp_path / "offset_out")
    assert not result.failures
    (notice,) = result.notices
    assert one_line(notice.message, "a.wav", "DC offset (", f"{20 * np.log10(abs(dc)):.0f} dBFS)", "removed")
    assert float(re.search(r"DC offset \(([-+.0-9]+),", notice.message)[1]) == pytest.approx(dc, abs=5e-4)
    clean, shifted = load_dataset(tmp_path / "clean_out"), load_dataset(tmp_path / "offset_out")
    a, b = clean.notes[0], shifted.notes[0]
    # the start is found (not hidden at the recording's first sample), the tail not stretched
    assert abs(result.onset_lag_ms["max"]) < 10
    assert (b.onset, b.release) == (a.onset, a.release) and abs(b.end - a.end) <= 16
    ya, yb = clean.load_audio(a), shifted.load_audio(b)
    lead, trail = 4000, 4000  # 0.25 s of silence at 16 kHz before and after
    assert abs(ya.size - yb.size) <= 16 and np.abs(yb).max() == pytest.approx(np.abs(ya).max(), rel=0.01)
    assert abs(float(np.mean(yb[lead:-trail]))) < 1e-3  # no offset left in the note
    assert abs(yb[lead]) < 0.01 and abs(yb[-trail - 1]) < 0.01  # no step at the cut points


def test_note_off_after_the_recording(tmp_path, note_pair):
    src = tmp_path / "src"
    note_pair(src, "good", pitch=62)
    # cut while the note still sounds: its release was never recorded
    write_audio(src / "cut.wav", tone(SR, 60, 0.05, 0.6)[: round(0.4 * SR)], SR)
    write_midi(src / "cut.mid", [(60, 100, 0.05, 0.6)])
    # the sound died away (0.1 s after 0.2 s) long before the note-off at 0.8 s, after the 0.5 s recording
    write_audio(src / "held.wav", tone(SR, 64, 0.05, 0.2, tail=0.1, total=0.5), SR)
    write_midi(src / "held.mid", [(64, 100, 0.05, 0.8)])
    result = prepare_bank(src, tmp_path / "out")
    (failure,) = result.failures
    assert one_line(failure.message, "cut.wav", "note-off at 0.600 s is after the recording ends (0.400 s)",
                    "still sounds", "release is not in the recording")
    (notice,) = result.notices
    assert one_line(notice.message, "held.wav", "note-off at 0.800 s", "held to the recording's end")
    notes = notes_by_id(tmp_path / "out")
    held = notes["held"]
    assert held.release <= held.n_samples - 4000  # not in the trailing silence
    assert sorted(notes) == ["good", "held"]


@pytest.mark.parametrize("on", [0.3, 0.05])
def test_quiet_take_over_hiss(tmp_path, on):
    """pp and ff takes of the same tone, each over hiss at -75 dBFS: both start at the note-on and
    the pp release tail is no longer than the ff one (the hiss once gave it the whole recording)."""
    src = tmp_path / "src"
    for k, (name, amplitude) in enumerate((("ff", 0.5), ("pp", 0.01))):
        x = tone(SR, 60, on, on + 0.5, tail=0.3, total=2.0, amplitude=amplitude) + hiss(2.0, seed=k)
        write_audio(src / f"{name}.wav", x, SR)
        write_midi(src / f"{name}.mid", [(60, 40 if name == "pp" else 120, on, on + 0.5)])
    result = prepare_bank(src, tmp_path / "out")
    assert not result.failures, result.failures
    assert max(abs(result.onset_lag_ms["min"]), abs(result.onset_lag_ms["max"])) < 10
    notes = notes_by_id(tmp_path / "out")
    ff, pp = notes["ff"].end - notes["ff"].release, notes["pp"].end - notes["pp"].release
    assert 0 < pp <= 1.1 * ff and ff == pytest.approx(0.3 * 16000, rel=0.1)
    (notice,) = result.notices
    assert one_line(notice.message, "pp.wav", "noise floor at -75 dBFS", "threshold 0.")


def test_a_note_over_hum_gets_the_threshold_to_use(tmp_path):
    """Mains hum at -60 dBFS under a note at -20 dBFS: above the default threshold from the first
    sample, it is not noise (a tone), so the error says which --threshold would ignore it."""
    t = np.arange(round(1.6 * SR)) / SR
    hum = (0.001 * np.sin(2 * np.pi * 50 * t)).astype(np.float32)
    write_audio(tmp_path / "src" / "hum.wav", tone(SR, 60, 0.3, 0.8, total=1.6, amplitude=0.1) + hum, SR)
    write_midi(tmp_path / "src" / "hum.mid", [(60, 100, 0.3, 0.8)])
    with pytest.raises(UserError) as err:
        prepare_bank(tmp_path / "src", tmp_path / "out")
    message = str(err.value)
    assert "hum.wav" in message and "hum or noise? --threshold 0.02" in message and "\n" not in message
    result = prepare_bank(tmp_path / "src", tmp_path / "out", PrepareSettings(threshold=0.02))
    assert not result.failures and abs(result.onset_lag_ms["max"]) < 10


def test_a_soft_note_over_16_bit_dither_is_cut_above_it_without_a_notice(tmp_path):
    """A pp note at -50 dBFS in 16-bit audio dithered before, under and after it (-98 dBFS): the
    dither, which the default threshold would let run to the file's end, places the cut, but a
    floor that low is every 16-bit recording's and is not listed."""
    src = tmp_path / "src"
    dither = np.random.default_rng(5).triangular(-1.0, 0.0, 1.0, 2 * SR) / 32768
    for name, amplitude in (("ff", 0.5), ("pp", 0.003)):
        x = tone(SR, 60, 0.3, 0.8, tail=0.3, total=2.0, amplitude=amplitude)
        if name == "ff":  # brighter, as a real ff is (else pp would be ff at another gain: one recording)
            x += tone(SR, 72, 0.3, 0.8, tail=0.3, total=2.0, amplitude=0.1 * amplitude)
        sf.write(src / f"{name}.wav" if src.is_dir() else (src.mkdir() or src / f"{name}.wav"),
                 x + dither.astype(np.float32), SR, subtype="PCM_16")
        write_midi(src / f"{name}.mid", [(60, 100, 0.3, 0.8)])
    result = prepare_bank(src, tmp_path / "out")
    assert not result.failures and not result.notices
    notes = notes_by_id(tmp_path / "out")
    ff, pp = notes["ff"].end - notes["ff"].release, notes["pp"].end - notes["pp"].release
    assert 0 < pp <= ff


def test_a_clipped_recording_is_noticed_and_a_loud_clean_one_is_not(tmp_path):
    x = tone(SR, 48, 0.2, 0.8, tail=0.1, total=1.2, amplitude=1.0)
    write_audio(tmp_path / "src" / "loud.wav", x * 0.999, SR)  # full scale, but no flat top
    write_audio(tmp_path / "src" / "clipped.wav", np.clip(4 * x, -1, 1), SR)  # driven 12 dB into the limit
    for name in ("loud", "clipped"):
        write_midi(tmp_path / "src" / f"{name}.mid", [(48, 100, 0.2, 0.8)])
    result = prepare_bank(tmp_path / "src", tmp_path / "out")
    assert not result.failures
    (notice,) = [n for n in result.notices if "clipped (" in n.message]
    assert one_line(notice.message, "clipped.wav", "flat tops", "at full scale")
    assert not any("loud.wav" in n.message for n in result.notices)


def test_clipping_is_noticed_in_a_16_bit_file_and_in_one_channel_of_a_stereo_file(tmp_path):
    # 16-bit full scale is +32767/32768 but -1.0: positive flat tops driven 12 dB into the limit,
    # negative peaks touching -1.0 for a few samples only (no flat top there); and a stereo file
    # whose left channel alone is clipped (the mean of the channels has no flat top)
    x = tone(SR, 48, 0.2, 0.8, tail=0.1, total=1.2, amplitude=1.0)
    src = tmp_path / "src"
    src.mkdir()
    sf.write(src / "positive.wav", np.where(x > 0, np.minimum(4 * x, 1.0), np.maximum(1.001 * x, -1.0)), SR,
             subtype="PCM_16")
    right = tone(SR, 48, 0.2, 0.8, tail=0.1, total=1.2, amplitude=0.3) * -1.0
    sf.write(src / "stereo.wav", np.stack([np.clip(4 * x, -1, 1), right], axis=1), SR, subtype="FLOAT")
    for name in ("positive", "stereo"):
        write_midi(src / f"{name}.mid", [(48, 100, 0.2, 0.8)])
    result = prepare_bank(src, tmp_path / "out")
    assert not result.failures
    clipped = sorted(Path(n.message.split(":")[0]).name for n in result.notices if "clipped (" in n.message)
    assert clipped == ["positive.wav", "stereo.wav"]


def test_a_note_held_longer_than_a_note_is_noticed(tmp_path, monkeypatch):
    # a 15-minute recording with one MIDI note over it was prepared as one 898-s note without a
    # word; LONG_NOTE_SECONDS lowered to 1 s here to keep the fixture small
    from samplernn.prepare import notes

    monkeypatch.setattr(notes, "LONG_NOTE_SECONDS", 1.0)
    src = tmp_path / "src"
    for name, held in (("drone", 1.5), ("short", 0.5)):
        write_audio(src / f"{name}.wav", tone(SR, 48, 0.1, 0.1 + held, tail=0.2), SR)
        write_midi(src / f"{name}.mid", [(48, 100, 0.1, 0.1 + held)])
    result = prepare_bank(src, tmp_path / "out")
    (notice,) = [n.message for n in result.notices if "held for" in n.message]
    assert one_line(notice, "drone.wav: held for 2 s, more than a note is held (1 s)", "--layout session")
