"""Model configuration as a dataclass, with named presets."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from math import prod
from typing import Any


@dataclass
class ModelConfig:
    """Architecture of a conditional SampleRNN.

    frame_sizes are ratios, lowest tier first: (16, 4) gives frame tiers of 16 and 64 samples
    above a sample-level MLP that sees the last 16 samples.
    """

    frame_sizes: tuple[int, ...] = (16, 4)
    dim: int = 1024
    n_rnn: int = 2
    q_levels: int = 256
    quantization: str = "mu-law"
    embed_dim: int = 256
    weight_norm: bool = True
    learn_h0: bool = True
    conditioning: bool = True
    note_embed_dim: int = 16
    # Also condition on the bank's typical loudness envelope (the `level` column). False in
    # checkpoints from before the column existed.
    level_conditioning: bool = False
    # Also feed sin/cos of the first `oscillator` harmonics of the note's equal-tempered phase
    # (computed from the note and elapsed columns): a pitch reference the waveform can lock to.
    # 0 = off (checkpoints from before it existed). Needs sample_rate, which training sets from
    # the dataset.
    oscillator: int = 0
    sample_rate: int = 0  # Hz; only the oscillator uses it (0 = not set)
    # Also feed a 'held' flag: 1 where the remaining column holds conditioning.REMAINING_HELD (a
    # key down whose end is not known yet, as in live play), when the countdown reads as a
    # sustaining note's (network.HELD_COUNTDOWN). False in checkpoints from before it existed.
    held_flag: bool = False
    # Model pre-emphasised audio, y[n] = x[n] - a·x[n-1] with this a, de-emphasised after
    # generation (samplernn.data.emphasis): quantisation noise then sits under the strong low
    # harmonics. 0 = off (checkpoints from before it existed).
    pre_emphasis: float = 0.0
    # Training-time dropout on the non-recurrent connections (Zaremba, Sutskever & Vinyals 2014,
    # "Recurrent neural network regularization"): each frame tier's GRU input and output and the
    # sample-level MLP's two hidden layers. Generation never drops (the engines run the weights
    # as trained), so it changes no weight's shape and a checkpoint of any dropout plays alike.
    # 0 = off.
    dropout: float = 0.0
    # A drum kit's pieces as (GM key, spectral centroid in MIDI pitch units) pairs: the pitch
    # column reads a piece's centroid instead of its key number, which orders a kit's pieces by
    # nothing they sound like (samplernn.data.piece_brightness). Keys not listed read their own
    # number. () = every key reads its number (checkpoints from before it existed).
    piece_brightness: tuple[tuple[int, float], ...] = ()
    # A drum kit's tonal pieces as (GM key, resonance in Hz) pairs: the oscillator runs at a
    # listed piece's measured resonance, and is silent (0) for the kit's other keys
    # (samplernn.data.piece_tuning). () = every note's equal-tempered frequency (checkpoints
    # from before it existed). Needs oscillator > 0 to change anything.
    piece_tuning: tuple[tuple[int, float], ...] = ()

    def __post_init__(self) -> None:
        self.frame_sizes = tuple(int(r) for r in self.frame_sizes)
        self.piece_brightness = _key_pairs(self.piece_brightness, "piece_brightness", 200.0)
        self.piece_tuning = _key_pairs(self.piece_tuning, "piece_tuning", 20000.0)
        self.level_conditioning = bool(self.level_conditioning and self.conditioning)
        self.held_flag = bool(self.held_flag and self.conditioning)
        self.oscillator = int(self.oscillator) if self.conditioning else 0
        self.pre_emphasis = float(self.pre_emphasis)
        if not 0.0 <= self.pre_emphasis < 1.0:
            raise ValueError(f"pre_emphasis must be in [0, 1), got {self.pre_emphasis}")
        self.dropout = float(self.dropout)
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.oscillator < 0 or self.sample_rate < 0:
            raise ValueError("oscillator and sample_rate must be >= 0")
        if not self.frame_sizes or any(r < 1 for r in self.frame_sizes):
            raise ValueError(f"frame_sizes must be positive ratios, got {self.frame_sizes}")
        if self.quantization not in ("mu-law", "linear"):
            raise ValueError(f"quantization must be 'mu-law' or 'linear', got {self.quantization!r}")
        if self.q_levels < 2 or self.dim < 1 or self.n_rnn < 1:
            raise ValueError("q_levels >= 2, dim >= 1 and n_rnn >= 1 are required")

    @property
    def tier_frames(self) -> tuple[int, ...]:
        """Absolute frame size of each frame tier, lowest first: (16, 64) for ratios (16, 4)."""
        return tuple(prod(self.frame_sizes[: k + 1]) for k in range(len(self.frame_sizes)))

    @property
    def lookback(self) -> int:
        """Samples of history the top tier needs before the first predicted sample."""
        return self.tier_frames[-1]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["frame_sizes"] = list(self.frame_sizes)
        d["piece_brightness"] = [list(pair) for pair in self.piece_brightness]
        d["piece_tuning"] = [list(pair) for pair in self.piece_tuning]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown model config keys: {sorted(unknown)}")
        return cls(**d)


def _key_pairs(pairs: Any, name: str, top: float) -> tuple[tuple[int, float], ...]:
    """A per-key table of ModelConfig (`name`: piece_brightness in MIDI pitch units, where 0 is
    8.2 Hz and 135 is 20 kHz, up to 200; piece_tuning in Hz, up to 20 kHz) as sorted (key, value)
    tuples (a checkpoint or run.json gives lists). Raises ValueError for a key outside 1-127 or a
    value that is not a finite number in 0-`top`."""
    out = {}
    for key, value in pairs:
        key, value = int(key), float(value)
        if not 1 <= key <= 127:
            raise ValueError(f"{name}: key {key} outside 1-127")
        if not 0.0 <= value <= top:  # also refuses NaN
            raise ValueError(f"{name}: value {value} of key {key} outside 0-{top:g}")
        out[key] = value
    return tuple(sorted(out.items()))


PRESETS: dict[str, ModelConfig] = {
    # Fast on a laptop CPU; generation well above real time at batch 1.
    # Both pre-emphasise at 0.7 (docs/training.md, "Pre-emphasis": the trombone and the cello
    # measured, more notes in tune and a noise floor ~9-16 dB lower than without).
    "small": ModelConfig(
        frame_sizes=(16, 4), dim=256, n_rnn=1, embed_dim=64, level_conditioning=True, pre_emphasis=0.7
    ),
    # The paper-sized model.
    "base": ModelConfig(
        frame_sizes=(16, 4), dim=1024, n_rnn=2, embed_dim=256, level_conditioning=True, pre_emphasis=0.7
    ),
    # Exactly the 2017 PyTorch SampleRNN default, for side-by-side benchmarks.
    "reference": ModelConfig(
        frame_sizes=(16, 4), dim=1024, n_rnn=2, q_levels=256, quantization="linear", embed_dim=256
    ),
}


def preset(name: str, **overrides: Any) -> ModelConfig:
    """A fresh copy of a named preset with optional field overrides."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r} (choose from {', '.join(PRESETS)})")
    d = PRESETS[name].to_dict()
    d.update(overrides)
    return ModelConfig.from_dict(d)


