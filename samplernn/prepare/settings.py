"""Settings of `samplernn prepare`, with the defaults the issue and DESIGN.md §2 give."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

LAYOUTS = ("auto", "pairs", "folder-midi", "session")
NORMALIZE_MODES = ("bank", "per-file")
AUDIO_SUFFIXES = (".wav", ".flac")
MIDI_SUFFIXES = (".mid", ".midi")


@dataclass(frozen=True)
class PrepareSettings:
    """How a bank is prepared. Positions `pre`/`post` are in source-rate samples, as in the thesis."""

    layout: str = "auto"
    sample_rate: int = 16000
    normalize: str = "bank"  # "bank": one gain for all notes; "per-file": each note peaks at `peak`
    peak: float = 0.9  # target peak: of the loudest recording ("bank") or of every note ("per-file")
    threshold: float = 0.008  # envelope start/end: this share of the note's own envelope peak
    pre: int = 100  # samples kept before the detected start
    post: int = 400  # samples kept after the detected end
    lead_silence: float = 0.25  # seconds of silence put before each note
    # Seconds of silence put after each note: without it the model never sees a note decay into
    # lasting silence and, left to run on past an end (gaps in a melody), drifts into noise.
    tail_silence: float = 0.25
    length: float | None = None  # fixed length in seconds (thesis: 4.0); None keeps natural length
    fade: float = 1.0  # linear fade-out over the last `fade` seconds, only with `length`
    tolerance_ms: float = 100.0  # largest |note-on − detected start| before MIDI and audio disagree
    silence_peak: float = 1e-4  # a recording whose peak is below this (-80 dBFS) counts as silent
    val_fraction: float = 0.1
    test_fraction: float = 0.1
    seed: int = 0  # split assignment seed
    skip_bad: bool = False  # failures are reported but do not make the run fail

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, got {self.layout!r}")
        if self.normalize not in NORMALIZE_MODES:
            raise ValueError(f"normalize must be 'bank' or 'per-file', got {self.normalize!r}")
        if not 1000 <= self.sample_rate <= 384000:
            raise ValueError(f"sample rate {self.sample_rate} Hz is out of range (1000..384000)")
        if not 0.0 < self.peak <= 1.0:
            raise ValueError(f"peak must be in (0, 1], got {self.peak}")
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"threshold must be in (0, 1), got {self.threshold}")
        if (self.pre < 0 or self.post < 0 or self.lead_silence < 0 or self.tail_silence < 0
                or self.tolerance_ms < 0):
            raise ValueError("pre, post, lead/tail silence and tolerance must not be negative")
        if self.length is not None and self.length <= self.lead_silence:
            raise ValueError(f"length {self.length} s must exceed the lead silence ({self.lead_silence} s)")
        if self.fade < 0:
            raise ValueError(f"fade must not be negative, got {self.fade}")
        if not (0 <= self.val_fraction < 1 and 0 <= self.test_fraction < 1
                and self.val_fraction + self.test_fraction < 1):
            raise ValueError("val and test fractions must be >= 0 and leave a share for train")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
