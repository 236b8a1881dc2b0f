#!/usr/bin/env python3
"""`samplernn train` for the two things a recipe needs that its options cannot say.

* `--model FIELD=VALUE`: model fields other than the preset's, e.g. `level_conditioning=false` for a
  model without the level column, or `level_conditioning=true` with `init=CKPT` to widen a model that
  lacks it (the new inputs start at zero weight, so training starts from exactly the old model).
* `--stop-at N`: stop after step N although the schedule runs to `steps` (a learning rate annealed
  over `steps` is followed exactly up to N); the run dir then holds step N in checkpoints/last.pt.

    train_stage.py DATASET --out RUN [--resume] [--set FIELD=VALUE …] [--model FIELD=VALUE …]
                   [--stop-at N] [--dry-run] [-q]

`--set` takes the fields of samplernn.train's TrainConfig (steps=3000 lr=5e-4 init=PATH
precision=bf16 …), `--model` those of ModelConfig. Values are read as JSON where they parse
(3000, 5e-4, true, null) and as strings otherwise. Everything else is `samplernn train`: the same
config resolution (an --init checkpoint's model settings, a resumed run's stored options), the
same run dir. `--dry-run` prints the resolved configuration and trains nothing.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def parse_fields(pairs: list[str], parser: argparse.ArgumentParser) -> dict[str, Any]:
    """['lr=5e-4', 'init=a.pt'] → {'lr': 0.0005, 'init': 'a.pt'} (JSON values where they parse)."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            parser.error(f"{pair!r}: expected FIELD=VALUE")
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw
    return out


def stop_at(last_step: int | None) -> Callable[[int, Any], None] | None:
    """An on_step callback asking the loop to stop after `last_step`, as Ctrl-C does: the step
    completes, checkpoints/last.pt is saved at exactly that step and train() returns."""
    if last_step is None:
        return None

    def on_step(step: int, model: Any) -> None:
        if step == last_step:
            signal.raise_signal(signal.SIGINT)

    return on_step


def main() -> None:
    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=fmt)
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--set", nargs="*", default=[], metavar="FIELD=VALUE", help="TrainConfig fields")
    parser.add_argument("--model", nargs="*", default=[], metavar="FIELD=VALUE", help="ModelConfig fields")
    parser.add_argument("--stop-at", type=int, default=None, metavar="N")
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("-q", "--quiet", action="store_true")
    args = parser.parse_args()

    from samplernn.common.errors import UserError
    from samplernn.common.progress import progress_bar
    from samplernn.model.config import ModelConfig
    from samplernn.train.config import TrainConfig
    from samplernn.train.init import resolve_train_config
    from samplernn.train.loop import train

    given = parse_fields(args.set, parser)
    model = parse_fields(args.model, parser)
    unknown = sorted(set(given) - set(TrainConfig.__dataclass_fields__)) + sorted(
        set(model) - set(ModelConfig.__dataclass_fields__)
    )
    if unknown:
        parser.error(f"unknown fields: {', '.join(unknown)}")
    if model:
        given["model_overrides"] = model
    if not args.resume and not given.get("init"):
        given.setdefault("conditioning", True)  # as `samplernn train` does for a new run
    try:
        cfg = resolve_train_config(args.out, given, args.resume)
        if args.dry_run:
            print(json.dumps(cfg.to_dict(), indent=2))
            return
        fields = ("loss", "val", "sps")
        with progress_bar("train", cfg.steps, enabled=not args.quiet, fields=fields) as update:
            summary = train(args.dataset, args.out, cfg, resume=args.resume, progress=update,
                            log=None if args.quiet else _log, on_step=stop_at(args.stop_at))
    except UserError as exc:
        sys.exit(f"error: {exc}")
    stopped_as_asked = summary.status == "interrupted" and summary.step == args.stop_at
    print(f"{summary.status} at step {summary.step} → {args.out / 'checkpoints' / 'last.pt'}")
    if summary.status == "interrupted" and not stopped_as_asked:
        sys.exit(130)


def _log(line: str) -> None:
    print(line, file=sys.stderr)  # a live progress bar shows it above itself


if __name__ == "__main__":
    main()
