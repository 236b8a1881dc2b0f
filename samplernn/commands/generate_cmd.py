"""`samplernn synth`, `samplernn render` and `samplernn bench generate`: thin typer layers over
samplernn.render.synth, samplernn.render.midi and samplernn.bench.generate.

Each command builds one GenerationOptions (with the progress bar's callback) and hands it down.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from samplernn.commands.common import (
    CHECKPOINT_HELP,
    MAX_TAKES,
    AttackTemp,
    DeprecatedPrecision,
    Device,
    MinP,
    OnsetCandidates,
    Quiet,
    RenderEngine,
    Seed,
    Temperature,
    Threads,
    WeightDtype,
    check_bit_depth,
    fail,
    generation_options,
    onset_search_note,
    weight_dtype_option,
)
from samplernn.common.audio import check_wav_output
from samplernn.common.errors import UsageError, UserError
from samplernn.common.files import check_output_file, refuse_overwriting
from samplernn.common.lists import counted
from samplernn.generate.options import ONSET_CANDIDATES, GenerationOptions
from samplernn.model.config import PRESETS
from samplernn.prepare.settings import CHUNK_SECONDS, MAX_NOTE_SECONDS

#: Longest --lead / --tail. The longest --duration `synth` takes is prepare's longest note,
#: MAX_NOTE_SECONDS (an hour: the conditioning of a longer note alone would take gigabytes).
MAX_CONTEXT_SECONDS = 60.0
#: Largest --max-seconds of render: a day of music (inf would turn the stuck-note guard off).
MAX_RENDER_SECONDS = 86400.0

Lead = Annotated[
    float, typer.Option(min=0.0, max=MAX_CONTEXT_SECONDS, help="Seconds of silent context before each note.")
]
Tail = Annotated[
    float, typer.Option(min=0.0, max=MAX_CONTEXT_SECONDS, help="Seconds generated after each note's end.")
]


def register(app: typer.Typer, bench_app: typer.Typer) -> None:
    app.command("synth")(synth_command)
    app.command("render")(render_command)
    bench_app.command("generate")(bench_generate_command)


def _load(checkpoint: Path, device: str, command: str | None):  # noqa: ANN202 — Checkpoint, imported lazily
    """The checkpoint on the resolved --device, to play notes with in `command` (None: any model);
    UserError for a bad device or file, or an unconditioned model (it plays no notes)."""
    from samplernn.common.device import resolve_device
    from samplernn.model.checkpoint import load_checkpoint

    return load_checkpoint(checkpoint, resolve_device(device), needs_notes=command)


_NOTE_HELP = (
    "Note name or MIDI number: C3, Bb2, 48; a drum model's: a GM key or a piece's name (snare, kick, "
    "crash). Left out for an unconditioned model (`train --no-conditioning`): it runs free for "
    "--duration s (default 8)."
)


def synth_command(
    checkpoint: Annotated[Path, typer.Argument(help=CHECKPOINT_HELP)],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output WAV (takes: out-1.wav, out-2.wav …).")],
    note: Annotated[str | None, typer.Option("--note", "-n", help=_NOTE_HELP)] = None,
    velocity: Annotated[int | None, typer.Option(min=1, max=127, help="MIDI velocity [default: 100; a drum "
                                                 "kit's takes are warned of one outside its layers only when "
                                                 "given].")] = None,
    duration: Annotated[
        float | None,
        typer.Option(min=0.001, max=MAX_NOTE_SECONDS,
                     help="Seconds from note-on to note-off [default: 1.5; a drum model: the "
                     "kit's typical length for the piece and velocity; an unconditioned model: "
                     f"{CHUNK_SECONDS:g} s of free generation, prepare's chunk length]."),
    ] = None,
    takes: Annotated[
        int, typer.Option(min=1, max=MAX_TAKES, help="Independent takes, generated as one batch.")
    ] = 1,
    onset_candidates: OnsetCandidates = ONSET_CANDIDATES,
    temperature: Temperature = None,
    attack_temperature: AttackTemp = None,
    min_p: MinP = None,
    seed: Seed = None,
    device: Device = "auto",
    lead: Lead = 0.25,
    tail: Tail = 0.1,
    bit_depth: Annotated[int, typer.Option(help="16, 24 or 8 (unsigned 8-bit, as the thesis).")] = 16,
    plot: Annotated[bool, typer.Option("--plot", help="Also write a waveform+spectrogram PNG.")] = False,
    weight_dtype: WeightDtype = GenerationOptions.weight_dtype,
    threads: Threads = None,
    quiet: Quiet = False,
    precision: DeprecatedPrecision = None,
) -> None:
    """Synthesize one note: silence, note-on, note-off after --duration, the release tail the bank
    shows for this pitch and velocity. A drum model's takes are one-shots of the kit's length,
    each from its hit."""
    from samplernn.data.dataset import refuse_writing_in_a_dataset
    from samplernn.render.synth import synth_note, take_files, write_takes

    try:
        check_bit_depth(bit_depth)
        dtype = weight_dtype_option(weight_dtype, precision)
        if note is not None:
            _check_note(note)
        files = take_files(out, takes, plot)
        refuse_overwriting(files, [checkpoint])
        refuse_writing_in_a_dataset(files)
        check_wav_output(out)  # before the generation, not after it
        for path in files:  # each take, so that none is left unwritten after the others
            check_output_file(path)
        fields = {"temperature": temperature, "attack_temperature": attack_temperature, "min_p": min_p,
                  "seed": seed, "weight_dtype": dtype, "threads": threads}
        if note is None:
            _synth_free(checkpoint, device, out, duration, takes, fields, quiet, bit_depth, plot)
            return
        ckpt = _load(checkpoint, device, "synth")
        pitch = _synth_pitch(ckpt, note)
        with generation_options(quiet, **fields) as gen:
            try:
                result = synth_note(ckpt, pitch, velocity, duration, takes=takes, lead=lead, tail=tail,
                                    generation=gen, onset_candidates=onset_candidates)  # fmt: skip
            except ValueError as exc:
                raise UserError(str(exc)) from None
        if result.warning:
            typer.secho(f"warning: {result.warning}", fg=typer.colors.YELLOW, err=True)
        paths = write_takes(result, out, bit_depth, plot)
    except UserError as exc:
        fail(exc)
    ev, sr = result.spec.event, result.sample_rate
    when = f"note-on {ev.onset / sr:.2f} s, note-off {ev.release / sr:.2f} s, end {ev.end / sr:.2f} s"
    if result.drums:
        when = f"one-shots from the hit, held {ev.release / sr:.2f} s, rung out by {ev.end / sr:.2f} s"
    seconds = len(result.takes[0]) / sr
    typer.echo(f"{_note_label(pitch, result.drums)} velocity {ev.velocity}: {when}; {seconds:.2f} s a take"
               f"{onset_search_note(result.onset_candidates)}")
    _echo_written(paths)


def _synth_free(checkpoint: Path, device: str, out: Path, duration: float | None, takes: int,
                fields: dict, quiet: bool, bit_depth: int, plot: bool) -> None:
    """synth without --note: an unconditioned model's free-running takes (render.synth.free_run);
    UsageError for a model that plays notes."""
    from samplernn.render.synth import FREE_SECONDS, free_run, write_takes

    ckpt = _load(checkpoint, device, None)
    seconds = FREE_SECONDS if duration is None else duration
    with generation_options(quiet, **fields) as gen:
        try:
            result = free_run(ckpt, seconds, takes=takes, generation=gen)
        except ValueError as exc:  # a model that plays notes
            raise UsageError(f"--note is missing: {exc}") from None
    paths = write_takes(result, out, bit_depth, plot)
    typer.echo(f"free-running (an unconditioned model): {seconds:g} s a take")
    if fields.get("attack_temperature") is not None:
        typer.echo("note: --attack-temperature has no effect here: a free-running model plays no notes, "
                   "so no attacks")
    _echo_written(paths)


def _echo_written(paths: list[tuple[Path, float]]) -> None:
    """A line per file write_takes wrote, saying when a take was lowered from full scale."""
    for p, gain_db in paths:
        lowered = f" (lowered {-gain_db:.1f} dB: the take reached full scale)" if gain_db < 0 else ""
        typer.echo(f"wrote {p}{lowered}")


def _check_note(note: str) -> None:
    """UsageError, before the checkpoint is loaded, for a --note that is neither a note name or
    number nor a word that could name a drum piece."""
    from conditioning import parse_note
    from samplernn.render.drums import may_name_a_piece

    try:
        parse_note(note)
    except ValueError as exc:
        if not may_name_a_piece(note):
            raise UsageError(f"--note: {exc} (a drum model also takes its pieces by name: kick, snare, "
                             "hat, tom, crash, ride …)") from None


def _synth_pitch(ckpt, note: str) -> int:  # noqa: ANN001 — Checkpoint, imported lazily
    """The MIDI pitch `synth --note` asks of `ckpt`: a note name or number; for a drum model a kit
    key or a piece's name, a key the kit lacks played by its substitute (said on stdout). Raises
    UsageError for a note that is neither."""
    from conditioning import parse_note
    from samplernn.render.drums import is_drum_model, kit_keys, kit_piece

    if is_drum_model(ckpt):
        try:
            pitch, moved = kit_piece(note, kit_keys(ckpt.stats))
        except UsageError as exc:
            raise UsageError(f"--{exc}") from None
        if moved:
            typer.echo(moved)
        return pitch
    try:
        return parse_note(note)
    except ValueError as exc:  # here a word that may name a drum piece: the model is not a kit's
        raise UsageError(f"--note: {exc}; {note!r} would name a drum piece, and this model is not a drum "
                         "model") from None


def _note_label(pitch: int, drums: bool) -> str:
    """'D3' for a pitched model's note; '38 acoustic snare' for a drum model's piece."""
    from conditioning import note_name
    from samplernn.render.drums import piece_name

    return f"{pitch} {piece_name(pitch)}" if drums else note_name(pitch)


def _ints(values: list[str] | None, what: str, lo: int, hi: int) -> set[int] | None:
    if not values:
        return None
    out: set[int] = set()
    for v in values:
        for part in str(v).split(","):
            try:
                i = int(part)
            except ValueError:
                raise UsageError(f"--{what} {part!r}: not a number") from None
            if not lo <= i <= hi:
                raise UsageError(f"--{what} {i}: must be {lo}..{hi}")
            out.add(i)
    return out


def render_command(
    checkpoint: Annotated[Path, typer.Argument(help=CHECKPOINT_HELP)],
    midi: Annotated[Path, typer.Argument(help="MIDI file to render.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output WAV.")],
    track: Annotated[
        list[str] | None, typer.Option(help="Only these tracks (0-based; repeat or comma-separate).")
    ] = None,
    channel: Annotated[
        list[str] | None, typer.Option(help="Only these channels (1..16; repeat or comma-separate).")
    ] = None,
    transpose: Annotated[int, typer.Option(min=-48, max=48, help="Semitones added to every note.")] = 0,
    clamp: Annotated[
        bool, typer.Option("--clamp", help="Move notes outside the trained range to its nearest edge "
                                "(pitched models: a drum model's keys are pieces).")
    ] = False,
    bit_depth: Annotated[int, typer.Option(help="16, 24 (PCM) or 8 (unsigned 8-bit, as the thesis).")] = 16,
    plot: Annotated[
        bool, typer.Option("--plot", help="Also write a waveform+spectrogram PNG beside the WAV (OUT.png).")
    ] = False,
    onset_candidates: OnsetCandidates = ONSET_CANDIDATES,
    temperature: Temperature = None,
    attack_temperature: AttackTemp = None,
    min_p: MinP = None,
    seed: Seed = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Notes generated together.")] = 64,
    device: Device = "auto",
    lead: Lead = 0.25,
    tail: Tail = 0.1,
    max_seconds: Annotated[
        float | None,
        typer.Option(min=1.0, max=MAX_RENDER_SECONDS,
                     help="Refuse a file whose notes end later than this many seconds (a "
                     "stuck note would fill the memory) [default: 3600].", show_default=False),
    ] = None,
    engine: RenderEngine = None,
    weight_dtype: WeightDtype = GenerationOptions.weight_dtype,
    threads: Threads = None,
    quiet: Quiet = False,
    precision: DeprecatedPrecision = None,
) -> None:
    """Render a MIDI file: every note becomes a conditioned stream (generated whole, or through
    persistent voices: --engine), mixed at its onset (polyphony), then written peak-safe."""
    from samplernn.data.dataset import refuse_writing_in_a_dataset
    from samplernn.render.midi import RenderOptions, render_midi

    try:
        check_bit_depth(bit_depth)
        tracks, channels = _ints(track, "track", 0, 65535), _ints(channel, "channel", 1, 16)
        picture = out.with_suffix(".png") if plot else None
        refuse_overwriting([out, *([picture] if picture else [])], [checkpoint, midi])
        refuse_writing_in_a_dataset([out, *([picture] if picture else [])])
        check_wav_output(out)  # before the generation, not after it
        if picture is not None:
            check_output_file(picture)
        dtype = weight_dtype_option(weight_dtype, precision)
        ckpt = _load(checkpoint, device, "render")
        _clamp_notice(ckpt, clamp)
        fields = {"temperature": temperature, "attack_temperature": attack_temperature, "min_p": min_p,
                  "seed": seed, "batch_size": batch_size, "weight_dtype": dtype, "threads": threads}
        with generation_options(quiet, **fields) as gen:
            opts = RenderOptions(tracks=tracks, channels=channels, transpose=transpose, clamp=clamp,
                                 lead=lead, tail=tail, bit_depth=bit_depth, generation=gen, picture=picture,
                                 onset_candidates=onset_candidates,
                                 **({"engine": engine} if engine else {}),
                                 **({"max_seconds": max_seconds} if max_seconds else {}))  # fmt: skip
            try:
                report = render_midi(ckpt, midi, out, opts)
            except ValueError as exc:
                raise UserError(f"{midi}: {exc}") from None
    except UserError as exc:
        fail(exc)
    _render_summary(report, bit_depth)


def _clamp_notice(ckpt, clamp: bool) -> None:  # noqa: ANN001 — a Checkpoint, imported lazily
    """One line on stderr when --clamp is given for a drum model, which it cannot apply to: a kit's keys
    are pieces (render.drums.kit_notes plays a missing one by a like piece or leaves it out)."""
    from samplernn.render.drums import is_drum_model

    if clamp and is_drum_model(ckpt):
        typer.echo("note: --clamp does nothing with a drum model: its keys are pieces, not pitches (a key "
                   "the kit lacks is played by a like piece or left out, as listed)", err=True)


def _render_summary(report, bit_depth: int) -> None:  # noqa: ANN001 — RenderReport, imported lazily
    """What `render` did: notes left out, clamped or hanging; the file, its level and the speed."""
    from conditioning import note_span
    from samplernn.common.audio import CEILING_DB
    from samplernn.render.drums import piece_name

    for line in report.ignored:
        typer.echo(f"ignored: {line}")
    for line in report.changed:
        typer.echo(f"{'played' if report.pieces else 'clamped'}: {line}")
    if report.pedal_held:
        typer.echo(f"sustain pedal: {counted(report.pedal_held, 'note')} held past the note-off")
    for line in report.hanging:
        typer.secho(f"warning: {line}", fg=typer.colors.YELLOW, err=True)
    lo, hi = report.notes_range
    level = (
        f"peak {report.peak_db:+.1f} dBFS → gain {report.gain_db:+.1f} dB (ceiling {CEILING_DB:.0f} dBFS)"
        if report.gain_db < 0
        else f"peak {report.peak_db:+.1f} dBFS, no gain change"
    )
    speed = report.seconds / report.elapsed if report.elapsed > 0 else float("inf")
    search = onset_search_note(report.onset_candidates)
    what = f"{counted(report.n_notes, 'note')} ({note_span(lo, hi)})"
    if report.pieces:
        what = f"{counted(report.n_notes, 'hit')} ({', '.join(piece_name(k) for k in report.pieces)})"
    typer.echo(
        f"rendered {what} in {report.elapsed:.1f} s"
        f"{search} → {report.out}: {report.seconds:.2f} s, {bit_depth}-bit, {level}; {speed:.2f}× real time"
    )
    if report.picture is not None:
        typer.echo(f"wrote {report.picture}")


def bench_generate_command(
    preset: Annotated[str, typer.Option(help=f"Model size: {', '.join(PRESETS)}.")] = "small",
    batch: Annotated[int, typer.Option(min=1, help="Streams generated together.")] = 1,
    seconds: Annotated[float, typer.Option(min=0.01, help="Seconds of audio per stream.")] = 1.0,
    device: Device = "auto",
    backend: Annotated[
        str | None, typer.Option(help="Engine: numba (CPU) or torch (default: numba on CPU, torch on CUDA).")
    ] = None,
    repeats: Annotated[int, typer.Option(min=1, help="Timed runs; the best is reported.")] = 3,
    weight_dtype: WeightDtype = GenerationOptions.weight_dtype,
    threads: Threads = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    precision: DeprecatedPrecision = None,
) -> None:
    """Generation speed with random weights: samples/s per stream and aggregate, real-time factor."""
    from samplernn.bench.generate import bench_generate

    if preset not in PRESETS:
        fail(UsageError(f"--preset {preset!r}: choose from {', '.join(PRESETS)}"))
    try:
        dtype = weight_dtype_option(weight_dtype, precision)
        gen = GenerationOptions(device=device, backend=backend, weight_dtype=dtype, threads=threads)
        r = bench_generate(preset, batch, seconds, repeats, gen)
    except (ValueError, UserError) as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps(r, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    from samplernn.common.tables import print_whole

    table = Table(
        title=f"generation speed on {r['device']} ({r['backend']} engine, {r['weight_dtype']} weights)"
    )
    for col in (
        "preset",
        "batch",
        "seconds",
        "samples/s per stream",
        "aggregate",
        "× real time",
        "first call",
    ):
        table.add_column(col, justify="right")
    table.add_row(
        r["preset"],
        str(r["batch"]),
        f"{r['seconds']:.2f}",
        f"{r['samples_per_s_per_stream']:,.0f}",
        f"{r['samples_per_s_aggregate']:,.0f}",
        f"{r['realtime_factor_per_stream']:.2f} / stream, {r['realtime_factor_aggregate']:.1f} total",
        f"{r['first_call_s']:.2f} s",
    )
    print_whole(Console(), table)
