"""Check a sample's pitch against a pitch tracker (real libraries have mislabelled files).

The sound is found as `prepare` finds every note's (`notes.detect`: non-finite samples and
silence fail it, its DC offset removed, its extent relative to a noise floor). Its sustained part
(from 20 % to 70 % of its extent, at most `MAX_SECONDS`) is
tracked with librosa's pYIN over two octaves either side of the expected pitch (at a rate that
leaves about ten samples per period, `analysis_rate`), and the median f0 of its voiced frames is
compared with the name. More than a semitone off is reported; a multiple of an octave off (within
a semitone) is reported as an octave error apart, since trackers themselves slip by octaves and
some libraries name the key, not the sounding pitch. Sounds the tracker finds no voice in (drums,
noise: mean voicing probability under `MIN_VOICED`) are `unpitched`: neither confirmed nor blamed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from conditioning import note_name
from samplernn.common.audio import mix_down, read_audio, resample
from samplernn.prepare.notes import detect
from samplernn.prepare.settings import PrepareSettings

ANALYSIS_RATES = (16000, 22050, 44100, 48000)  # Hz, the lowest that fits the search band is used
SEARCH = 4.2  # the tracker looks this factor (two octaves and a bit) either side of the expected pitch
MAX_SECONDS = 1.5
TOLERANCE_SEMITONES = 1.0
MIN_VOICED = 0.3  # mean pYIN voicing probability below which a sound counts as unpitched
LOWEST_HZ = 27.5  # A0, the piano's lowest key: the tracker searches no lower
#: What a wrong verdict's message ends with (the warning of a name kept anyway drops it).
TRUST_HINT = "; --trust-names keeps the name"
_SPAN = (0.2, 0.7)  # part of the note's extent taken as its sustained part


@dataclass(frozen=True)
class PitchCheck:
    """The tracker's view of one file: `measured` MIDI pitch (fractional; None if unpitched),
    `verdict` ('ok', 'octave', 'off' or 'unpitched') and a one-line `message` for the last three."""

    expected: int
    measured: float | None
    verdict: str
    message: str = ""

    @property
    def wrong(self) -> bool:
        """The name disagrees with the sound (by an octave or by anything over a semitone)."""
        return self.verdict in ("octave", "off")


def track_pitch(x: np.ndarray, sr: int, around: int) -> tuple[float | None, float]:
    """Median pYIN pitch (fractional MIDI) of the voiced frames of mono `x` (n,), searched two
    octaves either side of MIDI `around` (None when no frame is voiced), and the mean voicing
    probability over all frames (white noise ≈ 0.01, a steady tone ≈ 0.97)."""
    import librosa  # slow to import: only when a check runs

    hz = _hz(around)
    fmin = max(hz / SEARCH, LOWEST_HZ)
    fmax = min(hz * SEARCH, sr / 2 * 0.95)
    frame = 2048 if fmin < 80 else 1024
    if x.size < frame:
        x = np.pad(x, (0, frame - x.size))
    f0, voiced, probability = librosa.pyin(x, fmin=fmin, fmax=fmax, sr=sr, frame_length=frame)
    ok = voiced & np.isfinite(f0)
    voicing = float(np.nanmean(probability)) if probability.size else 0.0
    if not ok.any():
        return None, voicing
    return float(librosa.hz_to_midi(np.median(f0[ok]))), voicing


def _hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69) / 12)


def analysis_rate(expected: int, file_rate: int) -> int:
    """The lowest of `ANALYSIS_RATES` whose band holds the search range with 10 % to spare (the
    file's own rate if lower). pYIN at 16 kHz slips an octave down on pipes near 3 kHz, where a
    period spans only five samples; at 44.1 kHz it does not."""
    top = _hz(expected) * SEARCH
    rate = next((r for r in ANALYSIS_RATES if top <= 0.45 * r), ANALYSIS_RATES[-1])
    return min(rate, file_rate)


def check_pitch(
    path: str | Path, expected: int, settings: PrepareSettings | None = None, *, shift: float = 0.0,
    where: str | None = None, said: str = "named",
) -> PitchCheck:
    """Compare the file's sustained pitch with MIDI `expected` (see the module docstring); its
    sound found by `notes.detect` with `settings` (default PrepareSettings()). `shift`: semitones
    the note is prepared shifted by (an SFZ region's transpose and tune): the file itself is
    tracked around expected − shift, and its pitch + shift judged. The message reads
    '{where}: {said} {expected} but sounds …' (`where` defaults to the path).

    Raises:
        AudioError: the file cannot be read.
        NoteError: non-finite samples, or a silent recording.
    """
    from librosa.util.exceptions import ParameterError

    where = str(path) if where is None else where
    around = round(expected - shift)  # the recording's own pitch, were the label right
    if _hz(around) * SEARCH < 2 * LOWEST_HZ:  # no octave left to search: pYIN cannot run
        return _untrackable(where, expected, said)
    channels, sr = read_audio(path)
    found = detect(mix_down(channels), sr, settings or PrepareSettings(), str(path), channels=channels)
    x, (start, end) = found.x, found.extent
    rate = analysis_rate(around, sr)
    if rate != sr:
        x, start, end = resample(x, sr, rate), start * rate // sr, -(-end * rate // sr)
        sr = rate
    a, b = _held_span(start, end, sr)
    try:
        measured, voiced = track_pitch(x[a:b], sr, around)
    except ParameterError:  # a band too narrow for pYIN's frames, just above the threshold
        return _untrackable(where, expected, said)
    if measured is None or voiced < MIN_VOICED:
        return PitchCheck(expected, measured, "unpitched",
                          f"{where}: no steady pitch found (voicing {voiced:.2f}), name not checked")
    return judge(where, expected, measured + shift, said)


def check_note_pitch(
    audio: np.ndarray, onset: int, release: int, sr: int, expected: int, where: str
) -> PitchCheck:
    """The verdict on a prepared note's pitch against the MIDI pitch `expected` it was labelled
    with: its held part (`audio` (n,) at `sr` Hz, samples [onset, release); the same 20-70 %
    span and MAX_SECONDS as `check_pitch`) tracked as `check_pitch` tracks a file. `where` names
    the note in the message. Nothing is raised: a note too short or too low to track is
    'unpitched'."""
    from librosa.util.exceptions import ParameterError

    a, b = _held_span(onset, release, sr)
    if b - a < 2 or _hz(expected) * SEARCH < 2 * LOWEST_HZ or _hz(expected) * SEARCH > 0.45 * sr:
        return PitchCheck(expected, None, "unpitched")
    try:
        measured, voiced = track_pitch(audio[a:b], sr, expected)
    except ParameterError:
        return PitchCheck(expected, None, "unpitched")
    if measured is None or voiced < MIN_VOICED:
        return PitchCheck(expected, measured, "unpitched")
    verdict = judge(where, expected, measured)
    heard = f"{note_name(int(round(measured)))} ({(measured - expected) * 100:+.0f} cents)"
    return replace(verdict, message=f"{where}: labelled {note_name(expected)} but sounds {heard}")


def _held_span(start: int, end: int, sr: int) -> tuple[int, int]:
    """The samples [a, b) of a sound's extent [start, end) that the tracker reads: _SPAN of it,
    at most MAX_SECONDS at `sr` Hz."""
    a = start + int((end - start) * _SPAN[0])
    return a, min(start + int((end - start) * _SPAN[1]), a + int(MAX_SECONDS * sr))


def _untrackable(path: str | Path, expected: int, said: str = "named") -> PitchCheck:
    """The verdict for a name whose pitch lies below what the tracker can search (a bare number
    read as a MIDI note: 'VP Kick 1')."""
    return PitchCheck(expected, None, "off",
                      f"{path}: {said} {note_name(expected)} (MIDI {expected}, {_hz(expected):.1f} Hz), "
                      f"below any pitch the check can track (A0, {LOWEST_HZ:g} Hz): is the number in its "
                      f"name a note?{TRUST_HINT}")


def judge(path: str | Path, expected: int, measured: float, said: str = "named") -> PitchCheck:
    """The verdict for a name's pitch `expected` against a `measured` (fractional MIDI) pitch; a
    message reads '{path}: {said} {expected} but sounds …'."""
    off = measured - expected
    if abs(off) <= TOLERANCE_SEMITONES:
        return PitchCheck(expected, measured, "ok")
    octaves = round(off / 12)
    heard = f"{note_name(int(round(measured)))} ({off * 100:+.0f} cents from {note_name(expected)})"
    if octaves and abs(off - 12 * octaves) <= TOLERANCE_SEMITONES:
        where = "above" if octaves > 0 else "below"
        count = "an octave" if abs(octaves) == 1 else f"{abs(octaves)} octaves"
        return PitchCheck(expected, measured, "octave",
                          f"{path}: {said} {note_name(expected)} but sounds {heard}, {count} {where} "
                          f"(a tracker can slip by an octave: listen){TRUST_HINT}")
    return PitchCheck(expected, measured, "off",
                      f"{path}: {said} {note_name(expected)} but sounds {heard}{TRUST_HINT}")
