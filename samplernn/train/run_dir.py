"""The run dir: run.json, checkpoints/last.pt and best.pt (and minute_<MMM>.pt snapshots with
--snapshot-minutes), metrics.jsonl, loss.png, sound.png, previews/.

metrics.jsonl holds one JSON record per line: kind 'train' every log_every steps (loss, samples/s,
learning rate), kind 'eval' at every validation (val/test NLL, the sound score and its parts,
the seconds each took, best or not, preview clip).
Under DDP only rank 0 writes: `RunDir` is the one place that knows it.
"""

from __future__ import annotations

import functools
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from samplernn.common.errors import UserError
from samplernn.common.files import SYSTEM_FILES, atomic_path, check_output_folder, write_json, writing
from samplernn.common.progress import ProgressFn
from samplernn.model.checkpoint import save_checkpoint
from samplernn.model.nll import NLLResult
from samplernn.train.curves import plot_loss_curve, plot_sound_curve, read_metrics
from samplernn.train.sound_score import describe

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class RunPaths:
    """Where a run dir keeps each of its files."""

    root: Path

    @property
    def run(self) -> Path:
        return self.root / "run.json"

    @property
    def last(self) -> Path:
        return self.root / "checkpoints" / "last.pt"

    @property
    def best(self) -> Path:
        return self.root / "checkpoints" / "best.pt"

    def snapshot(self, minutes: float) -> Path:
        """The snapshot kept at the training-minute mark `minutes`: checkpoints/minute_010.pt for
        10, minute_000.250.pt for 0.25."""
        whole = round(minutes)
        mark = f"{whole:03d}" if abs(minutes - whole) < 1e-6 else f"{minutes:07.3f}"
        return self.root / "checkpoints" / f"minute_{mark}.pt"

    def snapshots(self) -> list[Path]:
        """The snapshots the run has kept, in the order of their names (their minute marks)."""
        return sorted((self.root / "checkpoints").glob("minute_*.pt"))

    @property
    def metrics(self) -> Path:
        return self.root / "metrics.jsonl"

    @property
    def plot(self) -> Path:
        return self.root / "loss.png"

    @property
    def sound_plot(self) -> Path:
        return self.root / "sound.png"

    def preview(self, step: int) -> Path:
        return self.root / "previews" / f"step{step:08d}.wav"


def stopped_before_a_checkpoint(paths: RunPaths) -> bool:
    """True for a run dir whose run wrote run.json but stopped (a crash, Ctrl-C, a bad setting
    found late, out of memory at its first step) before it trained anything worth keeping — no
    checkpoint, or only the last.pt of step 0 that every new run writes before its first step
    (metrics.jsonl records no training step and no validation) — and that holds nothing but the
    run's own files."""
    if not paths.run.is_file():
        return False
    kept = {p.name for p in (paths.root / "checkpoints").glob("*.pt")}
    if kept - {paths.last.name} or (kept and _recorded_anything(paths.metrics)):
        return False
    own = {paths.run.name, paths.metrics.name, paths.plot.name, paths.sound_plot.name, "previews",
           "checkpoints"}
    return all(p.name in own or p.name in SYSTEM_FILES for p in paths.root.iterdir())


def _recorded_anything(metrics: Path) -> bool:
    """Whether metrics.jsonl holds a record (a training step's or a validation's); an unreadable
    file counts as holding one (never written over)."""
    try:
        return metrics.is_file() and any(line.strip() for line in metrics.read_text().splitlines())
    except (OSError, UnicodeDecodeError):
        return True


def check_outside_dataset(run_root: Path, dataset: Path) -> None:
    """Raise UserError when the run folder is the prepared dataset or lies inside it: the run's
    checkpoints would become part of the dataset, and `prepare` would refuse to write it again."""
    root, data = Path(run_root).resolve(), Path(dataset).resolve()
    if root == data or data in root.parents:
        raise UserError(f"{run_root}: the run folder lies inside the dataset {dataset}; put --out outside it")


def check_run_dir(paths: RunPaths, resume: bool) -> None:
    """Raise UserError unless `paths.root` can take a new run — a new folder, an empty one (a
    file browser's SYSTEM_FILES aside) or one whose run stopped before its first checkpoint — or,
    with resume, holds one, and can be written: a read-only folder is said before training starts,
    not at the first write."""
    if paths.root.exists() and not paths.root.is_dir():
        raise UserError(f"{paths.root}: exists and is not a directory")
    check_output_folder(paths.root)
    if resume:
        if not paths.last.is_file():
            stopped = " (its run stopped before its first checkpoint: leave out --resume to start it again)"
            raise UserError(f"{paths.last}: nothing to resume (no checkpoint in {paths.root})"
                            + (stopped if stopped_before_a_checkpoint(paths) else ""))
    elif stopped_before_a_checkpoint(paths):
        return  # nothing of it to keep: the new run writes over its run.json and metrics.jsonl
    elif any(p.exists() for p in (paths.run, paths.last, paths.metrics)):
        raise UserError(
            f"{paths.root}: holds a run already (use --resume to continue it, or choose a new --out)"
        )
    elif paths.root.is_dir():
        others = sorted(p.name for p in paths.root.iterdir() if p.name not in SYSTEM_FILES)
        if others:  # a user's own folder: the run would write over loss.png, previews/ …
            shown = ", ".join(others[:3]) + (" …" if len(others) > 3 else "")
            raise UserError(f"{paths.root}: is not empty (holds {shown}); a new run needs a new or empty "
                            "folder, choose another --out")


def snapshot_mark(every_minutes: float | None, elapsed_s: float) -> float | None:
    """The last multiple of `every_minutes` that `elapsed_s` seconds of training have reached
    (None without snapshots or before the first mark)."""
    if not every_minutes:
        return None
    k = math.floor(elapsed_s / (60.0 * every_minutes))
    return k * every_minutes if k >= 1 else None


def train_record(step: int, loss_bits: float, samples_per_s: float, lr: float) -> dict[str, Any]:
    """The metrics record of the training steps up to `step` since the previous one."""
    return {
        "kind": "train",
        "step": step,
        "loss_bits": loss_bits,
        "samples_per_s": samples_per_s,
        "lr": lr,
        "time": time.time(),
    }


def eval_record(
    step: int,
    val: NLLResult,
    test: NLLResult | None,
    best: bool,
    sound: dict[str, Any] | None = None,
    nll_seconds: float | None = None,
) -> dict[str, Any]:
    """The metrics record of a validation at `step` (best: the checkpoint best.pt now holds).

    sound: SoundScore.to_dict() (None without a sound check); nll_seconds: time the NLL took.
    """
    return {
        "kind": "eval",
        "step": step,
        "val": val.to_dict(),
        "test": test.to_dict() if test else None,
        "sound": sound,
        "seconds": {"nll": nll_seconds, "sound": sound["seconds"] if sound else None},
        "best": best,
        "time": time.time(),
    }


def eval_line(
    step: int, val: NLLResult, test: NLLResult | None, best: bool, sound: dict[str, Any] | None = None
) -> str:
    """A validation as one line of the training log."""
    heard = f", sound {describe(sound)}" if sound is not None else ""
    return (
        f"step {step}: val {val.overall:.4f} bits"
        + (f", test {test.overall:.4f}" if test else "")
        + heard
        + (" (best)" if best else "")
    )


def _rank0(method: F) -> F:
    """The method on rank 0; on other ranks a call does nothing and returns None."""

    @functools.wraps(method)
    def wrapper(self: RunDir, *args: Any, **kwargs: Any) -> Any:
        return method(self, *args, **kwargs) if self.main else None

    return wrapper  # type: ignore[return-value]


class RunDir:
    """A run dir and the run's log as rank 0 writes them; on other ranks every method does nothing.

    progress: the caller's `ProgressFn`, called as progress(step, total=None, **fields) with
    fields loss, sps, val (text); log: takes one line of text (a validation, a failed preview).
    """

    def __init__(
        self,
        root: Path,
        *,
        main: bool = True,
        progress: ProgressFn | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.paths, self.main = RunPaths(root), main
        self._progress, self._log = progress, log

    @_rank0
    def describe(self, info: dict[str, Any]) -> None:
        """Write run.json."""
        write_json(self.paths.run, info)

    @_rank0
    def forget_records(self) -> None:
        """Empty metrics.jsonl: a new run in a run dir whose run stopped before its first checkpoint."""
        self.paths.metrics.unlink(missing_ok=True)

    @_rank0
    def append(self, record: dict[str, Any]) -> None:
        """Add a record to metrics.jsonl (UserError naming it when it cannot be written)."""
        with writing(self.paths.metrics):
            self.paths.metrics.parent.mkdir(parents=True, exist_ok=True)
            with self.paths.metrics.open("a") as fh:
                fh.write(json.dumps(record) + "\n")

    @_rank0
    def drop_records_after(self, step: int) -> None:
        """Forget the records of steps after `step` (written after the checkpoint a run resumes)."""
        kept = [r for r in read_metrics(self.paths.metrics) if r.get("step", 0) <= step]
        with atomic_path(self.paths.metrics) as tmp:
            tmp.write_text("".join(json.dumps(r) + "\n" for r in kept))

    @_rank0
    def plot(self) -> None:
        """Redraw loss.png, and sound.png when there are sound scores, from metrics.jsonl."""
        records = read_metrics(self.paths.metrics)
        plot_loss_curve(records, self.paths.plot, title=self.paths.root.name)
        if any(r.get("sound") for r in records):
            plot_sound_curve(records, self.paths.sound_plot, title=self.paths.root.name)

    @_rank0
    def save(self, payload: dict[str, Any], *, best: bool = False, snapshot: float | None = None) -> None:
        """Write a checkpoint payload as last.pt, as best.pt too when `best`, and as the snapshot
        of minute mark `snapshot` when the run has none of that mark yet."""
        paths = [self.paths.last] + ([self.paths.best] if best else [])
        if snapshot is not None and not self.paths.snapshot(snapshot).exists():
            paths.append(self.paths.snapshot(snapshot))
        for path in paths:
            save_checkpoint(path, payload)

    @_rank0
    def preview(self, step: int, make: Callable[[Path], str | None]) -> str | None:
        """`make(path)` with the path of `step`'s preview clip; what it returns."""
        return make(self.paths.preview(step))

    @_rank0
    def progress(self, step: int, total: int | None = None, **fields: str) -> None:
        """Tell the caller's progress callback: `step` of `total` done, text fields."""
        if self._progress is not None:
            self._progress(step, total, **fields)

    @_rank0
    def log(self, message: str) -> None:
        """A line for the caller's log."""
        if self._log is not None:
            self._log(message)
