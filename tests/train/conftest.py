"""Fixtures of the training tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.drum_kit import write_drum_dataset


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny prepared drum kit (support.drum_kit): one train and one val hit per layer; a fresh
    one per test module (a module may define its own)."""
    return write_drum_dataset(tmp_path_factory.mktemp("kit") / "kit", {"train": 1, "val": 1})
