"""Prepare benchmark: notes per second and peak memory, for a bank and for copies of it N times over.

Each size runs in its own child process, so its peak resident memory (ru_maxrss, which only ever
grows within a process) belongs to that size alone. The N× bank is made of symlinks to the
original files in N sub-folders (pairs and folder-midi layouts keep working; ids stay unique).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import asdict, dataclass
from pathlib import Path

from samplernn.common.errors import UserError
from samplernn.common.files import write_json
from samplernn.common.lists import comma_ints
from samplernn.common.paths import BUNDLED_BANK

DEFAULT_SIZES = (1, 20)  # bank sizes, as multiples of the bank


@dataclass(frozen=True)
class BenchRow:
    """One benchmark size: notes prepared, seconds, notes/s, peak resident memory of the process and
    peak memory allocated while preparing (tracemalloc: Python objects and numpy arrays)."""

    copies: int
    notes: int
    failed: int
    seconds: float
    cpu_seconds: float  # CPU time of the process while preparing: steadier than wall time on a busy machine
    notes_per_s: float
    peak_rss_mb: float
    peak_alloc_mb: float


def make_copies(src: Path, dest: Path, copies: int) -> Path:
    """A bank `copies` times the size of `src`: dest/copy_001/…, each mirroring src with symlinks."""
    files = [p for p in src.rglob("*") if p.is_file() and not any(s.startswith(".") for s in p.parts)]
    for k in range(1, copies + 1):
        for f in files:
            link = dest / f"copy_{k:03d}" / f.relative_to(src)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(f.resolve())
    return dest


def _peak_rss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024  # bytes on macOS, KiB on Linux


def run_child(src: Path, out: Path) -> dict[str, float]:
    """Prepare `src` into `out` in this process; the measurements as a dict (the child's side)."""
    from samplernn.prepare import PrepareSettings, prepare_bank

    tracemalloc.start()
    began, cpu_began = time.perf_counter(), time.process_time()
    result = prepare_bank(src, out, PrepareSettings(skip_bad=True))
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    peak_alloc = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "notes": result.n_notes,
        "failed": len(result.failures),
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_rss_mb": _peak_rss_mb(),
        "peak_alloc_mb": peak_alloc / 2**20,
    }


def parse_sizes(text: str) -> tuple[int, ...]:
    """'1,20' → (1, 20); UsageError unless every size is a positive whole number."""
    return comma_ints(text, "--sizes", "1,20", minimum=1)


def bench_prepare(src: str | Path | None = None, sizes: tuple[int, ...] = DEFAULT_SIZES) -> list[BenchRow]:
    """Prepare `src` (default: the bundled bank) at each size in a fresh child process."""
    src = Path(src) if src else BUNDLED_BANK
    if not src.is_dir():
        raise UserError(f"{src}: bank not found (render it with scripts/render_bank.py or pass SRC)")
    rows = []
    with tempfile.TemporaryDirectory(prefix="samplernn-bench-") as tmp:
        for copies in sizes:
            bank = src if copies == 1 else make_copies(src, Path(tmp) / f"bank_x{copies}", copies)
            out = Path(tmp) / f"out_x{copies}"
            cmd = [sys.executable, "-m", "samplernn.bench.prepare", str(bank), str(out)]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                raise UserError(f"{bank}: benchmark run failed: {proc.stderr.strip().splitlines()[-1:]}")
            m = json.loads(proc.stdout.strip().splitlines()[-1])
            rows.append(
                BenchRow(
                    copies,
                    int(m["notes"]),
                    int(m["failed"]),
                    round(m["seconds"], 2),
                    round(m["cpu_seconds"], 2),
                    round(m["notes"] / m["seconds"], 1),
                    round(m["peak_rss_mb"], 1),
                    round(m["peak_alloc_mb"], 1),
                )
            )
    return rows


def format_rows(rows: list[BenchRow]) -> list[str]:
    """A table of the rows, one line each under a header line."""
    lines = [
        f"{'size':>5} {'notes':>6} {'failed':>6} {'seconds':>8} {'CPU s':>7} {'notes/s':>8} "
        f"{'peak RSS MB':>12} {'peak alloc MB':>14}"
    ]
    for r in rows:
        lines.append(
            f"{r.copies:>4}× {r.notes:>6} {r.failed:>6} {r.seconds:>8.2f} {r.cpu_seconds:>7.2f} "
            f"{r.notes_per_s:>8.1f} {r.peak_rss_mb:>12.1f} {r.peak_alloc_mb:>14.1f}"
        )
    return lines


def rows_as_dicts(rows: list[BenchRow]) -> list[dict[str, float]]:
    """The rows as JSON-ready dicts (field → value)."""
    return [asdict(r) for r in rows]


def write_rows(path: str | Path, rows: list[BenchRow]) -> None:
    """Write the rows to `path` as a JSON list, atomically."""
    write_json(path, rows_as_dicts(rows))


if __name__ == "__main__":  # child process: python -m samplernn.bench.prepare SRC OUT
    print(json.dumps(run_child(Path(sys.argv[1]), Path(sys.argv[2]))))
