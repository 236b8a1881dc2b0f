"""Streaming generation: audio in blocks while note events arrive, one voice per sounding note.

`StreamEngine` keeps a pool of voices, each with its own model state (hidden states, history,
its note's conditioning counters), all allocated once. Every `render_block` generates the next
block of samples for the voices that sound in it, as one batch of the generation kernel
(samplernn.generate.stream_kernels), and returns their mix.

Events are scheduled at engine samples (`at`): an event affects only the blocks generated after it
was given, never one already returned (no look-ahead, no look-back: an `at` in the past is moved to
the next block's first sample). Within a block, notes start and stop at their exact samples.

Voices:
* a note-on takes a free voice; with none free it steals one (the voice released longest ago,
  else the voice whose note started longest ago); a stolen voice's jump is smoothed over
  DECLICK samples;
* a voice starts a note from a primed state: the learned h0 after `lead` seconds of generated
  silence (as every training note and every offline stream begins), loaded at the last top-tier
  frame boundary before the note-on, so the note sees lead … lead + lookback samples of silence;
* while the key is down the note's end is unknown: the remaining column holds REMAINING_HELD for
  a model with a held flag, and for an older model a countdown frozen at `legacy_hold` seconds +
  the release tail (its offline contract, minus the knowledge of the end); the note-off reveals
  the countdown to end = note-off + the bank's release tail for the pitch and velocity. A note-on
  that already knows its note-off (a file rendered offline) gets the exact countdown throughout;
* a voice falls silent `tail` seconds after its note's end, and is free again;
* with an onset search (options.onset_search), a note whose note-off is known at its note-on is
  first played by `candidates` scout voices from the primed state through its first
  `probe_seconds`, and its voice replays the winner's random numbers (samplernn.generate.
  onset_search); a live note, whose end is not known, is played as it comes.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from conditioning import COND_COLUMNS, BankStats
from conditioning.events import REMAINING_HELD
from samplernn.data.emphasis import de_emphasize, silence_offset
from samplernn.data.quantize import dequantize
from samplernn.generate.engine import engine_device, pick_backend, resolve_weight_dtype
from samplernn.generate.fold import fold_model
from samplernn.generate.onset_search import Probe, best_candidates, probe_level, score_candidate
from samplernn.generate.options import GenerationOptions
from samplernn.generate.stream_config import StreamConfig
from samplernn.generate.stream_kernels import Load, NumbaVoices, TorchVoices, VoiceKernel
from samplernn.generate.voice_notes import VoiceNote
from samplernn.model.network import SampleRNN

DECLICK = 32  # samples over which a voice's cut-off step is ramped to zero


@dataclass
class Voice:
    """One voice of the pool: its `note` (None: never used or parked), loaded at sample `start`,
    silent from `park_at` (None: no end known yet). `plan` lists what it plays in the current
    block when that changes inside it: (from sample, note, loaded there from the primed state).
    An empty plan: its `note` throughout, nothing loaded."""

    index: int
    note: VoiceNote | None = None
    start: int = 0
    park_at: int | None = None
    plan: list[tuple[int, VoiceNote, bool]] = field(default_factory=list)
    last: float = 0.0  # its last generated sample, for declicking
    emphasis: float = 0.0  # its de-emphasis filter state (samplernn.data.emphasis)

    def free_at(self, t: int) -> bool:
        return self.note is None or (self.park_at is not None and self.park_at <= t)


@dataclass
class NoteTake:
    """One note's own output (its voice from the note's load to its park or steal), for measuring:
    `audio` starts at engine sample `start`."""

    note: VoiceNote
    start: int
    chunks: list[np.ndarray] = field(default_factory=list)

    @property
    def audio(self) -> np.ndarray:
        return np.concatenate(self.chunks) if self.chunks else np.zeros(0, np.float32)


@dataclass
class StreamCounters:
    """What happened so far: notes started, voices stolen, most voices sounding in one block."""

    notes: int = 0
    stolen: int = 0
    peak_voices: int = 0
    blocks: int = 0
    voice_blocks: int = 0  # sum over blocks of the voices generated
    searched: int = 0  # notes started from the best of several onsets
    candidates: int = 0  # onsets the scouts played for them


@dataclass(order=True)
class _Event:
    at: int
    seq: int
    kind: str = field(compare=False)
    key: object = field(compare=False)
    args: tuple = field(compare=False, default=())


class StreamEngine:
    """Generate a model's sound block by block while notes come and go (see the module doc).

    model: a SampleRNN; stats: the checkpoint's bank statistics (release tails, level envelopes);
    sample_rate: the model's rate; config: StreamConfig; options: GenerationOptions (device,
    backend, weight dtype, temperature — None = 1.0 —, seed); capture: keep every note's own
    output in `takes` (NoteTake, for measuring; the mix is unchanged). Not thread-safe: give
    events and render blocks from one thread (a live session queues incoming messages). Raises
    ValueError for a block that is not a multiple of the lookback or a held countdown on a model
    without a held flag.
    """

    def __init__(
        self,
        model: SampleRNN,
        stats: BankStats,
        sample_rate: int,
        config: StreamConfig | None = None,
        options: GenerationOptions | None = None,
        capture: bool = False,
    ) -> None:
        self.cfg = config or StreamConfig()
        opts = options or GenerationOptions()
        self.model, self.stats, self.sample_rate = model, stats, sample_rate
        L = model.lookback
        if self.cfg.block % L:
            raise ValueError(f"block {self.cfg.block} must be a multiple of the model's lookback {L}")
        self.held = self._held_countdown(model)
        dev = engine_device(opts.device, model)
        self._backend, self._folded = pick_backend(dev, opts.backend), fold_model(model, dev)
        self.kernel = self._kernel(opts, self.cfg.voices, self.cfg.block)
        self.search = opts.active_onset_search
        self.on_search: Callable[[], None] | None = None  # called after each note's onset search
        self._options = opts
        self._scouts: VoiceKernel | None = None  # the search's voices, made at the first search
        self._scout_span = self._scouts_n = 0
        self.rng = np.random.default_rng(opts.seed)
        cfg = model.cfg
        self.table = dequantize(torch.arange(cfg.q_levels), cfg.q_levels, cfg.quantization).numpy()
        self.table -= np.float32(silence_offset(cfg.pre_emphasis, cfg.q_levels, cfg.quantization))
        self.voices = [Voice(i) for i in range(self.cfg.voices)]
        self.clock = 0
        self.counters = StreamCounters()
        self._events: list[_Event] = []
        self._seq = itertools.count()
        self._ramps: list[tuple[int, float]] = []  # (first sample, value) of pending declick ramps
        self._cuts: list[tuple[int, Voice]] = []  # voices cut off inside the current block
        self._keys: dict[object, Voice] = {}
        self.takes: list[NoteTake] | None = [] if capture else None
        self._open: dict[int, NoteTake] = {}  # voice index → the take it is recording
        self.tail_n = round(self.cfg.tail * sample_rate)
        self.primed = self._prime(math.ceil(self.cfg.lead * sample_rate / L) * L)

    # -- setup ------------------------------------------------------------------------------
    def _held_countdown(self, model: SampleRNN) -> bool:
        mode = self.cfg.countdown
        if mode == "held" and not model.cfg.held_flag:
            raise ValueError("countdown 'held' needs a model trained with a held flag (--hidden-countdown)")
        return mode == "held" or (mode == "auto" and model.cfg.held_flag)

    def _kernel(self, opts: GenerationOptions, voices: int, block: int) -> VoiceKernel:
        """A kernel of `voices` voices and blocks of up to `block` samples over the folded weights
        (the pool's, and the onset search's scouts)."""
        folded, inv_temp = self._folded, opts.inverse_temperature
        if self._backend == "numba":
            dtype = resolve_weight_dtype(opts.weight_dtype, self._backend, folded)
            return NumbaVoices(folded, voices, block, inv_temp, dtype, opts.active_attack, opts.active_min_p,
                               opts.active_piece_min_p, opts.min_p_attack)
        return TorchVoices(folded, voices, inv_temp, opts.active_attack, opts.active_min_p,
                           opts.active_piece_min_p, opts.min_p_attack)

    def _prime(self, n: int) -> object:
        """The state of voice 0 after h0 and n samples of generated silence (a copy); the
        de-emphasis filter's state after that silence goes to `primed_emphasis`."""
        self.kernel.reset(0)
        block, a, state = self.cfg.block, self.model.cfg.pre_emphasis, 0.0
        for t0 in range(0, n, block):
            m = min(block, n - t0)
            cond = np.zeros((1, m, len(COND_COLUMNS)), np.int32)
            q = self.kernel.run([0], cond, self.rng.random((1, m), dtype=np.float32), [])
            state = de_emphasize(self.table[q[0]], a, state)[1]
        self.primed_emphasis = state
        return self.kernel.snapshot(0)

    # -- events -----------------------------------------------------------------------------
    def _schedule(self, kind: str, key: object, at: int | None, *args: object) -> None:
        t = self.clock if at is None else max(int(at), self.clock)
        heapq.heappush(self._events, _Event(t, next(self._seq), kind, key, args))

    def note_on(
        self, key: object, pitch: int, velocity: int, at: int | None = None, release: int | None = None
    ) -> None:
        """Start a note at sample `at` (default: the next block's first sample); `key` names it
        for its note-off. `release`: its note-off when already known (offline: exact countdown).
        A note-on for a key that still sounds releases that note first."""
        if not 0 <= pitch <= 127 or not 1 <= velocity <= 127:
            raise ValueError(f"pitch must be 0..127 and velocity 1..127, got {pitch} and {velocity}")
        self._schedule("on", key, at, int(pitch), int(velocity), release)

    def note_off(self, key: object, at: int | None = None) -> None:
        """Release the note `key` at sample `at` (default: the next block's first sample)."""
        self._schedule("off", key, at)

    @property
    def pending(self) -> bool:
        """Events not yet applied, or voices still sounding."""
        return bool(self._events) or any(not v.free_at(self.clock) for v in self.voices)

    def _tail_of(self, note: VoiceNote) -> int:
        return self.stats.release_tail(note.pitch, note.velocity)

    def _release(self, voice: Voice, at: int) -> None:
        voice.note.release_at(at, self._tail_of(voice.note))
        voice.park_at = voice.note.end + self.tail_n

    def _steal_order(self, v: Voice) -> tuple[int, int]:
        """Released voices first (longest ago first), then held ones (oldest note first)."""
        n = v.note
        return (0, n.release) if n.release is not None else (1, n.onset)

    def _start(self, ev: _Event) -> Voice:
        pitch, velocity, release = ev.args
        load = ev.at - ev.at % self.model.lookback
        free = [v for v in self.voices if v.free_at(load)]
        if free:  # an idle voice, else the one that fell silent first
            voice = min(free, key=lambda v: -1 if v.note is None else v.park_at)
        else:
            voice = min(self.voices, key=self._steal_order)
        old = voice.note
        if old is not None and self._keys.get(old.key) is voice:
            del self._keys[old.key]
        if not free:
            self.counters.stolen += 1
            self._cuts.append((load, voice))  # its step at `load` is ramped out
        if not voice.plan and not voice.free_at(self.clock):
            voice.plan.append((self.clock, old, False))  # it sounds in this block up to `load`
        held_value = REMAINING_HELD if self.held else self._legacy_value(pitch, velocity)
        voice.note = VoiceNote(ev.key, pitch, velocity, ev.at, held_value)
        voice.plan.append((load, voice.note, True))
        voice.start, voice.park_at = load, None
        if release is not None:
            voice.note.known_from = ev.at
            self._release(voice, int(release))
            if self.search is not None:
                self._search_onset(voice.note, load)
        self._keys[ev.key] = voice
        self.counters.notes += 1
        return voice

    def _search_onset(self, note: VoiceNote, load: int) -> None:
        """Play `note` from the primed state on the scout voices, each with its own random
        numbers, through its first probe_seconds, in the search's rounds until one reaches its
        accept score; keep the best candidate's numbers as the note's draw."""
        search, L = self.search, self.model.lookback
        span = -(-(note.onset - load + search.probe_samples) // L) * L
        n = max(search.rounds)
        if self._scouts is None or self._scout_span < span or self._scouts_n < n:
            self._scouts, self._scout_span, self._scouts_n = self._kernel(self._options, n, span), span, n
        cond = np.zeros((n, span, len(COND_COLUMNS)), np.int32)
        for row in cond:
            note.fill(row, load, self.stats)
        onset, stop = note.onset - load, min(note.onset + search.probe_samples, note.end) - load
        probe = Probe(onset, stop, note.pitch, probe_level(cond[0, onset:stop]))
        scores: list[float] = []
        draws: list[np.ndarray] = []
        for size in search.rounds:
            uniforms = self.rng.random((size, span), dtype=np.float32)
            loads = [(0, r, self.primed) for r in range(size)]
            for row in self.table[self._scouts.run(range(size), cond[:size], uniforms, loads)]:
                if self.model.cfg.pre_emphasis:
                    row = de_emphasize(row, self.model.cfg.pre_emphasis, self.primed_emphasis)[0]
                scores.append(score_candidate(row, probe, search.sample_rate, search.measure, search.pieces))
            draws.extend(uniforms)
            if search.accepts(scores):
                break
        note.draw, note.draw_from = draws[best_candidates([scores])[0]].copy(), load
        self.counters.searched += 1
        self.counters.candidates += len(scores)
        if self.on_search is not None:
            self.on_search()

    def _legacy_value(self, pitch: int, velocity: int) -> int:
        return round(self.cfg.legacy_hold * self.sample_rate) + self.stats.release_tail(pitch, velocity)

    def _apply(self, ev: _Event) -> None:
        voice = self._keys.get(ev.key)
        if voice is not None and voice.note.release is None:
            self._release(voice, ev.at)
        if ev.kind == "off":
            self._keys.pop(ev.key, None)
        else:
            self._start(ev)

    # -- blocks -----------------------------------------------------------------------------
    def render_block(self) -> np.ndarray:
        """The next `block` samples (float64, the voices' sum), after applying the events due in
        them; advances the clock."""
        c, n = self.clock, self.cfg.block
        while self._events and self._events[0].at < c + n:
            self._apply(heapq.heappop(self._events))
        rows = [v for v in self.voices if v.plan or not v.free_at(c)]
        out = np.zeros(n, np.float64)
        if rows:
            audio = self._generate(rows, c, n)
            for i, v in enumerate(rows):
                lo = v.plan[0][0] - c if v.plan and v.plan[0][2] else 0  # silent before its first load
                hi = n if v.park_at is None else min(n, v.park_at - c)
                out[lo:hi] += audio[i, lo:hi]
                if self.takes is not None:
                    self._record(v, audio[i], c, hi)
                if lo < hi < n:
                    self._ramps.append((c + hi, float(audio[i, hi - 1])))
                v.last = float(audio[i, n - 1])
            for at, v in self._cuts:
                i = rows.index(v)
                self._ramps.append((at, float(audio[i, at - c - 1]) if at > c else v.last))
        self._declick(out, c)
        for v in rows:
            v.plan.clear()
            if v.park_at is not None and v.park_at <= c + n:
                v.note = None
        self._cuts.clear()
        self.counters.blocks += 1
        self.counters.voice_blocks += len(rows)
        self.counters.peak_voices = max(self.counters.peak_voices, len(rows))
        self.clock = c + n
        return out

    def _generate(self, rows: list[Voice], c: int, n: int) -> np.ndarray:
        """Float32 audio (len(rows), n) of the voices over samples c … c+n-1."""
        cond = np.zeros((len(rows), n, len(COND_COLUMNS)), np.int32)
        loads: list[Load] = []
        for i, v in enumerate(rows):
            plan = v.plan or [(c, v.note, False)]
            for j, (at, note, loaded) in enumerate(plan):
                stop = plan[j + 1][0] if j + 1 < len(plan) else c + n
                note.fill(cond[i, at - c : stop - c], at, self.stats)
                if loaded:
                    loads.append((at - c, i, self.primed))
        uniforms = self.rng.random((len(rows), n), dtype=np.float32)
        self._replay_draws(rows, uniforms, c, n)
        audio = self.table[self.kernel.run([v.index for v in rows], cond, uniforms, loads)]
        if self.model.cfg.pre_emphasis:
            self._de_emphasize(rows, audio, c, n)
        return audio

    def _replay_draws(self, rows: list[Voice], uniforms: np.ndarray, c: int, n: int) -> None:
        """Where a voice plays a searched note's first samples, put the winning random numbers into
        `uniforms` (len(rows), n) in place of the engine's own."""
        for i, v in enumerate(rows):
            plan = v.plan or [(c, v.note, False)]
            for j, (at, note, _) in enumerate(plan):
                if note is None or note.draw is None:
                    continue
                stop = plan[j + 1][0] if j + 1 < len(plan) else c + n
                a, b = max(at, note.draw_from), min(stop, note.draw_from + len(note.draw))
                if a < b:
                    uniforms[i, a - c : b - c] = note.draw[a - note.draw_from : b - note.draw_from]

    def _de_emphasize(self, rows: list[Voice], audio: np.ndarray, c: int, n: int) -> None:
        """De-emphasise each row of `audio` (len(rows), n) in place, carrying each voice's filter
        state across blocks; where a note is loaded from the primed state, its filter state is the
        one the primed silence leaves (as an offline stream's lead), so a voice's note sounds as
        an offline stream's."""
        a = self.model.cfg.pre_emphasis
        for i, v in enumerate(rows):
            plan = v.plan or [(c, v.note, False)]
            for j, (at, _, loaded) in enumerate(plan):
                stop = plan[j + 1][0] if j + 1 < len(plan) else c + n
                if loaded:
                    v.emphasis = self.primed_emphasis
                seg = audio[i, at - c : stop - c]
                audio[i, at - c : stop - c], v.emphasis = de_emphasize(seg, a, v.emphasis)

    def _record(self, v: Voice, audio: np.ndarray, c: int, hi: int) -> None:
        """Append the voice's samples c … c+hi-1 to the takes of the notes they belong to."""
        plan = v.plan or [(c, v.note, False)]
        for j, (at, note, loaded) in enumerate(plan):
            if loaded:
                self._open[v.index] = NoteTake(note, at)
                self.takes.append(self._open[v.index])
            stop = min(plan[j + 1][0] if j + 1 < len(plan) else c + hi, c + hi)
            if v.index in self._open and stop > at:
                self._open[v.index].chunks.append(audio[at - c : stop - c].copy())

    def _declick(self, out: np.ndarray, c: int) -> None:
        """Add the pending ramps (a cut-off voice's last value falling to 0 over DECLICK samples)."""
        keep = []
        for at, value in self._ramps:
            k = np.arange(max(at, c), min(at + DECLICK, c + len(out)))
            out[k - c] += value * (1.0 - (k - at + 1) / (DECLICK + 1))
            if at + DECLICK > c + len(out):
                keep.append((at, value))
        self._ramps = keep
