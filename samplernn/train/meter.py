"""Training loss and throughput: per-step sums kept on the device, read back at sync points."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch

from samplernn.model.nll import LN2
from samplernn.train.distributed import DistInfo, all_reduce_
from samplernn.train.step import StepOutput


@dataclass(frozen=True)
class Tally:
    """The steps since the last sync, summed over every rank, the stop requests of any rank, and
    the run's training time as the ranks agree on it (their mean)."""

    loss: float  # summed NLL, nats
    targets: float
    nonfinite: float  # steps whose loss or gradient norm was NaN/inf
    interrupted: bool
    time_up: bool
    elapsed_s: float = 0.0

    @property
    def bits(self) -> float:
        """Mean NLL, bits per target sample."""
        return self.loss / max(self.targets, 1) / LN2

    @property
    def diverged(self) -> bool:
        """Whether any step's loss or gradient norm was NaN/inf."""
        return self.nonfinite > 0


class Meter:
    """Adds up steps without reading the device; `sync` reads (and all-reduces) them.

    Between two `take_window` calls it also keeps the loss and samples/s a metrics record
    reports; `samples_per_s` is the run's mean over the time spent in steps.
    """

    def __init__(self, device: torch.device) -> None:
        self._acc = torch.zeros(3, device=device, dtype=torch.float64)  # loss nats, targets, non-finite
        self._loss, self._targets, self._samples, self._since = 0.0, 0.0, 0, time.monotonic()
        self.samples, self.seconds = 0, 0.0

    def add(self, out: StepOutput) -> None:
        """Count a step (its sums stay on the device: no wait for the GPU)."""
        nonfinite = ~torch.isfinite(out.grad_norm) | ~torch.isfinite(out.loss_sum)
        self._acc += torch.stack([out.loss_sum.double(), out.targets.double(), nonfinite.double()])
        self._samples += out.samples
        self.samples += out.samples
        self.seconds += out.seconds

    def sync(self, info: DistInfo, interrupted: bool, elapsed_s: float, limit_s: float = math.inf) -> Tally:
        """The steps since the last sync over all ranks (every rank must call it: a collective).

        elapsed_s: this rank's training time; time is up when the ranks' mean reaches limit_s.
        """
        flags = torch.cat([self._acc, self._acc.new_tensor([interrupted, elapsed_s])])
        all_reduce_(flags, info)  # every rank takes the same decisions from the tally
        loss, targets, nonfinite, interrupted_n, elapsed_sum = flags.tolist()
        self._acc.zero_()
        self._loss += loss
        self._targets += targets
        elapsed = elapsed_sum / info.world_size
        return Tally(loss, targets, nonfinite, interrupted_n > 0, elapsed >= limit_s, elapsed)

    def rate(self) -> float:
        """Samples per second since the window started."""
        return self._samples / max(time.monotonic() - self._since, 1e-9)

    def exclude(self, seconds: float) -> None:
        """Leave `seconds` spent outside the steps (a validation) out of the window's samples/s."""
        self._since = min(self._since + seconds, time.monotonic())

    def take_window(self) -> tuple[float, float]:
        """(mean NLL in bits, samples/s) since the last call, and start a new window."""
        bits, rate = self._loss / max(self._targets, 1) / LN2, self.rate()
        self._loss, self._targets, self._samples, self._since = 0.0, 0.0, 0, time.monotonic()
        return bits, rate

    @property
    def samples_per_s(self) -> float | None:
        """Training samples per second of step time over the whole call (None before a step)."""
        return self.samples / self.seconds if self.seconds > 0 else None
