"""`samplernn demo`: the README's main job (thin; logic: samplernn.render.demo)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from samplernn.render.demo import BUNDLED_BANK, DEFAULT_MELODY, DEFAULT_MODEL, render_demo, train_demo_model


def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the WAV and PNG.")] = Path("demo_out"),
    model: Annotated[Path, typer.Option(help="Checkpoint to play.")] = DEFAULT_MODEL,
    midi: Annotated[Path, typer.Option(help="MIDI file to render.")] = DEFAULT_MELODY,
    train: Annotated[bool, typer.Option("--train", help="Prepare the bundled bank and train a model first.")]
    = False,
    minutes: Annotated[float, typer.Option(help="Training time with --train.")] = 3.0,
    bank: Annotated[Path, typer.Option(help="Instrument bank for --train.")] = BUNDLED_BANK,
    seed: Annotated[int, typer.Option(help="Seed of training and generation.")] = 0,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
) -> None:
    """Render the shipped melody with the shipped trombone model (or --train one first)."""
    if train:
        typer.echo(f"preparing {bank} and training `small` for {minutes:g} min into {out}/ …")
        model = train_demo_model(out, bank, minutes=minutes, device=device, seed=seed)
    dev = None if device == "auto" else device
    res = render_demo(out, model, midi, seed=seed, device=dev)
    typer.echo(
        f"rendered {res.n_notes} notes ({res.seconds:.1f} s of audio) in {res.elapsed:.1f} s "
        f"with {res.checkpoint}, gain {res.gain_db:+.1f} dB"
    )
    typer.echo(f"audio:       {res.wav}")
    typer.echo(f"spectrogram: {res.png}")


def register(app: typer.Typer, bench_app: typer.Typer) -> None:
    app.command()(demo)
