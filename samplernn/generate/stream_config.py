"""How the streaming engine plays: its settings, as plain values (importing them loads no torch,
so the command line can take its defaults from here)."""

from __future__ import annotations

from dataclasses import dataclass

COUNTDOWNS = ("auto", "held", "legacy")


@dataclass(frozen=True)
class StreamConfig:
    """How the engine plays (times in seconds).

    voices: the pool; block: samples per `render_block` (a multiple of the model's lookback);
    lead: silence generated before every note (the primed state); tail: generated after a note's
    end before its voice is free; countdown: 'held' (needs a model with a held flag), 'legacy'
    (a frozen countdown for models without one) or 'auto' (held when the model has the flag);
    legacy_hold: the frozen countdown's distance to the release.
    """

    voices: int = 8
    block: int = 256
    lead: float = 0.25
    tail: float = 0.1
    countdown: str = "auto"
    legacy_hold: float = 0.5

    def __post_init__(self) -> None:
        if self.voices < 1 or self.block < 1:
            raise ValueError(f"voices and block must be >= 1, got {self.voices} and {self.block}")
        if self.lead < 0 or self.tail < 0 or self.legacy_hold < 0:
            raise ValueError("lead, tail and legacy_hold must be >= 0")
        if self.countdown not in COUNTDOWNS:
            raise ValueError(f"countdown must be one of {', '.join(COUNTDOWNS)}, got {self.countdown!r}")
