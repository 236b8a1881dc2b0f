"""`samplernn pack`: a sample pack of new drum one-shots from a drum model.

    from samplernn.render.pack import PackOptions, make_pack
    report = make_pack(ckpt, "pack/", PackOptions(pieces=("kick", "snare"), takes=8, best=3))

Every take of every (piece, velocity) is generated at once as a one-shot of the kit's length
(render.hits.strike: on the live engine's voices, or as one batch of per-note streams), and
measured (measures.oneshot) against the kit's real samples — the dataset given, else the one the
model was trained on when it is still there, else the bank statistics alone (then decay only: no
likeness, no novelty). `best` keeps the K best takes of each (piece, velocity) by `score_take`,
each new one at least the novelty floor away from those kept before it where the takes allow; a
(piece, velocity) with fewer than K `usable` takes is drawn again first (`redraw`), up to
PackOptions.redraws rounds.

The pack folder: one WAV per take, `<key>-<piece>_v<velocity>_<take>.wav`; `index.json` with each
take's measures; `sheet.png`, the takes' spectrograms. It is written beside OUT and swapped in
whole; an OUT that holds anything but a pack is refused.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from samplernn.common.audio import under_full_scale, write_wav
from samplernn.common.errors import UserError
from samplernn.common.files import SYSTEM_FILES, check_output_folder, write_json
from samplernn.data.dataset import PreparedDataset, is_dataset_info, load_dataset
from samplernn.generate.options import GenerationOptions
from samplernn.measures import oneshot
from samplernn.measures.resonance import ringing_peak
from samplernn.model.checkpoint import Checkpoint
from samplernn.prepare.output import check_replaceable, staging
from samplernn.render.drums import (
    check_same_kind,
    held_samples,
    is_drum_model,
    kit_keys,
    piece_name,
    piece_slug,
    resolve_pieces,
)
from samplernn.render.hits import strike
from samplernn.render.pack_options import PackOptions
from samplernn.render.pack_sheet import Hit, plot_sheet
from samplernn.render.voices import check_render_engine, pick_render_engine

INDEX_FILE = "index.json"
SHEET_FILE = "sheet.png"
CREATED_BY = "samplernn pack"
DEFINITIONS = {
    "attack_ms": f"ms from the take's start (its note-on) until its envelope comes within "
    f"{oneshot.ATTACK_NEAR_DB:g} dB of its peak; good <= {oneshot.ATTACK_MS:g} ms",
    "decay_ms": f"ms from the loudest 10 ms frame until the level stays {oneshot.DECAY_DROP_DB:g} dB "
    f"below it; good within {oneshot.DECAY_TOLERANCE:.0%} of the real piece's median (decay_ref_ms)",
    "loudness_db": "the loudest 10 ms frame (RMS over 20 ms centred on every 10th ms: "
    "conditioning.level_db), dBFS; per piece it should rise with velocity",
    "like": "the nearest centroid of the real samples' log-mel features is the take's own piece",
    "novel": f"distance to the nearest training sample (nearest_train_db) >= {oneshot.NOVELTY_RATIO:g} × "
    "the median distance between two real layers of the piece (novelty_floor_db), and over "
    f"{oneshot.COPY_DB:g} dB (closer is a copy)",
    "distinct": "distance to the nearest other take of the piece and velocity (nearest_take_db) is new "
    "by the same rule",
    "score": "checks passed, minus half the decay's relative error (at most 1)",
    "stuck": f"more than {oneshot.STUCK_SECONDS * 1000:g} ms held at one sample value at least "
    f"{oneshot.STUCK_LEVEL:g} from zero (a stuck output; checks.clean is false for it, as for a clipped "
    "take)",
    "gain_db": "gain applied to the take's file: 0, or below 0 for a take that reached full scale (clipped: "
    "true), lowered to a -1 dBFS peak instead of clipped; the measures are of the take as generated",
}


@dataclass
class Take:
    """One generated one-shot: float32 audio (n,) from its note-on, its measures and checks."""

    key: int
    velocity: int
    number: int  # 1-based within its (piece, velocity)
    audio: np.ndarray = field(repr=False)
    sound: oneshot.Sound = field(repr=False)
    checks: dict[str, bool | None] = field(default_factory=dict)
    values: dict[str, float | int | None] = field(default_factory=dict)
    score: float = 0.0
    draw: int = 0  # the round it was drawn in: 0 the first, 1.. a redraw (`redraw`)

    @property
    def file(self) -> str:
        return f"{piece_slug(self.key)}_v{self.velocity:03d}_{self.number:02d}.wav"

    def record(self, sample_rate: int) -> dict[str, Any]:
        """The take's entry in index.json."""
        s = self.sound
        return {"file": self.file, "key": self.key, "piece": piece_name(self.key), "velocity": self.velocity,
                "take": self.number, "seconds": round(len(self.audio) / sample_rate, 3),
                "attack_ms": _round(s.attack_ms), "decay_ms": _round(s.decay_ms),
                "loudness_db": _round(s.loudness_db), "clipped": s.clipped, "stuck": s.stuck,
                "band_floor_db": _round(oneshot.band_floor_db(s.features)), **_ring(s),
                **{k: _round(v) for k, v in self.values.items()}, "checks": self.checks,
                "score": round(self.score, 3), "draw": self.draw}


def _ring(sound: oneshot.Sound) -> dict[str, float | None]:
    """A take's ring for index.json: `ring_hz`, the Hz its body rings at (measures.resonance.
    ringing_peak: a tom's, a cowbell's pitch; None for a snare, a hat, a cymbal), and `ringing`,
    the share of the body's power at its peak (0-1)."""
    if sound.resonance is None:
        return {"ring_hz": None, "ringing": None}
    peak = ringing_peak(sound.resonance)
    return {"ring_hz": None if peak is None else round(peak, 1), "ringing": round(sound.resonance[1], 3)}


def _round(v: Any) -> Any:
    return round(float(v), 2) if isinstance(v, float | np.floating) else v


def generate_takes(
    ckpt: Checkpoint, layers: list[tuple[int, int]], takes: int, generation: GenerationOptions,
    lead: float = 0.25, tail: float = 0.1, engine: str = "notes",
) -> list[Take]:
    """`takes` takes of every (key, velocity) of `layers`, each a hit of the kit's length
    (render.hits.strike on `engine`), measured. Raises ValueError for an unknown engine."""
    sr = ckpt.sample_rate
    gen = generation.for_checkpoint(ckpt)
    hits = [(k, v, held_samples(ckpt.stats, k, v)) for k, v in layers for _ in range(takes)]
    audio = strike(ckpt, hits, gen, lead, tail, engine)
    out = []
    for i, x in enumerate(audio):
        key, velocity = layers[i // takes]
        out.append(Take(key, velocity, i % takes + 1, x, oneshot.measure(x, sr, key, velocity)))
    return out


def kit_sounds(ds: PreparedDataset, mfcc: bool = False) -> tuple[list[oneshot.Sound], list[str]]:
    """Every real sample of the dataset measured from its onset (with `mfcc`, by the second likeness
    judge's features too: oneshot.measure), and its split."""
    sr = ds.sample_rate
    sounds = [oneshot.measure(ds.load_audio(r), sr, r.pitch, r.velocity, r.onset, mfcc) for r in ds.notes]
    return sounds, [r.split for r in ds.notes]


def kit_reference(sounds: list[oneshot.Sound], splits: list[str]) -> oneshot.KitReference:
    """The reference of the real samples; the training samples are those of the train split."""
    return oneshot.KitReference.from_sounds(sounds, [s for s, sp in zip(sounds, splits, strict=True)
                                                     if sp == "train"])


def judge(takes: list[Take], ref: oneshot.KitReference) -> None:
    """Fill each take's checks, values and score against `ref` (likeness and novelty only when
    the reference holds samples)."""
    siblings = oneshot.nearest_sibling([t.sound for t in takes])
    for t, sib in zip(takes, siblings, strict=True):
        s = t.sound
        t.values = {"decay_ref_ms": ref.decay.get(t.key), "nearest_take_db": sib}
        t.checks = {"attack": oneshot.attack_ok(s), "decay": oneshot.decay_ok(s, ref), "clean": s.clean}
        if ref.centroids:
            near, dist = ref.nearest_piece(s.features), ref.nearest_train(s.features)
            floor = ref.novelty_floor(t.key)
            t.values.update(nearest_piece=near, nearest_train_db=dist, novelty_floor_db=floor)
            t.checks.update(like=near == t.key, novel=ref.is_new(t.key, dist),
                            distinct=ref.is_new(t.key, sib))
        t.score = score_take(t)


def score_take(t: Take) -> float:
    """Checks passed, minus half the decay's relative error (capped at 1)."""
    want, got = t.values.get("decay_ref_ms"), t.sound.decay_ms
    err = min(1.0, abs(got - want) / max(want, 10.0)) if want is not None and got is not None else 0.0
    return sum(v is True for v in t.checks.values()) - 0.5 * err


def keep_best(takes: list[Take], k: int, ref: oneshot.KitReference) -> list[Take]:
    """The k best takes of each (piece, velocity) by score, renumbered 1..k by rank; a take that is
    not new next to one kept already (KitReference.is_new) waits until the distinct ones are used up,
    and a stuck one (oneshot.Sound.stuck) until every other is."""
    kept: list[Take] = []
    for layer in dict.fromkeys((t.key, t.velocity) for t in takes):
        ranked = sorted((t for t in takes if (t.key, t.velocity) == layer), key=_rank)
        chosen: list[Take] = []
        for t in ranked:
            if len(chosen) < k and not t.sound.stuck and all(_apart(t, c, ref) for c in chosen):
                chosen.append(t)
        chosen += [t for t in ranked if all(t is not c for c in chosen)][: k - len(chosen)]
        for rank, t in enumerate(sorted(chosen, key=_rank), 1):
            t.number = rank
            kept.append(t)
    return kept


def usable(t: Take) -> bool:
    """A take a producer can use as it is: like its piece, new (no copy of a training sample) and
    clean (neither clipped nor stuck). False where likeness or novelty were not judged."""
    return t.checks.get("like") is True and t.checks.get("novel") is True and t.checks.get("clean") is True


def redraw(ckpt: Checkpoint, takes: list[Take], options: PackOptions, gen: GenerationOptions,
           ref: oneshot.KitReference, rounds: RoundProgress | None = None) -> list[Take]:
    """`takes` and, for each (piece, velocity) with fewer than options.best `usable` takes, up to
    options.redraws rounds of options.takes new ones (only the layers still short are drawn again;
    each round its own seed, `round_seed`), all judged against `ref`. Nothing is drawn without
    options.best or without real samples in `ref` (likeness unjudged). `rounds`: the progress count
    the first takes were generated on, which the rounds go on counting (None: gen.progress afresh)."""
    if options.best is None or not ref.centroids:
        return takes
    rounds = rounds or RoundProgress(gen.progress)
    for r in range(1, options.redraws + 1):
        good = Counter((t.key, t.velocity) for t in takes if usable(t))
        short = [layer for layer in _drawn(takes) if good[layer] < options.best]
        if not short:
            break
        rounds.next(f"drawing again for {len(short)} layers (round {r} of at most {options.redraws})")
        more = generate_takes(ckpt, short, options.takes, replace(round_seed(gen, r), progress=rounds.update),
                              options.lead, options.tail, options.engine)
        for t in more:
            t.number += r * options.takes
            t.draw = r
        takes = takes + more
        judge(takes, ref)
    return takes


class RoundProgress:
    """One progress count over the rounds of `redraw`: a round's stream-samples are counted on from
    where the rounds before it ended (the first, make_pack's own generation, reported on `progress`
    with its total), so the bar's count and ETA go on instead of starting again. A round adds its
    work to the total, so the percentage falls when it starts: its reports carry the round's
    `label`, which the bar shows instead of its own (common.progress.progress_bar)."""

    def __init__(self, progress: Any) -> None:
        self.progress, self.base, self.last = progress, 0, 0
        self.label: str | None = None

    def next(self, label: str) -> None:
        """A new round, said as `label`: its counts start where the last total ended."""
        self.base += self.last
        self.last = 0
        self.label = label

    def update(self, done: int, total: int | None = None, **values: Any) -> None:
        """A generation's progress(done, total) in stream-samples, passed on counted from `base`."""
        if self.progress is None:
            return
        if total is not None:
            self.last = total
        if self.label is not None:
            values = {**values, "label": self.label}
        self.progress(self.base + done, None if total is None else self.base + total, **values)


def round_seed(gen: GenerationOptions, r: int) -> GenerationOptions:
    """`gen` with the seed of redraw round `r` (a fresh draw of the same streams: numpy's
    SeedSequence of (seed, r)); None stays None (fresh entropy)."""
    if gen.seed is None:
        return gen
    return replace(gen, seed=int(np.random.SeedSequence([gen.seed, r]).generate_state(1)[0]))


def _apart(a: Take, b: Take, ref: oneshot.KitReference) -> bool:
    return bool(ref.is_new(a.key, oneshot.feature_distance(a.sound.features, b.sound.features)))


def _rank(t: Take) -> tuple[bool, float, int]:
    # a stuck take is a broken sound, not a weaker one: kept only when nothing else is left
    return t.sound.stuck, -t.score, t.number


@dataclass
class PackReport:
    """What `make_pack` wrote: the folder, the takes, the index and where the reference came from."""

    out: Path
    takes: list[Take]
    index: dict[str, Any]
    reference: str


def make_pack(
    ckpt: Checkpoint, out: str | Path, options: PackOptions, dataset: str | Path | None = None,
    source: str = "",
) -> PackReport:
    """Generate, measure and write a pack (see the module docstring); `source` names the checkpoint
    in the index. Raises UserError for a model that is not a drum model, an unknown piece or engine,
    an unreadable dataset or an OUT that is not a pack."""
    out = Path(out)
    check_render_engine(options.engine)
    check_out(out)
    if not is_drum_model(ckpt):
        raise UserError(f"{source or 'the checkpoint'}: not a drum model (not trained on a drum kit); "
                        "pack writes drum one-shots")
    kit = kit_keys(ckpt.stats)
    keys = resolve_pieces(options.pieces, kit) if options.pieces else kit
    ref, where, hits = reference(ckpt, dataset, keys, options.best or options.takes)
    layers = [(k, v) for k in keys for v in options.velocities]
    gen = pack_generation(options, ckpt)
    rounds = RoundProgress(gen.progress)
    takes = generate_takes(ckpt, layers, options.takes, replace(gen, progress=rounds.update), options.lead,
                           options.tail, options.engine)
    judge(takes, ref)
    takes = redraw(ckpt, takes, options, gen, ref, rounds)
    drawn = _drawn(takes)
    if options.best is not None:
        takes = keep_best(takes, options.best, ref)
        judge(takes, ref)
    for t in takes:  # measured as generated; written without clipping
        t.audio, t.values["gain_db"] = under_full_scale(t.audio)
    index = build_index(takes, ckpt, options, gen, source, where, drawn)
    with staging(out, keep=_still_a_pack) as tmp:
        for t in takes:
            write_wav(tmp / t.file, t.audio, ckpt.sample_rate, options.bit_depth)
        plot_sheet(tmp / SHEET_FILE, takes, ckpt.sample_rate, f"samplernn pack: {Path(source).name}", hits)
        write_json(tmp / INDEX_FILE, index)
    return PackReport(out, takes, index, where)


def pack_generation(options: PackOptions, ckpt: Checkpoint) -> GenerationOptions:
    """How the pack's takes are generated: options.generation at the checkpoint's temperature unless
    given, each hit the best of options.onset_candidates starts (OnsetSearch.for_hits)."""
    gen = options.generation.for_checkpoint(ckpt)
    return gen.with_onset_search(options.onset_candidates, ckpt.sample_rate, hits=True,
                                 pieces=ckpt.hit_pieces)


def reference(
    ckpt: Checkpoint, dataset: str | Path | None, keys: list[int], n_hits: int
) -> tuple[oneshot.KitReference, str, list[Hit]]:
    """The kit reference, a line saying where it came from and up to `n_hits` real hits of each of
    `keys` for the sheet: from `dataset`, else the dataset the checkpoint was trained on when
    still there, else the bank statistics (decays only, no hits)."""
    if dataset is None:
        recorded = (ckpt.payload.get("dataset") or {}).get("path")
        if recorded and is_dataset_info(Path(recorded) / "dataset.json"):
            dataset = recorded
    if dataset is None:
        where = "the bank statistics (no samples: give --dataset)"
        return oneshot.KitReference.from_stats(ckpt.stats), where, []
    ds = load_dataset(dataset)
    if ds.sample_rate != ckpt.sample_rate:
        raise UserError(f"{dataset}: {ds.sample_rate} Hz, the model is {ckpt.sample_rate} Hz")
    check_same_kind(ckpt, ds, "the model")
    return kit_reference(*kit_sounds(ds)), f"the real samples of {dataset}", real_hits(ds, keys, n_hits)


def real_hits(ds: PreparedDataset, keys: list[int], n: int) -> list[Hit]:
    """Up to n real hits of each key, their velocities spread from the softest to the hardest."""
    hits = []
    for key in keys:
        notes = sorted((r for r in ds.notes if r.pitch == key), key=lambda r: (r.velocity, r.id))
        if not notes:
            continue
        picks = np.unique(np.linspace(0, len(notes) - 1, min(n, len(notes))).round().astype(int))
        hits += [Hit(key, notes[i].velocity, j + 1, ds.load_audio(notes[i])[notes[i].onset :])
                 for j, i in enumerate(picks)]
    return hits


def build_index(takes: list[Take], ckpt: Checkpoint, options: PackOptions, gen: GenerationOptions,
                source: str, where: str, drawn: Counter[tuple[int, int]] | None = None) -> dict[str, Any]:
    """index.json: the pack's settings (`gen`: how the takes were generated, `pack_generation`),
    each piece's dynamics, how many takes were drawn for each of its velocities (`drawn`, from
    `_drawn` before --best kept some: more than --takes where `redraw` drew again) and every take's
    measures."""
    dyn = oneshot.dynamics([t.sound for t in takes])
    drawn = drawn if drawn is not None else _drawn(takes)
    pieces = {str(k): {"name": piece_name(k), "rising": d["rising"],
                       "loudness_db": {str(v): round(x, 2) for v, x in d["loudness_db"].items()},
                       "drawn": {str(v): n for (key, v), n in drawn.items() if key == k}}
              for k, d in dyn.items()}
    return {
        "created_by": CREATED_BY, "checkpoint": source, "step": ckpt.step, "sample_rate": ckpt.sample_rate,
        "settings": {"pieces": list(options.pieces or []), "velocities": list(options.velocities),
                     "takes": options.takes, "best": options.best, "redraws": options.redraws,
                     "seed": gen.seed,
                     "temperature": gen.temperature, "attack_temperature": gen.attack_at,
                     "min_p": gen.active_min_p, "piece_min_p": gen.piece_min_p_record,
                     "piece_min_p_attack": gen.piece_min_p_attack_record,
                     "onset_candidates": gen.onset_candidates,
                     "searched_by": gen.searched_by,
                     "bit_depth": options.bit_depth,
                     "engine": pick_render_engine(options.engine, ckpt.model, gen)},
        "reference": where, "definitions": DEFINITIONS, "pieces": pieces,
        "takes": [t.record(ckpt.sample_rate) for t in takes],
    }


def _drawn(takes: list[Take]) -> Counter[tuple[int, int]]:
    """How many takes each (key, velocity) was given, in order of first appearance."""
    return Counter((t.key, t.velocity) for t in takes)


def pack_files(folder: Path) -> set[str] | None:
    """The names of the files a pack in `folder` wrote (its index, sheet and the takes its index
    lists), or None when `folder` holds no index of a pack."""
    try:
        index = json.loads((folder / INDEX_FILE).read_text())
        if index.get("created_by") != CREATED_BY:
            return None
        return {INDEX_FILE, SHEET_FILE, *(str(t["file"]) for t in index.get("takes", []))}
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        return None


def check_out(out: Path) -> None:
    """UserError unless OUT is new, empty or a pack holding only what it wrote (a re-run replaces
    it whole, so a file of anyone else's there — a take copied under another name — stops it), and
    its parent takes the staging folder (checked before the generation, not after it)."""
    check_replaceable(out, example="./pack")
    _check_pack_folder(out)
    check_output_folder(out.parent, name=out)


def _still_a_pack(out: Path) -> list[str]:
    """Staging's last look before the swap: OUT checked again (a file put there during the
    generation would be deleted with the old pack); nothing to keep."""
    _check_pack_folder(out)
    return []


def _check_pack_folder(out: Path) -> None:
    if out.exists() or out.is_symlink():
        if not out.is_dir():
            raise UserError(f"{out}: exists and is not a folder")
        present = {p.name for p in out.iterdir()}
        if not present - SYSTEM_FILES:
            return
        written = pack_files(out)
        if written is None:
            raise UserError(f"{out}: not empty and not a sample pack; choose a new or empty folder")
        foreign = sorted(present - written - SYSTEM_FILES)
        if foreign:
            shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
            raise UserError(f"{out}: a sample pack that also holds files it did not write ({shown}), "
                            "which a new pack there would delete; move them or choose another folder")
