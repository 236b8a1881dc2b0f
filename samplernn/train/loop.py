"""Training: TBPTT windows over the bank, Adam, validation/test NLL, checkpoints, resume, DDP.

`train(dataset_dir, run_dir, cfg)` is the whole loop; the CLI's `samplernn train` is a thin layer
over it and `torchrun --nproc_per_node N` runs the same function with DistributedDataParallel.

Run dir layout: run.json (configs), checkpoints/last.pt and best.pt, metrics.jsonl (one JSON
record per line: kind 'train' every log_every steps, kind 'eval' every val_every steps),
loss.png, previews/ (optional generated clips).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from samplernn.common.audio import write_wav
from samplernn.common.errors import UserError
from samplernn.common.files import write_json
from samplernn.data.batching import Batch, NoteBank, WindowStream, build_bank
from samplernn.data.dataset import PreparedDataset, load_dataset
from samplernn.data.quantize import dequantize, quantize
from samplernn.model.checkpoint import float32_state, make_payload, read_payload, save_checkpoint
from samplernn.model.config import ModelConfig, preset
from samplernn.model.network import SampleRNN, build_model
from samplernn.model.nll import LN2, NLLResult, masked_nll, note_nll_sums, summarize
from samplernn.model.widen import can_widen, widen_state
from samplernn.train.curves import plot_loss_curve, read_metrics
from samplernn.train.distributed import (
    DistInfo,
    all_reduce_,
    barrier,
    env_dist,
    gather_rows,
    init_distributed,
    shutdown,
)


@dataclass
class TrainConfig:
    """Everything that defines a training run besides the data. Stored in every checkpoint."""

    preset: str = "small"
    model_overrides: dict[str, Any] = field(default_factory=dict)  # e.g. {"dim": 16}
    conditioning: bool = True
    steps: int = 20000
    batch_size: int = 32
    window: int = 1024  # TBPTT window, samples (a multiple of the model's lookback)
    lr: float = 1e-3
    # Anneal the learning rate along a half cosine from `lr` at step 0 to `lr_final` at `steps`
    # (None = constant `lr`).
    lr_final: float | None = None
    grad_clip: float = 1.0  # max global gradient norm
    # Uniform integer noise of ±input_noise quantisation levels on the model's input samples
    # (targets stay clean), as LPCNet does against exposure bias: the model learns to continue
    # from a history that is slightly off, as its own output is in generation.
    input_noise: int = 0
    # Half the rows of every window see their input samples scaled by a gain drawn log-uniformly
    # from [input_gain, 1/input_gain] (targets stay clean; 0 = off). With level conditioning the
    # model learns to bring a note that has drifted off back to the level the conditioning asks for.
    input_gain: float = 0.0
    seed: int = 0
    val_every: int = 500
    patience: int = 10  # validations without improvement before stopping; 0 = never stop early
    max_minutes: float | None = None
    device: str = "auto"
    compile: bool = False
    precision: str = "auto"  # auto (bf16 autocast on CUDA, fp32 on CPU), fp32, bf16 (autocast)
    threads: int = 0  # CPU threads for torch; 0 = torch's default
    eval_batch_size: int = 32
    log_every: int = 10
    preview: bool | None = None  # a generated clip per validation; None = on for CUDA, off on CPU
    preview_seconds: float = 1.0
    init: str | None = None  # checkpoint whose weights (and optimiser state) start a new run

    #: Fields a resumed run must share with the stored one (they fix the model and data order).
    LOCKED = ("preset", "model_overrides", "conditioning", "batch_size", "window", "seed")

    def model_config(self) -> ModelConfig:
        try:
            return preset(self.preset, conditioning=self.conditioning, **self.model_overrides)
        except (TypeError, ValueError) as exc:
            raise UserError(f"bad model settings: {exc}") from None

    def validate(self) -> None:
        if self.input_noise < 0:
            raise UserError(f"--input-noise must be >= 0, got {self.input_noise}")
        if not 0.0 <= self.input_gain < 1.0:
            raise UserError(f"--input-gain must be in [0, 1), got {self.input_gain}")
        for name in ("steps", "batch_size", "window", "val_every", "eval_batch_size", "log_every"):
            if getattr(self, name) < 1:
                raise UserError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(self, name)}")
        if self.precision not in ("auto", "fp32", "bf16"):
            raise UserError(f"--precision must be auto, fp32 or bf16, got {self.precision!r}")
        if not self.lr > 0:
            raise UserError(f"--lr must be > 0, got {self.lr}")
        if self.lr_final is not None and not 0 < self.lr_final <= self.lr:
            raise UserError(f"--lr-final must be in (0, --lr], got {self.lr_final}")

    def lr_at(self, step: int) -> float:
        """Learning rate of the optimiser step that follows `step` completed steps."""
        if self.lr_final is None:
            return self.lr
        t = min(max(step / self.steps, 0.0), 1.0)
        return self.lr_final + 0.5 * (self.lr - self.lr_final) * (1.0 + math.cos(math.pi * t))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


@dataclass
class RunState:
    """Validation bookkeeping of a run (stored in checkpoints as 'best')."""

    best_val: float | None = None
    best_step: int = 0
    bad_evals: int = 0  # validations since the last improvement
    last_val: float | None = None
    last_test: float | None = None

    def record_eval(self, step: int, val: NLLResult, test: NLLResult | None) -> bool:
        """Note a validation at `step`; True if it is the best so far."""
        self.last_val, self.last_test = val.overall, test.overall if test else None
        improved = self.best_val is None or val.overall < self.best_val
        if improved:
            self.best_val, self.best_step, self.bad_evals = val.overall, step, 0
        else:
            self.bad_evals += 1
        return improved

    def to_dict(self) -> dict[str, Any]:
        return {
            "val": self.best_val,
            "step": self.best_step,
            "bad_evals": self.bad_evals,
            "last_val": self.last_val,
            "last_test": self.last_test,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunState:
        return cls(
            d.get("val"),
            int(d.get("step", 0)),
            int(d.get("bad_evals", 0)),
            d.get("last_val"),
            d.get("last_test"),
        )


class TrainingDiverged(UserError):
    """The loss became NaN or infinite; the last checkpoint on disk is the last good one."""


def run_paths(run_dir: Path) -> dict[str, Path]:
    return {
        "run": run_dir / "run.json",
        "last": run_dir / "checkpoints" / "last.pt",
        "best": run_dir / "checkpoints" / "best.pt",
        "metrics": run_dir / "metrics.jsonl",
        "plot": run_dir / "loss.png",
        "previews": run_dir / "previews",
    }


def resolve_train_config(run_dir: str | Path, given: dict[str, Any], resume: bool) -> TrainConfig:
    """The config of a run: `given` options over the defaults, or over the stored run on resume.

    On resume, a given option that contradicts a LOCKED stored one is a UserError.
    """
    if not resume:
        if given.get("init"):  # fine-tuning: the model settings default to the init checkpoint's
            payload = read_payload(given["init"])
            stored = payload.get("train_config") or {}
            given = {**{k: stored[k] for k in _MODEL_FIELDS if k in stored}, **given}
            given["model_overrides"] = {**_init_overrides(payload, given), **given.get("model_overrides", {})}
        return TrainConfig.from_dict(given)
    last = run_paths(Path(run_dir))["last"]
    if not last.is_file():
        raise UserError(f"{last}: nothing to resume (no checkpoint in {run_dir})")
    stored = read_payload(last).get("train_config")
    if not isinstance(stored, dict):
        raise UserError(f"{last}: not a training checkpoint (no train_config inside)")
    _check_locked(last, stored, given)
    return TrainConfig.from_dict({**stored, **given})


_MODEL_FIELDS = ("preset", "model_overrides", "conditioning")


def _init_overrides(payload: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """The init checkpoint's model fields that differ from its preset's (fields it predates
    included, at their old defaults), so a preset that gained a feature since still loads it."""
    mine = _model_of(payload)
    try:
        ref = preset(given.get("preset", "small"), conditioning=given.get("conditioning", True)).to_dict()
    except ValueError:
        return {}  # _train names the unknown preset
    if mine is None:
        return {}  # _init_from names the mismatch
    return {k: v for k, v in mine.to_dict().items() if ref[k] != v and k != "conditioning"}


def _check_locked(path: Path, stored: dict[str, Any], given: dict[str, Any]) -> None:
    clash = [k for k in TrainConfig.LOCKED if k in given and k in stored and given[k] != stored[k]]
    if clash:
        desc = ", ".join(f"{k}={stored[k]!r} (asked {given[k]!r})" for k in clash)
        raise UserError(
            f"{path}: incompatible with this run's settings: {desc}; resume with the same "
            "settings or start a new --out"
        )


def resolve_device(name: str, info: DistInfo | None = None) -> torch.device:
    """'auto' → CUDA if available else CPU; under DDP on CUDA, this rank's local GPU."""
    info = info or DistInfo()
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        dev = torch.device(name)
    except RuntimeError:
        raise UserError(f"unknown device {name!r} (use auto, cpu or cuda)") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise UserError("--device cuda asked for, but no CUDA GPU is available (use --device cpu)")
        if dev.index is None:
            dev = torch.device("cuda", info.local_rank if info.enabled else torch.cuda.current_device())
    return dev


def dataset_fingerprint(notes: list) -> str:
    """A short hash of the training notes (ids and lengths): resuming on other data is refused."""
    h = hashlib.sha1()
    for n in sorted(notes, key=lambda n: n.id):
        h.update(f"{n.id}:{n.n_samples};".encode())
    return h.hexdigest()[:16]


def _model_of(payload: dict[str, Any]) -> ModelConfig | None:
    """A checkpoint's model config (fields it predates take their defaults); None if unreadable."""
    try:
        return ModelConfig.from_dict(payload.get("model_config") or {})
    except (TypeError, ValueError):
        return None


def _init_from(path: Path, model: nn.Module, opt: torch.optim.Optimizer, mcfg: ModelConfig, lr: float) -> int:
    """Start from another run's checkpoint: its weights, and its Adam moments where it has them.

    The data, step count and validation history start afresh. Returns the checkpoint's step.
    """
    payload = read_payload(path)
    state, optimizer = float32_state(payload), payload.get("optimizer")
    old = _model_of(payload)
    if old != mcfg:
        if old is None or not can_widen(old, mcfg):
            raise UserError(
                f"{path}: its model differs from this run's (drop --preset/--no-conditioning to take its own)"
            )
        state, optimizer = widen_state(state, optimizer, old, model)  # new inputs start at zero
    model.load_state_dict(state)
    if optimizer is not None:
        _load_optimizer(opt, optimizer, lr)
    return int(payload.get("step", 0))



def _load_optimizer(opt: torch.optim.Optimizer, state: dict[str, Any], lr: float) -> None:
    """Adam state from a checkpoint, with this run's learning rate (a changed --lr applies)."""
    opt.load_state_dict(state)
    for group in opt.param_groups:
        group["lr"] = lr


def _check_run_dir(run_dir: Path, resume: bool) -> None:
    p = run_paths(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise UserError(f"{run_dir}: exists and is not a directory")
    if resume:
        if not p["last"].is_file():
            raise UserError(f"{p['last']}: nothing to resume (no checkpoint in {run_dir})")
    elif any(p[k].exists() for k in ("run", "last", "metrics")):
        raise UserError(f"{run_dir}: holds another run (use --resume to continue it, or choose a new --out)")


class _StopFlag:
    """SIGINT → finish the current step, save, stop. A second Ctrl-C raises KeyboardInterrupt."""

    def __init__(self) -> None:
        self.requested = False

    @contextlib.contextmanager
    def installed(self) -> Iterator[_StopFlag]:
        if threading.current_thread() is not threading.main_thread():
            yield self
            return

        def handler(signum: int, frame: Any) -> None:
            if self.requested:
                raise KeyboardInterrupt
            self.requested = True

        old = signal.signal(signal.SIGINT, handler)
        try:
            yield self
        finally:
            signal.signal(signal.SIGINT, old)


@dataclass
class _Loaded:
    dataset: PreparedDataset
    train: NoteBank
    val: NoteBank
    test: NoteBank | None
    fingerprint: str


def _load_data(dataset_dir: str | Path, mcfg: ModelConfig) -> _Loaded:
    ds = load_dataset(dataset_dir)
    if mcfg.level_conditioning and not ds.stats.envelopes:
        raise UserError(
            f"{ds.root}: dataset.json holds no loudness envelopes, which this model is conditioned "
            "on (prepared by an older samplernn: run samplernn prepare again)"
        )
    notes = {s: ds.split(s) for s in ("train", "val", "test")}
    for s in ("train", "val"):
        if not notes[s]:
            raise UserError(f"{ds.root}: the {s!r} split holds no notes (training needs train and val)")
    banks = {
        s: build_bank(ds, notes[s], mcfg.q_levels, mcfg.quantization) if notes[s] else None for s in notes
    }
    return _Loaded(ds, banks["train"], banks["val"], banks["test"], dataset_fingerprint(notes["train"]))


def _rng_state(device: torch.device) -> dict[str, Any]:
    st: dict[str, Any] = {"torch": torch.get_rng_state()}
    if device.type == "cuda":
        st["cuda"] = torch.cuda.get_rng_state(device)
    return st


def _set_rng_state(st: dict[str, Any], device: torch.device) -> None:
    torch.set_rng_state(st["torch"])
    if device.type == "cuda" and "cuda" in st:
        torch.cuda.set_rng_state(st["cuda"], device)


def autocast(device: torch.device, precision: str = "auto") -> contextlib.AbstractContextManager:
    """bf16 autocast for precision 'bf16', or 'auto' on CUDA; float32 otherwise."""
    if precision == "bf16" or (precision == "auto" and device.type == "cuda"):
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def evaluate(
    model: SampleRNN, bank: NoteBank, cfg: TrainConfig, device: torch.device, info: DistInfo
) -> NLLResult:
    """NLL (bits/sample) of `bank`; under DDP each rank scores every world_size-th note."""
    share = slice(info.rank, None, info.world_size) if info.enabled else None
    sums, counts = note_nll_sums(
        model, bank, window=cfg.window, batch_size=cfg.eval_batch_size, device=device, notes=share
    )
    if info.enabled:
        both = torch.stack([sums, counts]).to(device)
        all_reduce_(both, info)
        sums, counts = both.cpu()
    return summarize(bank, sums, counts)


def _preview(
    model: SampleRNN, bank: NoteBank, cfg: TrainConfig, sample_rate: int, device: torch.device, out: Path
) -> str | None:
    """Generate a short clip with the first validation note's conditioning; None if unavailable."""
    try:
        from samplernn.generate.engine import synthesize
    except ImportError:
        return None
    n = min(int(bank.lengths[0]), int(cfg.preview_seconds * sample_rate))
    cond = bank.cond[int(bank.starts[0]) : int(bank.starts[0]) + n].numpy()
    was_training = model.training
    model.eval()
    try:
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            audio = synthesize(model, [cond], temperature=1.0, seed=cfg.seed, device=device)[0]
        write_wav(out, audio, sample_rate)
    finally:
        model.train(was_training)
    return str(out)


class _Progress:
    """A rich progress bar (steps, samples/s, loss, ETA) on rank 0, or nothing."""

    def __init__(self, enabled: bool, total: int, done: int) -> None:
        self.bar = None
        self.console = None
        if not enabled:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.console = Console(stderr=True, log_path=False)
        self.bar = Progress(
            TextColumn("[bold]train"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[sps]} samples/s"),
            TextColumn("loss {task.fields[loss]}"),
            TextColumn("val {task.fields[val]}"),
            TimeRemainingColumn(),
            console=self.console,
            refresh_per_second=4,
        )
        self.task = self.bar.add_task("train", total=total, completed=done, sps="-", loss="-", val="-")

    def __enter__(self) -> _Progress:
        if self.bar:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar:
            self.bar.stop()

    def update(self, step: int, **fields: str) -> None:
        if self.bar:
            self.bar.update(self.task, completed=step, **fields)

    def log(self, msg: str) -> None:
        if self.console:
            self.console.log(msg)


def make_optimizer(model: nn.Module, lr: float, device: torch.device) -> torch.optim.Adam:
    """Adam; the fused kernel (one pass over all parameters) on CPU and CUDA."""
    return torch.optim.Adam(model.parameters(), lr=lr, fused=device.type in ("cpu", "cuda"))


def train_step(
    fwd: nn.Module,
    model: SampleRNN,
    opt: torch.optim.Optimizer,
    b: Batch,
    state: list[torch.Tensor] | None,
    loss_scale: float,
    grad_clip: float,
    device: torch.device,
    precision: str = "auto",
    input_noise: int = 0,
    input_gain: float = 0.0,
) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
    """One optimiser step on window `b` (x (B, L+T), cond (B, T, 5), mask (B, T), reset (B,)).

    fwd is the model or its DDP / compiled wrapper. The loss minimised is the summed masked NLL
    times `loss_scale` (world_size / targets in the whole batch: a per-target mean over all ranks).
    Returns (summed NLL in nats, gradient norm before clipping, detached float32 new state).
    """
    L = model.lookback
    x_in = b.x
    if input_noise > 0:
        noise = torch.randint(-input_noise, input_noise + 1, b.x.shape, device=b.x.device)
        x_in = (b.x + noise).clamp_(0, model.cfg.q_levels - 1)
    if input_gain > 0:
        x_in = scale_inputs(x_in, input_gain, model.cfg.q_levels, model.cfg.quantization)
    with autocast(device, precision):
        logits, new_state = fwd(x_in, b.cond, state, b.reset)  # (B, T, Q)
    loss_sum = masked_nll(logits, b.x[:, L:], b.mask).sum()
    opt.zero_grad(set_to_none=True)
    (loss_sum * loss_scale).backward()
    gnorm = torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    opt.step()
    return loss_sum.detach(), gnorm, [h.detach().float() for h in new_state]


def scale_inputs(x: torch.Tensor, lowest: float, levels: int, method: str) -> torch.Tensor:
    """Classes (B, N) with half the rows (at random) rescaled by a gain drawn log-uniformly from
    [lowest, 1/lowest] (B, N); full scale clips."""
    B = x.shape[0]
    gain = lowest ** (2.0 * torch.rand(B, 1, device=x.device) - 1.0)
    gain = torch.where(torch.rand(B, 1, device=x.device) < 0.5, gain, torch.ones_like(gain))
    return quantize(dequantize(x, levels, method) * gain, levels, method)


def train(
    dataset_dir: str | Path,
    run_dir: str | Path,
    cfg: TrainConfig,
    *,
    resume: bool = False,
    progress: bool = True,
    on_step: Callable[[int, nn.Module], None] | None = None,
) -> dict[str, Any]:
    """Train a SampleRNN on a prepared dataset into `run_dir`; returns a summary dict.

    Runs alone or, launched by torchrun, as one rank of a DistributedDataParallel job (each rank
    takes its share of every batch's rows; only rank 0 writes). `on_step(step, model)` is called
    after every optimiser step (tests use it). Summary keys: status ('completed', 'early_stopped',
    'time_limit', 'interrupted'), step, best_val, best_step, last_val, last_test, samples_per_s.
    """
    cfg.validate()
    threads = torch.get_num_threads()
    if cfg.threads > 0:
        torch.set_num_threads(cfg.threads)
    info = env_dist()
    device = resolve_device(cfg.device, info)
    owns_group = not (torch.distributed.is_available() and torch.distributed.is_initialized())
    info = init_distributed(device)
    try:
        return _train(Path(dataset_dir), Path(run_dir), cfg, resume, progress, on_step, device, info)
    finally:
        if owns_group:
            shutdown()
        torch.set_num_threads(threads)  # leave the process as we found it


def _train(
    dataset_dir: Path,
    run_dir: Path,
    cfg: TrainConfig,
    resume: bool,
    progress: bool,
    on_step: Callable[[int, nn.Module], None] | None,
    device: torch.device,
    info: DistInfo,
) -> dict[str, Any]:
    paths = run_paths(run_dir)
    _check_run_dir(run_dir, resume)
    barrier(info)  # every rank has looked at the run dir before rank 0 writes to it
    mcfg = cfg.model_config()
    if cfg.window % mcfg.lookback:
        raise UserError(f"--window {cfg.window} must be a multiple of the model's lookback {mcfg.lookback}")
    if cfg.batch_size < info.world_size:
        raise UserError(f"--batch-size {cfg.batch_size} is smaller than the {info.world_size} processes")
    data = _load_data(dataset_dir, mcfg)
    if mcfg.oscillator:  # the oscillator runs at the data's rate
        mcfg = replace(mcfg, sample_rate=data.dataset.sample_rate)
    B, T, L = cfg.batch_size, cfg.window, mcfg.lookback

    torch.manual_seed(cfg.seed)
    model = build_model(mcfg).to(device)
    opt = make_optimizer(model, cfg.lr, device)
    stream = WindowStream(data.train, B, L, T, seed=cfg.seed)
    row_lo, row_hi = info.row_range(B)
    state: list[torch.Tensor] | None = None
    step, run, init_step = 0, RunState(), 0

    if resume:
        payload = read_payload(paths["last"])
        _check_locked(paths["last"], payload.get("train_config", {}), cfg.to_dict())
        if _model_of(payload) != mcfg:
            raise UserError(f"{paths['last']}: checkpoint model config differs from this run's")
        if payload.get("dataset", {}).get("fingerprint") != data.fingerprint:
            raise UserError(
                f"{paths['last']}: was trained on other data than {dataset_dir} "
                "(its train split differs); resume with the same dataset"
            )
        model.load_state_dict(payload["state_dict"])
        _load_optimizer(opt, payload["optimizer"], cfg.lr)
        stream.load_state_dict(payload["data"])
        _set_rng_state(payload["rng"], device)
        if payload.get("hidden") is not None:
            state = [h[:, row_lo:row_hi].to(device) for h in payload["hidden"]]
        run = RunState.from_dict(payload.get("best", {}))
        step = int(payload["step"])
        if info.is_main:  # drop records written after the checkpoint (a crash between saves)
            kept = [r for r in read_metrics(paths["metrics"]) if r.get("step", 0) <= step]
            _rewrite_metrics(paths["metrics"], kept)
    elif cfg.init:
        init_step = _init_from(Path(cfg.init), model, opt, mcfg, cfg.lr)
    if not resume and info.is_main:
        write_json(
            paths["run"],
            {
                "dataset": str(dataset_dir),
                **({"init": {"checkpoint": cfg.init, "step": init_step}} if cfg.init else {}),
                "train_config": cfg.to_dict(),
                "model_config": mcfg.to_dict(),
                "world_size": info.world_size,
            },
        )

    fwd: nn.Module = model
    if info.enabled:
        from torch.nn.parallel import DistributedDataParallel as DDP

        fwd = DDP(model, device_ids=[device.index] if device.type == "cuda" else None)
    if cfg.compile:
        fwd = torch.compile(fwd)  # type: ignore[assignment]

    def save(paths_to: list[Path]) -> None:
        """Checkpoint the state after `step` completed steps (all ranks call: hidden is gathered)."""
        hidden = None
        if state is not None:
            hidden = [gather_rows(h, info, B, dim=1).cpu() for h in state]
        if not info.is_main:
            return
        payload = make_payload(
            model,
            data.dataset.sample_rate,
            data.dataset.stats,
            step,
            optimizer=opt.state_dict(),
            train_config=cfg.to_dict(),
            data=stream.state_dict(),
            rng=_rng_state(device),
            hidden=hidden,
            best=run.to_dict(),
            dataset={"path": str(dataset_dir), "fingerprint": data.fingerprint},
        )
        for p in paths_to:
            save_checkpoint(p, payload)

    if not resume:
        save([paths["last"]])

    sync_every = 1 if device.type == "cpu" else cfg.log_every
    status = "completed"
    stop = _StopFlag()
    deadline = time.monotonic() + 60 * cfg.max_minutes if cfg.max_minutes else math.inf
    acc = torch.zeros(3, device=device, dtype=torch.float64)  # loss nats, samples, non-finite
    log_loss, log_n, log_t, log_samples = 0.0, 0.0, time.monotonic(), 0
    sps_total, t_train = 0, 0.0
    did_eval_at = -1
    in_step, data_snap = False, None
    model.train()
    bar = _Progress(progress and info.is_main, cfg.steps, step)
    with stop.installed(), bar:
        try:
            while step < cfg.steps:
                in_step, data_snap = True, stream.state_dict()
                t_step = time.monotonic()
                for group in opt.param_groups:
                    group["lr"] = cfg.lr_at(step)
                full = stream.next_batch()
                total = max(int(full.mask.sum()), 1)
                b = full.rows(row_lo, row_hi).to(device, non_blocking=True)
                loss_sum, gnorm, new_state = train_step(
                    fwd, model, opt, b, state, info.world_size / total, cfg.grad_clip, device, cfg.precision,
                    cfg.input_noise, cfg.input_gain,
                )
                state = new_state
                step += 1
                in_step = False
                acc += torch.stack(
                    [
                        loss_sum.detach().double(),
                        b.mask.sum().double(),
                        (~torch.isfinite(gnorm) | ~torch.isfinite(loss_sum)).double(),
                    ]
                )
                log_samples += B * T
                t_train += time.monotonic() - t_step
                sps_total += B * T
                if on_step is not None:
                    on_step(step, model)

                boundary = step % cfg.val_every == 0 or step == cfg.steps
                if step % sync_every and not boundary:
                    continue
                flags = torch.cat([acc, acc.new_tensor([stop.requested, time.monotonic() > deadline])])
                all_reduce_(flags, info)  # every rank takes the same decisions below
                loss_n, count_n, bad_n, interrupt_n, timeup_n = flags.tolist()
                acc.zero_()
                if bad_n > 0:
                    raise TrainingDiverged(
                        f"loss became NaN/inf at step {step}; training stopped. The last good checkpoint "
                        f"is {paths['last']} — lower --lr or check the data, then --resume"
                    )
                log_loss += loss_n
                log_n += count_n
                bits = loss_n / max(count_n, 1) / LN2
                now = time.monotonic()
                bar.update(step, loss=f"{bits:.3f}", sps=f"{log_samples / max(now - log_t, 1e-9):,.0f}")
                if step % cfg.log_every == 0 and info.is_main:
                    _append_metric(
                        paths["metrics"],
                        {
                            "kind": "train",
                            "step": step,
                            "loss_bits": log_loss / max(log_n, 1) / LN2,
                            "samples_per_s": log_samples / max(now - log_t, 1e-9),
                            "lr": cfg.lr_at(step - 1),
                            "time": time.time(),
                        },
                    )
                    log_loss, log_n, log_t, log_samples = 0.0, 0.0, now, 0
                if interrupt_n > 0:
                    status = "interrupted"
                    break
                if timeup_n > 0:
                    status = "time_limit"
                if boundary or status == "time_limit":
                    vr = evaluate(model, data.val, cfg, device, info)
                    tr = evaluate(model, data.test, cfg, device, info) if data.test is not None else None
                    did_eval_at = step
                    improved = run.record_eval(step, vr, tr)
                    record = {
                        "kind": "eval",
                        "step": step,
                        "val": vr.to_dict(),
                        "test": tr.to_dict() if tr else None,
                        "best": improved,
                        "time": time.time(),
                    }
                    if info.is_main:
                        if cfg.preview if cfg.preview is not None else device.type == "cuda":
                            clip = paths["previews"] / f"step{step:08d}.wav"
                            record["preview"] = _safe_preview(
                                model, data.val, cfg, data.dataset.sample_rate, device, clip, bar
                            )
                        _append_metric(paths["metrics"], record)
                        plot_loss_curve(read_metrics(paths["metrics"]), paths["plot"], title=run_dir.name)
                    save([paths["last"], paths["best"]] if improved else [paths["last"]])
                    bar.update(step, val=f"{vr.overall:.3f}")
                    bar.log(
                        f"step {step}: val {vr.overall:.4f} bits"
                        + (f", test {tr.overall:.4f}" if tr else "")
                        + (" (best)" if improved else "")
                    )
                    if cfg.patience and run.bad_evals >= cfg.patience:
                        status = "early_stopped"
                        break
                    if status == "time_limit":
                        break
        except KeyboardInterrupt:
            if info.enabled:
                raise  # peers are mid-collective; the graceful path is the SIGINT flag
            if in_step and data_snap is not None:
                stream.load_state_dict(data_snap)  # the interrupted step never happened
            status = "interrupted"

    if did_eval_at != step or status == "interrupted":
        save([paths["last"]])
    return {
        "status": status,
        "step": step,
        "best_val": run.best_val,
        "best_step": run.best_step,
        "last_val": run.last_val,
        "last_test": run.last_test,
        "samples_per_s": sps_total / t_train if t_train > 0 else None,
        "run_dir": str(run_dir),
    }


def _safe_preview(
    model: SampleRNN,
    bank: NoteBank,
    cfg: TrainConfig,
    sr: int,
    device: torch.device,
    out: Path,
    bar: _Progress,
) -> str | None:
    try:
        return _preview(model, bank, cfg, sr, device, out)
    except Exception as exc:  # a preview must never stop training
        bar.log(f"preview failed: {type(exc).__name__}: {exc}")
        return None


def _append_metric(path: Path, record: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fh.write(json.dumps(record) + "\n")


def _rewrite_metrics(path: Path, records: list[dict[str, Any]]) -> None:
    from samplernn.common.files import atomic_path

    with atomic_path(path) as tmp:
        tmp.write_text("".join(json.dumps(r) + "\n" for r in records))
