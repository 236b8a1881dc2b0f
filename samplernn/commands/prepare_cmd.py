"""`samplernn prepare`, `samplernn inspect` and `samplernn bench prepare` (thin; logic: samplernn.prepare).

Every default and help text of `prepare` comes from samplernn.prepare.settings.PrepareSettings.
"""

from __future__ import annotations

import sys
from dataclasses import fields
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from samplernn.bench.prepare import DEFAULT_SIZES
from samplernn.commands.common import fail
from samplernn.common.errors import UsageError, UserError
from samplernn.prepare.naming import MIDDLE_C
from samplernn.prepare.settings import LAYOUTS, NORMALIZE_MODES, PrepareSettings

_FIELDS = {f.name: f for f in fields(PrepareSettings)}

Layout = StrEnum("Layout", {v.replace("-", "_"): v for v in LAYOUTS})  # type: ignore[misc]
Normalize = StrEnum("Normalize", {v.replace("-", "_"): v for v in NORMALIZE_MODES})  # type: ignore[misc]
MiddleC = StrEnum("MiddleC", {v: v for v in MIDDLE_C})  # type: ignore[misc]


def _default(name: str) -> Any:
    """PrepareSettings' default of field `name`."""
    return _FIELDS[name].default


def _option(name: str, *decls: str) -> Any:
    """A typer option whose help is PrepareSettings' help of field `name`."""
    return typer.Option(*decls, help=_FIELDS[name].metadata["help"])


def prepare(
    src: Annotated[str, typer.Argument(
        help="The bank: recordings with MIDI files, named samples, an NSynth folder, an SFZ instrument, "
        "a Hydrogen drum kit, or plain audio (see --layout).")],
    out: Annotated[str, typer.Argument(
        help="Dataset folder to write: new, empty, or an earlier output.")],
    layout: Annotated[Layout, _option("layout")] = Layout(_default("layout")),
    sample_rate: Annotated[int, _option("sample_rate")] = _default("sample_rate"),
    normalize: Annotated[Normalize, _option("normalize")] = Normalize(_default("normalize")),
    peak: Annotated[float, _option("peak")] = _default("peak"),
    threshold: Annotated[float, _option("threshold")] = _default("threshold"),
    pre: Annotated[int, _option("pre")] = _default("pre"),
    post: Annotated[int, _option("post")] = _default("post"),
    lead_silence: Annotated[float | None, _option("lead_silence")] = _default("lead_silence"),
    tail_silence: Annotated[float | None, _option("tail_silence")] = _default("tail_silence"),
    length: Annotated[float | None, _option("length")] = _default("length"),
    fade: Annotated[float | None, _option("fade")] = _default("fade"),
    tolerance_ms: Annotated[float, _option("tolerance_ms")] = _default("tolerance_ms"),
    val: Annotated[float, _option("val_fraction")] = _default("val_fraction"),
    test: Annotated[float, _option("test_fraction")] = _default("test_fraction"),
    seed: Annotated[int, _option("seed")] = _default("seed"),
    skip_bad: Annotated[bool, _option("skip_bad", "--skip-bad")] = _default("skip_bad"),
    pattern: Annotated[str | None, _option("pattern")] = _default("pattern"),
    middle_c: Annotated[MiddleC, _option("middle_c")] = MiddleC(_default("middle_c")),
    trust_names: Annotated[bool, _option("trust_names", "--trust-names")] = _default("trust_names"),
    legato: Annotated[bool, _option("legato", "--legato")] = _default("legato"),
    as_recorded: Annotated[bool, _option("as_recorded", "--as-recorded")] = _default("as_recorded"),
    drum_map: Annotated[str | None, _option("drum_map", "--map")] = _default("drum_map"),
    instrument: Annotated[str | None, _option("instrument")] = _default("instrument"),
    family: Annotated[str | None, _option("family")] = _default("family"),
    chunk_seconds: Annotated[float, _option("chunk_seconds")] = _default("chunk_seconds"),
) -> None:
    """Prepare an instrument bank into a training set: OUT/audio/*.wav, OUT/manifest.csv,
    OUT/dataset.json. The layout of SRC is detected where unambiguous (else --layout)."""
    from samplernn.common.progress import progress_bar
    from samplernn.prepare import prepare_bank
    from samplernn.prepare.report import listed, summary_lines
    from samplernn.prepare.run import NothingPrepared

    try:
        for name, value in (("SRC", src), ("OUT", out)):
            if not value.strip():  # typer reads '' as '.': an unset shell variable would prepare the cwd
                raise ValueError(f"{name} is empty; give a folder")
        src_path = Path(src)
        settings = PrepareSettings(
            layout=layout.value, sample_rate=sample_rate, normalize=normalize.value, peak=peak,
            threshold=threshold, pre=pre, post=post, lead_silence=lead_silence,
            tail_silence=tail_silence, length=length, fade=fade,
            tolerance_ms=tolerance_ms, val_fraction=val, test_fraction=test, seed=seed, skip_bad=skip_bad,
            pattern=pattern, middle_c=middle_c.value, trust_names=trust_names, legato=legato,
            as_recorded=as_recorded, drum_map=drum_map, instrument=instrument, family=family,
            chunk_seconds=chunk_seconds)
    except ValueError as exc:
        fail(UsageError(str(exc)))
    try:
        with progress_bar("prepare", 0, enabled=sys.stderr.isatty(), fields=("stage",)) as update:
            result = prepare_bank(src_path, Path(out), settings, progress=update)
    except NothingPrepared as exc:  # every reason at once: a kit may need a dozen names in --map
        lines = listed(exc.failures, more_in=None, limit=None)  # nothing else to read them in
        if len(lines) > 1:  # one line (a recording's notes failed for one reason) is the error's own
            typer.echo(f"failed        {len(exc.failures)}", err=True)
            for line in lines:
                typer.echo(line, err=True)
        fail(exc)
    except UserError as exc:
        fail(exc)
    for line in summary_lines(result, src_path):
        typer.echo(line)
    if result.failures and not skip_bad:
        fail(f"{len(result.failures)} {_failed_what(result.layout)} failed (listed above); the other notes "
             f"are prepared in {out}. Fix them, or pass --skip-bad to accept.")


def inspect(
    dataset: Annotated[Path, typer.Argument(help="A dataset folder made by `samplernn prepare`.")],
    note: Annotated[str | None, typer.Option(
        help="Note id from manifest.csv, or the name of the file it was prepared from (default: a middle "
        "note).")] = None,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="PNG to write (default DATASET/inspect-ID.png, ID the note's id).")] = None,
) -> None:
    """Draw a prepared note (waveform, envelope, marks, conditioning arrays) and the bank overview."""
    from samplernn.prepare.inspect import inspect_dataset

    try:
        png = inspect_dataset(dataset, note, output)
    except UserError as exc:
        fail(exc)
    typer.echo(str(png))


def bench_prepare(
    src: Annotated[Path | None, typer.Argument(help="Bank to prepare (default: the bundled trombone bank).")]
    = None,
    sizes: Annotated[str, typer.Option(help="Bank sizes as multiples of SRC (made with symlinks).")]
    = ",".join(map(str, DEFAULT_SIZES)),
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the figures here.")] = None,
) -> None:
    """Notes per second and peak memory of `prepare`, each size in its own process."""
    from samplernn.bench.prepare import bench_prepare as run_bench
    from samplernn.bench.prepare import format_rows, parse_sizes, write_rows

    try:
        rows = run_bench(src, parse_sizes(sizes))
    except UserError as exc:
        fail(exc)
    for line in format_rows(rows):
        typer.echo(line)
    if json_out:
        write_rows(json_out, rows)


def _failed_what(layout: str) -> str:
    """What a failure of `layout` is: a Hydrogen kit's are mostly instruments (no General MIDI key), a
    session's notes of a recording."""
    return {"drumkit": "file(s) or kit instrument(s)", "session": "note(s)"}.get(layout, "file(s)")


def register(app: typer.Typer, bench_app: typer.Typer) -> None:
    """Add `prepare`, `inspect` and `bench prepare` to the CLI."""
    app.command("prepare")(prepare)
    app.command("inspect")(inspect)
    bench_app.command("prepare")(bench_prepare)
