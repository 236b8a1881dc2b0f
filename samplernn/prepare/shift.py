"""A session's MIDI file shifted as a whole against its recording: found once per recording.

Each note's own checks (`notes.past_carry_over`, the lag tolerance) see only its cut, which opens
at most twice --tolerance-ms before its note-on: a MIDI file early against its recording opens
each cut on the note before's release (and was called late), and one late by more than twice the
tolerance opens each cut inside its own note (and could pass, the attack cut off). A consistent
shift shows across the notes instead: the attacks of most notes lie the same distance from their
note-ons. The recording's attacks are found on its level in HOP_SECONDS blocks (rises of
MIN_RISE over ATTACK_FRAME_SECONDS), the one shift that puts an attack next to the most note-ons
is taken, and where it lies beyond --tolerance-ms for at least MIN_NOTES notes and half of them,
every note of the recording fails with a message saying early or late, and by how much.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from samplernn.common.audio import BLOCK, audio_info, read_audio

#: The level is read as the peak-to-peak half of HOP_SECONDS blocks (a DC offset does not count):
#: the attacks are placed to within a block.
HOP_SECONDS = 0.005
#: Frame over which a level before and after a point is taken (s): a period of 40 Hz, as
#: `notes.ATTACK_FRAME_SECONDS`, so a cycle's ripple is no rise.
FRAME_SECONDS = 0.025
#: An attack: the level over the frame after a point is this many × (12 dB) the level over the
#: frame before. Tremolo (±3 dB) and beating partials stay below it; a note out of silence or out
#: of a tail 12 dB down makes it.
MIN_RISE = 4.0
#: Levels below this share of the recording's peak (−60 dB) count as this share: out of digital
#: silence a rise is not infinite.
FLOOR_SHARE = 1e-3
#: An attack and a note-on match a shift when they lie within this of it (s).
MATCH_SECONDS = 0.03
#: Shifts farther than this are not looked for (s).
MAX_SHIFT_SECONDS = 2.0
#: At least this many notes of a recording, and half of its notes, must agree on a shift for it
#: to fail the recording (fewer: each note's own checks decide).
MIN_NOTES = 3


def block_levels(path: Path) -> tuple[np.ndarray, float]:
    """(level of each HOP_SECONDS block of the recording's mono mix-down, half its peak-to-peak;
    the block length in s), read BLOCK frames at a time (memory stays flat)."""
    info = audio_info(path)
    hop = max(1, round(HOP_SECONDS * info.sample_rate))
    step = BLOCK // hop * hop
    levels = []
    for start in range(0, info.frames, step):
        x, _ = read_audio(path, start, min(info.frames, start + step), mono=True)
        x = np.nan_to_num(x[: x.size // hop * hop].reshape(-1, hop))
        levels.append((x.max(axis=1) - x.min(axis=1)) / 2)
    return np.concatenate(levels) if levels else np.zeros(0), hop / info.sample_rate


def attacks(levels: np.ndarray, hop_s: float, threshold: float) -> np.ndarray:
    """Times (s) where a sound starts in a recording whose block levels are `levels` (`hop_s` s
    each): at each rise of MIN_RISE from the frame before a block to the frame after it, the first
    block after the frame before that reaches twice that frame's level (the rule a note rising
    out of a tail is found by, `notes.CARRY_MARGIN`) and `threshold` of the frame after it."""
    k = max(1, round(FRAME_SECONDS / hop_s))
    if levels.size < 2 * k + 1 or levels.max() <= 0:
        return np.zeros(0)
    frames = np.lib.stride_tricks.sliding_window_view(levels, k).max(axis=1)  # frames[i]: blocks i..i+k-1
    floor = FLOOR_SHARE * float(levels.max())
    before, after = np.maximum(frames[:-k], floor), frames[k:]  # around block i + k
    rising = after >= MIN_RISE * before
    edges = np.flatnonzero(rising & ~np.concatenate([[False], rising[:-1]]))  # each rise's first point
    times = []
    for i in edges:
        level = max(2.0 * before[i], threshold * after[i])
        window = levels[i + k : i + 2 * k]
        first = int(np.argmax(window >= level)) if (window >= level).any() else 0
        times.append((i + k + first) * hop_s)
    return np.array(times)


def session_shift(ons: np.ndarray, found: np.ndarray) -> tuple[float, int]:
    """(the shift, s, that puts an attack of `found` within MATCH_SECONDS of the most note-ons
    `ons` (s): the median of those attacks' offsets from their note-ons; how many notes it
    matches). Of shifts matching as many notes, the smallest. (0.0, 0) without attacks."""
    if found.size == 0 or ons.size == 0:
        return 0.0, 0
    offsets = (found[None, :] - ons[:, None]).ravel()
    candidates = np.unique(np.round(offsets[np.abs(offsets) <= MAX_SHIFT_SECONDS] / HOP_SECONDS))
    best, best_count = 0.0, 0
    for d in sorted(candidates * HOP_SECONDS, key=abs):
        lo = np.searchsorted(found, ons + d - MATCH_SECONDS)
        count = int(np.count_nonzero(np.searchsorted(found, ons + d + MATCH_SECONDS, side="right") > lo))
        if count > best_count:
            best, best_count = d, count
    if not best_count:
        return 0.0, 0
    idx = np.searchsorted(found, ons + best)
    left, right = found[np.clip(idx - 1, 0, found.size - 1)], found[np.clip(idx, 0, found.size - 1)]
    nearest = np.where(np.abs(left - ons - best) <= np.abs(right - ons - best), left, right)
    off = nearest - ons
    return float(np.median(off[np.abs(off - best) <= MATCH_SECONDS])), best_count


def _agreed(matched: int, notes: int) -> bool:
    """Enough notes agree on a shift to judge the recording by it (MIN_NOTES, and half the notes)."""
    return matched >= max(MIN_NOTES, math.ceil(notes / 2))


def is_aligned(shift_s: float, matched: int, notes: int, tolerance_ms: float) -> bool:
    """The attacks of enough of a recording's notes (MIN_NOTES, and half of them) start within
    `tolerance_ms` of their note-ons: its MIDI file is neither early nor late."""
    return abs(shift_s * 1000.0) <= tolerance_ms and _agreed(matched, notes)


def cut_stop(off: float, stop: float, found: np.ndarray, tolerance_s: float) -> float:
    """Where a session note's cut ends (s): at the next note's note-on `stop`, or one block before
    an attack of `found` (s, sorted) that starts after the note's own note-off `off` and within
    `tolerance_s` before `stop` — the next note's sound, ahead of its note-on in a MIDI file a
    little late against its recording, which the cut would otherwise take for this note's tail."""
    early = found[(found > max(off, stop - tolerance_s)) & (found < stop)]
    return max(off, float(early[0]) - HOP_SECONDS) if early.size else stop


def shift_message(midi: Path, shift_s: float, matched: int, notes: int, tolerance_ms: float) -> str | None:
    """Why every note of a session recording fails when the attacks of `matched` of its `notes`
    notes lie `shift_s` s after (early MIDI) or before (late MIDI) their note-ons beyond
    `tolerance_ms`; None when they do not, or too few agree (MIN_NOTES, half the notes)."""
    ms = shift_s * 1000.0
    if abs(ms) <= tolerance_ms or not _agreed(matched, notes):
        return None
    which, where, how = ("early", "after", "later") if ms > 0 else ("late", "before", "earlier")
    return (f"{midi.name} is about {abs(ms):.0f} ms {which} against this recording: the attacks of "
            f"{matched} of its {notes} notes start {abs(ms):.0f} ms {where} their note-ons (median "
            f"{ms:+.0f} ms, tolerance ±{tolerance_ms:g} ms); move its notes {abs(ms):.0f} ms {how}")
