"""Tiny synthetic recordings and MIDI files for tests: tones, MIDI notes, audio files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import mido
import numpy as np
import soundfile as sf

TICKS_PER_BEAT = 480
TEMPO = 500_000  # 120 bpm: one tick = 1/960 s


def midi_hz(pitch: int) -> float:
    return 440.0 * 2.0 ** ((pitch - 69) / 12)


def tone(
    sr: int, pitch: int, on: float, off: float, tail: float = 0.1, total: float | None = None,
    amplitude: float = 0.5, attack: float = 0.005,
) -> np.ndarray:
    """A sine at `pitch`: silence, a `attack`-second ramp at `on`, sustain until `off`, then an
    exponential release that reaches 0.8 % of the amplitude `tail` seconds after `off`."""
    total = off + tail + 0.1 if total is None else total
    t = np.arange(round(total * sr)) / sr
    env = np.clip((t - on) / attack, 0.0, 1.0)
    tau = tail / np.log(125.0)
    env = np.where(t > off, np.exp(-(t - off) / tau), env)
    env[env < 1e-3] = 0.0
    env[t < on] = 0.0
    return (amplitude * env * np.sin(2 * np.pi * midi_hz(pitch) * t)).astype(np.float32)


def write_midi(path: Path, notes: Sequence[tuple[int, int, float, float]], channel: int = 0) -> Path:
    """One-track MIDI with (pitch, velocity, start_s, stop_s) notes on `channel` (0-based; 9 = the
    drum channel), times rounded to ticks."""
    events = []
    for pitch, velocity, start, stop in notes:
        on = mido.Message("note_on", note=pitch, velocity=velocity, channel=channel)
        off = mido.Message("note_off", note=pitch, velocity=0, channel=channel)
        events += [(round(start * 960), 1, on), (round(stop * 960), 0, off)]
    mid = mido.MidiFile(type=0, ticks_per_beat=TICKS_PER_BEAT)
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("set_tempo", tempo=TEMPO, time=0))
    now = 0
    for tick, _, msg in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(msg.copy(time=tick - now))
        now = tick
    mid.tracks.append(track)
    path.parent.mkdir(parents=True, exist_ok=True)
    mid.save(path)
    return path


def write_audio(path: Path, x: np.ndarray, sr: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, x, sr)
    return path
