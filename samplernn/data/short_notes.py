"""Short notes for training, cut from the bank's long ones: the attack kept, spliced to the release.

A bank recorded at one held length (the cello bank: every note held 2 s) never shows the model a
note-on whose countdown is short. At the onset of a 0.2-s melody note the remaining column reads
what, in training, it read only in the release tails, and the model plays what it learnt there;
short melody notes were the ones that came out unvoiced or late (docs/training.md, "Short notes:
spliced copies").

A sampler plays a short note from a long recording the same way (a release trigger): the held
part is cut and the recording's own release follows. Each copy keeps the first `held` samples
after note-on and continues with the recording from about its note-off on, joined by a
SPLICE_SECONDS linear crossfade at the lag, within one period of the note around the note-off,
where the two waveforms correlate best (as loop-point finders align a loop), so the join has
neither a click nor a cancellation dip, and the release is scaled to the level the note had at
the cut (the level a note stopped early releases from). The copy's onset stays, its release is
the cut, its end follows the release tail; its conditioning is built as for any note that long.

Measured (docs/training.md): one copy a note on the cello, 120 minutes from scratch, brought the
melody level from 2.4-3.7 dB too loud to -0.4..+1.4 dB but left the melody pitch where the default
run had it (95.6 against 96.2 % over two sets and two seeds) and let one test note end late, so
`train --short-notes` is off by default.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from samplernn.data.manifest import NoteRecord
from samplernn.measures.sound import midi_to_hz, rms, to_db

#: Id suffix of a short copy: "<source id>~180ms" is the source with 180 ms held.
SHORT_MARK = "~"
#: Length of the crossfade at the splice (8 ms: one to a few periods of mid-range notes, under an attack).
SPLICE_SECONDS = 0.008
#: The release tail is scaled to the level the note had at the cut: down as far as it takes (a
#: bowed or blown note that stops early releases from the level its attack reached: on the cello
#: bank a median 3 dB below the sustain's, 10 % of copies over 5.8 dB, its slowest soft attack
#: 14 dB; on the trombone bank -4.2..+4.6 dB, measured with one copy a note, seed 0),
#: up by at most this much (dB): a note that needs more decays while held (a piano), and its copy
#: would not sound as its conditioning says, so it makes none.
MAX_LEVEL_MATCH_DB = 12.0
#: The held part of a short copy is drawn log-uniformly between these (seconds): the shipped
#: melody sets (samplernn/pretrained/melodies*) go down to 0.15-s notes, and the notes that missed
#: were those under 0.3 s (evaluate's "short" group); 0.4 s overlaps the notes that played well.
SHORT_HELD_SECONDS = (0.1, 0.4)


def short_plan(
    notes: Sequence[NoteRecord], copies: int, sample_rate: int, seed: int = 0
) -> list[tuple[NoteRecord, int]]:
    """(source note, held samples) for `copies` short copies of every note of `notes` whose held
    part (note-on to note-off) is at least twice the drawn length; [] for copies <= 0.

    The held lengths are drawn log-uniformly from SHORT_HELD_SECONDS in whole milliseconds by a
    generator seeded with `seed`, one draw per note and copy whether or not it is used, so a plan
    is the same on resume; a length drawn twice for one note is used once (copy ids are unique).
    """
    if copies <= 0:
        return []
    rng = np.random.default_rng(seed)
    lo, hi = np.log(SHORT_HELD_SECONDS)
    plan = []
    for rec in notes:
        for ms in sorted({int(round(1000 * s)) for s in np.exp(rng.uniform(lo, hi, size=copies))}):
            held = ms * sample_rate // 1000
            if rec.release - rec.onset >= 2 * held:
                plan.append((rec, held))
    return plan


def splice_lag(audio: np.ndarray, cut: int, target: int, span: int, window: int) -> int:
    """The position s (samples) in target-span..target+span whose preceding `window` samples
    correlate best (normalised cross-correlation) with the `window` samples before `cut`, so that
    audio[:cut] can continue with audio[s:]. Positions whose window would reach back before `cut`
    or whose continuation is past the audio are not tried; `target` itself when none is left.
    Needs cut >= window.
    """
    lo = max(target - span, cut + window)
    hi = min(target + span, len(audio))
    if hi <= lo:
        return min(max(target, cut), len(audio))
    ref = audio[cut - window : cut].astype(np.float64)
    seg = audio[lo - window : hi].astype(np.float64)
    energy = np.concatenate([[0.0], np.cumsum(seg**2)])
    cand_energy = energy[window:] - energy[:-window]  # of each candidate window, without a matrix
    dots = np.correlate(seg, ref, mode="valid")
    norms = np.sqrt(np.maximum(cand_energy, 0.0) * (ref**2).sum()) + 1e-12
    return lo + int(np.argmax(dots / norms))


def level_match_db(before: np.ndarray, after: np.ndarray) -> float:
    """The gain in dB that brings `after`'s RMS to `before`'s (0 when either is at -120 dBFS or
    below, measures.sound.to_db's floor)."""
    a, b = rms(before), rms(after)
    return 0.0 if min(a, b) <= 1e-6 else to_db(a) - to_db(b)


def shorten_note(
    rec: NoteRecord, audio: np.ndarray, held: int, sample_rate: int
) -> tuple[NoteRecord, np.ndarray]:
    """`rec` and its audio (n,) float32 with the held part cut to `held` samples and spliced to
    the release (see the module). Returns the copy's record (id "<id>~<ms>ms", release = onset +
    held) and audio (n',) float32, n' <= n.

    Raises ValueError when `held` is shorter than the crossfade, the held part is not longer
    than `held` plus the crossfade, or the release would have to be raised by more than
    MAX_LEVEL_MATCH_DB (a note that decays while held, as a piano's).
    """
    fade = max(1, int(round(SPLICE_SECONDS * sample_rate)))
    cut = rec.onset + held
    if held < fade or rec.release - cut <= fade:
        raise ValueError(f"{rec.id}: a held part of {rec.release - rec.onset} samples cannot be cut "
                         f"to {held}")
    period = max(2, int(round(sample_rate / midi_to_hz(rec.pitch))))
    window = min(max(fade, 2 * period), cut)
    s = splice_lag(audio, cut, rec.release, period, window)
    gain_db = level_match_db(audio[cut - window : cut], audio[s - window : s])
    if gain_db > MAX_LEVEL_MATCH_DB:
        raise ValueError(f"{rec.id}: the release would need {gain_db:+.1f} dB to start at the cut's level")
    tail = audio[s - fade :] * np.float32(10 ** (gain_db / 20))
    w = np.linspace(0.0, 1.0, fade, dtype=np.float32)
    joined = audio[cut - fade : cut] * (1 - w) + tail[:fade] * w
    y = np.concatenate([audio[: cut - fade], joined, tail[fade:]]).astype(np.float32)
    end = cut + max(rec.end - s, 0)
    short = NoteRecord(
        id=f"{rec.id}{SHORT_MARK}{round(held * 1000 / sample_rate)}ms",
        audio=rec.audio,
        split=rec.split,
        pitch=rec.pitch,
        velocity=rec.velocity,
        onset=rec.onset,
        release=cut,
        end=max(end, cut),
        n_samples=len(y),
        source=rec.source,
    )
    short.event  # validates the positions  # noqa: B018
    return short, y


def short_copies(
    notes: Sequence[NoteRecord], sounds: Sequence[np.ndarray], copies: int, sample_rate: int, seed: int = 0
) -> list[tuple[NoteRecord, np.ndarray]]:
    """The short copies of `notes` (their audio: `sounds`, one (n,) float32 array per note) that
    short_plan draws and shorten_note can make; a copy it refuses (a held part that decays) is
    left out. [] for copies <= 0."""
    audio = {r.id: x for r, x in zip(notes, sounds, strict=True)}
    made = []
    for rec, held in short_plan(notes, copies, sample_rate, seed):
        try:
            made.append(shorten_note(rec, audio[rec.id], held, sample_rate))
        except ValueError:
            continue
    return made
