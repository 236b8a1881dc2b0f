"""How to generate: one set of options, built once by the caller and passed down unchanged to the
engine that uses each of them."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from samplernn.common.progress import ProgressFn
from samplernn.common.threads import MAX_THREADS, env_threads
from samplernn.common.threads import THREADS_ENV as THREADS_ENV  # where the commands and tests took it from
from samplernn.common.truncation import valid_min_p, valid_piece_min_p
from samplernn.generate.min_p import min_p_curve
from samplernn.generate.temperature import AttackSpan, AttackTemperature

if TYPE_CHECKING:  # the options are plain values: importing them must not load torch
    import torch

    from samplernn.measures.oneshot import PieceCentroids
    from samplernn.model.checkpoint import Checkpoint

BACKENDS = ("numba", "torch")
WEIGHT_DTYPES = ("auto", "float32", "float16")
#: The most candidate onsets per note when rendering offline (`OnsetSearch`), tried in rounds of
#: 2, 2, 4: on short trombone notes, best of 4 took 76 % to 91 % in tune and all 8 to 92 %; the
#: rounds with ONSET_ACCEPT give 92 % at 3.9 candidates a note (docs/evaluate.md, "Onset search").
ONSET_CANDIDATES = 8
#: The periodicity score at which the search stops after a round: 5 % of the mistuned onsets
#: score above 0.31, half the in-tune ones above 0.41 (the same notes, measured).
ONSET_ACCEPT = 0.4
#: Seconds after the note-on the onset search scores: the model's notes find their pitch 40–150 ms
#: after the note-on (docs/training.md, "The attack"); 0.10 s chose markedly worse, 0.20 s no better.
ONSET_PROBE_SECONDS = 0.15
#: What a candidate onset is scored by: "periodicity" (a pitched note: does it repeat at its
#: period) or "level" (a drum hit: does its level follow the kit's envelope in the level column).
ONSET_MEASURES = ("periodicity", "level")
#: Seconds after a drum hit's note-on the "level" search scores: on a kit model, best of 4 by the
#: level error of the first 40 ms took the takes with a good attack from 75 % to 85 % and the
#: decays within 30 % of the kit's from 56 % to 64 % (20 ms: 83 / 62 %, 80 ms: 83 / 61 %;
#: docs/drums.md, "Hit search").
HIT_PROBE_SECONDS = 0.04
#: Seconds from each training hit's note-on over which a kit's checkpoint keeps its pieces'
#: log-mel centroids (train.recipe.playing_hints), the window the hit search sets a candidate
#: against them by: the first 40 ms say nothing of which piece a hit is, the body does
#: (docs/drums.md, "Hit search by likeness").
HIT_PIECE_SECONDS = 0.2
#: The "level" score (dB, negated: higher is better) at which the search stops after a round: -2
#: (the best 20 % of single candidates by level error) tried 5.7 of 8 candidates a hit and kept
#: most of the gain of trying all 8; with the attack term, 6.4 (docs/drums.md, "Hit search").
HIT_ACCEPT = -2.0
#: Weight of the likeness margin (dB nearer the own piece's centroid than any other's,
#: measures.oneshot.likeness_margin_db) in a hit candidate's score, beside its level error (dB):
#: on a pool of a two-kit model's takes (generation seeds 0 and 1), best of 8 in rounds stopping at
#: HIT_ACCEPT, 0 / 0.5 / 1 / 1.5 / 2 / 3 took the takes nearest their own piece from 54 % (the
#: level alone) to 59 / 63 / 64.5 / 66 / 67 %, the attacks in time from 95 % to 90–91 % and the
#: decays from 52 % to 49–53 % (docs/drums.md, "Hit search by likeness").
HIT_LIKENESS_WEIGHT = 1.5


def default_threads() -> int:
    """Threads for a batch: $SAMPLERNN_THREADS, else 1 — on a machine others are using, a second
    thread fighting for a busy core costs more (every thread streams all the weights) than it
    brings; on an idle multi-core machine, set it to the number of cores. Raises UsageError for a
    value that is not a whole number >= 1 (common.threads.env_threads)."""
    return env_threads() or 1


@dataclass(frozen=True, kw_only=True)
class OnsetSearch:
    """Best-of-N note onsets (samplernn.generate.onset_search): every stream with a note is
    generated up to `probe_seconds` after its note-on with several draws of random numbers, in
    `rounds` (2, 2, 4, 8 … candidates, at most `candidates` in all) until a round's best
    candidate scores at least `accept`; the best candidate so far, the one whose probe repeats
    most clearly at the note's period (samplernn.measures.periodicity; a drum hit's: whose level
    follows the level column most closely, `for_hits`), is generated to the end.
    The model is unchanged: this spends generation time per note (a candidate costs the probe on
    the streaming engine's voices, the lead and probe on per-note streams) to leave out the onsets
    where the model misses the pitch. Offline only: it needs each note's future.
    sample_rate: the model's rate (Hz), to turn the probe into samples and a pitch into a period.
    accept: math.inf tries all `candidates` for every note (the best of N).
    measure: what a candidate is scored by (ONSET_MEASURES): "periodicity" for pitched notes,
    "level" for drum hits (`for_hits`: how closely the probe's level follows the level column).
    sustain: with "periodicity", also draw again the per-note streams whose notes lose their pitch
    after the probe (samplernn.generate.sustain_search), up to `candidates` redraws a stream.
    Keyword arguments only. Raises ValueError for candidates not a whole number ≥ 1, a probe not
    above 0, an accept score that is NaN, a rate not a whole number above 0 or an unknown measure."""

    sample_rate: int
    candidates: int = ONSET_CANDIDATES
    probe_seconds: float = ONSET_PROBE_SECONDS
    accept: float = ONSET_ACCEPT
    measure: str = "periodicity"
    pieces: PieceCentroids | None = field(default=None, compare=False, repr=False)
    sustain: bool = True

    @classmethod
    def for_hits(cls, sample_rate: int, candidates: int = ONSET_CANDIDATES,
                 pieces: PieceCentroids | None = None) -> OnsetSearch:
        """The search for a drum model's hits: the first HIT_PROBE_SECONDS scored by their level
        error against the level column (measures.oneshot.level_error_db) and how soon they peak
        (onset_search.ATTACK_DB_PER_MS), stopping at HIT_ACCEPT. With the kit's `pieces`
        (measures.oneshot.PieceCentroids, model.checkpoint.Checkpoint.hit_pieces) each candidate
        is generated for pieces.seconds and its score adds HIT_LIKENESS_WEIGHT × how much nearer
        its own piece's centroid it lies than any other's."""
        probe = HIT_PROBE_SECONDS if pieces is None else max(HIT_PROBE_SECONDS, pieces.seconds)
        return cls(sample_rate=sample_rate, candidates=candidates, probe_seconds=probe,
                   accept=HIT_ACCEPT, measure="level", pieces=pieces)

    def __post_init__(self) -> None:
        # numbers.Integral / Real: numpy's scalars count as the numbers they are
        for name in ("candidates", "sample_rate"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"onset search {name} must be a whole number >= 1, got {value!r}")
            object.__setattr__(self, name, int(value))
        probe = self.probe_seconds
        if isinstance(probe, bool) or not isinstance(probe, numbers.Real) or not (math.isfinite(probe)
                                                                                  and probe > 0):
            raise ValueError(f"onset probe must be > 0 seconds, got {probe!r}")
        accept = self.accept
        if isinstance(accept, bool) or not isinstance(accept, numbers.Real) or math.isnan(accept):
            raise ValueError(f"onset accept score must be a number, got {self.accept!r}")
        if self.measure not in ONSET_MEASURES:
            choices = ", ".join(ONSET_MEASURES)
            raise ValueError(f"unknown onset measure {self.measure!r} (choose from {choices})")
        object.__setattr__(self, "probe_seconds", float(probe))
        object.__setattr__(self, "accept", float(accept))

    @property
    def scored_by(self) -> str:
        """What a candidate is chosen by, in words: "pitch", "level" or "level and likeness"."""
        if self.measure == "periodicity":
            return "pitch"
        return "level" if self.pieces is None else "level and likeness"

    def accepts(self, scores: list[float]) -> bool:
        """Whether a note whose candidates so far scored `scores` stops searching (its best
        reaches `accept`)."""
        return bool(scores) and max(scores) >= self.accept

    @property
    def rounds(self) -> tuple[int, ...]:
        """Candidates per round: 2, then as many again as tried so far (2, 2, 4, 8 …), the last
        cut to `candidates` in all; one round of 1 for a single candidate."""
        sizes, tried = [], 0
        while tried < self.candidates:
            size = min(max(2, tried), self.candidates - tried)
            sizes.append(size)
            tried += size
        return tuple(sizes)

    @property
    def probe_samples(self) -> int:
        """The probe's length in samples."""
        return max(1, round(self.probe_seconds * self.sample_rate))


def valid_temperature(t: float) -> bool:
    """Whether `t` can be a sampling temperature: finite and >= 0 (0 = greedy)."""
    return math.isfinite(t) and t >= 0


#: The --min-p help of every command that plays a model.
MIN_P_HELP = (
    "Min-p truncation: never draw a sample value less likely than this share of the most likely "
    "one (0 = none; in [0, 1); ignored at --temperature 0), for every piece or note [default: the "
    "model's own: a drum model's min-p per piece, fitted when it was trained; else 0]."
)


@dataclass(frozen=True)
class GenerationOptions:
    """Everything that decides how streams are generated (the streams themselves are the input).

    temperature: divides the logits before sampling; 0 = greedy. None = the checkpoint's own when
        rendering from one (`for_checkpoint`), else 1.0.
    seed: the same seed (and inputs) gives the same audio; stream i's randomness depends only on
        (seed, i), not on batching. None = fresh entropy.
    batch_size: streams generated together (streams are bucketed by length).
    device: None = the model's device; 'auto' = CUDA when available; 'cpu', 'cuda', 'cuda:1' …
    backend: 'numba' (CPU only) or 'torch'; None = numba on CPU when installed, else torch.
    weight_dtype: storage of the large matrices on the numba engine: 'auto' (float16 when they
        fit, see engine.resolve_weight_dtype), 'float32' or 'float16'; arithmetic stays float32.
    threads: OS threads the numba engine splits a batch over; None = default_threads().
    progress: called as progress(done, total), in stream-samples, as generation advances.
    onset_search: best-of-N onsets (see OnsetSearch) for the streams of `generate_classes` /
        `synthesize` and for the streaming engine's notes whose note-off is known at their note-on
        (render's voices); live notes are never searched. None, 1 candidate or temperature 0 =
        every note generated once (`active_onset_search`).
    attack_temperature: the temperature of each note's first ATTACK_HOLD_SECONDS, ramping to
        `temperature` over ATTACK_RAMP_SECONDS (generate.temperature), as a command was given it;
        None = the checkpoint's own (`for_checkpoint`; Checkpoint.attack_temperature, which only a
        checkpoint shipped with one has: docs/drums.md, "Attack temperature").
    attack: the curve the engines follow (generate.temperature.AttackTemperature, in samples), set
        by `for_checkpoint` or `with_attack_temperature`; None = `temperature` throughout. Ignored
        when decoding greedily (`active_attack`).
    min_p: min-p truncation (Nguyen et al. 2024, "min-p sampling"): at every draw the classes whose
        probability (after the temperature) is under min_p × the most likely class's are left out,
        so the rare far-off classes that make a bed of noise under a quiet tail are never drawn;
        0 = none, in [0, 1). None = the checkpoint's own (`for_checkpoint`; Checkpoint.min_p), else
        0. Ignored when decoding greedily.
    piece_min_p: a min-p per MIDI key ({key: P}, each in [0, 1)) for the samples of that key's
        notes, `min_p` for the rest (generate.min_p; a drum model's Checkpoint.piece_min_p, fitted
        per piece by samplernn.train.min_p_fit). None = the checkpoint's own when `min_p` is not
        given either (`for_checkpoint`): a min-p a command was given holds for every piece.
    piece_min_p_attack: the span of each note's start drawn at `min_p` before its piece's P ramps in
        (generate.min_p.AttackSpan, samples); None = from the note-on, or, from `for_checkpoint`,
        the attack temperature's span at the checkpoint's sample rate (AttackSpan.at_rate).

    Raises ValueError (at construction) for a value no engine accepts.
    """

    temperature: float | None = None
    seed: int | None = None
    batch_size: int = 64
    device: str | torch.device | None = None
    backend: str | None = None
    weight_dtype: str = "auto"
    threads: int | None = None
    progress: ProgressFn | None = None
    onset_search: OnsetSearch | None = None
    attack_temperature: float | None = None
    attack: AttackTemperature | None = None
    min_p: float | None = None
    piece_min_p: Mapping[int, float] | None = None
    piece_min_p_attack: AttackSpan | None = None

    def __post_init__(self) -> None:
        t = self.temperature
        if t is not None and not valid_temperature(t):
            raise ValueError(f"temperature must be a finite number >= 0, got {t}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if self.backend is not None and self.backend not in BACKENDS:
            raise ValueError(f"unknown backend {self.backend!r} (choose from {', '.join(BACKENDS)})")
        if self.weight_dtype not in WEIGHT_DTYPES:
            raise ValueError(
                f"unknown weight dtype {self.weight_dtype!r} (choose from {', '.join(WEIGHT_DTYPES)})"
            )
        if self.threads is not None and not 1 <= self.threads <= MAX_THREADS:
            raise ValueError(f"threads must be within 1..{MAX_THREADS}, got {self.threads}")
        if self.onset_search is not None and not isinstance(self.onset_search, OnsetSearch):
            raise ValueError(f"onset_search must be an OnsetSearch or None, got {self.onset_search!r}")
        a = self.attack_temperature
        if a is not None and not (valid_temperature(a) and a > 0):
            raise ValueError(f"attack temperature must be a finite number > 0, got {a}")
        if self.attack is not None and not isinstance(self.attack, AttackTemperature):
            raise ValueError(f"attack must be an AttackTemperature or None, got {self.attack!r}")
        if self.min_p is not None and not valid_min_p(self.min_p):
            raise ValueError(f"min_p must be a number in [0, 1), got {self.min_p!r}")
        if self.piece_min_p is not None and not valid_piece_min_p(self.piece_min_p):
            raise ValueError(f"piece_min_p must map MIDI keys to numbers in [0, 1), got {self.piece_min_p!r}")
        span = self.piece_min_p_attack
        if span is not None and not isinstance(span, AttackSpan):
            raise ValueError(f"piece_min_p_attack must be an AttackSpan or None, got {span!r}")

    def with_default_temperature(self, default: float) -> GenerationOptions:
        """These options, with `default` as the temperature when none was given."""
        return self if self.temperature is not None else replace(self, temperature=default)

    def for_checkpoint(self, ckpt: Checkpoint) -> GenerationOptions:
        """These options for playing `ckpt`: its temperature and min-p where none was given
        (Checkpoint.temperature; Checkpoint.min_p and Checkpoint.piece_min_p, each piece's P after
        the attack span at its sample rate unless `piece_min_p_attack` is set), and unless `attack`
        is set, an attack curve at `attack_temperature` or else the checkpoint's
        (Checkpoint.attack_temperature; none for most models) at its sample rate."""
        opts = self.with_default_temperature(ckpt.temperature)
        if opts.min_p is None:
            pieces = ckpt.piece_min_p if opts.piece_min_p is None else opts.piece_min_p
            opts = replace(opts, min_p=ckpt.min_p, piece_min_p=pieces)
        if opts.piece_min_p_attack is None:
            opts = replace(opts, piece_min_p_attack=AttackSpan.at_rate(ckpt.sample_rate))
        if opts.attack is not None:
            return opts
        given = self.attack_temperature
        return opts.with_attack_temperature(ckpt.attack_temperature if given is None else given,
                                            ckpt.sample_rate)

    def with_attack_temperature(self, temperature: float | None, sample_rate: int) -> GenerationOptions:
        """These options playing each note's start at `temperature` (AttackTemperature.at_rate at
        `sample_rate`, Hz), or at the body temperature throughout for None. Raises ValueError for
        a temperature that is not a finite number > 0."""
        attack = None if temperature is None else AttackTemperature.at_rate(temperature, sample_rate)
        return replace(self, attack=attack)

    @property
    def attack_at(self) -> float | None:
        """The attack temperature played (`active_attack`'s), None when every sample is at `temperature`."""
        attack = self.active_attack
        return None if attack is None else attack.temperature

    @property
    def active_attack(self) -> AttackTemperature | None:
        """The attack temperature the engines follow: None without one or when decoding greedily."""
        return None if self.temperature == 0 else self.attack

    def with_onset_search(self, candidates: int, sample_rate: int, hits: bool = False,
                          pieces: PieceCentroids | None = None) -> GenerationOptions:
        """These options searching at most `candidates` onsets per note (OnsetSearch, its other
        fields at their defaults; `hits`: a drum model's, OnsetSearch.for_hits, by likeness too
        when given the kit's `pieces`), or without a search for candidates = 1. Raises ValueError
        for candidates < 1."""
        if candidates == 1:
            search = None
        elif hits:
            search = OnsetSearch.for_hits(sample_rate, candidates, pieces)
        else:
            search = OnsetSearch(sample_rate=sample_rate, candidates=candidates)
        return replace(self, onset_search=search)

    @property
    def active_onset_search(self) -> OnsetSearch | None:
        """The onset search the engines run: None without one, with one candidate, or when
        decoding greedily (temperature 0: every candidate would be the same)."""
        search = self.onset_search
        if search is None or search.candidates < 2 or self.temperature == 0:
            return None
        return search

    @property
    def searched_by(self) -> str | None:
        """What the active onset search chooses by (OnsetSearch.scored_by); None without one."""
        search = self.active_onset_search
        return search.scored_by if search else None

    @property
    def onset_candidates(self) -> int:
        """The most candidate onsets per note the engines generate: 1 without an active search."""
        search = self.active_onset_search
        return search.candidates if search else 1

    @property
    def active_min_p(self) -> float:
        """The min-p truncation the samplers apply: 0 when none was given or when decoding greedily."""
        return 0.0 if self.min_p is None or self.temperature == 0 else float(self.min_p)

    @property
    def active_piece_min_p(self) -> dict[int, float] | None:
        """The per-key min-p the samplers apply over `active_min_p` (generate.min_p.min_p_curve):
        None without a table or when decoding greedily."""
        if not self.piece_min_p or self.temperature == 0:
            return None
        return {int(k): float(p) for k, p in self.piece_min_p.items()}

    @property
    def piece_min_p_record(self) -> dict[str, float] | None:
        """`active_piece_min_p` for a JSON record (pack's index, evaluate's report): keys as
        strings, None without one."""
        table = self.active_piece_min_p
        return None if table is None else {str(k): p for k, p in sorted(table.items())}

    @property
    def piece_min_p_attack_record(self) -> dict[str, int] | None:
        """The span each piece's P waited out, for a JSON record beside `piece_min_p_record`:
        {"hold": samples, "ramp": samples} (min_p_attack); None without a piece table."""
        if self.active_piece_min_p is None:
            return None
        span = self.min_p_attack
        return {"hold": span.hold, "ramp": span.ramp}

    def min_p_curve(self, cond: np.ndarray | None) -> np.ndarray | None:
        """Each sample's min-p for conditioning rows `cond` (B, n, 5) int: (B, n) float32, or None
        when every draw is truncated at `active_min_p` (generate.min_p.min_p_curve)."""
        return min_p_curve(cond, self.active_min_p, self.active_piece_min_p, self.min_p_attack)

    @property
    def min_p_attack(self) -> AttackSpan:
        """`piece_min_p_attack`, (0, 0) when unset: where each note's piece P starts."""
        return self.piece_min_p_attack or AttackSpan()

    @property
    def inverse_temperature(self) -> float:
        """1/T for the samplers; −1 flags greedy decoding (T = 0)."""
        t = 1.0 if self.temperature is None else float(self.temperature)
        return -1.0 if t == 0 else 1.0 / t

    @property
    def cpu_threads(self) -> int:
        """The threads a numba batch is split over (at most one per stream)."""
        return self.threads or default_threads()
