"""Holding the pitch through a note: where a generated note loses its pitch, draw it again from there.

A model can find a note's pitch in its onset (the onset search sees to that,
samplernn.generate.onset_search) and lose it later: the cello model fine-tuned from the shipped
trombone played C2 at velocity 33 in tune for 0.4–1.5 s and then kept only its third harmonic, a
steady tone an octave and a fifth too high (+1,900 cents, pYIN) for the rest of the note
(docs/training.md, "Holding the pitch through a note"). Offline, where every note's pitch and
length are known, each pitched note's sustain — from the onset probe's end to its note-off — is
scored in windows of SUSTAIN_WINDOW_SECONDS by the onset search's periodicity score at the note's
period (samplernn.measures.periodicity: about 0 for a tone an octave or a twelfth too high, for
noise and for silence). At the first window scoring under SUSTAIN_FLOOR (a *lapse*) the stream is
generated again with its random numbers kept up to SUSTAIN_BACKTRACK_SECONDS before the lapse (at
most back to the note-on: a note that lapses in its first window is drawn again whole) and drawn
afresh after it (the same replay the onset search uses: the kept part comes out sample for
sample as before on the CPU engines), in rounds of 2, 2, 4 … candidates (OnsetSearch.rounds, at
most OnsetSearch.candidates per stream). The candidate whose first lapse lies latest (none: best)
is kept when it lapses later than the stream did; the next round draws from its lapse on.

The model is unchanged: this spends generation time on the notes that lose their pitch (each
candidate is its whole stream again) and none on the others; a model that holds no note's pitch
(an untrained one) generates every stream 1 + OnsetSearch.candidates times.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from conditioning.events import LEVEL_INDEX, NOTE_INDEX, VELOCITY_INDEX, level_column_db
from samplernn.measures.periodicity import periodicity_score
from samplernn.measures.sound import midi_to_hz

#: Seconds of each scored window (at least SUSTAIN_WINDOW_PERIODS periods of the note).
SUSTAIN_WINDOW_SECONDS = 0.1
#: The fewest periods a window holds: periodicity_score needs 2.2 periods and a lag of one more.
SUSTAIN_WINDOW_PERIODS = 4.0
#: The periodicity score under which a window has lost the note's pitch. Measured on 0.1-s windows
#: of the sustains of real recordings: the bundled trombone bank's 234 scorable notes score 0.43 or
#: more in every window, the cello bank's 75 notes 0.27 or more; the windows of the fine-tuned
#: cello model's C2 takes after they fell to the third harmonic −0.02…+0.05, on the way there
#: 0.1–0.25.
SUSTAIN_FLOOR = 0.15
#: Windows this many dB under the note's loudest window are not scored: the note columns of the
#: conditioning run on through the release tail, which fades to silence (no period at all).
SUSTAIN_QUIET_DB = 20.0
#: How far before a lapse the random numbers are drawn afresh: the pitch fades over 0.1–0.3 s
#: before a window scores under the floor (the same takes).
SUSTAIN_BACKTRACK_SECONDS = 0.2


@dataclass(frozen=True)
class Sustain:
    """The scored part of one note of a stream: samples [start, stop) (from the onset probe's end
    to the end of the note's conditioning, its release tail included) of MIDI note `pitch`, whose
    note-on is sample `onset`. `quiet_from`: where the note's level column falls SUSTAIN_QUIET_DB
    under its loudest after it (the bank's release tail); None without a level column."""

    start: int
    stop: int
    pitch: int
    onset: int
    quiet_from: int | None = None


def sustains(cond: np.ndarray, probe_samples: int) -> list[Sustain]:
    """The sustains of every note in conditioning rows `cond` (n, 5): each run of rows with one
    note and a velocity above 0, less its first `probe_samples` samples (the onset search's probe);
    runs no longer than the probe give none."""
    held = (cond[:, VELOCITY_INDEX] > 0) & (cond[:, NOTE_INDEX] > 0)
    notes = np.where(held, cond[:, NOTE_INDEX], 0)
    edges = np.flatnonzero(np.diff(notes, prepend=0, append=0))
    out = []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        if notes[a] and b - a > probe_samples:
            out.append(Sustain(int(a) + probe_samples, int(b), int(notes[a]), int(a),
                               _quiet_from(cond[a:b, LEVEL_INDEX], int(a))))
    return out


def _quiet_from(level: np.ndarray, onset: int) -> int | None:
    """The first sample (from `onset`) after a note's loudest where its level column (n,) lies
    SUSTAIN_QUIET_DB under that loudest; the note's end when it never does; None for no column."""
    if not level.any():
        return None
    db = level_column_db(level)
    peak = int(np.argmax(db))
    quiet = np.flatnonzero(db[peak:] < db[peak] - SUSTAIN_QUIET_DB)
    return onset + peak + int(quiet[0]) if len(quiet) else onset + len(level)


def first_lapse(audio: np.ndarray, notes: Sequence[Sustain], sample_rate: int,
                floor: float = SUSTAIN_FLOOR) -> int | None:
    """The first sample of the first window of any of `notes` in `audio` (n,) whose periodicity
    score at its note's period is under `floor`; None when every scored window holds its pitch.
    Windows are SUSTAIN_WINDOW_SECONDS long (or SUSTAIN_WINDOW_PERIODS periods), back to back
    from each sustain's start; a part too short for a window is not scored, nor a window more than
    SUSTAIN_QUIET_DB under the note's loudest (its release tail, which the conditioning's note
    columns cover, fades to silence: silence repeats at no period) — where the note has a level
    column, only from where that column says the note is that quiet (`Sustain.quiet_from`), so
    that a note that falls silent while it should sound lapses. Periods under 3 samples count as 3
    (as the onset search's)."""
    for note in notes:
        period = max(sample_rate / midi_to_hz(note.pitch), 3.0)
        width = max(round(SUSTAIN_WINDOW_SECONDS * sample_rate),
                    int(np.ceil(SUSTAIN_WINDOW_PERIODS * period)))
        starts = range(note.start, min(note.stop, len(audio)) - width + 1, width)
        if not starts:
            continue
        power = np.array([np.mean(np.square(audio[a : a + width], dtype=np.float64)) for a in starts])
        loud = power >= power.max() * 10.0 ** (-SUSTAIN_QUIET_DB / 10.0)
        if note.quiet_from is not None:
            loud |= np.array([a < note.quiet_from for a in starts])
        for start, scored in zip(starts, loud, strict=True):
            if scored and periodicity_score(audio[start : start + width], period) < floor:
                return start
    return None


def spliced(kept: Callable[[int], np.ndarray], cut: int,
            fresh: Callable[[int], np.ndarray]) -> Callable[[int], np.ndarray]:
    """Random numbers (n,) that are kept(n)'s up to sample `cut` and fresh(n - cut)'s after it."""

    def draw(n: int) -> np.ndarray:
        if n <= cut:
            return kept(n)
        return np.concatenate([kept(cut), fresh(n - cut)])  # draws of any length share their prefix

    return draw


Draw = Callable[[int], np.ndarray]
Generate = Callable[[list[np.ndarray], list[Draw]], list[np.ndarray]]


def hold_pitch(
    conds: Sequence[np.ndarray],
    draws: Sequence[Draw],
    classes: Sequence[np.ndarray],
    generate: Generate,
    to_audio: Callable[[np.ndarray], np.ndarray],
    fresh: Callable[[int, int], Draw],
    rounds: Sequence[int],
    probe_samples: int,
    sample_rate: int,
) -> tuple[list[np.ndarray], int]:
    """Draw the streams that lose their pitch again (module doc).

    conds[i] (n_i, 5), draws[i] the random numbers stream i was generated with and classes[i]
    (n_i,) what it gave; generate(conds, draws) → the classes of those streams; to_audio(classes)
    → float audio (n,) at `sample_rate` Hz; fresh(i, j) the random numbers of stream i's j-th
    redraw (j = 0, 1, …); rounds: candidates per round (OnsetSearch.rounds); probe_samples: the
    onset probe's length, not scored here. Returns every stream's classes after the search and
    how many candidate streams it generated.
    """
    draws, classes = list(draws), list(classes)
    notes = [sustains(c, probe_samples) for c in conds]
    lapse = [first_lapse(to_audio(q), ns, sample_rate) for q, ns in zip(classes, notes, strict=True)]
    back = round(SUSTAIN_BACKTRACK_SECONDS * sample_rate)
    tried, spent = [0] * len(conds), 0
    for size in rounds:
        open_ = [i for i, at in enumerate(lapse) if at is not None]
        if not open_:
            break
        jobs = []
        for i in open_:
            onset = next(n.onset for n in notes[i] if n.start <= lapse[i] < n.stop)
            cut = max(onset, lapse[i] - back)
            jobs += [(i, spliced(draws[i], cut, fresh(i, tried[i] + k))) for k in range(size)]
            tried[i] += size
        out = generate([conds[i] for i, _ in jobs], [d for _, d in jobs])
        spent += len(jobs)
        for (i, d), q in zip(jobs, out, strict=True):
            at = first_lapse(to_audio(q), notes[i], sample_rate)
            if lapse[i] is not None and (at is None or at > lapse[i]):
                draws[i], classes[i], lapse[i] = d, q, at
    return classes, spent
