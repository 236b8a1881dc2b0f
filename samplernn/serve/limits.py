"""What one request may ask of the server: the one source of every limit and default of the page."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class ServeLimits:
    """Limits on requests and on what the server keeps.

    Takes: `max_takes` per request, note lengths `min_duration`..`max_duration` s (note-on to
    note-off), velocities 1..127, pitches within the model's trained range.
    Uploads: MIDI files up to `max_upload_bytes`, at most `max_midi_seconds` long (last note-off)
    with at most `max_midi_notes` notes.
    Queue: at most `max_waiting` jobs waiting behind the running one; finished jobs (their files)
    are kept `job_ttl_s` seconds and at most `max_jobs` of them; a sample pack holds at most
    `max_pack_items` takes.

    Raises ValueError (at construction) for defaults outside their own limits.
    """

    max_takes: int = 8
    default_takes: int = 4
    min_duration: float = 0.05
    max_duration: float = 4.0
    default_duration: float = 1.0
    default_velocity: int = 100
    max_upload_bytes: int = 1 << 20
    max_midi_seconds: float = 120.0
    max_midi_notes: int = 2000
    max_waiting: int = 8
    job_ttl_s: float = 3600.0
    max_jobs: int = 64
    max_pack_items: int = 64

    def __post_init__(self) -> None:
        if not 1 <= self.default_takes <= self.max_takes:
            raise ValueError(f"default_takes must be 1..max_takes, got {self.default_takes}")
        if not 0 < self.min_duration <= self.default_duration <= self.max_duration:
            raise ValueError("durations must satisfy 0 < min_duration <= default_duration <= max_duration")

    def to_dict(self) -> dict[str, Any]:
        """The limits as JSON values (the page reads them to bound its inputs)."""
        return asdict(self)
