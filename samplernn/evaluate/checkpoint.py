"""Evaluate a checkpoint file on a prepared dataset folder: what `samplernn evaluate` runs.

    from samplernn.evaluate.checkpoint import evaluate_checkpoint
    from samplernn.evaluate.options import EvaluateOptions
    result = evaluate_checkpoint("run/checkpoints/best.pt", "data/bank", EvaluateOptions(max_notes=20))
    print(result.report["passed"])
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conditioning.pitch import note_name, note_span
from samplernn.common.audio import CEILING_DB, write_wav
from samplernn.common.device import resolve_device
from samplernn.common.errors import UserError
from samplernn.common.files import (
    check_output_file,
    check_output_folder,
    lies_in,
    made_folder,
    refuse_inside,
    refuse_overwriting,
    write_json,
)
from samplernn.common.paths import PRETRAINED_DIR
from samplernn.common.progress import ProgressFn
from samplernn.common.shipped import resolve_checkpoint
from samplernn.common.threads import torch_threads
from samplernn.data.dataset import (
    INFO_FILE,
    MANIFEST_FILE,
    NoteRecord,
    PreparedDataset,
    load_dataset,
    refuse_writing_in_a_dataset,
)
from samplernn.evaluate.oneshot import OneShotEval, drum_options, generation
from samplernn.evaluate.options import EvaluateOptions
from samplernn.evaluate.run import Evaluation, evaluate_model
from samplernn.evaluate.view import plot_spectrograms
from samplernn.evaluate.view_likeness import LIKENESS_PNG, plot_likeness
from samplernn.model.checkpoint import Checkpoint, load_checkpoint
from samplernn.prepare.settings import AUDIO_SUFFIXES, MIDI_SUFFIXES
from samplernn.render.drums import check_same_kind, is_drum_model
from samplernn.train.data import dataset_fingerprint

if TYPE_CHECKING:
    import torch

SPECTROGRAMS = "spectrograms.png"  # the picture --plots DIR holds
NLL_BAR = "test NLL"  # the one bar that does not depend on the generation seed


@dataclass
class CheckpointEvaluation:
    """The result of `evaluate_checkpoint`.

    evaluation: the first seed's notes, audio and JSON report; the report also names the checkpoint,
        the dataset and the step, and with several seeds holds `seed_runs` under "seeds".
    seed_runs: with several seeds, {"seed", "bars", "passed"} per seed (the first seed's first);
        empty with one seed.
    """

    evaluation: Evaluation
    seed_runs: list[dict[str, Any]]
    sample_rate: int

    @property
    def report(self) -> dict[str, Any]:
        """The JSON report (see samplernn.evaluate.report.build_report)."""
        return self.evaluation.report


def evaluate_checkpoint(
    checkpoint: str | Path,
    dataset: str | Path,
    options: EvaluateOptions | None = None,
    progress: ProgressFn | None = None,
) -> CheckpointEvaluation:
    """Load the checkpoint and the dataset, evaluate (evaluate_model) once per seed.

    `progress(done, total, stage=...)` as in evaluate_model. options.threads, when given, is torch's
    CPU thread count (the NLL, the torch engine) and the numba engine's for the whole evaluation.
    Raises UserError for a dataset or checkpoint that cannot be read, an unconditioned checkpoint
    (it plays no notes to measure; the baseline may be one: only its NLL is read), a sample-rate
    mismatch, an empty split or melodies for a drum model.
    """
    options = options or EvaluateOptions()
    _check_order(checkpoint, dataset)
    ds = load_dataset(dataset)
    device = resolve_device(options.device)
    ckpt = load_checkpoint(checkpoint, device, needs_notes="evaluate")
    if ckpt.sample_rate != ds.sample_rate:
        raise UserError(f"{checkpoint}: model is {ckpt.sample_rate} Hz, {dataset} is {ds.sample_rate} Hz")
    check_same_kind(ckpt, ds, checkpoint)
    if options.melody_source is not None and is_drum_model(ckpt):
        raise UserError(f"{checkpoint}: a drum model; melodies are scored for pitched models only (leave "
                        "out --melodies, --shipped-melodies and --heldout-melodies)")
    baseline = _baseline(options.baseline, ds, device)
    run = _runner(ckpt, ds, options, device, progress)
    with torch_threads(options.threads):
        ev = run(options.seed, with_nll=True, baseline_model=baseline)
        runs = _other_seeds(run, ev, options) if options.seeds > 1 else []
    notices = [range_notice(ckpt, ds, options.split, ev.records), dataset_notice(ckpt, ds)]
    ev.report.update(checkpoint=str(checkpoint), dataset=str(dataset), step=ckpt.step,
                     notices=[n for n in notices if n])
    if runs:
        ev.report["seeds"] = runs
    return CheckpointEvaluation(ev, runs, ds.sample_rate)


def _other_seeds(
    run: Callable[..., Evaluation], ev: Evaluation, options: EvaluateOptions
) -> list[dict[str, Any]]:
    """Every seed's bars ({"seed", "bars", "passed"}): `ev`'s (options.seed) and those of the next
    options.seeds - 1 seeds, generated again; the NLL bar is the first seed's (NLL draws nothing)."""
    runs = [{"seed": options.seed, "bars": ev.report["bars"], "passed": ev.report["passed"]}]
    nll_bars = [b for b in ev.report["bars"] if b["name"] == NLL_BAR]
    for seed in range(options.seed + 1, options.seed + options.seeds):
        rep = run(seed, with_nll=False).report
        bars = nll_bars + [b for b in rep["bars"] if b["name"] != NLL_BAR]
        runs.append({"seed": seed, "bars": bars, "passed": all(b["passed"] is not False for b in bars)})
    return runs


def _check_order(checkpoint: str | Path, dataset: str | Path) -> None:
    """UserError when the two arguments came the other way round (`evaluate DATASET CKPT`): a
    prepared dataset where the checkpoint goes, and no folder where the dataset goes (load_dataset
    said only that the checkpoint was "not a directory")."""
    given = Path(checkpoint)
    if (given / INFO_FILE).is_file() and (given / MANIFEST_FILE).is_file() and not Path(dataset).is_dir():
        raise UserError(f"{checkpoint}: a prepared dataset, given where the checkpoint goes; the checkpoint "
                        "comes first: samplernn evaluate CKPT DATASET")


def _baseline(path: Path | None, ds: PreparedDataset, device: torch.device) -> Any:
    """The --baseline model (None without one). Raises UserError for another sample rate than the
    dataset's, and for a model trained on notes of another kind (samplernn.render.drums.check_same_kind):
    its NLL on these notes would be no bar. An unconditioned baseline fits any dataset of its rate."""
    if path is None:
        return None
    base = load_checkpoint(path, device)
    if base.sample_rate != ds.sample_rate:
        raise UserError(f"{path}: baseline model is {base.sample_rate} Hz, {ds.root} is {ds.sample_rate} Hz")
    if base.config.conditioning:
        check_same_kind(base, ds, path)
    return base.model


def dataset_notice(ckpt: Checkpoint, ds: PreparedDataset) -> str | None:
    """A line when `ds` is not the dataset the model was trained on (its train split differs from
    the one the checkpoint records: train.data.dataset_fingerprint): its split may hold notes the
    model heard, and a kit's novelty is measured against another train split. None when they match
    or the checkpoint records none (one from before the record, a shipped model)."""
    trained = (ckpt.payload.get("dataset") or {}).get("fingerprint")
    if trained is None or trained == dataset_fingerprint(ds.split("train")):
        return None
    return (f"{ds.root}: not the dataset the model was trained on (its train split differs): its notes may "
            "include ones the model trained on, and a kit's novelty is measured against this train split")


def range_notice(ckpt: Checkpoint, ds: PreparedDataset, split: str,
                 evaluated: Sequence[NoteRecord] | None = None) -> str | None:
    """A line for the `evaluated` notes of `split` (default: all of them; fewer with --max-notes)
    at pitches outside a pitched model's trained range (a dataset of another instrument, or a wider
    bank): their figures measure pitches the model never learnt. None when every such note lies in
    the range, for a drum model (its keys are pieces) and for a model that records no range."""
    rng = ckpt.pitch_range
    if rng is None or is_drum_model(ckpt):
        return None
    every = ds.split(split)
    notes = every if evaluated is None else list(evaluated)
    outside = sorted({n.pitch for n in notes if not rng[0] <= n.pitch <= rng[1]})
    if not outside:
        return None
    count = sum(1 for n in notes if not rng[0] <= n.pitch <= rng[1])
    shown = ", ".join(note_name(p) for p in outside[:6]) + (" …" if len(outside) > 6 else "")
    which = f"{split} notes" if len(notes) == len(every) else f"evaluated {split} notes"
    return (f"{ds.root}: {count} of {len(notes)} {which} lie outside the model's trained range "
            f"{note_span(*rng)} ({shown}): their figures measure pitches it "
            "was not trained on")


def _runner(
    ckpt: Checkpoint, ds: PreparedDataset, options: EvaluateOptions, device: Any, progress: ProgressFn | None
) -> Callable[..., Evaluation]:
    """run(seed, **kw) → Evaluation: evaluate_model of this checkpoint with these options; a drum
    model's adds the one-shot measures (evaluate.oneshot) instead of the pitched ones."""
    shots = OneShotEval.of(ds, options.max_notes) if is_drum_model(ckpt) else None
    options = drum_options(options) if shots else options
    melodies = [options.melody_source] if options.melody_source is not None else []

    candidates = 1 if shots else options.onset_candidates  # a kit's takes search by hit, not here

    def run(seed: int, **kw: Any) -> Evaluation:
        gen = generation(options, ckpt, seed, device, progress)  # the kit's takes, their search by hit
        ev = evaluate_model(
            ckpt.model, ds, options.split, generation=gen.with_onset_search(candidates, ckpt.sample_rate),
            max_notes=options.max_notes, sweep_velocities=options.velocity_sweep, progress=progress,
            stats=ckpt.stats, melodies=melodies, missing_pitches=options.missing_pitches,
            quantization=(ckpt.config.q_levels, ckpt.config.quantization, ckpt.config.pre_emphasis), **kw,
        )
        if shots:
            shots.add_to(ev, ckpt, gen)
        return ev

    return run


def check_outputs(json_path: str | Path | None = None, plots: str | Path | None = None,
                  audio: str | Path | None = None, *, checkpoint: str | Path | None = None,
                  dataset: str | Path | None = None, melodies: str | Path | None = None) -> None:
    """UserError, before a long evaluation, for an output that could not be written after it: a
    --json that is a folder or lies in a read-only one, a --plots or --audio folder that is a file or
    cannot be made, a --plots folder whose spectrograms.png is a folder (samplernn.common.files.
    check_output_file / check_output_folder); and for an
    output that would replace or add to an input: a --json that is the `checkpoint`, an existing
    file other than an earlier evaluate report (a melody, the shipped melodies included, another
    dataset's dataset.json: `_is_report`), a file of the
    `dataset` or `melodies` folder or of the package's shipped files; a --plots or --audio folder
    inside the dataset or another prepared one, and a new --json file there
    (data.dataset.refuse_writing_in_a_dataset, as synth's, render's and pack's --out); an --audio
    folder in the dataset's source recordings, the melodies or the shipped files, or holding
    recordings or MIDI files of someone's (`_check_audio_folder`). A new file beside them is written."""
    if json_path is not None:
        check_output_file(json_path)
        inputs = [p for p in (checkpoint, melodies) if p is not None and Path(p).is_file()]
        if checkpoint is not None and not Path(checkpoint).is_file():
            inputs.append(resolve_checkpoint(checkpoint))
        refuse_overwriting([json_path], inputs)
        for folder in (dataset, melodies, PRETRAINED_DIR):
            if folder is not None and _replaces_a_file_of(Path(json_path), Path(folder)):
                raise UserError(f"{json_path}: is a file of the input {folder}; write the report elsewhere")
        if Path(json_path).is_file() and Path(json_path).suffix.lower() != ".json":
            raise UserError(f"{json_path}: exists and is not a .json report; write the report to a .json "
                            "file")
        if Path(json_path).is_file() and not _is_report(Path(json_path)):
            raise UserError(f"{json_path}: exists and is not an evaluate report (another program's or "
                            "dataset's JSON); write the report to a new file")
        _refuse_in_datasets(json_path, dataset)  # as --plots and --audio: the next prepare would refuse it
    for folder in (plots, audio):
        if folder is not None:
            check_output_folder(folder)
            _refuse_in_datasets(folder, dataset)
    if plots is not None:
        for name in (SPECTROGRAMS, LIKENESS_PNG):
            check_output_file(Path(plots) / name)  # e.g. a folder of that name
    if audio is not None:
        _check_audio_folder(Path(audio), dataset, melodies)


#: The audio files evaluate writes (`write_generated`); any other recording or MIDI file in an
#: --audio folder makes it someone's bank or melodies.
OWN_AUDIO = re.compile(r"(.+\.generated|melody_.+|missing_\d+)\.wav", re.IGNORECASE)
SOURCE_SUFFIXES = frozenset(AUDIO_SUFFIXES + MIDI_SUFFIXES)


def _refuse_in_datasets(path: str | Path, dataset: str | Path | None) -> None:
    """UserError for an output `path` inside the evaluated `dataset` (when it is a folder) or inside
    any other prepared dataset (data.dataset.refuse_writing_in_a_dataset)."""
    if dataset is not None and Path(dataset).is_dir():
        refuse_inside([path], dataset, "the dataset")
    refuse_writing_in_a_dataset([path])


def _check_audio_folder(folder: Path, dataset: str | Path | None, melodies: str | Path | None) -> None:
    """UserError for an --audio folder whose generated notes would be taken for real material
    later: in the recordings the dataset was prepared from (dataset.json's `source`: the next
    `prepare` would train on them), in the melodies folder or the package's shipped files, or one
    holding recordings or MIDI files evaluate did not write (a bank of someone's; looked for down
    the folder's tree, hidden folders aside)."""
    source = _dataset_source(dataset)
    for kind, root in (("the recordings the dataset was prepared from", source), ("the melodies", melodies),
                       ("the package's shipped files", PRETRAINED_DIR)):
        if root is not None and Path(root).is_dir() and lies_in(folder, root):
            raise UserError(f"{folder}: lies in {kind} ({root}), where generated notes would be taken for "
                            "real ones; write them to a new folder")
    foreign = _foreign_files(folder)
    if foreign:
        raise UserError(f"{folder}: holds recordings or MIDI files evaluate did not write "
                        f"({', '.join(foreign)}); write the generated notes to a new or empty folder")


def _is_report(path: Path) -> bool:
    """Whether the JSON file `path` is an earlier evaluate report (an object with its "bars" and
    "definitions"), which --json may write over; False for any other or unreadable file."""
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(report, dict) and {"bars", "definitions"} <= report.keys()


def _dataset_source(dataset: str | Path | None) -> str | None:
    """dataset.json's `source` (the folder `prepare` read), or None where there is none."""
    if dataset is None:
        return None
    try:
        source = json.loads((Path(dataset) / "dataset.json").read_text()).get("source")
    except (OSError, ValueError, AttributeError):
        return None
    return source if isinstance(source, str) else None


def _foreign_files(folder: Path, limit: int = 3) -> list[str]:
    """Up to `limit` recordings or MIDI files under `folder` (relative paths) that evaluate did
    not write."""
    found: list[str] = []
    if not folder.is_dir():
        return found
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            own = root == str(folder) and OWN_AUDIO.fullmatch(name)
            if Path(name).suffix.lower() in SOURCE_SUFFIXES and not own:
                found.append(Path(root, name).relative_to(folder).as_posix())
                if len(found) == limit:
                    return found
    return found


def _replaces_a_file_of(path: Path, folder: Path) -> bool:
    """Whether `path` is an existing file inside the folder `folder` (dataset.json, a melody)."""
    return folder.is_dir() and path.is_file() and lies_in(path, folder)


def write_report(result: CheckpointEvaluation, path: str | Path) -> Path:
    """The JSON report at `path` (atomically); returns the path."""
    write_json(path, result.report)
    return Path(path)


def write_spectrograms(result: CheckpointEvaluation, folder: str | Path) -> list[Path]:
    """FOLDER/spectrograms.png: real vs generated spectrograms of a few notes; for a drum model also
    FOLDER/likeness.png, which piece its takes and the real hits sound like
    (evaluate.view_likeness). Returns the paths written."""
    written = [plot_spectrograms(result.evaluation, Path(folder) / SPECTROGRAMS)]
    if result.report.get("oneshot"):
        written.append(plot_likeness(result.report, Path(folder) / LIKENESS_PNG))
    return written


def write_generated(result: CheckpointEvaluation, folder: str | Path) -> Path:
    """FOLDER/<id>.generated.wav for every generated note, velocity-sweep and in-between copy;
    FOLDER/melody_<name>.wav for every melody (its streams mixed, peak-limited as `render` does) and
    FOLDER/missing_<pitch>.wav for every missing-semitone note. Returns FOLDER. An earlier
    evaluation's files there (by those names) that this one did not write are removed, so that the
    folder holds one evaluation's notes.

    Raises UserError (an AudioError) naming the file that could not be written; the files written
    before it are removed again, and FOLDER too when this call made it."""
    ev, folder, sr = result.evaluation, Path(folder), result.sample_rate
    records = ev.records + ev.sweep + ev.between
    written: list[Path] = []

    def write(name: str, audio: Any, ceiling_db: float | None = None) -> None:
        write_wav(folder / name, audio, sr, ceiling_db=ceiling_db)
        written.append(folder / name)

    with made_folder(folder):
        try:
            for rec, audio in zip(records, ev.generated + ev.sweep_audio + ev.between_audio, strict=True):
                write(f"{rec.id}.generated.wav", audio)
            for melody in ev.rendered.melodies:
                write(f"melody_{melody.name}.wav", melody.mixed(), CEILING_DB)
            for spec, audio in zip(ev.rendered.missing, ev.rendered.missing_audio, strict=True):
                write(f"missing_{spec.event.pitch}.wav", audio)
        except UserError:
            for path in written:
                path.unlink(missing_ok=True)
            raise
        for stale in folder.iterdir():  # an earlier evaluation's notes that this one did not write
            if OWN_AUDIO.fullmatch(stale.name) and stale not in written and stale.is_file():
                stale.unlink(missing_ok=True)
    return folder
