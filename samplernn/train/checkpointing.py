"""Checkpoints of a run: continue one (--resume), after checking it belongs to this run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from samplernn.common.errors import UserError
from samplernn.model.checkpoint import read_payload
from samplernn.model.config import ModelConfig
from samplernn.train.config import check_locked
from samplernn.train.run_dir import RunDir
from samplernn.train.state import TrainState


def model_of(payload: dict[str, Any]) -> ModelConfig | None:
    """A checkpoint's model config (fields it predates take their defaults); None if unreadable."""
    try:
        return ModelConfig.from_dict(payload.get("model_config") or {})
    except (TypeError, ValueError):
        return None


def check_resumable(path: Path, payload: dict[str, Any], state: TrainState) -> None:
    """Raise UserError unless the checkpoint at `path` has `state`'s locked settings, model and
    training notes."""
    # the data first: another bank also changes the settings fitted to it (fit_to_bank)
    if payload.get("dataset", {}).get("fingerprint") != state.data.fingerprint:
        raise UserError(
            f"{path}: was trained on other data than {state.data.path} "
            "(its train split differs); resume with the same dataset"
        )
    check_locked(path, payload.get("train_config", {}), state.cfg.to_dict())
    if model_of(payload) != state.model.cfg:
        raise UserError(f"{path}: checkpoint model config differs from this run's")


def resume(state: TrainState, run: RunDir) -> None:
    """Put `state` where the run's last.pt left it; metrics written after that checkpoint (a
    crash between two saves) are dropped. Raises UserError for a checkpoint of another run."""
    payload = read_payload(run.paths.last)
    check_resumable(run.paths.last, payload, state)
    state.load_state_dict(payload)
    run.drop_records_after(state.step)
