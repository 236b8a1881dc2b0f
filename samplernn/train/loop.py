"""Training: TBPTT windows over the bank, Adam, validation/test NLL, checkpoints, resume, DDP.

`train(dataset_dir, run_dir, cfg)` is the whole job; `samplernn train` is a thin layer over it
and `torchrun --nproc_per_node N` runs the same function with DistributedDataParallel (each rank
takes its share of every batch's rows; only rank 0 writes). The run dir: samplernn.train.run_dir.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from samplernn.common.errors import UserError
from samplernn.common.progress import ProgressFn
from samplernn.train.config import TrainConfig
from samplernn.train.distributed import process_group, wrap_model
from samplernn.train.meter import Meter, Tally
from samplernn.train.preview import previews_on, safe_preview
from samplernn.train.run_dir import RunDir, eval_line, eval_record, train_record
from samplernn.train.start import start_run
from samplernn.train.state import TrainState
from samplernn.train.step import advance
from samplernn.train.stop import Deadline, StopFlag
from samplernn.train.validate import validate

OnStep = Callable[[int, nn.Module], None]


@dataclass(frozen=True)
class TrainResult:
    """How a `train` call ended: status 'completed', 'early_stopped', 'time_limit' or
    'interrupted'; NLL in bits per sample; samples_per_s over the call's steps (None if none ran)."""

    status: str
    step: int
    best_val: float | None
    best_step: int
    last_val: float | None
    last_test: float | None
    samples_per_s: float | None
    run_dir: Path


class TrainingDiverged(UserError):
    """The loss became NaN or infinite; the last checkpoint on disk is the last good one."""


def train(
    dataset_dir: str | Path,
    run_dir: str | Path,
    cfg: TrainConfig,
    *,
    resume: bool = False,
    progress: ProgressFn | None = None,
    log: Callable[[str], None] | None = None,
    on_step: OnStep | None = None,
) -> TrainResult:
    """Train a SampleRNN on a prepared dataset into `run_dir` (resume: continue the run there).

    progress(step, total, loss=, sps=, val=) and log(line) report on rank 0; `on_step(step, model)`
    is called after every optimiser step (tests use it). Ctrl-C finishes the step, saves, stops.
    Raises UserError for bad settings, data or run dir, TrainingDiverged on a NaN/inf loss.
    """
    cfg.validate()
    with _torch_threads(cfg.threads), process_group(cfg.device) as (device, info):
        run = RunDir(Path(run_dir), main=info.is_main, progress=progress, log=log)
        state = start_run(Path(dataset_dir), run, cfg, device, info, resume_run=resume)
        fwd = wrap_model(state.model, device, info, cfg.compile)
        if not resume:
            run.save(state.state_dict())
        return _loop(state, fwd, run, on_step)


def _loop(state: TrainState, fwd: nn.Module, run: RunDir, on_step: OnStep | None) -> TrainResult:
    """Step until cfg.steps, an early stop, the deadline or Ctrl-C; checkpoint at every validation."""
    cfg = state.cfg
    meter, stop, deadline = Meter(state.device), StopFlag(), Deadline(cfg.max_minutes)
    sync_every = 1 if state.device.type == "cpu" else cfg.log_every  # reading the loss waits for the GPU
    status, validated_at = "completed", -1
    state.model.train()
    run.progress(state.step, cfg.steps)
    with stop.installed():
        try:
            while state.step < cfg.steps:
                meter.add(advance(state, fwd))
                if on_step is not None:
                    on_step(state.step, state.model)
                at_val = state.step % cfg.val_every == 0 or state.step == cfg.steps
                if state.step % sync_every and not at_val:
                    continue
                tally = meter.sync(state.info, stop.requested, deadline.passed())
                if tally.diverged:
                    raise TrainingDiverged(
                        f"loss became NaN/inf at step {state.step}; training stopped. The last good "
                        f"checkpoint is {run.paths.last} — lower --lr or check the data, then --resume"
                    )
                _report(state, meter, tally, run)
                if tally.interrupted:
                    status = "interrupted"
                    break
                if at_val or tally.time_up:
                    _validate(state, run)
                    validated_at = state.step
                    if cfg.patience and state.record.bad_evals >= cfg.patience:
                        status = "early_stopped"
                        break
                    if tally.time_up:
                        status = "time_limit"
                        break
        except KeyboardInterrupt:
            if state.info.enabled:
                raise  # peers are mid-collective; the graceful path is the SIGINT flag
            status = "interrupted"
    if validated_at != state.step or status == "interrupted":
        run.save(state.state_dict())
    rec = state.record
    return TrainResult(
        status=status,
        step=state.step,
        best_val=rec.best_val,
        best_step=rec.best_step,
        last_val=rec.last_val,
        last_test=rec.last_test,
        samples_per_s=meter.samples_per_s,
        run_dir=run.paths.root,
    )


def _report(state: TrainState, meter: Meter, tally: Tally, run: RunDir) -> None:
    """Show the loss of the steps since the last sync; every log_every steps, a metrics record."""
    run.progress(state.step, loss=f"{tally.bits:.3f}", sps=f"{meter.rate():,.0f}")
    if state.step % state.cfg.log_every == 0:
        run.append(train_record(state.step, *meter.take_window(), lr=state.cfg.lr_at(state.step - 1)))


def _validate(state: TrainState, run: RunDir) -> None:
    """Score val and test; record it (metrics, loss.png, a preview clip); save last.pt, and best.pt
    on an improvement. Every rank calls it."""
    val, test = validate(state)
    improved = state.record.add(state.step, val, test)
    record = eval_record(state.step, val, test, improved)
    if previews_on(state):
        record["preview"] = run.preview(state.step, lambda out: safe_preview(state, out, run.log))
    run.append(record)
    run.plot()
    run.save(state.state_dict(), best=improved)
    run.progress(state.step, val=f"{val.overall:.3f}")
    run.log(eval_line(state.step, val, test, improved))


@contextlib.contextmanager
def _torch_threads(n: int) -> Iterator[None]:
    """torch's CPU thread count set to `n` while inside (0: left alone), then as it was."""
    before = torch.get_num_threads()
    if n > 0:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
