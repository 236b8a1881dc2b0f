"""Where a run's settings and weights come from: the given options over the defaults, a stored run
(--resume), or another run's checkpoint (--init: fine-tuning, widened by new inputs if asked)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from samplernn.common.errors import UsageError, UserError
from samplernn.common.shipped import resolve_checkpoint
from samplernn.data.drum_bank import payload_is_kit
from samplernn.model.checkpoint import float32_state, payload_pitch_range, read_payload
from samplernn.model.config import preset
from samplernn.model.widen import can_widen, widen_state
from samplernn.train.checkpointing import model_of
from samplernn.train.config import MINUTES_BOUND_STEPS, TrainConfig, check_locked
from samplernn.train.run_dir import RunPaths
from samplernn.train.state import TrainState, load_optimizer

_MODEL_FIELDS = ("preset", "model_overrides", "conditioning")


#: Settings on by default that a run started before they existed did not have: a resumed old run
#: reads them as off, so that it goes on training on the same data as before, its sound check
#: scores as its best.pt was scored (one draw a note), its input gain scales every tier's input and
#: its history is never mixed with its own draws.
PREDATED_OFF: dict[str, Any] = {"fill_pitches": 0, "sound_draws": 1, "input_gain_tiers": "all",
                                "scheduled_sampling": 0.0}


def resolve_train_config(run_dir: str | Path, given: dict[str, Any], resume: bool) -> TrainConfig:
    """The config of a run: `given` options over the defaults, or over the stored run on resume.

    A new run given max_minutes and no steps is bounded by the minutes alone (MINUTES_BOUND_STEPS),
    one given steps and no max_minutes by the steps alone; given neither, by whichever of
    DEFAULT_STEPS and DEFAULT_MINUTES comes first.
    With given["init"] (a path or a shipped model's name, stored as the path), the model settings
    default to the init checkpoint's (a --preset other than its own is a UsageError: the preset would
    be recorded while the init's model trained; so is an unconditioned init unless --no-conditioning
    was given: the bank's notes would be silently dropped, and --no-conditioning with a conditioned
    init, whose model it cannot change); an unset --scheduled-sampling is the init run's own (0 for
    one trained without it, as the model shipped until 2026-12-06 was: on a 3-minute fine-tune of
    it, 0.5 took the test split's pitch from 100 to 85 %). Raises UserError for an unknown --init
    name, on resume when there is no checkpoint, or when a given option contradicts a LOCKED stored one.
    """
    if not resume:
        if given.get("max_minutes") is not None and given.get("steps") is None:
            given = {**given, "steps": MINUTES_BOUND_STEPS}
        elif given.get("steps") is not None and given.get("max_minutes") is None:
            given = {**given, "max_minutes": None}
        if given.get("init"):
            given = {**given, "init": str(resolve_checkpoint(given["init"]))}
            payload = read_payload(given["init"])
            stored = payload.get("train_config") or {}
            if given.get("preset") and stored.get("preset") and given["preset"] != stored["preset"]:
                raise UsageError(f"--preset {given['preset']}: the --init model is the {stored['preset']!r} "
                                 "preset, and a fine-tune keeps its model; leave --preset out")
            init_model = model_of(payload)
            init_conditioned = stored.get("conditioning") if init_model is None else init_model.conditioning
            if init_conditioned is False and "conditioning" not in given:
                raise UsageError(f"--init {given['init']}: an unconditioned model (trained with "
                                 "--no-conditioning), which plays no notes; add --no-conditioning to "
                                 "fine-tune it as one")
            if given.get("conditioning") is False and init_conditioned:
                raise UsageError(f"--no-conditioning: the --init model {given['init']} is conditioned (it "
                                 "plays notes), and a fine-tune keeps its model; leave --no-conditioning out")
            given = {**{k: stored[k] for k in _MODEL_FIELDS if k in stored}, **given}
            if given.get("scheduled_sampling") is None:  # a fine-tune keeps its init's regime
                given["scheduled_sampling"] = float(stored.get("scheduled_sampling") or 0.0)
            given["model_overrides"] = {**_init_overrides(payload, given), **given.get("model_overrides", {})}
        return TrainConfig.from_dict(given)
    last = RunPaths(Path(run_dir)).last
    if not last.is_file():
        raise UserError(f"{last}: nothing to resume (no checkpoint in {run_dir})")
    stored = read_payload(last).get("train_config")
    if not isinstance(stored, dict):
        raise UserError(f"{last}: not a training checkpoint (no train_config inside)")
    check_locked(last, stored, given)
    return TrainConfig.from_dict({**PREDATED_OFF, **stored, **given})


def init_pitch_range(path: str | Path) -> tuple[int, int] | None:
    """(lowest, highest) MIDI pitch of the bank the checkpoint at `path` (a path or a shipped model's
    name) was trained on, from its `pitch_range` (its bank statistics' for older checkpoints); None
    for a model of no notes. Raises UserError for a missing or unreadable checkpoint."""
    return payload_pitch_range(read_payload(resolve_checkpoint(path)))


def _init_overrides(payload: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """The init checkpoint's model fields that differ from its preset's (fields it predates
    included, at their old defaults), so a preset that gained a feature since still loads it."""
    mine = model_of(payload)
    try:
        ref = preset(given.get("preset", "small"), conditioning=given.get("conditioning", True)).to_dict()
    except ValueError:
        return {}  # training names the unknown preset
    if mine is None:
        return {}  # init_from names the mismatch
    return {k: v for k, v in mine.to_dict().items() if ref[k] != v and k != "conditioning"}


def init_from(
    path: str | Path,
    state: TrainState,
    bank_is_kit: bool | None = None,
    log: Callable[[str], None] | None = None,
) -> int:
    """Start `state`'s model from another run's checkpoint (a path or a shipped model's name):
    its weights, and its Adam moments where it has them (at this run's learning rate). A
    checkpoint with fewer conditioning inputs is widened (see samplernn.model.widen); one with
    another pre-emphasis, dropout, piece brightness or piece tuning table starts this run's
    (--pre-emphasis, --dropout, --piece-brightness, --piece-tuning) from its weights.

    The data, step count and validation history start afresh. Returns the checkpoint's step.
    With `bank_is_kit` and `log`: a line when the checkpoint is of the other kind (a drum model
    fine-tuned on a pitched bank, or the reverse: allowed, but its sounds start far off).
    Raises UserError for a missing checkpoint or one of another model.
    """
    path = resolve_checkpoint(path)
    payload = read_payload(path)
    if bank_is_kit is not None and log is not None and payload_is_kit(payload) != bank_is_kit:
        kinds = ("a pitched model", "a drum kit") if bank_is_kit else ("a drum model", "a pitched bank")
        log(f"--init {path}: {kinds[0]}, and this bank is {kinds[1]}; it starts from sounds of another kind")
    weights, optimizer = float32_state(payload), payload.get("optimizer")
    old, mcfg = model_of(payload), state.model.cfg
    if old is not None:
        # the same weights: another signal (the fine-tune learns the emphasised one) or another
        # dropout (a training setting that shapes no weight)
        # or another table of piece brightness or tuning (the pitch column's and the
        # oscillator's values, no weight)
        old = replace(old, pre_emphasis=mcfg.pre_emphasis, dropout=mcfg.dropout,
                      piece_brightness=mcfg.piece_brightness, piece_tuning=mcfg.piece_tuning)
    if old != mcfg:
        if old is None or not can_widen(old, mcfg):
            raise UserError(
                f"{path}: its model differs from this run's (drop --preset/--no-conditioning to take its own)"
            )
        weights, optimizer = widen_state(weights, optimizer, old, state.model)  # new inputs start at zero
    state.model.load_state_dict(weights)
    if optimizer is not None:
        load_optimizer(state.optimizer, optimizer, state.cfg.lr)
    return int(payload.get("step", 0))
