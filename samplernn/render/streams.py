"""Notes as generated streams: one stream per note, placed in the output by its start, and the mix.

A note's stream is `lead` samples of silent context before the onset (as the training files
have), the note (onset → release → end = release + the bank's release tail), then `tail`
samples after `end`. Streams are summed at their starts, so polyphony is free.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from conditioning import BankStats, NoteEvent, events_to_conditioning


@dataclass
class StreamSpec:
    """One generated stream: its conditioning and where its first sample lands in the output."""

    cond: np.ndarray  # int32 (n, 5)
    start: int  # output position of the stream's sample 0 (onset − lead; may be negative)
    event: NoteEvent  # the note in output positions (onset, release, end)


def note_stream(
    pitch: int, velocity: int, onset: int, release: int, stats: BankStats, lead: int, tail: int
) -> StreamSpec:
    """The stream of one note, positions in samples of the output; end = release + bank tail."""
    release = max(onset, release)
    end = max(release + stats.release_tail(pitch, velocity), onset + 1)
    event = NoteEvent(pitch, velocity, onset, release, end)
    n = lead + (end - onset) + tail
    local = NoteEvent(pitch, velocity, lead, lead + release - onset, lead + end - onset)
    return StreamSpec(events_to_conditioning([local], n, stats), onset - lead, event)


def mix(streams: list[np.ndarray], starts: list[int], length: int | None = None) -> np.ndarray:
    """Sum streams (n_i,) at output positions starts[i] (parts before 0 are dropped) → float64
    (length,); length defaults to the end of the last stream."""
    ends = [s + len(a) for s, a in zip(starts, streams, strict=True)]
    length = max([0, *ends]) if length is None else length
    out = np.zeros(length, np.float64)
    for s, a in zip(starts, streams, strict=True):
        a = a[max(0, -s) :]
        s = max(0, s)
        a = a[: max(0, length - s)]
        out[s : s + len(a)] += a
    return out
