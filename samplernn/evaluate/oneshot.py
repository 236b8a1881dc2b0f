"""One-shot measures in `samplernn evaluate`, chosen for a drum model (render.drums.is_drum_model).

For every piece of the kit at up to MAX_VELOCITIES of its velocity layers (lowest, middle,
highest), TAKES_PER_LAYER takes are generated as `samplernn pack` makes them and measured
(measures.oneshot) against the dataset's real samples; each measure stands next to the same
measure on the real samples of the evaluated layers, each layer counted once as the takes count
it, the ceiling (`real_pooled` in the report: over every real sample):

* likeness — takes whose nearest piece centroid is their own | real: each sample against the
  centroids of the others (leave one out);
* novelty — takes at least the novelty floor from every training sample | real: the val/test
  samples against the train split (a kit that reuses a file shows here);
* distinct — takes at least the floor from the other takes of their piece and velocity | real:
  each sample from the nearest other sample of its piece;
* attack, decay — takes (samples) with a good attack, with a decay within the tolerance of their
  piece's real median; clean — takes (samples) without clipping;
* dynamics — pieces whose loudness rises with velocity at the evaluated velocities | real: the
  real layers at those velocities.

A bar passes when the generated share reaches BAR_SHARE or the real ceiling, whichever is lower
(clean: all takes, or the real share). The pitched bars (pitch, timbre, melodies, missing
pitches, between velocities, duration and the velocity sweep's dynamics) are not measured.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np
from rich.table import Table

from conditioning import BankStats
from samplernn.common.progress import ProgressFn
from samplernn.data.dataset import NoteRecord, PreparedDataset
from samplernn.data.piece_tuning import piece_tuning
from samplernn.evaluate.cells import fmt, ok
from samplernn.evaluate.options import EvaluateOptions
from samplernn.evaluate.run import Evaluation
from samplernn.generate.options import GenerationOptions
from samplernn.measures import oneshot, resonance
from samplernn.measures.resonance import in_tune
from samplernn.model.checkpoint import Checkpoint
from samplernn.render.drums import held_samples, piece_name
from samplernn.render.pack import Take, generate_takes, judge, kit_reference, kit_sounds

TAKES_PER_LAYER = 4
MAX_VELOCITIES = 3
BAR_SHARE = 0.90
CHECKS = ("like", "novel", "distinct", "attack", "decay", "clean")
LABELS = {"like": "likeness", "novel": "novelty", "distinct": "takes differ", "attack": "attack",
          "decay": "decay time", "clean": "no clipping or stuck output",
          "dynamics": "loudness rises with velocity"}
#: Bars of pitched notes that say nothing about a drum kit, or that a one-shot bar replaces (clipping:
#: "no clipping or stuck output", judged on the takes; the report named both when a take clipped).
PITCHED_BARS = ("pitch accuracy", "timbre distance", "median duration error", "RMS rising with velocity",
                "melody pitch", "melody octave errors", "missing-pitch accuracy", "in-between velocities",
                "clipping", "bursts")


def eval_layers(notes: list[NoteRecord], max_layers: int | None = None) -> list[tuple[int, int]]:
    """(key, velocity) to generate: each piece's lowest, middle and highest velocity layer; with
    `max_layers` (evaluate's --max-notes) at most that many, spread over the pieces as
    evaluate.run.select_notes spreads notes: a round takes one more layer of every piece (its
    lowest, then its highest, then its middle), a last, partial round evenly spaced pieces."""
    vels: dict[int, set[int]] = defaultdict(set)
    for r in notes:
        vels[r.pitch].add(r.velocity)
    per_piece = {}
    for key in sorted(vels):
        v = sorted(vels[key])
        picks = [v[i] for i in np.linspace(0, len(v) - 1, min(MAX_VELOCITIES, len(v))).round().astype(int)]
        per_piece[key] = list(dict.fromkeys(picks))
    everything = [(key, x) for key, picks in per_piece.items() for x in picks]
    if max_layers is None or max_layers >= len(everything):
        return everything
    order = {key: list(dict.fromkeys([p[0], p[-1], *p[1:-1]])) for key, p in per_piece.items()}
    chosen: set[tuple[int, int]] = set()
    for depth in range(MAX_VELOCITIES):
        keys = [key for key, o in order.items() if len(o) > depth]
        need = max_layers - len(chosen)
        if need <= 0:
            break
        if need < len(keys):
            keys = [keys[i] for i in np.linspace(0, len(keys) - 1, need).round().astype(int)]
        chosen.update((key, order[key][depth]) for key in keys)
    return [layer for layer in everything if layer in chosen]


def drum_options(options: EvaluateOptions) -> EvaluateOptions:
    """A drum model's options: no melodies, missing pitches or velocity sweep (pitched measures)."""
    return dataclasses.replace(options, melodies=None, shipped_melodies=False, heldout_melodies=False,
                               missing_pitches=False, velocity_sweep=False)


@dataclass
class OneShotEval:
    """The real side of the one-shot measures, measured once for every seed."""

    sounds: list[oneshot.Sound]
    splits: list[str]
    ref: oneshot.KitReference
    layers: list[tuple[int, int]]
    #: Per check, each real sample's answer (None: not judged), in the order of `sounds`; with
    #: "like_mfcc", the second judge's (oneshot.MfccJudge.leave_one_out).
    checks: dict[str, list[bool | None]]
    judge: oneshot.MfccJudge | None = None
    sample_rate: int | None = None  # the takes', for the second judge's features
    #: The pieces that ring and their resonance, Hz, from every real sample (data.piece_tuning)
    tones: dict[int, float] = dataclasses.field(default_factory=dict)

    @classmethod
    def of(cls, ds: PreparedDataset, max_layers: int | None = None) -> OneShotEval:
        sounds, splits = kit_sounds(ds, mfcc=True)
        ref = kit_reference(sounds, splits)
        judge = oneshot.MfccJudge([(s.key, s.mfcc) for s in sounds if s.mfcc is not None])
        shots = cls(sounds, splits, ref, eval_layers(ds.notes, max_layers), {}, judge, ds.sample_rate,
                    piece_tuning(ds, split=None))
        shots.checks = {**real_checks(sounds, splits, ref, shots.real_nearest),
                        "like_mfcc": judge.leave_one_out(),
                        "in_tune": [shots.rings_in_tune(s) for s in sounds]}
        return shots

    @cached_property
    def real_nearest(self) -> list[int | None]:
        """Per real sample, the piece its leave-one-out nearest centroid belongs to (None: not
        judged; oneshot.loo_nearest_piece)."""
        return oneshot.loo_nearest_piece(self.sounds)

    def generate(self, ckpt: Checkpoint, gen: GenerationOptions) -> list[Take]:
        """TAKES_PER_LAYER takes of every evaluated layer, judged against the real samples."""
        # Per-note streams whatever pack uses: the figures stay comparable with those measured
        # before pack moved to the voices (the two engines measure alike: docs/drums.md).
        takes = generate_takes(ckpt, self.layers, TAKES_PER_LAYER, gen, engine="notes")
        judge(takes, self.ref)
        return takes

    def add_to(self, ev: Evaluation, ckpt: Checkpoint, gen: GenerationOptions) -> None:
        """Generate and measure the takes; put the block and its bars into ev.report."""
        block = self.block(self.generate(ckpt, gen), self.column_decays(ckpt.stats))
        block["onset_candidates"] = gen.onset_candidates
        block["searched_by"] = gen.searched_by
        block["piece_min_p"] = gen.piece_min_p_record  # the takes' min-p per piece (over gen.min_p)
        block["piece_min_p_attack"] = gen.piece_min_p_attack_record  # samples before each P
        report = ev.report
        report["oneshot"] = block
        for bar in report["bars"]:
            if bar["name"] in PITCHED_BARS:
                why = "see no clipping or stuck output" if bar["name"] == "clipping" else "not for drums"
                bar.update(passed=None, target=why)
        report["bars"] += oneshot_bars(block)
        judged = [b["passed"] for b in report["bars"] if b["passed"] is not None]
        report["passed"] = bool(judged) and all(judged)

    def rings_in_tune(self, sound: oneshot.Sound) -> bool | None:
        """Whether a sound of a piece that rings (`tones`) rings at its piece's resonance
        (measures.resonance.in_tune); None for a piece that does not ring."""
        want = self.tones.get(sound.key)
        return None if want is None or sound.resonance is None else in_tune(sound.resonance, want)

    def column_decays(self, stats: BankStats) -> dict[tuple[int, int], float | None]:
        """Per evaluated layer, the decay (ms) of the level column its takes are generated with
        (measures.oneshot.column_decay_ms, a hit of the kit's length: render.drums.held_samples)."""
        return {(k, v): oneshot.column_decay_ms(stats, k, v, held_samples(stats, k, v))
                for k, v in self.layers}

    def block(self, takes: list[Take],
              column_decays: dict[tuple[int, int], float | None] | None = None) -> dict[str, Any]:
        """The report's "oneshot" block: generated vs real shares, per piece, definitions; with
        `column_decays` (OneShotEval.column_decays), how the takes' decays follow their level column."""
        evaluated, layers = {v for _, v in self.layers}, set(self.layers)
        real_dyn = oneshot.dynamics([s for s in self.sounds if (s.key, s.velocity) in layers])
        gen_dyn = oneshot.dynamics([t.sound for t in takes])
        generated = {c: _share([t.checks.get(c) for t in takes]) for c in CHECKS}
        generated["dynamics"] = _rising_share(gen_dyn)
        if self.judge is not None and self.sample_rate:
            sr, judge = self.sample_rate, self.judge
            generated["like_mfcc"] = _share([judge.nearest_piece(oneshot.mfcc_features(t.audio, sr)) == t.key
                                             for t in takes])
        generated["in_tune"] = _share([self.rings_in_tune(t.sound) for t in takes])
        real = self.real_shares()
        real["dynamics"] = _rising_share(real_dyn)
        return {"takes_per_layer": TAKES_PER_LAYER, "n_takes": len(takes), "layers": self.layers,
                "velocities": sorted(evaluated), "generated": generated, "real": real,
                "real_pooled": self.real_shares(pooled=True),
                "loudness_error_db": loudness_error(gen_dyn, real_dyn),
                "floor_excess_db": floor_excess(takes, self.floors),
                "per_piece": self.per_piece(takes, gen_dyn, real_dyn),
                "confusion": self.confusion(takes),
                "tones": {str(k): hz for k, hz in self.tones.items() if k in {p for p, _ in self.layers}},
                "column_decay": self.column_decay(takes, column_decays) if column_decays else None,
                "definitions": DEFINITIONS}

    def column_decay(self, takes: list[Take], told: dict[tuple[int, int], float | None]) -> dict[str, Any]:
        """generated: the share of takes whose decay lies within DECAY_TOLERANCE of their level
        column's (`told`); envelopes: the share of evaluated layers whose level column itself decays
        within it of the piece's real median — the decay bar's share for a model that played the
        kit's envelopes exactly (no bar: docs/drums.md, *What the decay bar asks*)."""
        return {
            "generated": _share([oneshot.decay_close(t.sound.decay_ms, told.get((t.key, t.velocity)))
                                 for t in takes]),
            "envelopes": _share([oneshot.decay_close(told.get(lay), self.ref.decay.get(lay[0]))
                                 for lay in self.layers]),
            "per_layer_ms": {f"{k}/{v}": told.get((k, v)) for k, v in self.layers},
        }

    def confusion(self, takes: list[Take]) -> dict[str, list[list[int]]]:
        """The likeness judge's answers as [asked, judged, count] rows (GM keys), sorted: "generated",
        each take's piece against the piece whose centroid lies nearest it; "real", each real
        sample of the evaluated pieces against its leave-one-out nearest (samples of a piece with
        one sample left out). The report's counts behind likeness.png (evaluate.view_likeness)."""
        pieces = {k for k, _ in self.layers}
        real = Counter((s.key, k) for s, k in zip(self.sounds, self.real_nearest, strict=True)
                       if k is not None and s.key in pieces)
        gen = Counter((t.key, t.values["nearest_piece"]) for t in takes
                      if t.values.get("nearest_piece") is not None)
        return {"real": [[a, j, n] for (a, j), n in sorted(real.items())],
                "generated": [[a, j, n] for (a, j), n in sorted(gen.items())]}

    @cached_property
    def floors(self) -> dict[int, float | None]:
        """Per piece, the median band floor of its real samples (oneshot.band_floor_db), dB."""
        return {k: _median([oneshot.band_floor_db(s.features) for s in self.sounds if s.key == k])
                for k in sorted({s.key for s in self.sounds})}

    def real_shares(self, pooled: bool = False) -> dict[str, float | None]:
        """The real samples' share of each check, the ceilings: over the evaluated layers, each
        layer counted once (the mean of its samples), as the takes weigh them — or, `pooled`, over
        every real sample of the kit, whatever its layer (the ceiling before 2026-12-05: a piece
        with one layer counted 1/97 there and 4/152 among the takes; docs/drums.md, *Measures*)."""
        if pooled:
            return {c: _share(v) for c, v in self.checks.items()}
        return {c: self.layer_share(v, self.layers) for c, v in self.checks.items()}

    def layer_share(self, values: list[bool | None], layers: list[tuple[int, int]]) -> float | None:
        """The mean over `layers` of each layer's share of `values` (one per real sample); layers
        without a judged sample are left out; None when none is judged."""
        per = [_share([v for s, v in zip(self.sounds, values, strict=True) if (s.key, s.velocity) == layer])
               for layer in layers]
        return _share(per)

    def per_piece(self, takes: list[Take], gen_dyn: dict, real_dyn: dict) -> dict[str, Any]:
        """Per piece: generated shares, median decay and loudness per velocity next to the real."""
        out = {}
        for key in sorted({k for k, _ in self.layers}):
            mine = [t for t in takes if t.key == key]
            mine_layers = [lay for lay in self.layers if lay[0] == key]
            out[str(key)] = {
                "name": piece_name(key),
                "generated": {**{c: _share([t.checks.get(c) for t in mine]) for c in CHECKS},
                              "in_tune": _share([self.rings_in_tune(t.sound) for t in mine]),
                              "decay_ms": _median([t.sound.decay_ms for t in mine]),
                              "floor_db": _median([oneshot.band_floor_db(t.sound.features) for t in mine]),
                              "taken_for": taken_for(mine), **_ringing([t.sound for t in mine]),
                              **_loudness(gen_dyn.get(key))},
                "real": {**{c: self.layer_share(self.checks[c], mine_layers) for c in ("attack", "decay")},
                         "decay_ms": self.ref.decay.get(key), "spread_db": self.ref.spread.get(key),
                         "resonance_hz": self.tones.get(key),
                         "floor_db": self.floors.get(key),
                         "in_tune": self.layer_share(self.checks["in_tune"], mine_layers),
                         **_ringing([s for s in self.sounds if s.key == key]),
                         **_loudness(real_dyn.get(key))},
            }
        return out


def real_checks(sounds: list[oneshot.Sound], splits: list[str], ref: oneshot.KitReference,
                nearest: list[int | None]) -> dict[str, list[bool | None]]:
    """Per check, each real sample's answer: like — its nearest centroid without itself is its own
    piece (`nearest`: oneshot.loo_nearest_piece of `sounds`); novel — (val/test samples only) the
    novelty floor from the train split; distinct — the floor from the nearest other sample of its
    piece; attack, decay, clean as for a take."""
    near = oneshot.nearest_sibling(sounds, by_velocity=False)
    return {
        "like": [None if k is None else k == s.key for s, k in zip(sounds, nearest, strict=True)],
        "novel": [None if sp == "train" else ref.is_new(s.key, ref.nearest_train(s.features))
                  for s, sp in zip(sounds, splits, strict=True)],
        "distinct": [ref.is_new(s.key, d) for s, d in zip(sounds, near, strict=True)],
        "attack": [oneshot.attack_ok(s) for s in sounds],
        "decay": [oneshot.decay_ok(s, ref) for s in sounds],
        "clean": [s.clean for s in sounds],
    }


def taken_for(takes: list[Take]) -> dict[str, int]:
    """{key: takes}: the pieces whose centroid the takes of one piece lay nearest to instead of
    their own (Take.values["nearest_piece"], set by render.pack.judge), most first."""
    own = {t.key for t in takes}
    counts = Counter(t.values.get("nearest_piece") for t in takes)
    return {str(k): n for k, n in counts.most_common() if k is not None and k not in own}


def loudness_error(gen_dyn: dict, real_dyn: dict) -> dict[str, float | None]:
    """How far the takes' loudness lies from the real layer's (dB, generated − real, the loudest
    10 ms frames' medians of oneshot.dynamics): the median absolute error over every evaluated
    (piece, velocity), and the median signed error at each piece's softest and loudest velocity."""
    every: list[float] = []
    softest: list[float] = []
    loudest: list[float] = []
    for key, real in real_dyn.items():
        gen = gen_dyn.get(key, {}).get("loudness_db", {})
        diff = [gen[v] - real["loudness_db"][v] for v in sorted(real["loudness_db"]) if v in gen]
        every += [abs(d) for d in diff]
        if len(diff) > 1:
            softest.append(diff[0])
            loudest.append(diff[-1])
    return {"median_abs": _median(every), "softest": _median(softest), "loudest": _median(loudest)}


def floor_excess(takes: list[Take], real: dict[int, float | None]) -> float | None:
    """The median over takes of how far a take's band floor (oneshot.band_floor_db) lies over its
    piece's real one (`real`: OneShotEval.floors), dB; None without a take of a piece the kit has."""
    return _median([oneshot.band_floor_db(t.sound.features) - r for t in takes
                    if (r := real.get(t.key)) is not None])


DEFINITIONS = {
    "features": f"log-mel picture of a sound's first {oneshot.FEATURE_SECONDS:g} s from its onset "
    f"({oneshot.FEATURE_MEL.n_mels} bands), dB under its own peak floored at -{oneshot.FEATURE_FLOOR_DB:g}; "
    "distance = RMS difference in dB",
    "like": "share of takes whose nearest piece centroid (mean feature of the piece's real samples) is "
    "their own piece; real: each real sample against the centroids of the others",
    "like_mfcc": "the second judge (no bar): as like, by the nearest centroid of "
    f"{oneshot.MFCC_COEFFS} MFCCs' mean and spread over the first {oneshot.FEATURE_SECONDS:g} s, each "
    "standardised over the real samples",
    "novel": f"share of takes whose nearest training sample is at least {oneshot.NOVELTY_RATIO:g} × the "
    "piece's spread away (spread: median distance from a real layer to the nearest other real layer "
    "of the piece, copies left out); real: the val/test samples against the train split",
    "distinct": "share of takes at least that floor away from every other take of their piece and "
    "velocity; real: each sample from the nearest other sample of its piece",
    "attack": f"share whose envelope comes within {oneshot.ATTACK_NEAR_DB:g} dB of its peak within "
    f"{oneshot.ATTACK_MS:g} ms of the onset",
    "decay": f"share whose decay (loudest 10 ms frame until {oneshot.DECAY_DROP_DB:g} dB below it for good) "
    f"is within {oneshot.DECAY_TOLERANCE:.0%} of the piece's real median",
    "clean": "share without a sample at or beyond full scale and without more than "
    f"{oneshot.STUCK_SECONDS * 1000:g} ms held at one sample value at least {oneshot.STUCK_LEVEL:g} "
    "from zero (a stuck output)",
    "column_decay": f"generated: share of takes whose decay is within {oneshot.DECAY_TOLERANCE:.0%} of the "
    "decay of the level column they were generated with (the kit's typical envelope for the piece and "
    "velocity: how closely the model follows it); envelopes: share of the evaluated layers whose level "
    "column itself decays within that of the piece's real median, what the decay bar would give a "
    "model that followed its level column exactly (no bar); per_layer_ms: each layer's column decay",
    "dynamics": "share of pieces whose loudest 10 ms frame (median per velocity) rises strictly with "
    "velocity at the evaluated velocities (the lowest, middle and highest layer of each piece)",
    "loudness_error_db": "generated − real loudest 10 ms frame (median per piece and velocity), dB: the "
    "median absolute error over the evaluated layers, and the median signed error at each piece's "
    "softest and loudest evaluated velocity (no bar)",
    "floor_excess_db": "generated − real band floor, dB: a picture's floor is the median over its "
    "bands of each band's mean over the frames (dB under its peak; noise under a tone raises it); "
    "the median over takes of each take's floor over its piece's real median (per piece: floor_db; "
    "no bar)",
    "taken_for": "per piece, the other pieces its takes lay nearest to (takes), most first",
    "in_tune": "share of the takes of the pieces that ring (tones: a piece whose real samples' bodies, "
    f"{resonance.BODY_SECONDS[0]:g}-{resonance.BODY_SECONDS[1]:g} s after the onset, hold at least "
    f"{resonance.TONAL_SHARE:.0%} of their power within ±{resonance.PEAK_BAND:.0%} of one peak, Hz) whose "
    f"own body holds that share at its peak and that peak lies within {resonance.TUNE_CENTS:g} cents of "
    "the piece's (no bar); per piece: peak_hz, the median peak, and ringing, the median share at it",
    "real": "the ceilings: each check on the real samples of the evaluated layers, each layer counted "
    "once (the mean of its samples) as the takes weigh them; real_pooled: over every real sample",
    "bars": f"generated share >= {BAR_SHARE:.0%} or the real share, whichever is lower (clean: all, "
    "or the real share)",
}


def oneshot_bars(block: dict[str, Any]) -> list[dict[str, Any]]:
    """One bar per one-shot measure: generated share against min(BAR_SHARE, real share)."""
    bars = []
    for name in (*CHECKS, "dynamics"):
        value, real = block["generated"][name], block["real"][name]
        want = 1.0 if name == "clean" else BAR_SHARE
        target = want if real is None else min(want, real)
        passed = None if value is None else value >= target - 1e-9
        # a share that fails by less than the printed percent shows its tenths: 98.1 % under 98.5 %
        kind = "%.1" if passed is False and f"{value:.0%}" == f"{target:.0%}" else "%"
        bars.append({"name": LABELS[name], "value": value, "kind": kind,
                     "target": f">= {fmt(target, kind)} (real {fmt(real, kind)})", "passed": passed})
    return bars


def oneshot_table(report: dict[str, Any]) -> Table | None:
    """Measure | real (ceiling) | generated | bar | result; None without a one-shot block."""
    block = report.get("oneshot")
    if not block:
        return None
    bars = {b["name"]: b for b in report["bars"]}
    per, most = block["takes_per_layer"], block.get("onset_candidates", 1)
    how = block.get("searched_by") or "level"
    searched = f", each hit the best of up to {most} starts by {how}" if most > 1 else ""
    cut = sum(1 for p in (block.get("piece_min_p") or {}).values() if p)
    searched += f", {cut} pieces at their own min-p" if cut else ""
    t = Table(title=f"drum one-shots: {block['n_takes']} takes ({per} per piece and velocity{searched})")
    for col in ("measure", "real", "generated", "bar", ""):
        t.add_column(col, justify="left" if col == "measure" else "right")
    for name in (*CHECKS, "dynamics"):
        b = bars[LABELS[name]]
        kind = b.get("kind", "%")
        t.add_row(LABELS[name], fmt(block["real"][name], kind), fmt(block["generated"][name], kind),
                  b["target"], ok(b["passed"]))
    if block["generated"].get("like_mfcc") is not None:  # no bar: a check on the likeness bar's judge
        t.add_row("likeness, second judge (MFCC)", fmt(block["real"].get("like_mfcc"), "%"),
                  fmt(block["generated"]["like_mfcc"], "%"), "no bar", "")
    if block["generated"].get("in_tune") is not None:
        n = len(block.get("tones") or {})
        t.add_row(f"rings in tune ({n} tonal piece{'s' * (n != 1)})",
                  fmt(block["real"].get("in_tune"), "%"), fmt(block["generated"]["in_tune"], "%"), "no bar",
                  "")
    loud = block.get("loudness_error_db")
    if loud and loud["median_abs"] is not None:
        ends = ", ".join(f"{k} {loud[k]:+.1f}" for k in ("softest", "loudest") if loud[k] is not None)
        t.add_row("loudness off the real layer", "", f"{loud['median_abs']:.1f} dB",
                  f"{ends} dB" if ends else "", "")
    told = block.get("column_decay")
    if told and told["generated"] is not None:
        t.add_row("decay as its level column tells", "", fmt(told["generated"], "%"),
                  f"envelopes alone {fmt(told['envelopes'], '%')}", "")
    if block.get("floor_excess_db") is not None:
        t.add_row("band floor over the real", "", f"{block['floor_excess_db']:+.1f} dB", "", "")
    return t


def playing(options: EvaluateOptions, ckpt: Checkpoint) -> GenerationOptions:
    """The temperature, attack curve and min-p `ckpt` is evaluated at: evaluate's --temperature,
    --attack-temperature and --min-p, each the checkpoint's own where not given
    (GenerationOptions.for_checkpoint)."""
    given = GenerationOptions(temperature=options.temperature, attack_temperature=options.attack_temperature,
                              min_p=options.min_p)
    return given.for_checkpoint(ckpt)


def generation(options: EvaluateOptions, ckpt: Checkpoint, seed: int, device: Any,
               progress: ProgressFn | None) -> GenerationOptions:
    """The takes' GenerationOptions from evaluate's options: each hit the best of up to
    options.onset_candidates starts, as pack and synth make them (OnsetSearch.for_hits)."""
    gen = replace(playing(options, ckpt), seed=seed, batch_size=options.batch_size, device=device,
                  threads=options.threads, progress=progress)
    return gen.with_onset_search(options.onset_candidates, ckpt.sample_rate, hits=True,
                                 pieces=ckpt.hit_pieces)


def _share(values: list[bool | None] | list[float | None]) -> float | None:
    judged = [v for v in values if v is not None]
    return float(np.mean(judged)) if judged else None


def _ringing(sounds: list[oneshot.Sound]) -> dict[str, float | None]:
    """The median peak (Hz) and ringing share of `sounds`' bodies (oneshot.Sound.resonance)."""
    found = [s.resonance for s in sounds if s.resonance is not None]
    return {"peak_hz": _median([f[0] for f in found]), "ringing": _median([f[1] for f in found])}


def _median(values: list[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return float(np.median(kept)) if kept else None


def _rising_share(dyn: dict[int, dict[str, Any]]) -> float | None:
    return _share([d["rising"] for d in dyn.values()])


def _loudness(d: dict[str, Any] | None) -> dict[str, Any]:
    if d is None:
        return {"loudness_db": {}, "rising": None}
    return {"loudness_db": {str(v): round(x, 2) for v, x in d["loudness_db"].items()}, "rising": d["rising"]}
