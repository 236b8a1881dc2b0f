"""`samplernn bench stream`: can the streaming engine keep up, and with how many voices?

For each number of voices N, N legato parts (bench.stream_material) are played through the engine
in simulated real time (samplernn.play.session: each message delivered when its time comes), on one
thread. Reported per N: the real-time factor (seconds of music per second of wall clock, and per
second of this process's CPU time — the fairer figure on a shared machine), the late blocks (those
that took longer to compute than they last: a sound card with one block of buffer would have run
dry), and the 99th-percentile and largest block compute times. Next to it, the same music rendered
offline: per-note streams (`render --engine notes`) and persistent voices (`render --engine voices`).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import torch

from conditioning import MidiNote
from samplernn.bench.stream_material import part_lines
from samplernn.bench.stream_quality import note_messages, offline_notes, offline_voices
from samplernn.common.device import resolve_device
from samplernn.common.paths import SHIPPED_MODEL
from samplernn.generate.options import GenerationOptions
from samplernn.generate.stream import StreamConfig
from samplernn.model.checkpoint import Checkpoint, load_checkpoint
from samplernn.play.run import PlayOptions, make_keyboard
from samplernn.play.session import play_messages


def stream_run(
    ckpt: Checkpoint, notes: list[MidiNote], voices: int, block: int, gen: GenerationOptions
) -> dict:
    """Play `notes` in simulated real time through `voices` voices; the timing figures."""
    opts = PlayOptions(StreamConfig(voices=voices, block=block), generation=gen)
    keyboard = make_keyboard(ckpt, opts)
    cpu = time.process_time()
    times = play_messages(keyboard, note_messages(notes), lambda block: False)
    cpu = time.process_time() - cpu
    row = times.summary()
    audio = row["blocks"] * row["block_ms"] / 1000.0
    row.update(
        cpu_realtime_factor=audio / cpu if cpu > 0 else float("inf"),
        peak_voices=keyboard.engine.counters.peak_voices,
        stolen=keyboard.engine.counters.stolen,
    )
    return row


def bench_stream(
    checkpoint: str | Path | None = None,
    counts: list[int] = (1, 2, 4, 8),
    seconds: float = 60.0,
    block: int = 256,
    offline: bool = True,
    device: str = "cpu",
) -> dict[str, Any]:
    """The figures of every run (see the module doc) as a dict. Raises UserError for a bad
    checkpoint or device, ValueError for a block that does not fit the model."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        dev = resolve_device(device)
        ckpt = load_checkpoint(checkpoint or SHIPPED_MODEL, dev)
        gen = GenerationOptions(seed=0, device=dev, threads=1).with_default_temperature(ckpt.temperature)
        rng = ckpt.pitch_range or (40, 65)
        load = os.getloadavg()[0]
        runs = []
        for n in counts:
            notes = part_lines(n, seconds, rng, seed=n)
            row = {"voices": n, "notes": len(notes), **stream_run(ckpt, notes, n + 2, block, gen)}
            if offline:
                played = [(x, x.pitch) for x in notes]
                music = max(x.stop for x in notes)
                row["offline_realtime_factor"] = music / offline_notes(ckpt, played, gen)[2]
                row["offline_voices_realtime_factor"] = music / offline_voices(ckpt, played, gen)[2]
            runs.append(row)
    finally:
        torch.set_num_threads(threads)
    return {
        "checkpoint": str(checkpoint or SHIPPED_MODEL),
        "device": str(dev),
        "backend": "numba" if dev.type == "cpu" else "torch",
        "block": block,
        "block_ms": block / ckpt.sample_rate * 1000.0,
        "seconds": seconds,
        "load": round(load, 2),
        "load_after": round(os.getloadavg()[0], 2),
        "runs": runs,
    }
