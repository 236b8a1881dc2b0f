"""The devices a test runs on: the CPU always, CUDA where torch sees a GPU (skipped elsewhere, as
in CI); `scripts/device_check.sh` runs these tests on a lent GPU machine."""

from __future__ import annotations

import pytest
import torch

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU")
DEVICES = ["cpu", pytest.param("cuda", marks=CUDA)]
