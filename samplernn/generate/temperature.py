"""A temperature that follows the note: one for its attack, another for the rest.

At one sampling temperature a drum model trades the hit's first milliseconds against its tail: at
1.0 the attack is sharp but the tail, where the model should say "nearly silent" with confidence,
is sampled into a bed of noise that rings on; lower, the tail dies away as the kit's does but the
attack comes out softer (docs/drums.md, "Temperature"). `AttackTemperature` plays each note's
first `hold` samples at its own temperature and ramps linearly to the body temperature over the
next `ramp` samples. The position in the note is the conditioning's `elapsed` column (samples
since the note-on), so offline streams, render's voices and live notes follow the same curve;
samples outside a note (velocity 0) are played at the body temperature.

Off unless asked for (`--attack-temperature`, or a checkpoint shipped with one): on a two-kit drum
model, 1.0 for the attack over a 0.8 body won back what 0.8 alone cost the hits, but only drew
level with 0.9 throughout on four held-out generation seeds (docs/drums.md, "Attack temperature").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from conditioning.events import ELAPSED_INDEX, VELOCITY_INDEX

#: Seconds of a note's start played at the attack temperature, then seconds of the linear ramp to
#: the body temperature. A real hit peaks within its first 10 ms (the attack check's window,
#: measures.oneshot); 20 ms of ramp, one setting tried (docs/drums.md, "Attack temperature").
ATTACK_HOLD_SECONDS = 0.010
ATTACK_RAMP_SECONDS = 0.020
#: The --attack-temperature help of every command that plays a model.
ATTACK_TEMPERATURE_HELP = (
    f"Temperature of each note's first {ATTACK_HOLD_SECONDS * 1000:g} ms, ramping to --temperature over "
    f"the next {ATTACK_RAMP_SECONDS * 1000:g} ms (> 0; the --temperature value plays one temperature "
    "throughout; ignored at --temperature 0, which decodes greedily) [default: the model's own, which "
    "most models do not have: one temperature]."
)


@dataclass(frozen=True)
class AttackSpan:
    """A note's attack span in samples: its first `hold` samples, then `ramp` samples of a linear
    ramp (`weight`). The attack temperature (AttackTemperature.span) ramps from its own temperature
    to the body's over it, and a piece's min-p (generate.min_p) from the default min-p to the
    piece's P; (0, 0) is no span: the body from the note-on. Raises ValueError for a negative span."""

    hold: int = 0
    ramp: int = 0

    def __post_init__(self) -> None:
        if self.hold < 0 or self.ramp < 0:
            raise ValueError(f"attack hold and ramp must be >= 0 samples, got {self.hold}, {self.ramp}")

    @classmethod
    def at_rate(cls, sample_rate: int) -> AttackSpan:
        """ATTACK_HOLD_SECONDS, then ATTACK_RAMP_SECONDS, at `sample_rate` (Hz): the attack
        temperature's span (AttackTemperature.at_rate), which a piece's min-p also waits out
        (generate.min_p)."""
        return cls(round(ATTACK_HOLD_SECONDS * sample_rate), round(ATTACK_RAMP_SECONDS * sample_rate))

    def weight(self, elapsed: np.ndarray) -> np.ndarray:
        """0 over the hold (elapsed 0 … hold − 1), 1 from `hold + ramp` samples after the note-on,
        linear between: `elapsed` (samples since the note-on, any shape) → float64 of its shape.
        The one curve both the attack temperature and a piece's min-p follow."""
        return np.clip((elapsed.astype(np.float64) - self.hold + 1) / (self.ramp + 1), 0.0, 1.0)


@dataclass(frozen=True)
class AttackTemperature:
    """The attack's sampling temperature (> 0, finite) and its span in samples: `hold` at that
    temperature from the note-on, then `ramp` samples to the body temperature (`span`'s curve).
    Raises ValueError for a temperature that is not a finite number > 0 or a negative span."""

    temperature: float
    hold: int
    ramp: int

    def __post_init__(self) -> None:
        if not (math.isfinite(self.temperature) and self.temperature > 0):
            raise ValueError(f"attack temperature must be a finite number > 0, got {self.temperature}")
        AttackSpan(self.hold, self.ramp)  # raises for a negative span

    @property
    def span(self) -> AttackSpan:
        """The hold and ramp as an AttackSpan, whose `weight` is the curve from attack to body."""
        return AttackSpan(self.hold, self.ramp)

    @classmethod
    def at_rate(cls, temperature: float, sample_rate: int) -> AttackTemperature:
        """AttackSpan.at_rate's hold and ramp at `sample_rate` (Hz)."""
        span = AttackSpan.at_rate(sample_rate)
        return cls(temperature, span.hold, span.ramp)


def inverse_temperatures(cond: np.ndarray, inv_body: float, attack: AttackTemperature) -> np.ndarray:
    """1/T for every sample of conditioning rows `cond` (B, n, 5) int (raw columns): the attack's
    1/T over each note's first `hold` samples, the body's (`inv_body`, > 0) from `hold + ramp` on
    and outside notes, linear in T between (AttackSpan.weight). Returns (B, n) float32."""
    w = attack.span.weight(cond[..., ELAPSED_INDEX])  # 0 attack … 1 body
    body = 1.0 / float(inv_body)
    temp = attack.temperature * (1.0 - w) + body * w  # float64, and exactly `body` at w = 1
    temp = np.where(cond[..., VELOCITY_INDEX] > 0, temp, body)
    return np.ascontiguousarray(1.0 / temp, dtype=np.float32)


def sample_curve(
    cond: np.ndarray | None, inv_body: float, attack: AttackTemperature | None
) -> np.ndarray | None:
    """`inverse_temperatures` of `cond` (B, n, 5) when there is a curve to follow; None without an
    attack temperature or conditioning, or when decoding greedily (`inv_body` < 0 flags T = 0)."""
    if cond is None or not follows_curve(inv_body, attack):
        return None
    return inverse_temperatures(cond, inv_body, attack)


def follows_curve(inv_body: float, attack: AttackTemperature | None) -> bool:
    """Whether sampling at body 1/T `inv_body` (< 0: greedy) follows `attack`'s curve."""
    return attack is not None and inv_body >= 0
