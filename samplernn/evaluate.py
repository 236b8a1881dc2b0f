"""`samplernn evaluate`: NLL plus sound measures of generated notes next to the real recordings.

`evaluate_model` generates every evaluated note with the conditioning of its real counterpart,
measures both with `samplernn.metrics`, and returns an `Evaluation` whose `report` is the JSON
report. `render_tables`, `plot_spectrograms` and `check_bars` present it.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from samplernn import metrics
from samplernn.dataset import NoteRecord, PreparedDataset
from samplernn.errors import UserError

#: (conditioning arrays) → generated audio, one float array per conditioning array.
GenerateFn = Callable[[list[np.ndarray]], list[np.ndarray]]

#: The shipped-model bars of issue 5, applied to the generated notes.
BARS = {
    "pitch_accuracy": 0.90,
    "clip_share": 1e-4,
    "duration_median_ms": 60.0,
    "rms_rising_share": 0.80,
}

DEFINITIONS = {
    "nll": "negative log-likelihood of the real notes under the model, bits per sample",
    "pitch": "median pYIN f0 over voiced frames of the sustained part (onset + min(80 ms, held/4) to "
    "release, at most 1 s); within = |cents from the MIDI pitch| <= 50; unvoiced notes count as misses",
    "duration": "|audible end - requested end| in ms; audible end = last sample whose Hilbert envelope "
    "exceeds 0.8 % of its peak (the prepare rule); a silent note ends at its onset",
    "dynamics": "RMS over [onset, end) per note; per pitch, rising = the median RMS per velocity rises "
    "strictly from each velocity present to the next",
    "timbre": "mean |log-mel dB difference| to the real note over the frames of [onset, end); 64 mel bands, "
    "~64 ms FFT, hop 1/4; dB re full scale, floored 80 dB below the louder peak. Sawtooth baseline: "
    "band-limited sawtooth at the MIDI pitch under the real note's smoothed envelope, at the real RMS",
    "clipping": "share of samples with |x| >= 0.999, over all samples of the evaluated notes",
    "dc": "mean of each note's signal; reported as the mean and max |mean| over notes",
}


@dataclass
class Evaluation:
    """The result: the JSON-ready report and the audio it was measured on (for plots and WAVs)."""

    report: dict[str, Any]
    records: list[NoteRecord]
    real: list[np.ndarray] = field(repr=False)
    generated: list[np.ndarray] = field(repr=False)


def resolve_device(name: str) -> str:
    """'auto' → 'cuda' when available, else 'cpu'; anything else is passed through."""
    if name != "auto":
        return name
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def select_notes(notes: Sequence[NoteRecord], max_notes: int | None) -> list[NoteRecord]:
    """Up to `max_notes` notes spread over (pitch, velocity): one from each group in turn.

    Deterministic (groups and notes in sorted order); all notes when max_notes is None.
    """
    ordered = sorted(notes, key=lambda r: (r.pitch, r.velocity, r.id))
    if max_notes is None or max_notes >= len(ordered):
        return ordered
    groups: dict[tuple[int, int], list[NoteRecord]] = defaultdict(list)
    for r in ordered:
        groups[(r.pitch, r.velocity)].append(r)
    picked: list[NoteRecord] = []
    depth = 0
    while len(picked) < max_notes:
        for key in sorted(groups):
            if depth < len(groups[key]) and len(picked) < max_notes:
                picked.append(groups[key][depth])
        depth += 1
    return sorted(picked, key=lambda r: (r.pitch, r.velocity, r.id))


def measure_note(
    x: np.ndarray,
    rec: NoteRecord,
    sample_rate: int,
    settings: metrics.PitchSettings = metrics.PitchSettings(),
) -> dict[str, Any]:
    """All per-note measures of signal `x` against the note event of `rec`."""
    f0, cents = metrics.note_pitch_cents(x, sample_rate, rec.pitch, rec.onset, rec.release, rec.end, settings)
    end = metrics.audible_end(x)
    level = metrics.rms(x, rec.onset, rec.end)
    return {
        "f0_hz": f0,
        "cents": cents,
        "pitch_ok": cents is not None and abs(cents) <= settings.tolerance_cents,
        "audible_end": end,
        "end_error_ms": metrics.end_error_ms(x, rec.onset, rec.end, sample_rate),
        "rms": level,
        "rms_db": metrics.to_db(level),
        "clip_share": metrics.clip_share(x),
        "n_samples": int(len(x)),
        "dc": metrics.dc_offset(x),
    }


def summarize(measures: Sequence[dict[str, Any]], records: Sequence[NoteRecord]) -> dict[str, Any]:
    """Aggregate per-note measures (same order as `records`) into the report's summary block."""
    n = len(measures)
    cents = [abs(m["cents"]) for m in measures if m["cents"] is not None]
    errors = [m["end_error_ms"] for m in measures]
    by_pitch: dict[int, list[int]] = defaultdict(list)
    for i, r in enumerate(records):
        by_pitch[r.pitch].append(i)
    rising = {
        p: metrics.rises_with_velocity([records[i].velocity for i in idx], [measures[i]["rms"] for i in idx])
        for p, idx in sorted(by_pitch.items())
    }
    judged = [v for v in rising.values() if v is not None]
    total = sum(m["n_samples"] for m in measures)
    clipped = sum(m["clip_share"] * m["n_samples"] for m in measures)
    return {
        "n_notes": n,
        "pitch": {
            "accuracy": _share(sum(m["pitch_ok"] for m in measures), n),
            "median_abs_cents": _median(cents),
            "n_unvoiced": sum(m["cents"] is None for m in measures),
        },
        "duration": {
            "median_ms": _median(errors),
            "p90_ms": float(np.percentile(errors, 90)) if errors else None,
            "n_silent": sum(m["audible_end"] is None for m in measures),
        },
        "dynamics": {
            "rising_share": _share(sum(judged), len(judged)),
            "per_pitch": {str(p): v for p, v in rising.items()},
        },
        "clipping": {
            "share": clipped / total if total else 0.0,
            "n_notes_clipped": sum(m["clip_share"] > 0 for m in measures),
        },
        "dc": {
            "mean": float(np.mean([m["dc"] for m in measures])) if n else None,
            "max_abs": float(max(abs(m["dc"]) for m in measures)) if n else None,
        },
    }


def _share(k: int | float, n: int) -> float | None:
    return float(k) / n if n else None


def _median(values: Sequence[float]) -> float | None:
    return float(np.median(values)) if len(values) else None


def _mean(values: Sequence[float]) -> float | None:
    return float(np.mean(values)) if len(values) else None


def evaluate_model(
    model: Any,
    dataset: PreparedDataset,
    split: str = "test",
    *,
    max_notes: int | None = None,
    seed: int | None = 0,
    temperature: float = 1.0,
    batch_size: int = 64,
    device: str = "cpu",
    generate: GenerateFn | None = None,
    with_nll: bool = True,
    baseline_model: Any = None,
    progress: bool = False,
    settings: metrics.PitchSettings = metrics.PitchSettings(),
) -> Evaluation:
    """Evaluate `model` on the notes of `split`: NLL, then generate and measure every note.

    `generate` replaces the model's generation (default: samplernn.generate.synthesize with the
    given temperature/seed/batch_size/device); NLL needs `model` and is skipped when it is None
    or with_nll is False. `baseline_model` (e.g. an unconditional model) adds its NLL for the bar.
    """
    records = select_notes(dataset.split(split), max_notes)
    if not records:
        present = sorted({r.split for r in dataset.notes})
        raise UserError(f"{dataset.root}: no notes in split {split!r} (present: {', '.join(present)})")
    subset = dataclasses.replace(dataset, notes=records)
    sr = dataset.sample_rate

    nll: dict[str, Any] | None = None
    if with_nll and model is not None:
        nll = _nll_block(model, subset, split, batch_size, device)
        if baseline_model is not None:
            nll["baseline"] = _nll_block(baseline_model, subset, split, batch_size, device)

    if generate is None:
        if model is None:
            raise ValueError("evaluate_model needs a model or a generate function")
        from samplernn.generate import synthesize

        def generate(conds: list[np.ndarray]) -> list[np.ndarray]:
            return synthesize(
                model,
                conds,
                temperature=temperature,
                seed=seed,
                batch_size=batch_size,
                device=device,
                progress=progress,
            )

    generated = [np.asarray(g, dtype=np.float32) for g in generate([r.conditioning() for r in records])]
    if len(generated) != len(records):
        raise ValueError(f"generate returned {len(generated)} signals for {len(records)} notes")
    real = [dataset.load_audio(r) for r in records]

    notes = []
    for rec, x, g in _track(list(zip(records, real, generated, strict=True)), progress, "measuring"):
        saw = metrics.sawtooth_baseline(x, rec.pitch, rec.onset, rec.end, sr)
        notes.append(
            {
                "id": rec.id,
                "pitch": rec.pitch,
                "velocity": rec.velocity,
                "onset": rec.onset,
                "release": rec.release,
                "end": rec.end,
                "real": measure_note(x, rec, sr, settings),
                "generated": measure_note(g, rec, sr, settings),
                "timbre": {
                    "generated": metrics.timbre_distance(g, x, sr, rec.onset, rec.end),
                    "sawtooth": metrics.timbre_distance(saw, x, sr, rec.onset, rec.end),
                },
            }
        )
    report = build_report(notes, records, nll, split=split, sample_rate=sr)
    report["settings"] = {
        "seed": seed,
        "temperature": temperature,
        "max_notes": max_notes,
        "pitch": dataclasses.asdict(settings),
    }
    return Evaluation(report, records, real, generated)


def _nll_block(
    model: Any, dataset: PreparedDataset, split: str, batch_size: int, device: str
) -> dict[str, Any]:
    from samplernn.nll import dataset_nll

    res = dataset_nll(model, dataset, split, batch_size=batch_size, device=device)
    return {
        "overall": float(res.overall),
        "per_pitch": {str(p): float(v) for p, v in sorted(res.per_pitch.items())},
        "n_samples": int(res.n_samples),
    }


def _track(items: list, progress: bool, label: str) -> Any:
    if not progress:
        return items
    from rich.progress import track

    return track(items, description=label, transient=True)


def build_report(
    notes: list[dict[str, Any]],
    records: Sequence[NoteRecord],
    nll: dict[str, Any] | None,
    *,
    split: str,
    sample_rate: int,
) -> dict[str, Any]:
    """The JSON report from per-note results (see DEFINITIONS for what each number means)."""
    from conditioning import note_name

    def block(source: str, idx: list[int]) -> dict[str, Any]:
        return summarize([notes[i][source] for i in idx], [records[i] for i in idx])

    def timbre(idx: list[int]) -> dict[str, Any]:
        return {
            "generated_vs_real": _mean([notes[i]["timbre"]["generated"] for i in idx]),
            "sawtooth_vs_real": _mean([notes[i]["timbre"]["sawtooth"] for i in idx]),
        }

    all_idx = list(range(len(notes)))
    by_pitch: dict[int, list[int]] = defaultdict(list)
    for i, r in enumerate(records):
        by_pitch[r.pitch].append(i)
    per_pitch = {}
    for p, idx in sorted(by_pitch.items()):
        real, gen = block("real", idx), block("generated", idx)
        per_pitch[str(p)] = {
            "name": note_name(p),
            "n_notes": len(idx),
            "velocities": sorted({records[i].velocity for i in idx}),
            "nll": nll["per_pitch"].get(str(p)) if nll else None,
            "real": real,
            "generated": gen,
            "timbre": timbre(idx),
        }
    report: dict[str, Any] = {
        "split": split,
        "sample_rate": sample_rate,
        "n_notes": len(notes),
        "nll": nll,
        "real": block("real", all_idx),
        "generated": block("generated", all_idx),
        "timbre": timbre(all_idx),
        "per_pitch": per_pitch,
        "notes": notes,
        "definitions": DEFINITIONS,
    }
    report["bars"] = check_bars(report)
    judged = [b["passed"] for b in report["bars"] if b["passed"] is not None]
    report["passed"] = bool(judged) and all(judged)
    return report


def check_bars(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The shipped-model bars of issue 5 on the generated notes; passed None = not measurable."""
    gen, timbre, nll = report["generated"], report["timbre"], report.get("nll")

    def bar(name: str, value: Any, target: str, ok: bool | None) -> dict[str, Any]:
        return {"name": name, "value": value, "target": target, "passed": None if value is None else ok}

    acc = gen["pitch"]["accuracy"]
    clip = gen["clipping"]["share"]
    dur = gen["duration"]["median_ms"]
    rising = gen["dynamics"]["rising_share"]
    t_gen, t_saw = timbre["generated_vs_real"], timbre["sawtooth_vs_real"]
    bars = [
        bar(
            "pitch accuracy",
            acc,
            f">= {BARS['pitch_accuracy']:.0%}",
            acc is not None and acc >= BARS["pitch_accuracy"],
        ),
        bar(
            "clipping", clip, f"<= {BARS['clip_share']:.2%}", clip is not None and clip <= BARS["clip_share"]
        ),
        bar(
            "median duration error",
            dur,
            f"<= {BARS['duration_median_ms']:.0f} ms",
            dur is not None and dur <= BARS["duration_median_ms"],
        ),
        bar(
            "RMS rising with velocity",
            rising,
            f">= {BARS['rms_rising_share']:.0%} of pitches",
            rising is not None and rising >= BARS["rms_rising_share"],
        ),
        bar(
            "timbre distance",
            t_gen,
            f"< sawtooth {t_saw:.2f} dB" if t_saw is not None else "< sawtooth",
            t_gen is not None and t_saw is not None and t_gen < t_saw,
        ),
    ]
    if nll and nll.get("baseline"):
        base = nll["baseline"]["overall"]
        bars.append(bar("test NLL", nll["overall"], f"< baseline {base:.3f}", nll["overall"] < base))
    return bars
