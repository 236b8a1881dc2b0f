"""`samplernn play` and `samplernn bench stream`: thin typer layers over samplernn.play and
samplernn.bench.stream."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from samplernn.commands.common import AttackTemp, Device, MinP, Seed, Temperature, WeightDtype, fail
from samplernn.common.audio import check_wav_output
from samplernn.common.errors import INTERRUPTED_STATUS, UsageError, UserError
from samplernn.common.files import refuse_overwriting
from samplernn.common.lists import comma_ints
from samplernn.generate.options import GenerationOptions
from samplernn.generate.stream_config import StreamConfig

#: Most voices `play` takes: every key of a keyboard sounding at once (each voice holds its states
#: and history; a typo of a million asked for 92 GiB).
MAX_VOICES = 128
#: Longest block: a second at 16 kHz, already a second of latency (a typo of 10^8 samples filled
#: the memory before the first block).
MAX_BLOCK = 16384
_VOICES_HELP = "Notes that can sound at once (then the oldest is stolen)."
_BLOCK_HELP = (
    "Samples generated per block (the latency's unit; a multiple of the model's lookback, 64 for the "
    "shipped model)."
)


def register(app: typer.Typer, bench_app: typer.Typer) -> None:
    app.command("play")(play_command)
    bench_app.command("stream")(bench_stream_command)


def _list_devices() -> None:
    """Print the MIDI inputs and audio outputs (or why there are none)."""
    from samplernn.play.devices import audio_outputs, midi_input_ports

    for title, lister in (("MIDI inputs", midi_input_ports), ("audio outputs", audio_outputs)):
        try:
            items = [
                f"{i}: {n}" if isinstance(n, str) else f"{n[0]}: {n[1]} ({n[2]:.0f} Hz)"
                for i, n in enumerate(lister())
            ]
        except UserError as exc:
            typer.echo(f"{title}: none ({exc})")
            continue
        typer.echo(f"{title}: " + ("none" if not items else ""))
        for line in items:
            typer.echo(f"  {line}")


def play_command(
    checkpoint: Annotated[
        Path | None,
        typer.Argument(help="Checkpoint file (.pt), e.g. the shipped model (not needed with --list)."),
    ] = None,
    midi_in: Annotated[
        str | None,
        typer.Option("--midi-in", help="MIDI input port: a number or part of its name [default: the first]."),
    ] = None,
    audio_out: Annotated[
        str | None,
        typer.Option(
            "--audio-out", help="Audio output: a number or part of its name [default: the system's]."
        ),
    ] = None,
    midi_file: Annotated[
        Path | None,
        typer.Option("--midi-file", help="Play this MIDI file instead of a MIDI port: in real time on a "
                     "sound card; into -o as fast as the engine goes, block by block as live."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write a WAV file instead of playing on a sound card.")
    ] = None,
    list_ports: Annotated[
        bool, typer.Option("--list", help="List MIDI inputs and audio outputs, then exit.")
    ] = False,
    voices: Annotated[int, typer.Option(min=1, max=MAX_VOICES, help=_VOICES_HELP)] = StreamConfig.voices,
    block: Annotated[int, typer.Option(min=16, max=MAX_BLOCK, help=_BLOCK_HELP)] = StreamConfig.block,
    countdown: Annotated[
        str, typer.Option(help="Held notes: auto, held (a model trained with --hidden-countdown) or legacy.")
    ] = StreamConfig.countdown,
    transpose: Annotated[int, typer.Option(min=-48, max=48, help="Semitones added to every note.")] = 0,
    temperature: Temperature = None,
    attack_temperature: AttackTemp = None,
    min_p: MinP = None,
    seed: Seed = None,
    device: Device = "auto",
    weight_dtype: WeightDtype = GenerationOptions.weight_dtype,
) -> None:
    """Play a model live from a MIDI keyboard (or a MIDI file in real time) on a sound card (or into
    a WAV file). Notes last as long as the keys are held; the sustain pedal holds them too."""
    if list_ports:
        _list_devices()
        return
    if checkpoint is None:
        fail(UsageError("Missing argument 'CHECKPOINT' (or --list to see the ports)"))
    from samplernn.common.device import resolve_device
    from samplernn.model.checkpoint import load_checkpoint
    from samplernn.play.run import PlayOptions, check_stream_options, play_file, play_keyboard

    try:
        if midi_file is not None and midi_in is not None:
            raise UsageError("--midi-file and --midi-in are two sources: give one")
        if out is not None and audio_out is not None:
            raise UsageError("--out and --audio-out are two destinations: give one")
        if out is not None:  # before the session, not after it: a bad name would lose the take
            refuse_overwriting([out], [checkpoint] + ([midi_file] if midi_file is not None else []))
            check_wav_output(out)
        try:
            gen = GenerationOptions(temperature=temperature, attack_temperature=attack_temperature,
                                    min_p=min_p, seed=seed, device=device, weight_dtype=weight_dtype)
            opts = PlayOptions(
                StreamConfig(voices=voices, block=block, countdown=countdown), transpose, generation=gen
            )
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        ckpt = load_checkpoint(checkpoint, resolve_device(device), needs_notes="play")
        check_stream_options(ckpt, opts.stream)  # shared with bench stream
        try:
            if midi_file is not None:
                report = play_file(ckpt, midi_file, opts, out, audio_out)
            else:
                report = play_keyboard(ckpt, opts, midi_in, out, audio_out, ready=_ready)
        except ValueError as exc:
            raise UserError(str(exc)) from None
    except UserError as exc:
        fail(exc)
    _summary(report, block)
    if report.interrupted:  # a file stopped short: the WAV holds what was played, the status says so
        sys.exit(INTERRUPTED_STATUS)


def _ready(source: str, sink: str) -> None:
    typer.echo(f"playing {source} → {sink}; Ctrl-C stops")


def _summary(r, block: int) -> None:  # noqa: ANN001 — PlayReport, imported lazily
    if not r.written:  # a live session into a WAV stopped before any note: one line
        left = f" ({'; '.join(r.remarks)})" if r.remarks else ""
        typer.echo(f"nothing was played from {r.source}{left}: {r.sink} not written")
        return
    t = r.timing
    held = {
        "held": "held notes: the model's held flag",
        "frozen": "held notes: a frozen countdown (this model has no held flag)",
        "one-shot": "each hit a one-shot of the kit's length",
    }[r.countdown]
    what = ("hit" if r.countdown == "one-shot" else "note") + ("" if r.notes == 1 else "s")
    voices = "1 voice" if r.peak_voices == 1 else f"{r.peak_voices} voices"
    typer.echo(
        f"played {r.notes} {what} from {r.source} → {r.sink}: {r.seconds:.2f} s, at most "
        f"{voices} at once, {r.stolen} stolen; {held}"
    )
    typer.echo(
        f"blocks of {block} samples ({t['block_ms']:.1f} ms): {t['realtime_factor']:.2f}× real time, "
        f"{t['late_blocks']} late of {t['blocks']} (p99 {t['p99_compute_ms']:.1f} ms, "
        f"max {t['max_compute_ms']:.1f} ms)"
    )
    if r.gain_db < 0:
        typer.echo(f"gain {r.gain_db:+.1f} dB to stay under the peak ceiling")
    for line in r.remarks:
        typer.echo(f"note: {line}")


def bench_stream_command(
    checkpoint: Annotated[
        Path | None, typer.Option(help="Checkpoint to time [default: the shipped model].", show_default=False)
    ] = None,
    voices: Annotated[str, typer.Option(help="Numbers of voices to time, comma-separated.")] = "1,2,4,8",
    seconds: Annotated[float, typer.Option(min=1.0, max=3600.0, help="Seconds of music per run.")] = 60.0,
    block: Annotated[
        int, typer.Option(min=16, max=MAX_BLOCK, help="Samples per block.")
    ] = StreamConfig.block,
    offline: Annotated[
        bool, typer.Option("--offline/--no-offline", help="Also time `render` on the same music.")
    ] = True,
    device: Device = "cpu",
    quality: Annotated[
        list[Path] | None,
        typer.Option(
            help="Instead of timing: play this MIDI file (repeat the option for several) offline, "
            "through offline voices and live (simulated real time), and compare every note's pitch, "
            "end and level."
        ),
    ] = None,
    seeds: Annotated[int, typer.Option(min=1, help="Seeds per file for --quality.")] = 2,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Streaming speed: real-time factor and late blocks per number of voices (simulated real time,
    one thread), next to offline rendering of the same music; or, with --quality, the sound of
    live play next to offline rendering."""
    from samplernn.bench.stream import bench_stream, compare_live_offline

    try:
        counts = list(comma_ints(voices, "--voices", "1,2,4,8", minimum=1, maximum=16))  # a MIDI channel each
        if quality:
            r = compare_live_offline(checkpoint, quality, seeds, block, device)
        else:
            r = bench_stream(checkpoint, counts, seconds, block, offline, device)
    except ValueError as exc:
        fail(exc)
    except UserError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps(r, indent=2))
    elif quality:
        _quality_table(r)
    else:
        _speed_table(r)


def _quality_table(r: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    from samplernn.common.tables import print_whole

    table = Table(
        title=f"{r['checkpoint']}: {', '.join(r['files'])}, {r['seeds']} seed(s); held notes: "
        f"{r['countdown']}"
    )
    for col in (
        "way",
        "notes",
        "pitch ok",
        "octave",
        "|end error| ms",
        "ends ≤ 30 ms",
        "note dB",
        "mix dB",
        "boundary |Δ| mean / max",
        "all |Δ| mean / p99.9",
    ):
        table.add_column(col, justify="right")
    for way, w in r["ways"].items():
        jumps = (
            (
                f"{w['boundary_mean']:.4f} / {w['boundary_max']:.3f}",
                f"{w['all_mean']:.4f} / {w['all_p999']:.3f}",
            )
            if "boundary_mean" in w
            else ("—", "—")
        )
        table.add_row(
            way,
            str(w["notes"]),
            f"{w['pitch_ok']:.1%}",
            str(w["octave"]),
            f"{w['end_abs_ms']:.1f}",
            f"{w['end_within_30ms']:.1%}",
            f"{w['level_db']:.2f}",
            f"{w['mix_db']:.2f}",
            *jumps,
        )
    print_whole(Console(), table)


def _speed_table(r: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    from samplernn.common.tables import print_whole

    table = Table(
        title=f"streaming on {r['device']} ({r['backend']}), block {r['block']} samples "
        f"= {r['block_ms']:.1f} ms, {r['seconds']:.0f} s of music, load {r['load']}"
    )
    cols = (
        "voices",
        "× real time",
        "CPU × real time",
        "late blocks",
        "p99 ms",
        "max ms",
        "render notes ×",
        "render voices ×",
    )
    for col in cols:
        table.add_column(col, justify="right")

    def factor(row: dict, key: str) -> str:
        return f"{row[key]:.2f}" if key in row else "—"

    for row in r["runs"]:
        table.add_row(
            str(row["voices"]),
            factor(row, "realtime_factor"),
            factor(row, "cpu_realtime_factor"),
            f"{row['late_blocks']} / {row['blocks']}",
            f"{row['p99_compute_ms']:.1f}",
            f"{row['max_compute_ms']:.1f}",
            factor(row, "offline_realtime_factor"),
            factor(row, "offline_voices_realtime_factor"),
        )
    print_whole(Console(), table)
