"""Atomic file output and audio I/O shared by every command."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from samplernn.common.errors import UserError

_UMASK = os.umask(0)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it onto `path` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + path.suffix, dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


def write_json(path: str | Path, obj: Any) -> None:
    """Write `obj` as indented JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=False) + "\n")


def write_wav(path: str | Path, audio: np.ndarray, sample_rate: int, bit_depth: int = 16) -> None:
    """Write float audio in [-1, 1], shape (n,) or (n, channels), as PCM WAV, atomically.

    bit_depth 16 → PCM_16, 8 → PCM_U8 (the thesis's 8-bit files), 24 → PCM_24.
    """
    subtype = {8: "PCM_U8", 16: "PCM_16", 24: "PCM_24"}.get(bit_depth)
    if subtype is None:
        raise UserError(f"{path}: unsupported bit depth {bit_depth} (use 8, 16 or 24)")
    audio = np.clip(np.asarray(audio, dtype=np.float32), -1.0, 1.0)
    with atomic_path(path) as tmp:
        sf.write(tmp, audio, sample_rate, subtype=subtype, format="WAV")


def read_audio(path: str | Path) -> tuple[np.ndarray, int]:
    """Read an audio file as float32 (n, channels) and its sample rate; UserError if unreadable."""
    path = Path(path)
    try:
        audio, sr = sf.read(path, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        raise UserError(f"{path}: unreadable audio file ({exc})") from None
    if audio.shape[0] == 0:
        raise UserError(f"{path}: audio file holds no samples")
    return audio, int(sr)
