"""Shared fixtures. Plain helpers live in tests/support (on the path through pytest's `pythonpath`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support.audio import tone, write_audio, write_midi


@pytest.fixture
def one_thread() -> Iterator[None]:
    """Tiny models run fastest on one thread (and the test machine may be shared); opt in with
    `pytestmark = pytest.mark.usefixtures("one_thread")`."""
    import torch  # here, so that tests without torch do not pay for its import

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def note_pair() -> Callable[..., tuple[Path, Path]]:
    """Factory: note_pair(folder, stem, pitch=60, velocity=100, on=0.05, length=0.3, sr=44100,
    amplitude=0.5, tail=0.1, suffix='.wav') writes stem.wav (a tone) and stem.mid (its note)."""

    def make(
        folder: Path, stem: str, pitch: int = 60, velocity: int = 100, on: float = 0.05, length: float = 0.3,
        sr: int = 44100, amplitude: float = 0.5, tail: float = 0.1, suffix: str = ".wav",
    ) -> tuple[Path, Path]:
        x = tone(sr, pitch, on, on + length, tail=tail, amplitude=amplitude)
        wav = write_audio(folder / f"{stem}{suffix}", x, sr)
        mid = write_midi(folder / f"{stem}.mid", [(pitch, velocity, on, on + length)])
        return wav, mid

    return make
