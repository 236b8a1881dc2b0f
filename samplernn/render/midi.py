"""MIDI files → notes → conditioned streams (samplernn.render.streams) → generated audio, mixed
at the note onsets and made peak-safe by lowering its gain when needed.

Streams are generated in length buckets by `samplernn.generate.engine`; polyphony is free.
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import mido

from conditioning import MidiError, MidiNote, open_midi, read_midi_notes, read_sustain
from conditioning.midi import ALL_NOTES_OFF_CCS, DRUM_CHANNEL, SUSTAIN_CC, read_all_notes_off
from conditioning.pitch import note_name, note_span
from samplernn.common.audio import CEILING_DB, limit_peak, write_wav
from samplernn.common.errors import UsageError, UserError
from samplernn.generate.engine import synthesize
from samplernn.generate.options import ONSET_CANDIDATES, GenerationOptions
from samplernn.model.checkpoint import Checkpoint
from samplernn.render.drums import is_drum_model, kit_hits, kit_keys, kit_notes, refuse_transpose
from samplernn.render.streams import mix, note_stream
from samplernn.render.sustain import apply_all_notes_off, apply_restrikes, apply_sustain
from samplernn.render.voices import check_render_engine, pick_render_engine, render_voices

#: How a drum model's line of `channel_mismatch` ends in `render` (the web page and `demo`, which have
#: no --channel, put their own words in its place: serve.requests, render.demo).
CHANNEL_OPTION_HINT = "`render --channel N` plays the file's channel N"
#: Seconds of silence before a file's first note from which render warns of it (a DAW's export
#: from bar 1 of a song whose part enters later; not an error: the timing is the file's).
LONG_LEAD_S = 10.0


@dataclass
class RenderOptions:
    """What to render from a MIDI file and how."""

    tracks: set[int] | None = None  # keep only these track indices (0-based)
    channels: set[int] | None = None  # keep only these channels (1-based, as musicians count)
    transpose: int = 0
    clamp: bool = False  # move out-of-range notes to the nearest trained pitch instead of failing
    lead: float = 0.25  # seconds of silent context before every note
    tail: float = 0.1  # seconds generated after each note's estimated end
    bit_depth: int = 16
    # "notes": every note its own stream (its lead and tail generated each time); "voices":
    # persistent voices, generated only while they sound; "auto": the one that suits the device
    # (samplernn.render.voices.pick_render_engine).
    engine: str = "auto"
    # The most candidate onsets per note of a pitched model, the best kept (OnsetSearch; 1 = off),
    # on either engine.
    onset_candidates: int = ONSET_CANDIDATES
    # The longest file rendered, seconds to the last note-off: a stuck note (a note-off missing
    # or hours late) is refused with its length instead of filling the memory.
    max_seconds: float = 3600.0
    # How to generate; temperature None = the checkpoint's own (Checkpoint.temperature).
    generation: GenerationOptions = field(default_factory=GenerationOptions)
    # Also write the rendered audio's waveform above its spectrogram here (render.pictures.plot_note),
    # titled picture_title (default: the MIDI file's name); None: no picture.
    picture: Path | None = None
    picture_title: str = ""


@dataclass
class RenderReport:
    """What `render_midi` did, for the command's summary."""

    out: Path
    n_notes: int
    seconds: float
    gain_db: float
    peak_db: float
    elapsed: float
    notes_range: tuple[int, int]
    ignored: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    # warnings on the file's timing: notes with no note-off (hanging, conditioning.midi) or none after
    # the note-on (no length), and a first note LONG_LEAD_S or more into the file
    hanging: list[str] = field(default_factory=list)
    onset_candidates: int = 1  # the most candidates the onset search tried per note (1: none)
    pieces: tuple[int, ...] = ()  # a drum model's: the kit keys played, ascending (empty: pitched)
    pedal_held: int = 0  # notes the sustain pedal held past their note-off (render.sustain)
    picture: Path | None = None  # the PNG written beside the WAV (RenderOptions.picture)


def _non_note_events(source: Path | mido.MidiFile, sustain: bool = False, tracks: set[int] | None = None,
                     channels: set[int] | None = None) -> Counter[str]:
    """Channel messages that are not notes (controllers, program changes, …), by type; with
    `sustain` the sustain pedal's and the all-notes-off are left out (render.sustain plays them).
    `tracks` (0-based) and `channels` (1-based): only those of the tracks and channels played (None:
    all), as RenderOptions keeps the notes; the others are left out with their tracks and channels.
    `source`: a path or the parsed file."""
    try:
        mid = source if isinstance(source, mido.MidiFile) else open_midi(source)
    except MidiError:  # read_midi_notes has already parsed it; counting is best effort
        return Counter()
    return Counter(
        m.type
        for i, t in enumerate(mid.tracks)
        if tracks is None or i in tracks
        for m in t
        if not m.is_meta and m.type not in ("note_on", "note_off", "sysex")
        and (channels is None or getattr(m, "channel", None) is None or m.channel + 1 in channels)
        and not (sustain and m.type == "control_change" and m.control in (SUSTAIN_CC, *ALL_NOTES_OFF_CCS))
    )


def _events_line(events: Counter[str], opts: RenderOptions) -> str:
    """'non-note events on track(s) 1 and channel(s) 2,3: 2 control_change, 1 program_change': what
    select_notes ignores, naming the tracks and channels they were counted on when some are left out."""
    where = [f"{what}(s) {','.join(map(str, sorted(chosen)))}"
             for what, chosen in (("track", opts.tracks), ("channel", opts.channels)) if chosen is not None]
    on = f" on {' and '.join(where)}" if where else ""
    return f"non-note events{on}: " + ", ".join(f"{c} {t}" for t, c in sorted(events.items()))


def _fmt_note(n: MidiNote, pitch: int | None = None) -> str:
    return note_at(n.pitch if pitch is None else pitch, n.start)


def note_at(pitch: int, seconds: float) -> str:
    """A note as render's messages name it: 'D3 (50) at 1.25 s' (`play` names the notes it leaves
    out so too)."""
    return f"{note_name(pitch)} ({pitch}) at {seconds:.2f} s"


def outside_range(n: int, lo: int, hi: int, transpose: int = 0) -> str:
    """'3 note(s) transposed by -12 outside the model's trained range C3–G3 (48–55)': render's words
    for notes outside the range (`play` says them too); the transposition named when there is one."""
    trans = f" transposed by {transpose:+d}" if transpose else ""
    return f"{n} note(s){trans} outside the model's trained range {note_span(lo, hi, numbers=True)}"


def channel_mismatch(name: str, notes: Sequence[MidiNote], kit: Sequence[int] | None) -> str | None:
    """The one line, naming `name`, that says none of `notes` is on a channel the model plays by
    default — a pitched model (`kit` None) leaves the drum channel (10) out, a drum model (`kit`: its
    GM keys) plays it alone — or None when some note is (or there are no notes). A drum model's line
    ends with " (CHANNEL_OPTION_HINT)", which callers without --channel replace."""
    drums = sum(n.is_drum for n in notes)
    if kit is None and notes and drums == len(notes):
        return (f"{name}: only drum-channel notes (channel 10), and this model is pitched: it leaves the "
                "drum channel out")
    if kit is not None and notes and not drums:
        return (f"{name}: no drum-channel notes (channel 10), and this model is a drum model: it plays the "
                f"drum channel only ({CHANNEL_OPTION_HINT})")
    return None


def select_notes(
    path: Path,
    notes: list[MidiNote],
    opts: RenderOptions,
    pitch_range: tuple[int, int] | None,
    kit: Sequence[int] | None = None,
    parsed: mido.MidiFile | None = None,
) -> tuple[list[tuple[MidiNote, int]], list[str], list[str]]:
    """Filter, transpose and range-check. Returns ((note, pitch to play) list, ignored, changed).
    `parsed`: `path` as open_midi parsed it, so that it is not parsed again.

    A pitched model plays every channel but the drum channel (10); a drum model (`kit`: its GM
    keys) plays the drum channel unless opts.channels says otherwise, each key by a piece of the
    kit (drums.kit_notes). Raises UserError (naming `path`) when no note is left to play:
    channel_mismatch's line where the channels are the model's default.
    """
    ignored: list[str] = []
    kept = notes
    channels_defaulted = opts.channels is None
    mismatch = channel_mismatch(str(path), notes, kit) if kit is None or channels_defaulted else None
    if mismatch:
        raise UserError(mismatch)
    if kit is None:
        drums = [n for n in notes if n.is_drum]
        if drums:
            ignored.append(f"{len(drums)} drum-channel note(s)")
        kept = [n for n in notes if not n.is_drum]
    elif opts.channels is None:
        opts = dataclasses.replace(opts, channels={DRUM_CHANNEL + 1})
    if opts.tracks is not None:
        _check_tracks(path, notes, opts.tracks)
        dropped = sum(n.track not in opts.tracks for n in kept)
        kept = [n for n in kept if n.track in opts.tracks]
        if dropped:
            ignored.append(f"{dropped} note(s) on other tracks")
    if opts.channels is not None:
        if not channels_defaulted:
            _check_channels(path, notes, opts.channels)
        dropped = sum(n.channel + 1 not in opts.channels for n in kept)
        kept = [n for n in kept if n.channel + 1 in opts.channels]
        if dropped:
            ignored.append(f"{dropped} note(s) on other channels")
    events = _non_note_events(path if parsed is None else parsed, kit is None, opts.tracks, opts.channels)
    if events:
        ignored.append(_events_line(events, opts))
    if kit is not None:
        played, more, changed = kit_notes(kept, kit, opts.transpose)
        ignored += more
        kept = [n for n, _ in played]
    if not kept:
        why = f" ({'; '.join(ignored)})" if ignored else ""
        raise UserError(f"{path}: no notes to render{why}")
    if kit is not None:
        return played, ignored, changed
    lo, hi = pitch_range if pitch_range else (0, 127)
    played: list[tuple[MidiNote, int]] = []
    outside: list[str] = []
    clamped: list[str] = []
    for n in kept:
        p = n.pitch + opts.transpose
        if lo <= p <= hi:
            played.append((n, p))
        elif opts.clamp:
            q = min(max(p, lo), hi)
            clamped.append(f"{_fmt_note(n, p)} → {note_name(q)}")
            played.append((n, q))
        else:
            outside.append(_fmt_note(n, p))
    changed = clamped if len(clamped) <= SHOWN_NOTES else [
        f"{len(clamped)} notes outside the model's trained range {note_span(lo, hi, numbers=True)} moved to "
        f"its nearest edge ({', '.join(clamped[:SHOWN_NOTES])} and {len(clamped) - SHOWN_NOTES} more)"]
    if outside:
        shown = ", ".join(outside[:8]) + (f" and {len(outside) - 8} more" if len(outside) > 8 else "")
        # the transposition named (the page has no flags to show it)
        raise UserError(f"{path}: {outside_range(len(outside), lo, hi, opts.transpose)}: {shown}; "
                        "use --transpose K or --clamp")
    return played, ignored, changed


def _check_tracks(path: Path, notes: Sequence[MidiNote], tracks: set[int]) -> None:
    """UsageError naming the tracks that hold notes when a --track asked for holds none."""
    held = sorted({n.track for n in notes})
    empty = sorted(set(tracks) - set(held))
    if empty:
        raise UsageError(f"--track {','.join(map(str, empty))}: {path.name} has no notes there; its notes "
                         f"are on track(s) {', '.join(map(str, held))} (0-based)")


def _check_channels(path: Path, notes: Sequence[MidiNote], channels: set[int]) -> None:
    """UsageError naming the channels that hold notes (1-based) when a --channel asked for holds
    none, as _check_tracks names the tracks."""
    held = sorted({n.channel + 1 for n in notes})
    empty = sorted(set(channels) - set(held))
    if empty:
        raise UsageError(f"--channel {','.join(map(str, empty))}: {path.name} has no notes there; its notes "
                         f"are on channel(s) {', '.join(map(str, held))}")


def parse_midi(midi: Path) -> mido.MidiFile:
    """The MIDI file at `midi`, parsed once for read_notes, read_sustain and select_notes.

    Raises:
        UserError: the file is missing or a folder, or cannot be read as MIDI (one line naming it:
            conditioning.open_midi).
    """
    if not midi.is_file():
        problem = "a folder, not a MIDI file" if midi.is_dir() else "MIDI file not found"
        raise UserError(f"{midi}: {problem}")
    try:
        return open_midi(midi)
    except MidiError as exc:
        raise UserError(str(exc)) from None


def read_notes(midi: Path, parsed: mido.MidiFile | None = None) -> list[MidiNote]:
    """The notes of the MIDI file at `midi`, read as `prepare` reads them
    (conditioning.read_midi_notes); `parsed`: the file as parse_midi parsed it, not parsed again.

    Raises:
        UserError: the file cannot be read as MIDI, or holds no notes (one line naming it).
    """
    try:
        notes = read_midi_notes(midi if parsed is None else parsed)
    except MidiError as exc:
        raise UserError(str(exc)) from None
    if not notes:
        raise UserError(f"{midi}: the MIDI file holds no notes")
    return notes


def as_played(notes: list[MidiNote], parsed: mido.MidiFile, drums: bool,
              pedal: dict[int, list[tuple[float, float]]] | None = None) -> list[MidiNote]:
    """`notes` as render plays them, in their order: a pitched model's notes released while their
    channel's sustain pedal is down sound on until it comes up, an all-notes-off ends every note of
    its channel still sounding, and a key struck again ends its note still sounding (render.sustain);
    a drum model's hits last the kit's length whatever the pedal does. `parsed`: the file
    read_notes read `notes` from (its clock read already, so the readers cannot refuse it); `pedal`:
    its conditioning.read_sustain spans when the caller has read them already."""
    if drums:
        return notes
    held = apply_sustain(notes, read_sustain(parsed) if pedal is None else pedal)[0]
    return apply_restrikes(apply_all_notes_off(held, read_all_notes_off(parsed)))


def _held(released: Sequence[MidiNote], sustained: Sequence[MidiNote],
          played: Sequence[tuple[MidiNote, int]]) -> int:
    """How many of the `played` notes the pedal held past their note-off (`sustained`: what
    as_played made of `released`; notes left out by --track or --channel are not counted)."""
    moved = {after for before, after in zip(released, sustained, strict=True) if after.stop > before.stop}
    return sum(n in moved for n, _ in played)


#: What a length refusal adds when the sustain pedal is what makes the notes too long (render's
#: --max-seconds and the serve page's upload limit).
PEDAL_HOLDS = "the sustain pedal holds its notes past their note-offs"


def released_notes(released: Sequence[MidiNote], sustained: Sequence[MidiNote],
                   played: Sequence[tuple[MidiNote, int]]) -> list[MidiNote]:
    """The `played` notes as the file releases them (`sustained`: what as_played made of `released`)."""
    chosen = {n for n, _ in played}
    return [before for before, after in zip(released, sustained, strict=True) if after in chosen]


def pedal_hint(released: Sequence[MidiNote] | None, max_seconds: float) -> str:
    """' (PEDAL_HOLDS)' when the notes as the file releases them (`released`: released_notes';
    None or none for a drum model) end within `max_seconds`, so that the sustain pedal alone makes
    them too long; '' otherwise."""
    if released and max(n.stop for n in released) <= max_seconds:
        return f" ({PEDAL_HOLDS})"
    return ""


def check_length(midi: Path, notes: Sequence[MidiNote], max_seconds: float,
                 released: Sequence[MidiNote] | None = None, option: str | None = "--max-seconds") -> None:
    """UserError when the last of `notes` ends after `max_seconds` s. `released`: the same notes as
    the file releases them (before as_played); when those end in time the sustain pedal is what
    makes them too long, and the message says so (PEDAL_HOLDS). Otherwise it names the longest note
    when that lasts a minute or more: usually a note-off that is missing or far too late. `option`:
    the command's option that sets the limit, named in the message (None: a command without one,
    `play`, which says the limit alone)."""
    last = max((n.stop for n in notes), default=0.0)
    if last <= max_seconds:
        return
    longest = max(notes, key=lambda n: n.stop - n.start)
    hint = pedal_hint(released, max_seconds)
    if not hint and longest.stop - longest.start >= 60.0:
        hint = (f"; its longest note, {_fmt_note(longest)}, lasts {longest.stop - longest.start:.0f} s "
                "(a note-off missing?)")  # fmt: skip
    end = seconds_past(last, max_seconds)
    limit = f"{option} {max_seconds:g}" if option else f"the {max_seconds:g} s a file is played into a WAV"
    raise UserError(f"{midi}: the notes end at {end} s, longer than {limit}{hint}")


def seconds_past(seconds: float, limit: float) -> str:
    """`seconds` (> `limit`) with as few decimals as show it past `limit`: '3601', or '3600.5' where
    whole seconds would read '3600 s, longer than 3600'."""
    for digits in range(4):
        text = f"{seconds:.{digits}f}"
        if float(text) > limit:
            return text
    return f"{seconds:.4f}"


#: How many notes a warning shared by many names before "and N more".
SHOWN_NOTES = 3


def _named(notes: Sequence[MidiNote], stop: bool = False) -> str:
    """'D3 (50) at 0.00 s, E3 (52) at 0.50 s, F3 (53) at 1.00 s and 7 more' (`stop`: each with its
    stop, '… to 1.00 s'): the first SHOWN_NOTES of `notes`."""
    shown = ", ".join(_fmt_note(n) + (f" to {n.stop:.2f} s" if stop else "") for n in notes[:SHOWN_NOTES])
    more = len(notes) - SHOWN_NOTES
    return shown + (f" and {more} more" if more > 0 else "")


def timing_warnings(notes: Sequence[MidiNote]) -> list[str]:
    """A pitched model's warnings on `notes`: those with no note-off (hanging, played to their
    track's last event) and those of no length (note-on and note-off on one tick), one line for
    each kind however many notes it holds (a file of thousands of them: one line, the first
    SHOWN_NOTES named and a count), one note's line naming it."""
    hanging = [n for n in notes if n.hanging]
    empty = [n for n in notes if n.stop <= n.start and not n.hanging]
    lines = []
    if len(hanging) == 1:
        lines.append(f"{_fmt_note(hanging[0])} has no note-off: played until its track's last event, "
                     f"{hanging[0].stop:.2f} s")  # fmt: skip
    elif hanging:
        lines.append(f"{len(hanging)} notes have no note-off: each played until its track's last event "
                     f"({_named(hanging, stop=True)})")  # fmt: skip
    if len(empty) == 1:
        lines.append(f"{_fmt_note(empty[0])} has no length (its note-on and note-off share a tick): played "
                     "as an attack and its release")  # fmt: skip
    elif empty:
        lines.append(f"{len(empty)} notes have no length (each one's note-on and note-off share a tick): "
                     f"each played as an attack and its release ({_named(empty)})")  # fmt: skip
    return lines


def _long_lead(notes: Sequence[MidiNote]) -> list[str]:
    """A warning when the first of `notes` starts LONG_LEAD_S or more into the file: the WAV keeps
    the file's timing (to line up with its other parts), so it begins with that much silence."""
    first = min(n.start for n in notes)
    if first < LONG_LEAD_S:
        return []
    return [f"the first note starts at {first:.1f} s: the WAV begins with {first:.1f} s of silence "
            "(the file's own timing, kept so that it lines up with the file's other parts)"]


def render_midi(ckpt: Checkpoint, midi: str | Path, out: str | Path, opts: RenderOptions) -> RenderReport:
    """Render every note of `midi` with the checkpoint's model and write a peak-safe WAV to `out`.
    A drum model (render.drums) plays the drum channel, each hit for the kit's length.

    Raises UserError (nothing written) for unreadable, empty or note-free files and for notes
    outside the trained pitch range (unless opts.clamp / opts.transpose bring them in).
    """
    midi, out = Path(midi), Path(out)
    check_render_engine(opts.engine)
    parsed = parse_midi(midi)
    released = read_notes(midi, parsed)
    kit = kit_keys(ckpt.stats) if is_drum_model(ckpt) else None
    if kit is not None:
        refuse_transpose(opts.transpose)
    notes = as_played(released, parsed, drums=kit is not None)
    played, ignored, changed = select_notes(midi, notes, opts, ckpt.pitch_range, kit, parsed)
    held = _held(released, notes, played)
    as_released = None if kit else released_notes(released, notes, played)  # the pedal blamed by check_length
    sr = ckpt.sample_rate
    if kit:
        played = kit_hits(played, ckpt.stats, sr)
    check_length(midi, [n for n, _ in played], opts.max_seconds, as_released)
    t = time.perf_counter()
    gen = opts.generation.for_checkpoint(ckpt)
    gen = gen.with_onset_search(opts.onset_candidates, sr, hits=kit is not None, pieces=ckpt.hit_pieces)
    if pick_render_engine(opts.engine, ckpt.model, gen) == "voices":
        # the voices make each note's conditioning as they reach it: none is built here
        mixed = render_voices(ckpt.model, ckpt.stats, sr, played, opts.lead, opts.tail, gen)
        elapsed = time.perf_counter() - t
    else:
        lead, tail = round(opts.lead * sr), round(opts.tail * sr)
        specs = [note_stream(p, n.velocity, round(n.start * sr), round(n.stop * sr), ckpt.stats, lead, tail)
                 for n, p in played]
        audio = synthesize(ckpt.model, [s.cond for s in specs], gen)
        elapsed = time.perf_counter() - t
        mixed = mix(audio, [s.start for s in specs])
    mixed, gain_db, peak_db = limit_peak(mixed, CEILING_DB)
    write_wav(out, mixed, sr, opts.bit_depth)
    if opts.picture is not None:
        from samplernn.render.pictures import plot_note  # matplotlib: only when a picture is asked

        plot_note(mixed, sr, opts.picture, title=opts.picture_title or midi.name)
    pitches = [p for _, p in played]
    return RenderReport(
        out,
        len(played),
        len(mixed) / sr,
        gain_db,
        peak_db,
        elapsed,
        (min(pitches), max(pitches)),
        ignored,
        changed,
        ([] if kit else timing_warnings([n for n, _ in played])) + _long_lead([n for n, _ in played]),
        gen.onset_candidates,
        tuple(sorted(set(pitches))) if kit else (),
        held,
        opts.picture,
    )  # fmt: skip
