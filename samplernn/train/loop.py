"""Training: TBPTT windows over the bank, Adam, validation/test NLL, checkpoints, resume, DDP.

`train(dataset_dir, run_dir, cfg)` is the whole job; `samplernn train` is a thin layer over it
and `torchrun --nproc_per_node N` runs the same function with DistributedDataParallel (each rank
takes its share of every batch's rows; only rank 0 writes). The run dir: samplernn.train.run_dir.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from samplernn.common.errors import UserError
from samplernn.common.progress import ProgressFn
from samplernn.common.threads import torch_threads
from samplernn.data.drum_bank import is_drum_bank
from samplernn.model.checkpoint import read_payload
from samplernn.model.note_fill import fill_untrained_notes
from samplernn.train.config import TrainConfig
from samplernn.train.distributed import process_group, wrap_model
from samplernn.train.meter import Meter, Tally
from samplernn.train.min_p_fit import fit_checkpoint
from samplernn.train.preview import previews_on, safe_preview
from samplernn.train.run_dir import RunDir, eval_line, eval_record, snapshot_mark, train_record
from samplernn.train.sound_check import Probe, make_probes
from samplernn.train.start import start_run
from samplernn.train.state import EvalRecord, TrainState
from samplernn.train.step import advance
from samplernn.train.stop import StopFlag, projected_steps, time_limit_s
from samplernn.train.validate import validate, validate_sound

OnStep = Callable[[int, nn.Module], None]


@dataclass(frozen=True)
class TrainResult:
    """How a `train` call ended: status 'completed', 'early_stopped', 'time_limit', 'interrupted'
    or 'already_ended' (a resumed run already at its --steps or --max-minutes), and `message`,
    that ending in words (e.g. "quality plateaued at step N …").
    best_*: the checkpoint best.pt holds (NLL in bits per sample, sound score or None);
    samples_per_s over the call's steps (None if none ran)."""

    status: str
    step: int
    best_val: float | None
    best_step: int
    last_val: float | None
    last_test: float | None
    samples_per_s: float | None
    run_dir: Path
    best_score: float | None = None
    message: str = ""


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

    progress(step, total, loss=, sps=, val=, sound=) and log(line) report on rank 0; `total` is
    the step the run is expected to end at (--steps, or sooner at this pace when --max-minutes
    binds; None while unknown). `on_step(step, model)` is called after every optimiser step
    (tests use it). Ctrl-C finishes the step, saves, stops. Raises UserError for bad settings,
    data or run dir, TrainingDiverged on a NaN/inf loss.
    """
    cfg.validate()
    with torch_threads(cfg.threads), process_group(cfg.device) as (device, info):
        run = RunDir(Path(run_dir), main=info.is_main, progress=progress, log=log)
        state = start_run(Path(dataset_dir), run, cfg, device, info, resume_run=resume)
        probes = []
        if state.cfg.sound_notes and info.is_main:  # start_run may turn the sound check off
            probes = make_probes(state.data.dataset, state.cfg.sound_notes, cfg.sound_seconds)
        fwd = wrap_model(state.model, device, info, cfg.compile)
        if not resume:
            run.save(state.state_dict())
        result = _Loop(state, fwd, run, probes, on_step).run()
        main = info.is_main
    if main and result.status != "interrupted":  # after the process group: no rank waits on it
        with torch_threads(cfg.threads):
            fit_kit_min_p(state, run)
    return result


def fit_kit_min_p(state: TrainState, run: RunDir) -> None:
    """For a drum kit with cfg.fit_min_p, fit a min-p per piece on best.pt and write it there
    (samplernn.train.min_p_fit), saying so in the log and showing its share done in the progress
    bar's val field; a kit of one piece is said and left."""
    dataset = state.data.dataset
    if not (state.cfg.fit_min_p and is_drum_bank(dataset.info.get("layout"), dataset.stats)):
        return
    if not run.paths.best.exists():
        return
    if (read_payload(run.paths.best).get("generation") or {}).get("piece_min_p") is not None:
        run.log(f"{run.paths.best} already holds its min-p per piece: not fitted again")
        return
    if len({r.pitch for r in dataset.split("train")}) < 2:
        run.log("one piece in the kit's train split: no min-p per piece to fit")
        return
    def shown(done: int, total: int) -> None:
        run.progress(state.step, val=f"min-p fit {100 * done // max(total, 1)}%")

    fit = fit_checkpoint(run.paths.best, dataset, threads=torch.get_num_threads(), seed=state.cfg.seed,
                         log=run.log, progress=shown)
    run.log(fit.summary() + f" → {run.paths.best}")


class _Loop:
    """Steps until cfg.steps, an early stop, the time limit or Ctrl-C; validation, checkpoints
    and reports on the way."""

    def __init__(
        self, state: TrainState, fwd: nn.Module, run: RunDir, probes: list[Probe], on_step: OnStep | None
    ) -> None:
        self.state, self.fwd, self.run_dir, self.probes, self.on_step = state, fwd, run, probes, on_step
        self.meter, self.stop = Meter(state.device), StopFlag(on_request=self._stopping)
        self.limit_s = time_limit_s(state.cfg.max_minutes)
        self.start_step = state.step
        # reading the loss waits for the GPU: sync every log_every steps there
        self.sync_every = 1 if state.device.type == "cpu" else state.cfg.log_every

    def _stopping(self) -> None:
        self.run_dir.log("stopping: the step or validation under way finishes, then the run saves and stops "
                         "(a second Ctrl-C stops sooner)")

    def run(self) -> TrainResult:
        """The whole call: step, validate, save; the result."""
        state, status, validated_at = self.state, None, -1
        if state.step >= state.cfg.steps or state.elapsed_s >= self.limit_s:
            self.run_dir.progress(state.step, state.step)  # the bar shows where it stands, done
            return self.result("already_ended")  # a resumed run at its bound: no step, no save
        state.model.train()
        state.clock.start()
        self.run_dir.progress(state.step, self.expected_end())
        with self.stop.installed():
            try:
                while status is None and state.step < state.cfg.steps:
                    status, validated = self.step()
                    validated_at = state.step if validated else validated_at
            except KeyboardInterrupt:
                if state.info.enabled:
                    raise  # peers are mid-collective; the graceful path is the SIGINT flag
                status = "interrupted"
            except RuntimeError as exc:  # torch.OutOfMemoryError is one
                if not out_of_memory(exc):
                    raise
                raise UserError(
                    f"out of memory at step {state.step + 1} on {state.device} (--batch-size "
                    f"{state.cfg.batch_size}, --window {state.cfg.window}): lower --batch-size or --window"
                ) from None
        status = status or "completed"
        if validated_at != state.step or status == "interrupted":
            self.run_dir.save(state.state_dict())
        return self.result(status)

    def step(self) -> tuple[str | None, bool]:
        """One optimiser step and what follows it: (the status that ends the run or None,
        whether it validated)."""
        state, cfg = self.state, self.state.cfg
        gained = state.input_gain() > 0  # what advance trains this step with
        self.meter.add(advance(state, self.fwd))
        if gained and state.record.gain_step is None:
            self._gain_begins()
        if state.ema is not None:
            state.ema.update(state.model)
        if self.on_step is not None:
            self.on_step(state.step, state.model)
        at_val = state.step % cfg.val_every == 0 or state.step == cfg.steps
        if state.step % self.sync_every and not at_val:
            return None, False
        tally = self.meter.sync(state.info, self.stop.requested, state.clock.elapsed(), self.limit_s)
        state.elapsed_s = tally.elapsed_s
        if tally.diverged:
            raise TrainingDiverged(
                f"loss became NaN/inf at step {state.step}; training stopped. The last good "
                f"checkpoint is {self.run_dir.paths.last} — lower --lr or check the data, then --resume"
            )
        self.report(tally)
        if tally.interrupted:
            return "interrupted", False
        if not (at_val or tally.time_up):
            return None, False
        self.run_dir.progress(state.step, val="validating…")
        t0 = time.monotonic()
        _validate(state, self.run_dir, self.probes)
        self.meter.exclude(time.monotonic() - t0)
        if cfg.input_gain and state.record.gain_step is None:
            state.record.bad_evals = 0  # the recipe's last phase, with the gain, is still to come
        if cfg.patience and state.record.bad_evals >= cfg.patience:
            return "early_stopped", True
        return ("time_limit" if tally.time_up else None), True

    def expected_end(self) -> int | None:
        """The step the run should end at: cfg.steps, or the projection of this call's pace to
        the time limit (None before a step when the time limit may bind)."""
        state = self.state
        done = state.step - self.start_step
        if math.isfinite(self.limit_s) and done == 0:
            return None
        left = self.limit_s - state.elapsed_s
        return projected_steps(state.step, state.cfg.steps, done, state.clock.this_call(), left)

    def _gain_begins(self) -> None:
        """The step just taken is the first with the input gain: note it in the record. After a
        later --input-gain-from, best.pt and the plateau rule start afresh from here (what the
        run trained before has no level column to lean on yet) and the log says so."""
        state = self.state
        share = state.cfg.input_gain_from
        if share > 0:
            state.record = EvalRecord()
            gain = state.cfg.input_gain
            self.run_dir.log(f"step {state.step}: input gain {gain:g} from here on ({share:.0%} of the "
                             "budget spent); best.pt is chosen among the validations from here")
        state.record.gain_step = state.step

    def report(self, tally: Tally) -> None:
        """Show the loss of the steps since the last sync; every log_every steps, a metrics record."""
        state, meter = self.state, self.meter
        self.run_dir.progress(
            state.step, self.expected_end(), loss=f"{tally.bits:.3f}", sps=f"{meter.rate():,.0f}"
        )
        if state.step % state.cfg.log_every == 0:
            lr = state.optimizer.param_groups[0]["lr"]  # the rate of the step just taken
            self.run_dir.append(train_record(state.step, *meter.take_window(), lr=lr))

    def result(self, status: str) -> TrainResult:
        """The TrainResult of a call that ended with `status`; an early end's message goes to the log."""
        state, rec = self.state, self.state.record
        message = ending(status, state)
        if status in ("early_stopped", "time_limit", "already_ended"):
            self.run_dir.log(message)
        return TrainResult(
            status=status,
            step=state.step,
            best_val=rec.best_val,
            best_step=rec.best_step,
            last_val=rec.last_val,
            last_test=rec.last_test,
            samples_per_s=self.meter.samples_per_s,
            run_dir=self.run_dir.paths.root,
            best_score=rec.best_score,
            message=message,
        )


def out_of_memory(exc: BaseException) -> bool:
    """Whether `exc` is an allocation failure: CUDA's torch.OutOfMemoryError, or the CPU
    allocator's RuntimeError ("DefaultCPUAllocator: can't allocate memory")."""
    return isinstance(exc, torch.OutOfMemoryError) or "can't allocate memory" in str(exc)


def ending(status: str, state: TrainState) -> str:
    """How a run that ended with `status` ended, in words (the plateau rule: docs/training.md)."""
    cfg, rec = state.cfg, state.record
    if status == "early_stopped":
        by_sound = cfg.choose_by == "sound" and rec.best_score is not None
        if not by_sound:
            return (
                f"validation NLL plateaued at step {rec.best_step} (val {rec.best_val:.4f} bits/sample); "
                f"no better in the {cfg.patience} validations up to step {state.step}: stopped"
            )
        if not cfg.score_tie:  # the score alone (a drum kit's default)
            return (
                f"quality plateaued at step {rec.progress_step} (sound score {rec.peak_score:.2f}); no "
                f"better in the {cfg.patience} validations up to step {state.step}: stopped"
            )
        return (
            f"quality plateaued at step {rec.progress_step}: neither the sound score (highest "
            f"{rec.peak_score:.2f}) nor the validation NLL (lowest {rec.low_val:.4f} bits/sample) "
            f"improved in the {cfg.patience} validations up to step {state.step}: stopped"
        )
    if status == "time_limit":
        return f"time limit of {cfg.max_minutes:g} min reached at step {state.step}"
    if status == "interrupted":
        return f"interrupted at step {state.step}"
    if status == "already_ended":
        bound = (f"--steps {cfg.steps}" if state.step >= cfg.steps
                 else f"--max-minutes {cfg.max_minutes:g}: {state.elapsed_s / 60:.1f} minutes trained")
        return (f"the run had already ended at step {state.step} ({bound}): nothing left to train; give "
                "--resume more --steps or --max-minutes to go on")
    return f"completed {state.step} steps"


def _validate(state: TrainState, run: RunDir, probes: list[Probe]) -> None:
    """Score val and test NLL and the sound of the validation notes; record it (metrics, plots,
    a preview clip); save last.pt, and best.pt on an improvement. Every rank calls it.

    What is scored, heard and saved as the played weights is the moving average of the weights
    when the run keeps one (--ema). First the note embedding's rows of the pitches the train split
    lacks are interpolated from the trained ones (model.note_fill), so validation, the sound check
    and every checkpoint play a left-out semitone from its neighbours' rows."""
    _fill_notes(state)
    with played(state):
        _fill_notes(state)
        t0 = time.monotonic()
        val, test = validate(state)
        nll_seconds = time.monotonic() - t0
        sound = validate_sound(state, probes)
        heard = sound.to_dict() if sound is not None and state.info.is_main else None
        by_sound = state.cfg.choose_by == "sound"
        improved = state.record.add(state.step, val, test, sound.score if sound else None, by_sound,
                                    state.cfg.score_tie)
        record = eval_record(state.step, val, test, improved, heard, nll_seconds)
        if previews_on(state):
            record["preview"] = run.preview(state.step, lambda out: safe_preview(state, out, run.log))
    run.append(record)
    run.plot()
    mark = snapshot_mark(state.cfg.snapshot_minutes, state.elapsed_s)  # the time every rank agreed on
    run.save(state.state_dict(), best=improved, snapshot=mark)
    run.progress(state.step, val=f"{val.overall:.3f}", **({"sound": f"{sound.score:.2f}"} if sound else {}))
    run.log(eval_line(state.step, val, test, improved, heard))


def _fill_notes(state: TrainState) -> None:
    if state.model.cond_features is not None:
        fill_untrained_notes(state.model.cond_features.note_embed, state.data.train.pitches.tolist())


def played(state: TrainState) -> contextlib.AbstractContextManager:
    """The block in which `state.model` holds the weights the run plays: the moving average when
    it keeps one (what the block does to them, the note fill, stays in the average), else its own."""
    return state.ema.played(state.model) if state.ema is not None else contextlib.nullcontext()
