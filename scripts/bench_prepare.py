"""Benchmark `samplernn prepare`: notes per second and peak memory at 1× and 20× the bundled bank.

    .venv/bin/python scripts/bench_prepare.py [SRC] [--sizes 1,20] [--json figures.json]

Same as `samplernn bench prepare`; each size runs in its own process (see samplernn.bench.prepare).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from samplernn.bench.prepare import DEFAULT_SIZES, bench_prepare, format_rows, parse_sizes, write_rows


def main() -> None:
    sizes = ",".join(map(str, DEFAULT_SIZES))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", nargs="?", type=Path, help="bank to prepare (default: the bundled one)")
    parser.add_argument("--sizes", default=sizes, help=f"bank sizes as multiples of SRC (default {sizes})")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()
    rows = bench_prepare(args.src, parse_sizes(args.sizes))
    print("\n".join(format_rows(rows)))
    if args.json:
        write_rows(args.json, rows)


if __name__ == "__main__":
    main()
