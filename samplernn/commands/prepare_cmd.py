"""`samplernn prepare`, `samplernn inspect` and `samplernn bench prepare` (thin; logic: samplernn.prepare)."""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from samplernn.commands.common import fail
from samplernn.common.errors import UserError


class Layout(StrEnum):
    auto = "auto"
    pairs = "pairs"
    folder_midi = "folder-midi"
    session = "session"


class Normalize(StrEnum):
    bank = "bank"
    per_file = "per-file"


def _progress_bar(console: Console) -> tuple[Progress, Callable[[str, int, int], None]]:
    """A rich progress bar and the prepare_bank callback that drives it."""
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   console=console, transient=True)
    tasks: dict[str, int] = {}
    labels = {"peaks": "reading peaks", "notes": "preparing notes"}

    def update(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(labels.get(stage, stage), total=total)
        bar.update(tasks[stage], completed=done)

    return bar, update


def prepare(
    src: Annotated[Path, typer.Argument(help="Folder of recordings (.wav/.flac) and MIDI files.")],
    out: Annotated[Path, typer.Argument(help="Dataset folder to write: new, empty, or an earlier output.")],
    layout: Annotated[Layout, typer.Option(help="How recordings and MIDI files go together.")] = Layout.auto,
    sample_rate: Annotated[int, typer.Option(help="Sample rate of the prepared audio (Hz).")] = 16000,
    normalize: Annotated[Normalize, typer.Option(
        help="'bank': one gain for all notes (velocity differences survive); 'per-file': each note to --peak."
    )] = Normalize.bank,
    peak: Annotated[float, typer.Option(help="Peak of the loudest recording, or of each note.")] = 0.9,
    threshold: Annotated[float, typer.Option(help="Envelope start/end at this share of the note's peak.")]
    = 0.008,
    pre: Annotated[int, typer.Option(help="Samples (source rate) kept before the detected start.")] = 100,
    post: Annotated[int, typer.Option(help="Samples (source rate) kept after the detected end.")] = 400,
    lead_silence: Annotated[float, typer.Option(help="Seconds of silence before each note.")] = 0.25,
    tail_silence: Annotated[float, typer.Option(
        help="Seconds of silence after each note (teaches the model to stay quiet between notes).")] = 0.25,
    length: Annotated[float | None, typer.Option(
        help="Fixed note length in seconds, cut or padded, with a fade-out (thesis: 4.0).")] = None,
    fade: Annotated[float, typer.Option(help="Seconds of linear fade-out at the end (with --length).")] = 1.0,
    tolerance_ms: Annotated[float, typer.Option(
        help="Largest distance between MIDI note-on and the detected start (ms).")] = 100.0,
    val: Annotated[float, typer.Option(help="Share of each pitch's notes for validation.")] = 0.1,
    test: Annotated[float, typer.Option(help="Share of each pitch's notes for test.")] = 0.1,
    seed: Annotated[int, typer.Option(help="Seed of the split assignment.")] = 0,
    skip_bad: Annotated[bool, typer.Option("--skip-bad", help="Exit 0 even if some files failed.")] = False,
) -> None:
    """Prepare a recorded instrument bank (audio + MIDI) into a training set: OUT/audio/*.wav,
    OUT/manifest.csv, OUT/dataset.json."""
    from samplernn.prepare import PrepareSettings, prepare_bank
    from samplernn.prepare.report import summary_lines

    try:
        settings = PrepareSettings(
            layout=layout.value, sample_rate=sample_rate, normalize=normalize.value, peak=peak,
            threshold=threshold, pre=pre, post=post, lead_silence=lead_silence,
            tail_silence=tail_silence, length=length, fade=fade,
            tolerance_ms=tolerance_ms, val_fraction=val, test_fraction=test, seed=seed, skip_bad=skip_bad)
    except ValueError as exc:
        fail(str(exc))
    bar, update = _progress_bar(Console(stderr=True))
    try:
        with bar:
            result = prepare_bank(src, out, settings, progress=update)
    except UserError as exc:
        fail(str(exc))
    for line in summary_lines(result, src):
        typer.echo(line)
    if result.failures and not skip_bad:
        fail(f"{len(result.failures)} file(s) failed (listed above); the other notes are prepared in {out}. "
              "Fix them, or pass --skip-bad to accept.")


def inspect(
    dataset: Annotated[Path, typer.Argument(help="A dataset folder made by `samplernn prepare`.")],
    note: Annotated[str | None, typer.Option(help="Note id from manifest.csv (default: a middle note).")]
    = None,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="PNG to write (default DATASET/inspect-<id>.png).")] = None,
) -> None:
    """Draw a prepared note (waveform, envelope, marks, conditioning arrays) and the bank overview."""
    from samplernn.prepare.inspect import inspect_dataset

    try:
        png = inspect_dataset(dataset, note, output)
    except UserError as exc:
        fail(str(exc))
    typer.echo(str(png))


def bench_prepare(
    src: Annotated[Path | None, typer.Argument(help="Bank to prepare (default: the bundled trombone bank).")]
    = None,
    sizes: Annotated[str, typer.Option(help="Bank sizes as multiples of SRC (made with symlinks).")] = "1,20",
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the figures here.")] = None,
) -> None:
    """Notes per second and peak memory of `prepare`, each size in its own process."""
    from samplernn.bench.prepare import bench_prepare as run_bench
    from samplernn.bench.prepare import format_rows, rows_as_dicts

    try:
        copies = tuple(int(s) for s in sizes.split(",") if s.strip())
    except ValueError:
        copies = ()
    if not copies or min(copies) < 1:
        fail(f"--sizes {sizes!r}: expected positive whole numbers separated by commas, e.g. 1,20")
    try:
        rows = run_bench(src, copies)
    except UserError as exc:
        fail(str(exc))
    for line in format_rows(rows):
        typer.echo(line)
    if json_out:
        json_out.write_text(json.dumps(rows_as_dicts(rows), indent=2) + "\n")


def register(app: typer.Typer, bench_app: typer.Typer) -> None:
    app.command("prepare")(prepare)
    app.command("inspect")(inspect)
    bench_app.command("prepare")(bench_prepare)
