#!/usr/bin/env python3
"""Turn a training checkpoint into the shipped one: weights in float16, no optimiser/RNG state.

  ship_model.py runs/small-cond/checkpoints/best.pt samplernn/pretrained/trombone-small.pt
      [--step N] [--temperature T] [--attack-temperature T] [--card '{"steps": ..., "hardware": ...}']

recipes/trombone-small.sh ends with the call that shipped the current model.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from samplernn.model.checkpoint import load_checkpoint, make_payload, save_checkpoint

KEEP = ("train_config", "metrics")


def main() -> None:
    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=fmt)
    parser.add_argument("src", type=Path)
    parser.add_argument("dst", type=Path)
    parser.add_argument("--step", type=int, default=None,
                        help="Step count to record instead of the checkpoint's (a fine-tuned run counts "
                        "from 0: add the steps of the run it started from).")
    parser.add_argument("--temperature", type=float, default=None,
                        help="Sampling temperature synth/render/evaluate use unless told otherwise "
                        "(picked on the validation split; default: the checkpoint's).")
    parser.add_argument("--attack-temperature", type=float, default=None,
                        help="Temperature of each note's attack (samplernn.generate.temperature) that "
                        "synth/render/pack/play/evaluate use unless told otherwise (default: the "
                        "checkpoint's, if any).")
    parser.add_argument("--card", default="{}", help="JSON object stored as payload['model_card'].")
    args = parser.parse_args()
    ckpt = load_checkpoint(args.src, "cpu")
    extra = {k: ckpt.payload[k] for k in KEEP if k in ckpt.payload}
    extra["model_card"] = json.loads(args.card)
    temperature = ckpt.temperature if args.temperature is None else args.temperature
    # the checkpoint's other playing hints (a kit's piece centroids) travel with it
    extra["generation"] = {**(ckpt.payload.get("generation") or {}), "temperature": temperature}
    if args.attack_temperature is not None:
        if not args.attack_temperature > 0:  # also refuses nan
            parser.error(f"--attack-temperature must be > 0, got {args.attack_temperature}")
        extra["generation"]["attack_temperature"] = args.attack_temperature
    step = ckpt.step if args.step is None else args.step
    payload = make_payload(ckpt.model, ckpt.sample_rate, ckpt.stats, step=step, half=True, **extra)
    save_checkpoint(args.dst, payload)
    print(f"{args.dst}: step {payload['step']}, temperature {temperature}, "
          f"{args.dst.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
