"""Rendering a MIDI file's notes through persistent voices (samplernn.generate.stream).

Every note-off is known in a file, so each note gets the offline contract (its exact countdown
from the note-on); a voice starts each note from the primed state (h0 + `lead` seconds of
generated silence) instead of generating that silence per note, and voices are generated only
while they sound. The pool is as large as the most notes sounding at once, so no note is stolen.

Which engine `render` uses (`pick_render_engine`): with 'auto', voices on the numba CPU engine
with one thread — there they cost less than per-note streams (no lead or tail per note, the batch
only the notes that sound), at the same pitch accuracy and note ends — and per-note streams on
CUDA or with several threads, where generating every note at once in one batch is faster. A drum
kit's hits come with the kit's own length (`render.drums.kit_hits`) to either engine. Both
engines search each note's onset when the generation options ask for it
(GenerationOptions.onset_search): the voices start their candidates from the primed state, so a
candidate costs only its probe (a kit's hits: 2–3× faster than per-note streams, docs/drums.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from conditioning import BankStats, MidiNote
from samplernn.common.errors import UsageError
from samplernn.generate.engine import engine_device, pick_backend
from samplernn.generate.options import GenerationOptions
from samplernn.generate.stream import StreamConfig, StreamEngine
from samplernn.model.network import SampleRNN

#: How `render` can generate: one stream per note, persistent voices (this module), or the one of
#: the two that suits the device (`pick_render_engine`).
RENDER_ENGINES = ("auto", "notes", "voices")
#: Samples per block when rendering offline: a voice is generated for the whole of every block it
#: sounds in, so blocks stay short; notes still start and end at their sample.
RENDER_BLOCK = 512


def check_render_engine(engine: str) -> None:
    """UsageError, naming --engine, for an engine that is not one of RENDER_ENGINES (render's and
    pack's option, checked before any work)."""
    if engine not in RENDER_ENGINES:
        raise UsageError(f"--engine {engine!r}: choose from {', '.join(RENDER_ENGINES)}")


def pick_render_engine(engine: str, model: SampleRNN, generation: GenerationOptions) -> str:
    """'notes' or 'voices' for `engine` ('auto' decides as the module doc says). ValueError for an
    unknown engine or a device the options cannot use."""
    if engine not in RENDER_ENGINES:
        raise ValueError(f"unknown render engine {engine!r} (choose from {', '.join(RENDER_ENGINES)})")
    if engine != "auto":
        return engine
    backend = pick_backend(engine_device(generation.device, model), generation.backend)
    return "voices" if backend == "numba" and generation.cpu_threads == 1 else "notes"


def voice_spans(
    notes: Sequence[tuple[MidiNote, int]], stats: BankStats, sample_rate: int, lookback: int, tail: int
) -> list[tuple[int, int]]:
    """(load, park) sample of each (note, pitch to play): from the top-tier frame before its
    onset to `tail` samples after its end (release + the bank's release tail)."""
    spans = []
    for n, p in notes:
        onset, release = round(n.start * sample_rate), round(n.stop * sample_rate)
        end = max(max(onset, release) + stats.release_tail(p, n.velocity), onset + 1)
        spans.append((onset - onset % lookback, end + tail))
    return spans


def most_at_once(spans: Sequence[tuple[int, int]]) -> int:
    """The largest number of [start, stop) spans that overlap at one sample (at least 1)."""
    edges = sorted([(a, 1) for a, _ in spans] + [(b, -1) for _, b in spans])
    best = now = 0
    for _, step in edges:  # a stop sorts before a start at the same sample: spans are half-open
        now += step
        best = max(best, now)
    return max(best, 1)


def voice_engine(
    model: SampleRNN,
    stats: BankStats,
    sample_rate: int,
    notes: Sequence[tuple[MidiNote, int]],
    lead: float,
    tail: float,
    generation: GenerationOptions,
    capture: bool = False,
) -> tuple[StreamEngine, int, int]:
    """A StreamEngine with every (note, pitch to play) scheduled, its note-off known, the length
    of the mix (samples, to the last voice's silence) and the voice-samples to generate
    (`voice_work`); `lead` / `tail` in seconds as for per-note streams; capture: keep each note's
    own output (StreamEngine.takes)."""
    tail_n = round(tail * sample_rate)
    spans = voice_spans(notes, stats, sample_rate, model.lookback, tail_n)
    block = max(model.lookback, RENDER_BLOCK // model.lookback * model.lookback)
    cfg = StreamConfig(voices=most_at_once(spans), block=block, lead=lead, tail=tail)
    engine = StreamEngine(model, stats, sample_rate, cfg, generation, capture=capture)
    for i, (n, p) in enumerate(notes):
        onset = round(n.start * sample_rate)
        engine.note_on(i, p, n.velocity, at=onset, release=round(n.stop * sample_rate))
    return engine, max(b for _, b in spans), voice_work(spans, block)


def voice_work(spans: Sequence[tuple[int, int]], block: int) -> int:
    """Voice-samples the engine generates for `spans` ((load, park) samples each): every block a
    span touches, whole. A progress bar counts these, not the mix's samples: a kit's hits all
    sound in the first blocks and a cymbal alone in the last, so the mix's clock would crawl and
    then race."""
    return sum((-(-b // block) - a // block) * block for a, b in spans)


def render_voices(
    model: SampleRNN,
    stats: BankStats,
    sample_rate: int,
    notes: Sequence[tuple[MidiNote, int]],
    lead: float,
    tail: float,
    generation: GenerationOptions,
) -> np.ndarray:
    """The mix (float64, from time 0 to the last voice's silence) of every (note, pitch to play)
    rendered through persistent voices (see `voice_engine`). `generation` gives the engine,
    device, weight dtype, temperature and seed; its progress is called with (work done, total) in
    voice-samples (`voice_work` and the onset searches, see `_run`)."""
    engine, length, work = voice_engine(model, stats, sample_rate, notes, lead, tail, generation)
    return _run(engine, length, work, len(notes), generation)[:length]


def voice_takes(
    model: SampleRNN,
    stats: BankStats,
    sample_rate: int,
    notes: Sequence[tuple[MidiNote, int]],
    lead: float,
    tail: float,
    generation: GenerationOptions,
) -> list[np.ndarray]:
    """Each (note, pitch to play)'s own output, float32 from its note-on to `tail` s after its end,
    in the order of `notes` — what per-note streams cut at their note-on give, generated through
    the voices (`voice_engine`, every note captured) instead. Progress as render_voices'."""
    engine, length, work = voice_engine(model, stats, sample_rate, notes, lead, tail, generation, True)
    _run(engine, length, work, len(notes), generation)
    taken = sorted(engine.takes or [], key=lambda t: t.note.key)
    return [t.audio[t.note.onset - t.start :] for t in taken]


def _run(
    engine: StreamEngine, length: int, work: int, notes: int, generation: GenerationOptions
) -> np.ndarray:
    """Render blocks until the engine's clock reaches `length`; the mix (float64, ≥ length).

    Progress, after every block and every note's onset search (a kit's hits are all searched in
    the first block): voice-samples generated of `work`, plus each of the `notes` searches counted
    as its most candidates' probes (one that stops early is counted whole); the last report
    closes the bar (a voice that plays two notes in one block was counted once)."""
    blocks = []
    report = generation.progress
    search, L = engine.search, engine.model.lookback
    each = 0 if search is None else search.candidates * -(-(L - 1 + search.probe_samples) // L) * L
    total = work + each * notes

    def tick() -> None:
        if report is not None:
            done = engine.counters.voice_blocks * engine.cfg.block + engine.counters.searched * each
            report(total if engine.clock >= length else min(done, total), total)

    engine.on_search = tick
    while engine.clock < length:
        blocks.append(engine.render_block())
        tick()
    return np.concatenate(blocks) if blocks else np.zeros(0)
