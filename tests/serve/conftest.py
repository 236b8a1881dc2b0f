"""The tiny renderable checkpoint the serve tests share, and a running application around it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from support.tiny import tiny_checkpoint

from conditioning import BankStats
from samplernn.model.checkpoint import Checkpoint, load_checkpoint
from samplernn.serve.limits import ServeLimits

SR = 16000
BANK_PITCHES = (48, 50, 52)  # C3, D3, E3: the range the tiny model "knows"
TAIL = 400  # bank release tail, samples (25 ms)
# Short everything: the tiny model is fast, pYIN and the pictures are not.
LIMITS = ServeLimits(
    max_takes=3,
    default_takes=2,
    max_duration=0.5,
    default_duration=0.2,
    max_upload_bytes=4096,
    max_midi_seconds=2.0,
    max_midi_notes=6,
)


def bank_stats() -> BankStats:
    """Tails and loudness envelopes (-20 dBFS held, fading after release) for the bank's pitches."""
    held, released = np.full(30, -20.0, np.float32), np.linspace(-20.0, -60.0, 5, dtype=np.float32)
    return BankStats.from_notes(
        SR, [(p, 100, TAIL) for p in BANK_PITCHES], [(p, 100, held, released) for p in BANK_PITCHES]
    )


@pytest.fixture(scope="session")
def ckpt_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("serve") / "tiny.pt", SR, bank_stats())


@pytest.fixture(scope="session")
def ckpt(ckpt_path: Path) -> Checkpoint:
    return load_checkpoint(ckpt_path)


@pytest.fixture
def client(ckpt: Checkpoint) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from samplernn.serve.app import create_app

    with TestClient(create_app(ckpt, LIMITS, label="tiny")) as c:
        yield c


def wait_for(client: Any, job: dict[str, Any], timeout: float = 240.0) -> tuple[dict[str, Any], list[float]]:
    """Poll a job until it finishes; returns its last state and the progress values seen. The
    timeout only catches a job that hangs: a first job compiles the engine's kernels, and on two
    cores shared with a training run one took over 60 s."""
    seen = [job["progress"]]
    deadline = time.monotonic() + timeout
    while job["state"] not in ("done", "error"):
        assert time.monotonic() < deadline, f"job {job['id']} still {job['state']} after {timeout} s"
        time.sleep(0.05)
        response = client.get(f"/api/jobs/{job['id']}")
        assert response.status_code == 200, response.text
        job = response.json()
        seen.append(job["progress"])
    return job, seen


@pytest.fixture
def wait() -> Any:
    """wait(client, job, timeout=240) → (finished job, progress values seen)."""
    return wait_for


@pytest.fixture
def limits() -> ServeLimits:
    return LIMITS


@pytest.fixture(scope="session")
def drum_kit_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from support.drum_kit import write_drum_dataset

    return write_drum_dataset(tmp_path_factory.mktemp("serve-kit") / "data")


@pytest.fixture(scope="session")
def drum_ckpt(drum_kit_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Checkpoint:
    """A tiny drum model whose checkpoint names the kit it was trained on (still there: the page's
    takes are judged for likeness and novelty too)."""
    from support.drum_kit import drum_checkpoint, drum_stats

    path = tmp_path_factory.mktemp("serve-kit-ckpt") / "drums.pt"
    return load_checkpoint(drum_checkpoint(path, drum_stats(drum_kit_dir), dataset_path=str(drum_kit_dir)))


@pytest.fixture
def drum_client(drum_ckpt: Checkpoint) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from samplernn.serve.app import create_app

    with TestClient(create_app(drum_ckpt, LIMITS, label="kit")) as c:
        yield c
