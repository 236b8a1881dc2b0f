"""Time to quality: train with the default recipe for a budget of minutes, keeping a snapshot of
the checkpoint every few training minutes, then evaluate every snapshot (and best.pt, last.pt) as
`samplernn evaluate` does and write the quality-against-minutes curve: OUT/quality.json and
OUT/quality.png. What `samplernn bench quality` runs.

    from samplernn.bench.quality import quality_curve
    curve = quality_curve("data/bank", "bench/quality", minutes=120, every=10)
    print(curve["time_to_target"])
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from samplernn.bench.quality_measures import (
    DEFAULT_EVERY,
    DEFAULT_MINUTES,
    MEASURES,
    QUALITY_EVALUATE,
    per_seed,
    read_measures,
    target_text,
    time_to_target,
)
from samplernn.bench.quality_plot import plot_quality
from samplernn.common.errors import UserError
from samplernn.common.files import write_json
from samplernn.common.progress import ProgressFn
from samplernn.evaluate.checkpoint import evaluate_checkpoint
from samplernn.evaluate.options import EvaluateOptions
from samplernn.model.checkpoint import read_payload
from samplernn.train.init import resolve_train_config
from samplernn.train.loop import train
from samplernn.train.run_dir import RunPaths


@dataclass
class Point:
    """A checkpoint of the run to evaluate: its step, training minutes (None for a checkpoint
    without a clock), the validation NLL it recorded, and every file of the run that holds it."""

    step: int
    minutes: float | None
    val_nll: float | None
    paths: list[Path] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.paths[0].stem

    @property
    def best(self) -> bool:
        """Whether best.pt holds this checkpoint."""
        return any(p.name == "best.pt" for p in self.paths)


def run_points(run_dir: Path) -> list[Point]:
    """The run's snapshots, best.pt and last.pt, one Point per step (a snapshot that best.pt or
    last.pt repeats is evaluated once), in the order of training. Raises UserError when the run
    dir holds no checkpoint."""
    paths = RunPaths(run_dir)
    files = [p for p in (*paths.snapshots(), paths.best, paths.last) if p.is_file()]
    if not files:
        raise UserError(f"{run_dir}: no checkpoints to evaluate (checkpoints/minute_*.pt, best.pt, last.pt)")
    points: dict[int, Point] = {}
    for path in files:
        payload = read_payload(path)
        step = int(payload.get("step", 0))
        if step not in points:
            elapsed = payload.get("elapsed_s")
            val = (payload.get("best") or {}).get("last_val")
            points[step] = Point(step, None if elapsed is None else float(elapsed) / 60.0, val)
        points[step].paths.append(path)
    return [points[step] for step in sorted(points)]


def quality_curve(
    dataset: str | Path,
    out: str | Path,
    *,
    minutes: float = DEFAULT_MINUTES,
    every: float = DEFAULT_EVERY,
    init: str | None = None,
    train_overrides: dict[str, Any] | None = None,
    evaluate: EvaluateOptions = QUALITY_EVALUATE,
    evaluate_only: bool = False,
    run_dir: str | Path | None = None,
    threads: int = 0,
    progress: ProgressFn | None = None,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Train on `dataset` for `minutes` with a snapshot every `every` minutes (the default
    recipe, TrainConfig's defaults, with `train_overrides` over it and `init` to fine-tune from),
    into `run_dir` (default OUT/run); then evaluate each snapshot, best.pt and last.pt with
    `evaluate`, writing OUT/quality.json after each and OUT/quality.png at the end. With `evaluate_only`,
    evaluate the checkpoints of the run already in `run_dir` instead of training.

    threads: CPU threads for training (torch) and evaluation (torch and the generation engine, as
    evaluate --threads); 0 = torch's choice in training, evaluate's defaults in evaluation.
    progress(done, total, phase="train"|"evaluate", **fields): training steps (fields loss, val,
    sound, sps), then checkpoints evaluated (fields checkpoint, stage); log(line): the run's
    validations and one line per checkpoint evaluated. Returns the curve (quality.json's
    content). Raises UserError for bad settings, data, or a run dir that holds a run already
    (without evaluate_only) or none (with it).
    """
    out = Path(out)
    run = Path(run_dir) if run_dir is not None else out / "run"
    trained = None
    if not evaluate_only:
        if not minutes > 0:
            raise UserError(f"the training budget must be > 0 minutes, got {minutes}")
        settings = {"threads": threads, **(train_overrides or {}), "max_minutes": minutes,
                    "snapshot_minutes": every, **({"init": init} if init else {})}
        trained = _train(Path(dataset), run, settings, progress, log)
    points = run_points(run)
    evaluating = dataclasses.replace(evaluate, threads=threads) if threads else evaluate
    curve: dict[str, Any] = {
        "dataset": str(dataset), "run": str(run), "budget_minutes": None if evaluate_only else minutes,
        "every_minutes": every, "init": init, "train": trained, "evaluate": _describe(evaluating),
        "targets": {m.key: target_text(m) for m in MEASURES if m.target is not None},
        "snapshots": [], "time_to_target": {},
    }  # fmt: skip
    for i, point in enumerate(points):
        _report(progress, i, len(points), phase="evaluate", checkpoint=point.name, stage="starting")
        entry = _evaluate(point, Path(dataset), evaluating, _inner(progress, i, len(points), point.name))
        curve["snapshots"].append(entry)
        curve["time_to_target"] = time_to_target(curve["snapshots"])
        write_json(out / "quality.json", curve)  # a long evaluation's figures so far
        if log is not None:
            log(summary_line(entry))
    _report(progress, len(points), len(points), phase="evaluate", checkpoint="done", stage="")
    write_curve(curve, out)
    return curve


def _train(
    dataset: Path, run: Path, settings: dict[str, Any], progress: ProgressFn | None,
    log: Callable[[str], None] | None,
) -> dict[str, Any]:
    """Train a new run into `run` with `settings` over the defaults; how it ended."""
    if RunPaths(run).last.exists():
        raise UserError(f"{run}: holds a run already: evaluate it with --evaluate-only, or give a new --out")
    cfg = resolve_train_config(run, settings, resume=False)

    def report(step: int, total: int | None = None, **fields: Any) -> None:
        _report(progress, step, total, phase="train", **fields)

    result = train(dataset, run, cfg, progress=report, log=log)
    return {"status": result.status, "message": result.message, "step": result.step,
            "best_step": result.best_step, "samples_per_s": result.samples_per_s}  # fmt: skip


def _evaluate(
    point: Point, dataset: Path, options: EvaluateOptions, progress: ProgressFn | None
) -> dict[str, Any]:
    """The curve's entry of one checkpoint: evaluate_checkpoint's figures (MEASURES)."""
    result = evaluate_checkpoint(point.paths[0], dataset, options, progress=progress)
    entry: dict[str, Any] = {
        "name": point.name,
        "checkpoints": [str(p) for p in point.paths],
        "minutes": point.minutes,
        "step": point.step,
        "best": point.best,
        "measures": read_measures(result.report, point.val_nll),
        "passed": result.report["passed"],
    }
    if result.seed_runs:
        entry["per_seed"] = per_seed(result.seed_runs)
    return entry


def write_curve(curve: dict[str, Any], out: Path) -> tuple[Path, Path]:
    """OUT/quality.json and OUT/quality.png of `curve` (atomically); their paths."""
    json_path, png_path = out / "quality.json", out / "quality.png"
    write_json(json_path, curve)
    plot_quality(curve, png_path)
    return json_path, png_path


def summary_line(entry: dict[str, Any]) -> str:
    """One checkpoint's headline figures as a line of the log."""
    m = entry["measures"]

    def pct(key: str) -> str:
        return "-" if m.get(key) is None else f"{m[key]:.0%}"

    def num(key: str, unit: str) -> str:
        return "-" if m.get(key) is None else f"{m[key]:.1f}{unit}"

    minutes = "?" if entry["minutes"] is None else f"{entry['minutes']:.1f}"
    return (
        f"{entry['name']} ({minutes} min, step {entry['step']}): pitch {pct('test_pitch_accuracy')}, "
        f"melodies {pct('melody_pitch_accuracy')}, missing {pct('missing_pitch_accuracy')}, "
        f"length {num('length_error_ms', ' ms')}, rising {pct('rms_rising_share')}, "
        f"between {pct('between_share')}, timbre {num('timbre_db', ' dB')}"
    )


def _describe(options: EvaluateOptions) -> dict[str, Any]:
    """The evaluate options as JSON-ready values."""
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in dataclasses.asdict(options).items()}


def _report(progress: ProgressFn | None, done: int, total: int | None, **fields: Any) -> None:
    if progress is not None:
        progress(done, total, **fields)


def _inner(progress: ProgressFn | None, i: int, n: int, name: str) -> ProgressFn | None:
    """evaluate's progress(done, total, stage=) as the bench's: checkpoint i of n, the stage's share."""
    if progress is None:
        return None

    def report(done: int, total: int | None = None, **fields: Any) -> None:
        share = f" {done / total:.0%}" if total else ""
        progress(i, n, phase="evaluate", checkpoint=name, stage=f"{fields.get('stage', '')}{share}")

    return report
