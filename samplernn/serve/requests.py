"""Checking what the page asks for against ServeLimits and the model, before any work is queued.

Every refusal is a UserError whose message the page shows as it is (one line, no server paths).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from conditioning import BankStats, parse_note
from conditioning.midi import is_midi_header
from conditioning.pitch import note_name, note_span
from samplernn.common.errors import UserError
from samplernn.render.drums import kit_hits, kit_piece
from samplernn.render.midi import (
    CHANNEL_OPTION_HINT,
    RenderOptions,
    as_played,
    parse_midi,
    pedal_hint,
    read_notes,
    released_notes,
    seconds_past,
    select_notes,
)
from samplernn.serve.limits import ServeLimits

PAGE_HINT = "transpose it or tick 'clamp'"  # the page's words for render's --transpose / --clamp
CHANNEL_HINT = "move the file's drums to channel 10"  # the page has no --channel
MAX_TRANSPOSE = 48  # semitones either way, as render's --transpose


@dataclass(frozen=True)
class TakeRequest:
    """Takes of one note: MIDI pitch, velocity 1..127, note-on to note-off in s, how many, a seed
    (None = fresh randomness)."""

    pitch: int
    velocity: int
    duration: float | None  # None: a drum hit, as long as the kit's
    takes: int
    seed: int | None = None
    played_by: str | None = None  # a drum model's: "'floor tom' (41 …) is played by the kit's 45 (…)"


def range_text(pitch_range: tuple[int, int]) -> str:
    """'C3–A4 (48–69)'; a model of one pitch 'D3 (50)'."""
    return note_span(*pitch_range, numbers=True)


def take_request(
    note: str | int,
    velocity: int,
    duration: float | None,
    takes: int,
    seed: int | None,
    limits: ServeLimits,
    pitch_range: tuple[int, int] | None,
    kit: Sequence[int] | None = None,
) -> TakeRequest:
    """A TakeRequest within the limits and the model's trained pitch range, else UserError.
    `duration` None: the limits' default length. For a drum model (`kit`: its GM keys) the note is
    a kit key or a piece's name (render.drums.kit_piece: a key the kit lacks is its substitute) and
    a hit lasts as long as the kit's, so a duration given is refused rather than ignored."""
    played_by = None
    if kit is not None:
        if duration is not None:
            raise UserError("a drum model's hits last as long as the kit's; leave out the length")
        pitch, played_by = kit_piece(note, kit)  # a key the kit lacks: its substitute, as render plays it
    else:
        duration = limits.default_duration if duration is None else duration
        try:
            pitch = parse_note(note)
        except ValueError as exc:
            said = str(exc)
            raise UserError(said if said.startswith("note ") else f"note: {said}") from None
    lo, hi = pitch_range or (0, 127)
    if not lo <= pitch <= hi:
        raise UserError(f"note {note_name(pitch)} ({pitch}) is outside the notes the model knows, "
                        f"{range_text((lo, hi))}")  # fmt: skip
    if not 1 <= velocity <= 127:
        raise UserError(f"velocity must be 1..127, got {velocity}")
    if duration is not None and not limits.min_duration <= duration <= limits.max_duration:
        raise UserError(
            f"length (duration) must be {limits.min_duration:g}..{limits.max_duration:g} s, got {duration:g}"
        )
    if not 1 <= takes <= limits.max_takes:
        raise UserError(f"takes must be 1..{limits.max_takes}, got {takes}")
    check_seed(seed)
    return TakeRequest(pitch, velocity, None if duration is None else float(duration), takes, seed, played_by)


def check_seed(seed: int | None) -> None:
    """UserError for a seed outside 0..2**32 - 1 (None: fresh randomness)."""
    if seed is not None and not 0 <= seed < 2**32:
        raise UserError(f"seed must be 0..{2**32 - 1}, got {seed}")


def check_render_fields(transpose: int, seed: int | None) -> None:
    """UserError (400, as a take request's) for a transpose or seed of a render outside its bounds;
    the form's parser refused them with 422, the status of a malformed request."""
    if not -MAX_TRANSPOSE <= transpose <= MAX_TRANSPOSE:
        raise UserError(f"transpose must be -{MAX_TRANSPOSE}..{MAX_TRANSPOSE} semitones, got {transpose}")
    check_seed(seed)


def check_upload_size(size: int, limits: ServeLimits) -> None:
    """UserError when an upload of `size` bytes is over the limit or empty (the bytes read: the
    request's declared length is checked before reading, serve.app.upload_size_guard)."""
    if size > limits.max_upload_bytes:
        raise UserError(f"the file is too large ({_sizes(size, limits.max_upload_bytes)})")
    if size == 0:
        raise UserError("the file is empty")


def _sizes(size: int, limit: int) -> str:
    """'1100 KiB; at most 1024 KiB', in bytes where whole KiB would read the same for both (an upload
    a few bytes over the limit read "1024 KiB; at most 1024 KiB")."""
    if round(size / 1024) > round(limit / 1024):
        return f"{size / 1024:.0f} KiB; at most {limit / 1024:.0f} KiB"
    return f"{size:,} bytes; at most {limit:,} bytes"


def check_midi(
    path: Path,
    name: str,
    opts: RenderOptions,
    limits: ServeLimits,
    pitch_range: tuple[int, int] | None,
    kit: Sequence[int] | None = None,
    stats: BankStats | None = None,
) -> tuple[int, float]:
    """(notes to render, seconds to the last note-off) of the MIDI file at `path`, shown to the
    user as `name`, as `render` selects and plays them with the loaded model: a pitched model's
    notes off the drum channel, the sustain pedal holding released notes; a drum model's (`kit`: its
    GM keys) on its drum channel, keys played by the kit's pieces, each hit as long as the kit's
    (with `stats`, the model's bank statistics: render.drums.kit_hits). UserError (naming `name`,
    never `path`) for a file that is not MIDI, cannot be read, holds no notes or none on a channel the
    model plays (render.midi.channel_mismatch), is longer or holds more notes than the limits allow,
    or has notes the model does not know (unless opts.clamp)."""
    try:
        if not is_midi_header(path.read_bytes()[:12]):
            raise UserError(f"{name}: not a MIDI file (a Standard MIDI File starts with 'MThd', a RIFF MIDI "
                            "file with 'RIFF' … 'RMID')")
        parsed = parse_midi(path)
        released = read_notes(path, parsed)
        notes = as_played(released, parsed, drums=kit is not None)  # as render_midi plays them
        played, _, _ = select_notes(path, notes, opts, pitch_range, kit, parsed)
        if kit is not None and stats is not None:
            played = kit_hits(played, stats, stats.sample_rate)
        seconds = max(n.stop for n, _ in played)
        if seconds > limits.max_midi_seconds:
            length = seconds_past(seconds, limits.max_midi_seconds)
            before = None if kit is not None else released_notes(released, notes, played)
            pedal = pedal_hint(before, limits.max_midi_seconds)  # too long by the pedal alone
            raise UserError(f"{name}: {length} s long{pedal}; at most {limits.max_midi_seconds:g} s here")
        if len(played) > limits.max_midi_notes:
            raise UserError(f"{name}: {len(played)} notes; at most {limits.max_midi_notes} here")
    except UserError as exc:
        text = str(exc).replace(str(path), name).replace("use --transpose K or --clamp", PAGE_HINT)
        text = text.replace(f" ({CHANNEL_OPTION_HINT})", f"; {CHANNEL_HINT}")
        raise UserError(text) from None
    return len(played), seconds
