"""The sound of one piece three ways, note by note: offline per-note streams (`render`'s default),
offline persistent voices (`render --engine voices`) and live (a MIDI file played through the
streaming engine in simulated real time, note-offs unknown until they come).

Every note is measured on its own output (its stream, or its voice from its load to its silence)
with samplernn.measures: pitch (median pYIN f0 within ±50 cents of the note), the audible end
against the requested end (note-off + the bank's release tail), the level over the note. The mix
is measured for block-boundary discontinuities and loudness.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import mido
import numpy as np

from conditioning import MidiNote
from samplernn.generate.engine import synthesize
from samplernn.generate.options import GenerationOptions
from samplernn.generate.stream import NoteTake, StreamConfig, StreamEngine
from samplernn.measures.sound import end_offset_ms, note_pitch_cents, pitch_error_kind, rms, to_db
from samplernn.model.checkpoint import Checkpoint
from samplernn.play.events import TimedMessage
from samplernn.play.keyboard import Keyboard
from samplernn.play.session import play_messages
from samplernn.render.streams import mix, note_stream
from samplernn.render.voices import voice_engine


@dataclass
class NoteScore:
    """One note's figures: pitch error (cents, None = unvoiced), its kind, audible end − requested
    end (ms), level (dBFS RMS over onset … end)."""

    pitch: int
    cents: float | None
    kind: str
    end_ms: float
    level_db: float


def score_note(x: np.ndarray, sr: int, pitch: int, onset: int, release: int, end: int) -> NoteScore:
    """Measure one note's own audio x (positions are samples of x)."""
    _, cents = note_pitch_cents(x, sr, pitch, onset, release, end)
    return NoteScore(
        pitch, cents, pitch_error_kind(cents), end_offset_ms(x, onset, end, sr), to_db(rms(x, onset, end))
    )


def summarize(scores: Sequence[NoteScore]) -> dict[str, float]:
    """pitch_ok (share within ±50 cents), end_abs_ms (mean |end error|), end_within_30ms (share),
    level_db (mean over notes)."""
    ends = np.array([abs(s.end_ms) for s in scores])
    return {
        "notes": len(scores),
        "pitch_ok": float(np.mean([s.kind == "ok" for s in scores])),
        "end_abs_ms": float(ends.mean()),
        "end_within_30ms": float(np.mean(ends <= 30.0)),
        "level_db": float(np.mean([s.level_db for s in scores])),
    }


def boundary_jumps(y: np.ndarray, block: int) -> dict[str, float]:
    """Discontinuity at block boundaries: mean and largest |y[kB] − y[kB−1]| against the mean and
    99.9th percentile of |Δy| over every sample (a click shows as boundary jumps far above both)."""
    d = np.abs(np.diff(np.asarray(y, np.float64)))
    at = d[block - 1 :: block]
    return {
        "boundary_mean": float(at.mean()) if at.size else 0.0,
        "boundary_max": float(at.max()) if at.size else 0.0,
        "all_mean": float(d.mean()) if d.size else 0.0,
        "all_p999": float(np.quantile(d, 0.999)) if d.size else 0.0,
    }


def take_scores(takes: Sequence[NoteTake], sr: int) -> list[NoteScore]:
    """Scores of the notes a StreamEngine captured (each on its voice's output)."""
    out = []
    for tk in takes:
        n, s = tk.note, tk.start
        out.append(score_note(tk.audio, sr, n.pitch, n.onset - s, n.release - s, n.end - s))
    return out


def offline_notes(
    ckpt: Checkpoint,
    played: Sequence[tuple[MidiNote, int]],
    gen: GenerationOptions,
    lead: float = 0.25,
    tail: float = 0.1,
) -> tuple[list[NoteScore], np.ndarray, float]:
    """Per-note streams, as `render` makes them: (scores, mix, seconds of generation)."""
    sr = ckpt.sample_rate
    lead_n, tail_n = round(lead * sr), round(tail * sr)
    specs = [
        note_stream(p, n.velocity, round(n.start * sr), round(n.stop * sr), ckpt.stats, lead_n, tail_n)
        for n, p in played
    ]
    t = time.perf_counter()
    audio = synthesize(ckpt.model, [s.cond for s in specs], gen)
    seconds = time.perf_counter() - t
    scores = [
        score_note(
            x,
            sr,
            s.event.pitch,
            lead_n,
            lead_n + s.event.release - s.event.onset,
            lead_n + s.event.end - s.event.onset,
        )
        for x, s in zip(audio, specs, strict=True)
    ]
    return scores, mix(audio, [s.start for s in specs]), seconds


def offline_voices(
    ckpt: Checkpoint,
    played: Sequence[tuple[MidiNote, int]],
    gen: GenerationOptions,
    lead: float = 0.25,
    tail: float = 0.1,
) -> tuple[list[NoteScore], np.ndarray, float]:
    """Persistent voices with every note-off known, as `render --engine voices` makes them."""
    engine, length, _ = voice_engine(
        ckpt.model, ckpt.stats, ckpt.sample_rate, played, lead, tail, gen, capture=True
    )
    t = time.perf_counter()
    blocks = []
    while engine.clock < length:
        blocks.append(engine.render_block())
    seconds = time.perf_counter() - t
    return take_scores(engine.takes, ckpt.sample_rate), np.concatenate(blocks)[:length], seconds


def note_messages(notes: Sequence[MidiNote]) -> list[TimedMessage]:
    """Note-on and note-off messages of `notes`, in time order (a note-off before a note-on at the
    same time)."""
    msgs = []
    for n in notes:
        on = mido.Message("note_on", channel=n.channel, note=n.pitch, velocity=n.velocity)
        msgs.append(TimedMessage(n.start, on))
        msgs.append(TimedMessage(n.stop, mido.Message("note_off", channel=n.channel, note=n.pitch)))
    return sorted(msgs, key=lambda m: (m.time, m.message.type == "note_on"))


def live(
    ckpt: Checkpoint, notes: Sequence[MidiNote], gen: GenerationOptions, config: StreamConfig | None = None
) -> tuple[list[NoteScore], np.ndarray, float]:
    """The notes played as a MIDI file in simulated real time (play.session): each note-off unknown
    until it comes, every message one block late. Notes are scored against their own note-off."""
    engine = StreamEngine(
        ckpt.model, ckpt.stats, ckpt.sample_rate, config or StreamConfig(), gen, capture=True
    )
    keyboard = Keyboard(engine, None)
    blocks: list[np.ndarray] = []
    t = time.perf_counter()
    play_messages(keyboard, note_messages(notes), lambda b: blocks.append(b) or False)
    seconds = time.perf_counter() - t
    return take_scores(engine.takes, ckpt.sample_rate), np.concatenate(blocks), seconds


def report(
    name: str, scores: Sequence[NoteScore], y: np.ndarray, seconds: float, sr: int, block: int | None = None
) -> dict[str, Any]:
    """One row of the comparison: the note summary, the mix's loudness, speed (and boundary jumps)."""
    row: dict[str, Any] = {
        "name": name,
        **summarize(scores),
        "mix_rms_db": to_db(rms(y)),
        "seconds": seconds,
        "realtime": len(y) / sr / seconds if seconds else 0.0,
    }
    if block:
        row.update(boundary_jumps(y, block))
    return row
