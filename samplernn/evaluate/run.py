"""`samplernn evaluate`: NLL plus sound measures of generated notes next to the real recordings.

`evaluate_model` generates every evaluated note with the conditioning of its real counterpart,
measures both with `samplernn.measures.sound`, and returns an `Evaluation` whose `report` is the JSON
report (built by `samplernn.evaluate.report`; `samplernn.evaluate.view` presents it).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from conditioning import BankStats, events_to_conditioning
from samplernn.common.errors import UserError
from samplernn.common.progress import ProgressFn
from samplernn.data.dataset import NoteRecord, PreparedDataset
from samplernn.evaluate.gaps import bank_layers, between_block, between_copies
from samplernn.evaluate.noise import DEFAULT_QUANTIZATION, Quantization, noise_summary, note_noise
from samplernn.evaluate.rendered import RenderedSet, rendered_blocks, rendered_set
from samplernn.evaluate.report import Levels, build_report, split_scored
from samplernn.generate.options import GenerationOptions
from samplernn.measures import sound as measures

#: (conditioning arrays) → generated audio, one float array per conditioning array.
GenerateFn = Callable[[list[np.ndarray]], list[np.ndarray]]
#: How evaluate_model draws its notes unless told: temperature 1, seed 0, 64 streams a batch on the
#: CPU, no onset search, no truncation.
EVALUATE_GENERATION = GenerationOptions(temperature=1.0, seed=0, batch_size=64, device="cpu")


@dataclass
class Evaluation:
    """The result: the JSON-ready report and the audio it was measured on (for plots and WAVs)."""

    report: dict[str, Any]
    records: list[NoteRecord]
    real: list[np.ndarray] = field(repr=False)
    generated: list[np.ndarray] = field(repr=False)
    sweep: list[NoteRecord] = field(default_factory=list)
    sweep_audio: list[np.ndarray] = field(default_factory=list, repr=False)
    between: list[NoteRecord] = field(default_factory=list)
    between_audio: list[np.ndarray] = field(default_factory=list, repr=False)
    rendered: RenderedSet = field(default_factory=RenderedSet, repr=False)


def select_notes(notes: Sequence[NoteRecord], max_notes: int | None) -> list[NoteRecord]:
    """Up to `max_notes` notes spread over pitches, then velocities: each round takes one more note
    of every pitch (its velocities in turn); a last, partial round takes evenly spaced pitches.

    Deterministic; all notes (sorted by pitch, velocity, id) when max_notes is None.
    """
    ordered = sorted(notes, key=lambda r: (r.pitch, r.velocity, r.id))
    if max_notes is None or max_notes >= len(ordered):
        return ordered
    per_pitch: dict[int, list[NoteRecord]] = {}
    for p in sorted({r.pitch for r in ordered}):
        by_vel: dict[int, list[NoteRecord]] = defaultdict(list)
        for r in ordered:
            if r.pitch == p:
                by_vel[r.velocity].append(r)
        rounds = range(max(len(v) for v in by_vel.values()))
        per_pitch[p] = [by_vel[v][k] for k in rounds for v in sorted(by_vel) if k < len(by_vel[v])]
    picked: list[NoteRecord] = []
    for depth in range(max(len(v) for v in per_pitch.values())):
        avail = [p for p, v in per_pitch.items() if depth < len(v)]
        need = max_notes - len(picked)
        if need <= 0:
            break
        if need < len(avail):
            avail = [avail[i] for i in np.linspace(0, len(avail) - 1, need).round().astype(int)]
        picked += [per_pitch[p][depth] for p in avail]
    return sorted(picked, key=lambda r: (r.pitch, r.velocity, r.id))


def measure_note(
    x: np.ndarray,
    rec: NoteRecord,
    sample_rate: int,
    settings: measures.PitchSettings = measures.PitchSettings(),
) -> dict[str, Any]:
    """All per-note measures of signal `x` against the note event of `rec`."""
    f0, cents = measures.note_pitch_cents(
        x, sample_rate, rec.pitch, rec.onset, rec.release, rec.end, settings
    )
    end = measures.audible_end(x)
    level = measures.rms(x, rec.onset, rec.end)
    return {
        "f0_hz": f0,
        "cents": cents,
        "pitch_ok": cents is not None and abs(cents) <= settings.tolerance_cents,
        "audible_end": end,
        "end_error_ms": measures.end_error_ms(x, rec.onset, rec.end, sample_rate),
        "settle_ms": measures.settle_ms(x, sample_rate, rec.pitch, rec.onset, rec.release),
        "rms": level,
        "rms_db": measures.to_db(level),
        "clip_share": measures.clip_share(x),
        "loudest_10ms_db": measures.loudest_window_db(x, sample_rate),
        "n_samples": int(len(x)),
        "dc": measures.dc_offset(x),
    }


def note_result(
    rec: NoteRecord,
    real: np.ndarray,
    generated: np.ndarray,
    sample_rate: int,
    settings: measures.PitchSettings,
    quantization: Quantization = DEFAULT_QUANTIZATION,
) -> dict[str, Any]:
    """One entry of the report's "notes": the note, both signals' measures, the timbre distances
    and the noise floors (evaluate.noise.note_noise). The generated measures also hold
    over_real_db: their loudest 10 ms minus the real note's, dB (a burst above BURST_OVER_REAL_DB)."""
    saw = measures.sawtooth_baseline(real, rec.pitch, rec.onset, rec.end, sample_rate)
    r = measure_note(real, rec, sample_rate, settings)
    g = measure_note(generated, rec, sample_rate, settings)
    g["over_real_db"] = g["loudest_10ms_db"] - r["loudest_10ms_db"]
    return {
        "id": rec.id,
        "pitch": rec.pitch,
        "velocity": rec.velocity,
        "onset": rec.onset,
        "release": rec.release,
        "end": rec.end,
        "real": r,
        "generated": g,
        "timbre": {
            "generated": measures.timbre_distance(generated, real, sample_rate, rec.onset, rec.end),
            "sawtooth": measures.timbre_distance(saw, real, sample_rate, rec.onset, rec.end),
        },
        "noise_floor": note_noise(rec, real, generated, (r["f0_hz"], g["f0_hz"]), sample_rate, quantization,
                                  settings),
    }


def evaluate_model(
    model: Any,
    dataset: PreparedDataset,
    split: str = "test",
    *,
    generation: GenerationOptions = EVALUATE_GENERATION,
    max_notes: int | None = None,
    generate: GenerateFn | None = None, with_nll: bool = True,
    baseline_model: Any = None,
    sweep_velocities: bool = True, tail_seconds: float = 0.5,
    progress: ProgressFn | None = None,
    settings: measures.PitchSettings = measures.PitchSettings(),
    stats: BankStats | None = None,
    melodies: Sequence[str | Path] = (),
    missing_pitches: bool = True,
    quantization: Quantization = DEFAULT_QUANTIZATION,
) -> Evaluation:
    """Evaluate `model` on the notes of `split`: NLL, then generate and measure every note.

    `generation` (generate.options.GenerationOptions, as `for_checkpoint` resolves it for a
    checkpoint) is how the notes are drawn: temperature (None: 1.0), attack curve, min-p and a
    drum model's min-p per piece, seed, onset search (`with_onset_search`), engine threads;
    its batch_size and device (None: the model's) also serve the NLL. `generate` replaces the model's
    generation (default: `model_generator` with `generation`); the settings recorded are still
    `generation`'s. NLL needs `model` and is skipped when it is None or with_nll is False.
    `baseline_model` (e.g. an unconditional model) adds its NLL for the bar. `sweep_velocities` also
    generates each pitch's first note at the bank's other velocities, for the dynamics measure, and
    between its layers (see report.DEFINITIONS). Generation runs `tail_seconds` past each file's end
    with nothing sounding there, so that a note which does not stop shows up in the duration
    measure, not cut off. `stats` (the checkpoint's bank statistics; default the dataset's) fill the
    level column for NLL and generation alike, as rendering a MIDI file would: no level is taken from
    the evaluated recordings. `melodies` (folders or MIDI files) are rendered into the bank's range
    and scored note by note; `missing_pitches` adds a note at every semitone the bank lacks within
    its range; `quantization` (levels, method) is the model's, for the noise floor of the quantised
    real notes. `progress(done, total, stage=...)` reports generation ("generating",
    stream-samples) and measuring ("measuring", notes). Raises UserError when the split has no notes
    or a melody source has no readable notes.
    """
    gen = generation.with_default_temperature(1.0)
    records, sr = _split_notes(dataset, split, max_notes), dataset.sample_rate
    stats = dataset.stats if stats is None else stats
    layers = bank_layers(stats, dataset.notes)
    rendered = rendered_set(melodies, missing_pitches, layers, stats, sr, tail_seconds)
    nll = _nll(model, dataset, records, split, gen.batch_size, gen.device, stats, baseline_model, with_nll)
    if generate is None:
        generate = model_generator(model, gen, progress)
    sweep = velocity_sweep(records, dataset.notes) if sweep_velocities else []
    between = between_copies(records, dataset.notes) if sweep_velocities else []
    pad = int(round(tail_seconds * sr))
    generated, copies_audio = _generate_notes(generate, records, sweep + between, pad, stats, rendered)
    sweep_audio, between_audio = copies_audio[: len(sweep)], copies_audio[len(sweep) :]
    real = [dataset.load_audio(r) for r in records]
    tick = _ticker(progress, "measuring", len(records) + len(rendered.specs))
    notes = _measure_notes(records, real, generated, sr, settings, quantization, tick)
    levels = {"real": real_levels(dataset, {r.pitch for r in records}),
              "generated": generated_levels(records, generated, sweep, sweep_audio)}
    extras = rendered_blocks(rendered, sr, stats, layers, settings, tick)
    extras["between_velocities"] = between_block(levels["generated"], between, between_audio)
    extras["noise_floor"] = noise_summary([n["noise_floor"] for n in notes], quantization)
    extras["test_split_scored"] = split_scored(notes, records, stats, sr)
    report = build_report(notes, records, nll, levels, split=split, sample_rate=sr, extras=extras)
    report["settings"] = {
        "seed": gen.seed, "temperature": gen.temperature, "max_notes": max_notes,
        "velocity_sweep": sweep_velocities, "attack_temperature": gen.attack_at, "min_p": gen.active_min_p,
        "tail_seconds": tail_seconds, "pitch": dataclasses.asdict(settings),
        "melodies": [str(m) for m in melodies], "missing_pitches": missing_pitches,
        "onset_candidates": gen.onset_candidates,  # 1 when greedy: every candidate would be alike
    }
    return Evaluation(report, records, real, generated, sweep, sweep_audio, between, between_audio, rendered)


def _split_notes(dataset: PreparedDataset, split: str, max_notes: int | None) -> list[NoteRecord]:
    """The notes of `split` to evaluate (select_notes: at most max_notes, spread over pitches and
    velocities). Raises UserError when the split has none."""
    records = select_notes(dataset.split(split), max_notes)
    if not records:
        present = sorted({r.split for r in dataset.notes})
        raise UserError(f"{dataset.root}: no notes in split {split!r} (present: {', '.join(present)})")
    return records


def _nll(
    model: Any, dataset: PreparedDataset, records: list[NoteRecord], split: str, batch_size: int, device: Any,
    stats: BankStats, baseline_model: Any, with_nll: bool,
) -> dict[str, Any] | None:
    """The report's NLL block over `records` (None without a model or with_nll), with the baseline's."""
    if model is None or not with_nll:
        return None
    from samplernn.generate.engine import engine_device

    device = engine_device(device, model)  # None: the model's, as GenerationOptions reads it
    subset = dataclasses.replace(dataset, notes=records)
    nll = _nll_block(model, subset, split, batch_size, device, stats)
    if baseline_model is not None:
        nll["baseline"] = _nll_block(baseline_model, subset, split, batch_size, device, stats)
    return nll


def model_generator(
    model: Any, generation: GenerationOptions, progress: ProgressFn | None = None
) -> GenerateFn:
    """The GenerateFn of `model`: samplernn.generate.engine.synthesize with `generation`, its
    progress reported as progress(done, total, stage="generating"). ValueError for no model."""
    from samplernn.generate.engine import synthesize

    if model is None:
        raise ValueError("evaluate_model needs a model or a generate function")
    options = dataclasses.replace(generation, progress=_stage(progress, "generating"))

    def generate(conds: list[np.ndarray]) -> list[np.ndarray]:
        return synthesize(model, conds, options)

    return generate


def _generate_notes(
    generate: GenerateFn,
    records: list[NoteRecord],
    copies: list[NoteRecord],
    pad: int,
    stats: BankStats,
    rendered: RenderedSet,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Generate everything in one call: (audio of each record, audio of each copy), each `pad`
    samples longer than its file; the rendered streams' audio goes to `rendered` (attach).

    Raises ValueError when `generate` returns the wrong number or length of signals.
    """
    conds = [events_to_conditioning([r.event], r.n_samples + pad, stats) for r in records + copies]
    conds += [s.cond for s in rendered.specs]
    audio = [np.asarray(g, dtype=np.float32) for g in generate(conds)]
    if len(audio) != len(conds):
        raise ValueError(f"generate returned {len(audio)} signals for {len(conds)} notes")
    names = [r.id for r in records + copies] + [f"rendered stream {i}" for i in range(len(rendered.specs))]
    for name, c, g in zip(names, conds, audio, strict=True):
        if len(g) != len(c):
            raise ValueError(f"generate returned {len(g)} samples for note {name}, not {len(c)}")
    n, k = len(records), len(records) + len(copies)
    rendered.attach(audio[k:])
    return audio[:n], audio[n:k]


def _measure_notes(
    records: list[NoteRecord],
    real: list[np.ndarray],
    generated: list[np.ndarray],
    sample_rate: int,
    settings: measures.PitchSettings,
    quantization: Quantization,
    tick: Callable[[], None],
) -> list[dict[str, Any]]:
    """note_result of every note, calling tick() after each."""
    results = []
    for rec, x, g in zip(records, real, generated, strict=True):
        results.append(note_result(rec, x, g, sample_rate, settings, quantization))
        tick()
    return results


def _ticker(progress: ProgressFn | None, stage: str, total: int) -> Callable[[], None]:
    """tick() → progress(done so far, total, stage=stage)."""
    report = _stage(progress, stage)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if report:
            report(done, total)

    return tick


def _stage(progress: ProgressFn | None, stage: str) -> ProgressFn | None:
    """`progress` with its `stage` field set (None stays None)."""
    if progress is None:
        return None

    def report(done: int, total: int | None = None, **fields: Any) -> None:
        progress(done, total, **{**fields, "stage": stage})

    return report


def velocity_sweep(records: Sequence[NoteRecord], bank: Sequence[NoteRecord]) -> list[NoteRecord]:
    """For each evaluated pitch, its first evaluated note at every other velocity the bank has for
    that pitch (all velocities of the bank when the pitch has fewer than two), same timing."""
    bank_vels: dict[int, set[int]] = defaultdict(set)
    for r in bank:
        bank_vels[r.pitch].add(r.velocity)
    all_vels = set().union(*bank_vels.values())
    first: dict[int, NoteRecord] = {}
    for r in records:
        first.setdefault(r.pitch, r)
    out = []
    for p, ref in sorted(first.items()):
        vels = bank_vels[p] if len(bank_vels[p]) >= 2 else all_vels
        for v in sorted(vels - {ref.velocity}):
            out.append(dataclasses.replace(ref, velocity=v, id=f"{ref.id}@v{v}"))
    return out


def real_levels(dataset: PreparedDataset, pitches: set[int]) -> Levels:
    """(velocity, RMS over [onset, end)) of every recording in the dataset with one of `pitches`."""
    levels: Levels = defaultdict(list)
    for r in dataset.notes:
        if r.pitch in pitches:
            levels[r.pitch].append((r.velocity, measures.rms(dataset.load_audio(r), r.onset, r.end)))
    return dict(levels)


def generated_levels(
    records: Sequence[NoteRecord],
    generated: Sequence[np.ndarray],
    sweep: Sequence[NoteRecord],
    sweep_audio: Sequence[np.ndarray],
) -> Levels:
    """(velocity, RMS) per pitch of the generated velocity sweep: each pitch's first evaluated note
    plus its sweep copies. Without a sweep: all evaluated notes of the pitch."""
    levels: Levels = defaultdict(list)
    swept = {r.pitch for r in sweep}
    seen: set[int] = set()
    for r, g in zip(records, generated, strict=True):
        if r.pitch in swept and r.pitch in seen:
            continue
        seen.add(r.pitch)
        levels[r.pitch].append((r.velocity, measures.rms(g, r.onset, r.end)))
    for r, g in zip(sweep, sweep_audio, strict=True):
        levels[r.pitch].append((r.velocity, measures.rms(g, r.onset, r.end)))
    return dict(levels)


def _nll_block(
    model: Any, dataset: PreparedDataset, split: str, batch_size: int, device: Any, stats: BankStats
) -> dict[str, Any]:
    from samplernn.model.nll import dataset_nll

    res = dataset_nll(model, dataset, split, batch_size=batch_size, device=device, stats=stats)
    return {
        "overall": float(res.overall),
        "per_pitch": {str(p): float(v) for p, v in sorted(res.per_pitch.items())},
        "n_samples": int(res.n_samples),
    }
