"""The evaluate report: per-note measures aggregated into summaries, per-pitch blocks and bars."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from conditioning import DEFAULT_THRESHOLD, BankStats, note_name
from samplernn.data.dataset import NoteRecord
from samplernn.evaluate.scoring import burst_summary, expected_level_db, settle_summary, summarize_scored
from samplernn.measures import sound as measures

#: The shipped-model bars, applied to the generated notes.
BARS = {
    "pitch_accuracy": 0.90,
    "clip_share": 1e-4,
    "duration_median_ms": 60.0,
    "rms_rising_share": 0.80,
    "melody_pitch_accuracy": 0.95,
    "melody_octave_errors": 0,
    "missing_pitch_accuracy": 0.90,
    "between_share": 0.80,
}

DEFINITIONS = {
    "nll": "negative log-likelihood of the evaluated real notes under the model, bits per sample",
    "pitch": "median pYIN f0 (10-cent bins, search range MIDI pitch ± 13 semitones) over the voiced "
    "frames of the sustained part (onset + min(80 ms, held/4) to release, at most 1 s); within = "
    "|cents from the MIDI pitch| <= 50; notes without voiced frames count as misses",
    "duration": "|audible end - requested end| in ms; audible end = last sample whose Hilbert envelope "
    f"exceeds {DEFAULT_THRESHOLD * 100:g} % of its peak (the prepare rule); a silent note ends at its "
    "onset. Generated notes run "
    "on 0.5 s (tail_seconds) past the file's end with no note sounding, so a note that fails to stop "
    "shows",
    "settle": "pitch settling: ms from note-on to the centre of the first of 3 consecutive pYIN frames "
    "(~32 ms, hop ~8 ms, search range MIDI pitch ± 13 semitones) within ±50 cents of the MIDI pitch, "
    "over at most the first 0.5 s of the held part; median and p90 over the notes that settle, "
    "n_unsettled = notes that never do there",
    "dynamics": "RMS over [onset, end) per note, median per velocity; a pitch rises when that level "
    "rises strictly from each velocity to the next. Real: every recording of the pitch in the dataset "
    "(all splits). Generated: a velocity sweep, the pitch's first evaluated note generated again at "
    "each velocity the dataset has for that pitch, same timing",
    "timbre": "mean |log-mel dB difference| to the real note over the frames of [onset, end); 64 mel "
    "bands, ~64 ms FFT, hop 1/4; dB re full scale, floored 80 dB below the louder peak; averaged over "
    "notes. Sawtooth baseline: band-limited sawtooth at the MIDI pitch under the real note's smoothed "
    "Hilbert envelope, scaled to the real RMS",
    "clipping": "share of samples with |x| >= 0.999, over all samples of the evaluated notes (generated: "
    "including the tail)",
    "bursts": "notes whose loudest 10 ms (RMS over 10-ms windows hopped by 5 ms, over the whole signal "
    f"with its tail) sits more than {measures.BURST_OVER_REAL_DB:g} dB over the real recording's loudest "
    f"10 ms (melody notes and pitches the bank lacks: more than {measures.BURST_OVER_LEVEL_DB:g} dB over "
    "the bank's typical level for the note); max_over_db = the largest excess",
    "dc": "mean of each note's signal; reported as the mean and max |mean| over notes",
    "melodies": "each MIDI file transposed so that the middle of its span sits on the middle of the bank's "
    "range (notes still outside moved by octaves), every note rendered as `samplernn render` does "
    "(its own stream: 0.25 s silent lead, end = note-off + the bank's release tail for the pitch and "
    "velocity, then tail_seconds more) and scored on its own stream: pitch as above but searched over "
    "± 20 semitones, kind ok / octave (a whole number of octaves off, ±50 c) / other / unvoiced; "
    "length = audible end - (note-off + release tail), ms, positive = late; level = RMS over [onset, "
    "end) in dBFS minus the bank's typical level for that pitch, velocity and release (the loudness "
    "envelopes of prepare, interpolated between velocity layers, power-averaged over the same span). "
    "octave_errors_long counts octave errors on notes held 0.15 s or more. test_split_scored gives "
    "the same figures for the evaluated split (pitch searched over the usual ± 13 semitones)",
    "missing_pitches": "one note at every semitone between the bank's lowest and highest pitch that the "
    "bank (the checkpoint's statistics) does not hold: held 0.6 s at the middle velocity layer of the "
    "nearest pitch, rendered and scored as the melody notes",
    "between_velocities": "each evaluated pitch's first note generated again at the velocity midway "
    "between two neighbouring layers of the bank (same timing as the velocity sweep); in between when "
    "its RMS over [onset, end) lies strictly between the two layers' generated RMS. share: pitches "
    "whose in-between notes all are; note_share: in-between notes that are",
    "noise_floor": "over each evaluated note's sustained part (as for pitch): power spectrum averaged "
    "over Blackman-Harris frames (0.256 s at most, half overlap); bins in the middle 30 % of each gap "
    "between multiples of the signal's own median f0, below 90 % of Nyquist; their median power "
    "density spread over the whole band, in dB re the strongest harmonic's power (a sine of amplitude "
    "A in white noise of variance s2: 10 log10(s2 / (A2 / 2))). Notes whose part is too short to "
    "resolve harmonics 12 bins apart are not measured. Sources: generated, real, and real after the "
    "model's quantisation (quantised and back), the floor a perfect model can reach; median over notes",
}

#: (pitch) → [(velocity, rms)] for the dynamics measure.
Levels = dict[int, list[tuple[int, float]]]


def _share(k: float, n: int) -> float | None:
    return float(k) / n if n else None


def _median(values: Sequence[float]) -> float | None:
    return float(np.median(values)) if len(values) else None


def _mean(values: Sequence[float]) -> float | None:
    return float(np.mean(values)) if len(values) else None


def summarize(per_note: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Pitch, duration, clipping and DC over the per-note measures (from run.measure_note)."""
    n = len(per_note)
    cents = [abs(m["cents"]) for m in per_note if m["cents"] is not None]
    errors = [m["end_error_ms"] for m in per_note]
    total = sum(m["n_samples"] for m in per_note)
    clipped = sum(m["clip_share"] * m["n_samples"] for m in per_note)
    return {
        "n_notes": n,
        "pitch": {
            "accuracy": _share(sum(m["pitch_ok"] for m in per_note), n),
            "median_abs_cents": _median(cents),
            "n_unvoiced": sum(m["cents"] is None for m in per_note),
        },
        "duration": {
            "median_ms": _median(errors),
            "p90_ms": float(np.percentile(errors, 90)) if errors else None,
            "n_silent": sum(m["audible_end"] is None for m in per_note),
        },
        "settle": settle_summary(per_note),
        "clipping": {
            "share": clipped / total if total else 0.0,
            "n_notes_clipped": sum(m["clip_share"] > 0 for m in per_note),
        },
        "bursts": burst_summary([m.get("over_real_db") for m in per_note], measures.BURST_OVER_REAL_DB),
        "dc": {
            "mean": _mean([m["dc"] for m in per_note]),
            "max_abs": float(max(abs(m["dc"]) for m in per_note)) if n else None,
        },
    }


def dynamics_summary(levels: Levels) -> dict[str, Any]:
    """Per pitch: RMS (dBFS, median per velocity) and whether it rises; the share of pitches that rise
    among those with two or more velocities."""
    per_pitch = {}
    for p in sorted(levels):
        vels, rms = zip(*levels[p], strict=True) if levels[p] else ((), ())
        by_vel: dict[int, list[float]] = defaultdict(list)
        for v, r in levels[p]:
            by_vel[v].append(r)
        per_pitch[str(p)] = {
            "rising": measures.rises_with_velocity(vels, rms),
            "rms_db": {str(v): measures.to_db(float(np.median(by_vel[v]))) for v in sorted(by_vel)},
        }
    judged = [d["rising"] for d in per_pitch.values() if d["rising"] is not None]
    return {
        "rising_share": _share(sum(judged), len(judged)),
        "n_pitches": len(judged),
        "per_pitch": per_pitch,
    }


def build_report(
    notes: list[dict[str, Any]],
    records: Sequence[NoteRecord],
    nll: dict[str, Any] | None,
    levels: dict[str, Levels],
    *,
    split: str,
    sample_rate: int,
    extras: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON report: per-note results `notes` (same order as `records`), NLL block, and the
    dynamics levels {"real": …, "generated": …}; `extras` are further blocks (melodies,
    missing_pitches, between_velocities, noise_floor, test_split_scored) added before the bars are
    checked. See DEFINITIONS for what each number means."""

    def timbre(idx: list[int]) -> dict[str, Any]:
        return {
            "generated_vs_real": _mean([notes[i]["timbre"]["generated"] for i in idx]),
            "sawtooth_vs_real": _mean([notes[i]["timbre"]["sawtooth"] for i in idx]),
        }

    dynamics = {source: dynamics_summary(lv) for source, lv in levels.items()}
    by_pitch: dict[int, list[int]] = defaultdict(list)
    for i, r in enumerate(records):
        by_pitch[r.pitch].append(i)
    per_pitch = {}
    for p, idx in sorted(by_pitch.items()):
        entry: dict[str, Any] = {
            "name": note_name(p),
            "n_notes": len(idx),
            "velocities": sorted({records[i].velocity for i in idx}),
            "nll": nll["per_pitch"].get(str(p)) if nll else None,
        }
        for source in ("real", "generated"):
            entry[source] = summarize([notes[i][source] for i in idx])
            entry[source]["dynamics"] = dynamics[source]["per_pitch"].get(str(p))
        entry["timbre"] = timbre(idx)
        per_pitch[str(p)] = entry
    report: dict[str, Any] = {"split": split, "sample_rate": sample_rate, "n_notes": len(notes), "nll": nll}
    for source in ("real", "generated"):
        report[source] = summarize([n[source] for n in notes])
        report[source]["dynamics"] = dynamics[source]
    report.update(timbre=timbre(list(range(len(notes)))), per_pitch=per_pitch, notes=notes)
    report.update(extras or {})
    report["definitions"] = DEFINITIONS
    report["bars"] = check_bars(report)
    judged = [b["passed"] for b in report["bars"] if b["passed"] is not None]
    report["passed"] = bool(judged) and all(judged)
    return report


def check_bars(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The shipped-model bars on the generated notes; passed None = not measurable."""
    gen, timbre, nll = report["generated"], report["timbre"], report.get("nll")

    def bar(name: str, value: Any, target: str, ok: bool) -> dict[str, Any]:
        return {"name": name, "value": value, "target": target, "passed": None if value is None else ok}

    acc, clip, bursts = gen["pitch"]["accuracy"], gen["clipping"]["share"], gen["bursts"]["n_notes"]
    dur, rising = gen["duration"]["median_ms"], gen["dynamics"]["rising_share"]
    t_gen, t_saw = timbre["generated_vs_real"], timbre["sawtooth_vs_real"]
    bars = [
        bar("pitch accuracy", acc, f">= {BARS['pitch_accuracy']:.0%}", (acc or 0) >= BARS["pitch_accuracy"]),
        bar("clipping", clip, f"<= {BARS['clip_share']:.2%}", clip <= BARS["clip_share"]),
        bar("bursts", bursts, "no note", bursts == 0),
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
            (rising or 0) >= BARS["rms_rising_share"],
        ),
        bar(
            "timbre distance",
            t_gen,
            "< sawtooth baseline",
            t_gen is not None and t_saw is not None and t_gen < t_saw,
        ),
    ]
    bars += gap_bars(report, bar)
    if nll and nll.get("baseline"):
        base = nll["baseline"]["overall"]
        bars.append(bar("test NLL", nll["overall"], f"< baseline {base:.3f}", nll["overall"] < base))
    return bars


def gap_bars(report: dict[str, Any], bar: Callable[..., dict[str, Any]]) -> list[dict[str, Any]]:
    """The bars of the melodies, the missing semitones and the in-between velocities (not measured:
    passed None)."""
    mel = (report.get("melodies") or {}).get("overall")
    acc = mel["pitch"]["accuracy"] if mel else None
    octaves = mel["pitch"]["octave_errors_long"] if mel else None
    missing = (report.get("missing_pitches") or {}).get("pitch", {}).get("accuracy")
    between = (report.get("between_velocities") or {}).get("share")
    return [
        bar("melody pitch", acc, f">= {BARS['melody_pitch_accuracy']:.0%}",
            (acc or 0) >= BARS["melody_pitch_accuracy"]),
        bar("melody octave errors", octaves, f"<= {BARS['melody_octave_errors']} (notes >= 0.15 s)",
            (octaves or 0) <= BARS["melody_octave_errors"]),
        bar("missing-pitch accuracy", missing, f">= {BARS['missing_pitch_accuracy']:.0%}",
            (missing or 0) >= BARS["missing_pitch_accuracy"]),
        bar("in-between velocities", between, f">= {BARS['between_share']:.0%} of pitches",
            (between or 0) >= BARS["between_share"]),
    ]


def split_scored(notes: Sequence[dict[str, Any]], records: Sequence[NoteRecord], stats: BankStats,
                 sample_rate: int) -> dict[str, Any]:
    """The evaluated split in the melodies' terms (evaluate.scoring.summarize_scored), for the real
    and the generated notes: pitch kinds, settling, signed length error, level against the bank's."""
    out = {}
    for source in ("real", "generated"):
        scored = []
        for n, r in zip(notes, records, strict=True):
            m = n[source]
            expected = expected_level_db(stats, r.pitch, r.velocity, r.onset, r.release, r.end)
            end = r.onset if m["audible_end"] is None else m["audible_end"]
            scored.append({
                "seconds": (r.release - r.onset) / sample_rate, "cents": m["cents"],
                "pitch_kind": measures.pitch_error_kind(m["cents"]),
                "end_offset_ms": (end - r.end) * 1000.0 / sample_rate,
                "level_error_db": None if expected is None else m["rms_db"] - expected,
                "clip_share": m["clip_share"], "settle_ms": m["settle_ms"],
            })
        out[source] = summarize_scored(scored)
    return out
