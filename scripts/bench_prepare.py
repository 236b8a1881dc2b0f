"""Benchmark `samplernn prepare`: notes per second and peak memory at 1× and 20× the bundled bank.

    .venv/bin/python scripts/bench_prepare.py [SRC] [--sizes 1,20] [--json figures.json]

Same as `samplernn bench prepare`; each size runs in its own process (see samplernn.bench.prepare).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from samplernn.bench.prepare import bench_prepare, format_rows, rows_as_dicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", nargs="?", type=Path, help="bank to prepare (default: the bundled one)")
    parser.add_argument("--sizes", default="1,20", help="bank sizes as multiples of SRC (default 1,20)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()
    rows = bench_prepare(args.src, tuple(int(s) for s in args.sizes.split(",")))
    print("\n".join(format_rows(rows)))
    if args.json:
        args.json.write_text(json.dumps(rows_as_dicts(rows), indent=2) + "\n")


if __name__ == "__main__":
    main()
