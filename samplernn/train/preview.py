"""Preview clips: a short generated note per validation, to hear how training goes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch

from samplernn.common.audio import write_wav
from samplernn.train.state import TrainState


def previews_on(state: TrainState) -> bool:
    """--preview as given, else on for CUDA (generation is slow on a CPU)."""
    return state.cfg.preview if state.cfg.preview is not None else state.device.type == "cuda"


def write_preview(state: TrainState, out: Path) -> str | None:
    """Generate `cfg.preview_seconds` with the first validation note's conditioning into `out`
    (a WAV at the data's rate); None if the generation engine is unavailable.

    Training's RNG and the model's train mode are left as they were.
    """
    try:
        from samplernn.generate.engine import synthesize
    except ImportError:
        return None
    bank, sample_rate, model, device = state.data.val, state.data.sample_rate, state.model, state.device
    n = min(int(bank.lengths[0]), int(state.cfg.preview_seconds * sample_rate))
    cond = bank.cond[int(bank.starts[0]) : int(bank.starts[0]) + n].numpy()
    was_training = model.training
    model.eval()
    try:
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            audio = synthesize(model, [cond], temperature=1.0, seed=state.cfg.seed, device=device)[0]
        write_wav(out, audio, sample_rate)
    finally:
        model.train(was_training)
    return str(out)


def safe_preview(state: TrainState, out: Path, log: Callable[[str], None]) -> str | None:
    """`write_preview`, with a failure logged and None returned: a preview never stops training."""
    try:
        return write_preview(state, out)
    except Exception as exc:
        log(f"preview failed: {type(exc).__name__}: {exc}")
        return None
