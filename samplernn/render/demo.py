"""The main job: render the shipped melody with the shipped model (or train one first)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from samplernn.common.errors import UserError
from samplernn.common.files import check_output_file
from samplernn.common.paths import BUNDLED_BANK, DEMO_MELODY, SHIPPED_MODEL
from samplernn.common.progress import ProgressFn
from samplernn.common.shipped import resolve_checkpoint
from samplernn.generate.options import ONSET_CANDIDATES, GenerationOptions
from samplernn.render.range_fit import octave_shift

if TYPE_CHECKING:
    from samplernn.model.checkpoint import Checkpoint
    from samplernn.prepare.run import PrepareResult
    from samplernn.train.config import TrainConfig

DEFAULT_MODEL = SHIPPED_MODEL
DEFAULT_MELODY = DEMO_MELODY
DEMO_GENERATION = GenerationOptions(seed=0)  # the demo plays the same every time


@dataclass
class DemoResult:
    """Where the demo wrote its files, and what the render reported."""

    wav: Path
    png: Path
    checkpoint: Path
    n_notes: int
    seconds: float
    elapsed: float
    gain_db: float
    onset_candidates: int = 1  # the most candidates the onset search tried per note (1: none)
    transpose: int = 0  # semitones (whole octaves) the melody was moved toward the model's range
    clamped: int = 0  # notes still outside it, played at its nearest edge
    drums: bool = False  # a drum model: its notes are hits


def render_demo(
    out_dir: str | Path,
    checkpoint: str | Path = DEFAULT_MODEL,
    midi: str | Path = DEFAULT_MELODY,
    generation: GenerationOptions = DEMO_GENERATION,
    onset_candidates: int = ONSET_CANDIDATES,
) -> DemoResult:
    """Render `midi` with `checkpoint` to OUT/<midi stem>.wav and a waveform+spectrogram PNG beside it.

    The checkpoint is loaded on generation.device (None: the CPU); every note from the best of
    up to `onset_candidates` onsets, as `render` plays it (RenderOptions.onset_candidates). A
    pitched model trained on another range (`demo --train --bank`) plays the melody moved by whole
    octaves into its range (render.range_fit.octave_shift), what still falls outside clamped to it.
    Raises UserError for a missing or unreadable checkpoint or MIDI file, or an unavailable device.
    """
    from samplernn.generate.engine import engine_device
    from samplernn.model.checkpoint import load_checkpoint
    from samplernn.render.drums import is_drum_model
    from samplernn.render.midi import CHANNEL_OPTION_HINT, RenderOptions, render_midi

    checkpoint, midi, out_dir = resolve_checkpoint(checkpoint), Path(midi), Path(out_dir)
    if not checkpoint.is_file():
        raise UserError(f"{checkpoint}: model not found (run `samplernn demo --train` to train one)")
    wav, png = demo_outputs(out_dir, midi)
    ckpt = load_checkpoint(checkpoint, engine_device(generation.device), needs_notes="demo")
    transpose, clamp = _into_range(midi, ckpt)
    opts = RenderOptions(generation=generation, onset_candidates=onset_candidates, transpose=transpose,
                         clamp=clamp, picture=png,
                         picture_title=f"{midi.name} — {checkpoint.name}")  # fmt: skip
    try:
        report = render_midi(ckpt, midi, wav, opts)
    except UserError as exc:  # demo has no --channel: its own words for render's hint
        raise UserError(str(exc).replace(f" ({CHANNEL_OPTION_HINT})", ": give --midi a file with a drum part "
                                         "on channel 10")) from None
    return DemoResult(wav, png, checkpoint, report.n_notes, report.seconds, report.elapsed, report.gain_db,
                      report.onset_candidates, transpose, len(report.changed),
                      is_drum_model(ckpt))  # fmt: skip


def demo_outputs(out_dir: str | Path, midi: str | Path = DEFAULT_MELODY) -> tuple[Path, Path]:
    """(WAV, PNG) the demo writes for `midi` in `out_dir`, each checked to be writable
    (common.files.check_output_file): UserError naming the one that is not, before any work."""
    wav = Path(out_dir) / f"{Path(midi).stem}.wav"
    for path in (wav, wav.with_suffix(".png")):
        check_output_file(path)
    return wav, wav.with_suffix(".png")


def _into_range(midi: Path, ckpt: Checkpoint) -> tuple[int, bool]:
    """(semitones, clamp): the whole octaves that move the melody's pitched notes into a pitched
    model's range, and whether notes still outside it are to be clamped to its edge — also when no
    shift helps ((0, False) when they lie in it, for a drum model, or for a file render_midi will
    refuse anyway)."""
    from conditioning import MidiError, read_midi_notes
    from samplernn.render.drums import is_drum_model

    if ckpt.pitch_range is None or is_drum_model(ckpt):
        return 0, False
    try:
        pitches = [n.pitch for n in read_midi_notes(midi) if not n.is_drum]
    except MidiError:
        return 0, False
    lo, hi = ckpt.pitch_range
    if not pitches or (lo <= min(pitches) and max(pitches) <= hi):
        return 0, False
    return octave_shift(pitches, lo, hi), True


#: The model `demo --train` fine-tunes unless told to start from nothing (train --init's name).
DEMO_INIT = "trombone-small"


def demo_train_config(
    minutes: float, device: str = "auto", seed: int = 0, scratch: bool = False
) -> TrainConfig:
    """The TrainConfig of `demo --train`: the default recipe for `minutes` of training, fine-tuning
    the shipped model (DEMO_INIT) unless `scratch`.

    Why fine-tune: three minutes from nothing are ~300 steps on a 2-core CPU, which play clicks
    and noise; from the shipped model they play notes (docs/training.md, "demo --train").
    """
    from samplernn.train.init import resolve_train_config  # torch: only when training

    given = dict(preset="small", max_minutes=minutes, val_every=100, patience=0,
                 device=device, seed=seed, init=None if scratch else DEMO_INIT)
    # as `train --init` does: the shipped model's own model fields over the preset's
    return resolve_train_config(".", given, resume=False)


def prepare_demo_bank(out_dir: str | Path, bank: str | Path = BUNDLED_BANK) -> PrepareResult:
    """`samplernn prepare` of `bank` into OUT/dataset (what `train_demo_model` trains on); its
    result, for the summary a user should see (files that failed are left out).
    Raises UserError for a missing bank or anything prepare refuses."""
    from samplernn.prepare.run import prepare_bank

    bank = Path(bank)
    if not bank.is_dir():
        raise UserError(f"{bank}: bank not found (pass --bank with a folder of WAV/FLAC + MIDI)")
    return prepare_bank(bank, Path(out_dir) / "dataset")


def check_demo_run(out_dir: str | Path, bank: str | Path, *, seed: int, scratch: bool) -> None:
    """Refuse a re-run that would go on training an earlier `demo --train` run of another kind.

    A run already in OUT/run is continued (`train_demo_model`); one trained from scratch against a
    fine-tune of DEMO_INIT asked for (or the other way round), another --seed or another --bank
    raises UserError, before prepare replaces OUT/dataset, so the earlier run keeps its bank. A
    run.json or dataset.json that cannot be read is left to train's own checks.
    """
    out_dir = Path(out_dir)
    run = out_dir / "run"
    if not (run / "checkpoints" / "last.pt").is_file():
        return
    try:
        cfg = json.loads((run / "run.json").read_text())["train_config"]
        source = json.loads((out_dir / "dataset" / "dataset.json").read_text()).get("source")
    except (OSError, ValueError, KeyError, TypeError):
        return
    kinds = ("from scratch", f"fine-tuning {DEMO_INIT}")
    theirs, mine = kinds[bool(cfg.get("init"))], kinds[not scratch]
    differ = [f"{theirs}, not {mine}"] if theirs != mine else []
    if cfg.get("seed") != seed:
        differ.append(f"seed {cfg.get('seed')}, not {seed}")
    if source and Path(source).resolve() != Path(bank).resolve():
        differ.append(f"bank {source}, not {bank}")
    if differ:
        raise UserError(f"{run}: an earlier `demo --train` run ({'; '.join(differ)}), which a re-run into "
                        f"{out_dir} would go on training: give another --out, or delete {run} to start over")


def train_demo_model(
    out_dir: str | Path,
    *,
    minutes: float = 3.0,
    device: str = "auto",
    seed: int = 0,
    scratch: bool = False,
    progress: ProgressFn | None = None,
    said: Callable[[str], None] | None = None,
) -> Path:
    """Train `small` for `minutes` on OUT/dataset (`prepare_demo_bank`) into OUT/run (fine-tuning
    the shipped model unless `scratch`: demo_train_config); return best.pt.

    A run already in OUT/run is continued up to `minutes` of training in all (`check_demo_run`
    first); when it has had them, `said` gets a line saying that its best.pt plays untrained on.
    `progress` gets (step, expected last step, fields): the time limit decides the total.
    Raises UserError for anything train refuses.
    """
    from samplernn.train.loop import train

    out_dir = Path(out_dir)
    dataset = out_dir / "dataset"
    run = out_dir / "run"
    cfg = demo_train_config(minutes, device, seed, scratch)
    resume = (run / "checkpoints" / "last.pt").is_file()
    result = train(dataset, run, cfg, resume=resume, progress=progress)
    if result.status == "already_ended" and said is not None:
        said(f"{run} has trained its {minutes:g} min already (step {result.step}): its best.pt plays; a "
             "larger --minutes trains it on")
    return run / "checkpoints" / "best.pt"
