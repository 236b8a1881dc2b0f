"""Real-world files among one-shot samples (named files, drum one-shots, SFZ regions): their start,
release and pitch are found by the very rules `prepare` cuts every note by, so a NaN is reported as
non-finite samples, and a DC offset or hiss moves neither the start nor the release."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from support.audio import tone

from samplernn.data.dataset import load_dataset
from samplernn.prepare import PrepareSettings, prepare_bank
from samplernn.prepare.notes import NoteError
from samplernn.prepare.sources.release import one_shot_release

SR = 16000
FAST = dict(sample_rate=SR, lead_silence=0.02, tail_silence=0.02)
ON, OFF = 0.2, 0.7  # the tone's start and the end of its sustain (s)
#: Per layout: the clean sample's and the faulty sample's file names, and the description written beside.
LAYOUTS = {
    "named": ("C4_100.wav", "C4_90.wav", None),
    "drumkit": ("kick_01.wav", "kick_02.wav", None),
    "sfz": ("clean.wav", "faulty.wav", "<region> sample=clean.wav key=60\n<region> sample=faulty.wav key=60"),
}


def note(amplitude: float = 0.5) -> np.ndarray:
    return tone(SR, 60, ON, OFF, tail=0.3, total=1.5, amplitude=amplitude)


def hiss(n: int, db: float = -75.0) -> np.ndarray:
    return (np.random.default_rng(1).standard_normal(n) * 10 ** (db / 20)).astype(np.float32)


def bank(root: Path, layout: str, clean: np.ndarray, faulty: np.ndarray) -> tuple[Path, str, str]:
    """A bank of two samples of `layout`: (what to prepare, the clean note's id, the faulty one's)."""
    clean_name, faulty_name, sfz = LAYOUTS[layout]
    root.mkdir(parents=True)
    sf.write(root / clean_name, clean, SR, subtype="FLOAT")
    sf.write(root / faulty_name, faulty, SR, subtype="FLOAT")
    src = root
    if sfz is not None:
        src = root / "instrument.sfz"
        src.write_text(sfz)
    return src, Path(clean_name).stem, Path(faulty_name).stem


def prepared(tmp_path: Path, layout: str, clean: np.ndarray, faulty: np.ndarray):
    src, clean_id, faulty_id = bank(tmp_path / "src", layout, clean, faulty)
    result = prepare_bank(src, tmp_path / "out", PrepareSettings(**FAST, layout=layout))
    notes = {n.id: n for n in load_dataset(tmp_path / "out").notes}
    return result, notes, clean_id, faulty_id


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_nan_in_a_one_shot_is_reported_as_non_finite_samples(tmp_path, layout):
    faulty = note()
    faulty[round(0.5 * SR)] = np.nan
    result, notes, clean_id, _ = prepared(tmp_path, layout, note(), faulty)
    assert list(notes) == [clean_id]
    (failure,) = result.failures
    message = failure.message
    assert "1 non-finite sample(s) (NaN or ±inf), the first at 0.500 s" in message and "\n" not in message
    assert "silent" not in message
    if layout in ("named", "sfz"):  # the pitch check fails it (once), not counted as a sound with no pitch
        assert result.pitch_checks == {"ok": 1}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_dc_offset_moves_neither_start_nor_release_of_a_one_shot(tmp_path, layout):
    result, notes, clean_id, faulty_id = prepared(tmp_path, layout, note(), note() + np.float32(0.05))
    assert not result.failures
    (notice, copies) = result.notices  # with the offset removed, one recording twice
    assert "1 recording appears more than once" in copies.message
    assert "DC offset (+0.05, -26 dBFS) removed" in notice.message
    a, b = notes[clean_id], notes[faulty_id]
    assert (b.onset, b.release) == (a.onset, a.release)
    assert abs(b.end - a.end) <= 16 and abs(b.n_samples - a.n_samples) <= 16


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_soft_one_shot_over_hiss_starts_and_releases_as_a_clean_one(tmp_path, layout):
    """A pp sample over hiss at -75 dBFS (from the first sample to the last) against the same sample
    without: the sound's start within 1 ms, so its held part as long, and its tail no longer."""
    soft = note(amplitude=0.01)
    result, notes, clean_id, faulty_id = prepared(tmp_path, layout, soft, soft + hiss(soft.size))
    assert not result.failures
    (notice,) = result.notices
    assert "noise floor at -75 dBFS" in notice.message
    a, b = notes[clean_id], notes[faulty_id]
    assert abs((b.release - b.onset) - (a.release - a.onset)) <= SR // 1000
    assert 0 < b.end - b.release <= a.end - a.release


def test_one_shot_release_finds_the_sound_as_prepare_does():
    clean = one_shot_release(note(), SR)
    for x in (note() + np.float32(-0.1), note() + hiss(round(1.5 * SR), -70.0)):
        shape = one_shot_release(x, SR)
        assert shape.start == pytest.approx(clean.start, abs=1e-3)
        assert shape.release == pytest.approx(clean.release, abs=0.011)
    broken = note()
    broken[[100, 9000]] = [np.inf, np.nan]
    with pytest.raises(NoteError, match=r"^x.wav: 2 non-finite sample\(s\).*the first at 0.006 s"):
        one_shot_release(broken, SR, where="x.wav")


def test_one_shots_that_sound_to_their_last_sample_prepare(tmp_path):
    """Held to the end (a sample cut while it sounds): the release is the last sample, however the
    seconds it is carried in round."""
    src = tmp_path / "shots"
    src.mkdir()
    lengths = {0.0369: 0.3903, 0.0738: 0.4314, 0.0: 0.5}  # start: length (s); the first two round up
    for k, (on, total) in enumerate(lengths.items()):
        sf.write(src / f"hat_open_{k}.wav", tone(SR, 60, on, 10.0, total=total), SR)
    result = prepare_bank(src, tmp_path / "out", PrepareSettings(**FAST, layout="drumkit"))
    assert not result.failures and result.n_notes == len(lengths)
    trail = round(FAST["tail_silence"] * SR)
    assert all(n.release == n.n_samples - trail for n in load_dataset(tmp_path / "out").notes)
