"""Pre-emphasis before quantisation and de-emphasis after generation (as in LPCNet).

A model with pre_emphasis a > 0 learns y[n] = x[n] - a·x[n-1] (FIR, per note, from x[-1] = 0)
instead of x; its generated output is filtered back with x[n] = y[n] + a·x[n-1] (IIR, the exact
inverse, per stream from zero state). The de-emphasis lowers the quantisation noise at high
frequencies, where harmonics are weak, and raises it under the strong low harmonics, which mask it.

Range: pre-emphasis can lift a peak up to (1 + a)·peak, and `quantize` clamps to [-1, 1]. On the
bundled trombone bank (prepared at 16 kHz, bank-normalised, peak 0.90) with a = 0.85 the
pre-emphasised peak is 0.50 (its energy sits in low harmonics, which the filter lowers) and none
of its 7.8 M samples clips, so no gain is applied; a bank that does clip is clamped there.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.signal import lfilter


def pre_emphasize(x: torch.Tensor, a: float) -> torch.Tensor:
    """Float audio (n,) → (n,) y[n] = x[n] - a·x[n-1], x[-1] = 0. a = 0 returns x itself."""
    if not a:
        return x
    y = x.clone()
    y[1:] -= a * x[:-1]
    return y


def de_emphasize(y: np.ndarray, a: float, state: float = 0.0) -> tuple[np.ndarray, float]:
    """Float audio (n,) → ((n,) x[n] = y[n] + a·x[n-1], the filter state after it).

    `state` is a·x[-1], the filter's memory before y[0] (0.0 at a stream's start): pass the
    returned one to filter the next block of the same stream, which gives the same samples as
    filtering the stream at once. a = 0 returns y itself (the same array). The result has y's
    dtype (the filter runs in float64).
    """
    if not a or len(y) == 0:
        return y, state
    x, zf = lfilter([1.0], [1.0, -a], y, zi=[state])
    return x.astype(y.dtype, copy=False), float(zf[0])


def silence_offset(a: float, levels: int = 256, method: str = "mu-law") -> float:
    """What to subtract from decoded model output before de-emphasis: the value the silence class
    decodes to (mu-law's middle class of 256 decodes to +8.6e-5, not 0) when a > 0, else 0.0.

    De-emphasis has a gain of 1/(1-a) at 0 Hz, so left in, that value becomes a DC offset after
    every note (5.7e-4 at a = 0.85, measured on generated cello notes), which kept the audible end
    of quiet notes from ever coming.
    """
    if not a:
        return 0.0
    from samplernn.data.quantize import dequantize, zero_level

    return float(dequantize(torch.tensor([zero_level(levels, method)]), levels, method)[0])
