"""Where a one-shot sample's note-off goes.

A sample from a library, a kit or an organ has no note-off: the player held the key for as long
as the recording lasts. The conditioning still needs one (note-off = release, and the release
tail after it is what `render` adds to a MIDI note-off), so it is placed by one rule from the
envelope: **the note is held while its level stays level, and released where the final decay
begins.**

* A sustained sound (organ pipe, bowed or blown note) holds a plateau, then falls away: the
  release is at the knee, so the tail the bank learns is the instrument's real release, and a
  MIDI note of any length holds the plateau and then releases as the instrument does.
* A percussive sound (drum, pluck, mallet) falls from its attack peak on: the release is at the
  end of its loudest 10 ms, so the whole natural decay becomes the release tail. `render` then
  gives every MIDI hit, however short (drum parts use arbitrary short lengths), the full ring-out
  after its note-off.
  Putting the release at the end instead (``percussive_end=True``) makes the bank's tail zero,
  and a short MIDI hit would be cut at its note-off.

The sound's start and end are found as `prepare` finds every note's (`notes.detect`: non-finite
samples fail it, its DC offset removed, start and end relative to a noise floor), so that the held
duration placed here is measured from the same start `prepare` cuts at.

"Level" is measured on the future maximum of the 10 ms RMS level (smoothed over 50 ms): a
stretch is held while that curve falls by less than `HOLD_RATE_DB_S` over the next 100 ms and
stays within `HOLD_RANGE_DB` of the peak, so tremolo, vibrato and noise bumps late in the tail do
not count as holding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from conditioning import level_db
from samplernn.prepare.notes import detect
from samplernn.prepare.settings import PrepareSettings

HOP_S = 0.010  # level frame hop
SMOOTH_FRAMES = 5  # moving average of the level in dB (50 ms)
WINDOW_S = 0.100  # how far ahead the fall is measured
HOLD_RATE_DB_S = 12.0  # a plateau falls slower than this (a slow diminuendo still counts as held)
HOLD_RANGE_DB = 20.0  # a plateau lies within this of the peak level
#: A hit's attack: the 10 ms level rises by this much within `ATTACK_FRAMES` frames (30 ms), within
#: HOLD_RANGE_DB of the peak. A roll's or a loop's hits rise 20–67 dB; a ringing cymbal's beating
#: rises at most 8.3 dB (ForzeeStereo's rides and crashes, held 3–8 s near their peak).
ATTACK_RISE_DB = 12.0
ATTACK_FRAMES = 3


@dataclass(frozen=True)
class OneShotShape:
    """Times in seconds from the start of the analysed audio: where the sound starts (the
    envelope rule `prepare` uses), the release placed by the rule, where it has decayed (end,
    exclusive); `percussive` when no plateau was found."""

    start: float
    release: float
    end: float
    percussive: bool


def one_shot_release(
    x: np.ndarray, sr: int, settings: PrepareSettings | None = None, percussive_end: bool = False,
    where: str = "recording", offset: int = 0, channels: np.ndarray | None = None,
) -> OneShotShape:
    """The start, release and end of a one-shot mono recording `x` (n,) at `sr` Hz, by the rule in
    the module docstring, its sound found by `notes.detect` with `settings` (default
    PrepareSettings()); `where` names it in messages, x[0] is frame `offset` of the file;
    `channels` (n, c): the channels `x` mixes down, for detect's clipping and cancelling checks.

    Raises:
        NoteError: non-finite samples, or a silent recording.
    """
    found = detect(x, sr, settings or PrepareSettings(), where, offset=offset, channels=channels)
    x, (start, end) = found.x, found.extent
    hop = max(1, round(HOP_S * sr))
    level = level_db(x[start:end], hop)
    if level.size > SMOOTH_FRAMES:
        kernel = np.ones(SMOOTH_FRAMES) / SMOOTH_FRAMES
        level = np.convolve(np.pad(level, SMOOTH_FRAMES // 2, mode="edge"), kernel, mode="valid")
    future_max = np.maximum.accumulate(level[::-1])[::-1]
    w = max(1, round(WINDOW_S / HOP_S))
    ahead = np.concatenate([future_max[w:], np.full(min(w, level.size), future_max[-1])])
    peak = int(np.argmax(level))
    held = ((future_max - ahead) < HOLD_RATE_DB_S * WINDOW_S) & (future_max >= level[peak] - HOLD_RANGE_DB)
    held[:peak] = False
    candidates = np.flatnonzero(held)
    percussive = candidates.size == 0 or candidates[-1] == peak
    if percussive:
        release = end if percussive_end else start + (peak + 1) * hop  # the end of the loudest frame
    else:
        release = start + (int(candidates[-1]) + w) * hop
    release = min(max(release, start), end)
    return OneShotShape(start / sr, release / sr, end / sr, bool(percussive))


def hit_count(x: np.ndarray, sr: int) -> int:
    """How many hits the mono recording `x` at `sr` Hz holds: its attacks (`ATTACK_RISE_DB` within
    `ATTACK_FRAMES` 10-ms frames, within `HOLD_RANGE_DB` of the loudest frame), neighbouring frames
    one attack. One for a single hit however long it rings (a hit at the very start of the file,
    with no frames before it, counts 0); several for a roll or a loop."""
    level = level_db(np.asarray(x, np.float32), max(1, round(HOP_S * sr)))
    if level.size <= ATTACK_FRAMES:
        return 0
    before = np.lib.stride_tricks.sliding_window_view(level[:-1], ATTACK_FRAMES).min(axis=1)
    rising = (level[ATTACK_FRAMES:] - before >= ATTACK_RISE_DB) & (
        level[ATTACK_FRAMES:] >= level.max() - HOLD_RANGE_DB)
    frames = np.flatnonzero(rising)
    return int(frames.size and 1 + np.count_nonzero(np.diff(frames) > ATTACK_FRAMES))

