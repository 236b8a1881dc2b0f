"""The sustain pedal in a rendered MIDI file: a note released while its channel's pedal is down
sounds on until the pedal comes up, as `play` holds it live (samplernn.play.keyboard) and as a
piano's dampers do — or until the same key is struck again on that channel, which starts a new
note. An all-notes-off or all-sound-off message (CC123, CC120) ends every note of its channel
still sounding, pedal or not, as `play` releases them; and a key struck again on its channel
while its note still sounds ends that note at the new note-on (`apply_restrikes`), as `play`
releases it. Drum-channel notes are left as they are (a drum model's hits last the kit's length,
and ring over each other)."""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Mapping, Sequence

from conditioning import MidiNote


def apply_sustain(
    notes: Sequence[MidiNote], pedal: Mapping[int, Sequence[tuple[float, float]]]
) -> tuple[list[MidiNote], int]:
    """(`notes` with each note-off that falls while its channel's pedal is down moved to the
    pedal's release or the key's next note-on on that channel, whichever is first; how many were
    moved). `pedal`: conditioning.read_sustain's [down, up) spans in seconds per 0-based channel.
    The order of `notes` is kept. Each note looks its span and its re-strike up by bisection: a long
    pedalled performance (or an upload made to look like one) costs n log n, not n × spans."""
    if not pedal:
        return list(notes), 0
    restrikes = _strikes(notes)
    spans = {channel: sorted(s) for channel, s in pedal.items()}
    downs = {channel: [down for down, _ in s] for channel, s in spans.items()}
    out, moved = [], 0
    for n in notes:
        up = None if n.is_drum else _pedal_up(spans.get(n.channel, []), downs.get(n.channel, []), n.stop)
        if up is None:
            out.append(n)
            continue
        starts = restrikes[(n.channel, n.pitch)]
        # the key's first note-on after this one's, at or after its note-off
        j = bisect.bisect_left(starts, n.stop, lo=bisect.bisect_right(starts, n.start))
        stop = max(n.stop, min(up, starts[j]) if j < len(starts) else up)
        moved += stop > n.stop
        out.append(dataclasses.replace(n, stop=stop))
    return out, moved


def _pedal_up(spans: Sequence[tuple[float, float]], downs: Sequence[float], at: float) -> float | None:
    """The release of the span holding a note-off at time `at` (down < at < up), or None. `spans`:
    one channel's, sorted and apart (read_sustain's), `downs` their starts. A key released at the
    very tick the pedal goes down is not held: legato pedalling releases the old note and presses
    the pedal together, and the pedal catches only what still sounds (as `play` hears the note-off
    first in such a file)."""
    i = bisect.bisect_left(downs, at) - 1  # the last span down before `at`
    if i >= 0 and at < spans[i][1]:
        return spans[i][1]
    return None


def apply_all_notes_off(notes: Sequence[MidiNote], offs: Mapping[int, Sequence[float]]) -> list[MidiNote]:
    """`notes` with each one still sounding at an all-notes-off or all-sound-off message of its
    channel (conditioning.read_all_notes_off's times, ascending, per 0-based channel) ended there,
    pedal or not, as `play` releases them (samplernn.play.keyboard): a note left without a note-off
    that the file ends so is not hanging. Drum-channel notes are left as they are; the order of
    `notes` is kept."""
    out = []
    for n in notes:
        times = offs.get(n.channel, [])
        i = bisect.bisect_right(times, n.start)  # the first after the note-on
        if n.is_drum or i == len(times) or times[i] > n.stop or (times[i] == n.stop and not n.hanging):
            out.append(n)
        else:
            out.append(dataclasses.replace(n, stop=times[i], hanging=False))
    return out


def apply_restrikes(notes: Sequence[MidiNote]) -> list[MidiNote]:
    """`notes` with each one whose key is struck again on its channel before its note-off ended at
    that note-on, as `play` releases a key struck again (samplernn.play.keyboard): a file whose
    notes of one pitch overlap (a legato export, a doubled part) no longer plays them on top of each
    other. Notes struck at the same instant are left as they are; drum-channel notes too (a hit
    rings on under the next, as a cymbal struck twice does). The order of `notes` is kept."""
    strikes = _strikes([n for n in notes if not n.is_drum])
    out = []
    for n in notes:
        starts = strikes.get((n.channel, n.pitch), [])
        j = bisect.bisect_right(starts, n.start)  # the key's first note-on after this one's
        if n.is_drum or j == len(starts) or starts[j] >= n.stop:
            out.append(n)
        else:
            out.append(dataclasses.replace(n, stop=starts[j], hanging=False))
    return out


def _strikes(notes: Sequence[MidiNote]) -> dict[tuple[int, int], list[float]]:
    """Each (channel, pitch)'s note-on times in seconds, ascending."""
    strikes: dict[tuple[int, int], list[float]] = {}
    for n in notes:
        strikes.setdefault((n.channel, n.pitch), []).append(n.start)
    for starts in strikes.values():
        starts.sort()
    return strikes
