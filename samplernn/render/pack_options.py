"""Options of `samplernn pack`: every default stated once, here (light to import: no torch)."""

from __future__ import annotations

from dataclasses import dataclass, field

from samplernn.generate.options import ONSET_CANDIDATES, GenerationOptions

DEFAULT_VELOCITIES = (40, 80, 120)
BIT_DEPTHS = (8, 16, 24)
#: Rounds of new takes `--best` may draw for a (piece, velocity) short of usable takes (PackOptions).
REDRAWS = 2
MAX_REDRAWS = 16


@dataclass(frozen=True)
class PackOptions:
    """What goes into a pack. pieces: names or GM keys ('kick', 'snare', '42'; None = every piece
    of the kit); takes per (piece, velocity), of which `best` are kept (None = all); every take's
    hit is the best of up to `onset_candidates` starts (OnsetSearch.for_hits; 1 = off). A velocity
    given twice counts once. With `best`, a (piece, velocity) that has fewer than `best` usable takes
    (like its piece, new and clean: render.pack.usable) gets up to `redraws` more rounds of `takes`
    new takes, only it, before the best are kept (0 = none; measured on the Black Pearl:
    docs/drums.md, "Drawing again for the pieces a pack is short of").

    Raises ValueError (at construction) for an impossible velocity, count or bit depth.
    """

    pieces: tuple[str, ...] | None = None
    velocities: tuple[int, ...] = DEFAULT_VELOCITIES
    takes: int = 4
    best: int | None = None
    redraws: int = REDRAWS
    bit_depth: int = 16
    lead: float = 0.25  # seconds of silent context generated before each note-on (cut off)
    tail: float = 0.1  # seconds generated after the kit's release tail
    generation: GenerationOptions = field(default_factory=GenerationOptions)
    onset_candidates: int = ONSET_CANDIDATES
    engine: str = "auto"  # how the takes are generated, as render's (render.voices.RENDER_ENGINES)

    def __post_init__(self) -> None:
        # A velocity given twice would be generated twice and written to one file name: once.
        object.__setattr__(self, "velocities", tuple(dict.fromkeys(self.velocities)))
        if self.pieces is not None and not self.pieces:
            raise ValueError("pieces: none given (leave the option out for every piece of the kit)")
        if not self.velocities or not all(1 <= v <= 127 for v in self.velocities):
            raise ValueError(f"velocities must be 1..127, got {list(self.velocities)}")
        if self.takes < 1 or (self.best is not None and not 1 <= self.best <= self.takes):
            raise ValueError(f"takes must be >= 1 and best 1..takes, got {self.takes} and {self.best}")
        if not 0 <= self.redraws <= MAX_REDRAWS:
            raise ValueError(f"redraws must be within 0..{MAX_REDRAWS}, got {self.redraws}")
        if self.onset_candidates < 1:
            raise ValueError(f"onset candidates must be >= 1, got {self.onset_candidates}")
        if self.bit_depth not in BIT_DEPTHS:
            raise ValueError(f"bit depth {self.bit_depth}: use 16, 24 or 8")
