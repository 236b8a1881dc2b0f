"""`samplernn bench stream`: can the streaming engine keep up, and with how many voices?

For each number of voices N, N legato parts (bench.stream_material) are played through the engine
in simulated real time (samplernn.play.session: each message delivered when its time comes), on one
thread, with a pool as large as the most notes sounding at once (nothing stolen: a note's release
tail overlaps the next note of its part, so up to about 1.5 N voices sound; `peak_voices` says).
Reported per N: the real-time factor (seconds of music per second of wall clock, and per second
of this process's CPU time — the fairer figure on a shared machine), the late blocks (those that
took longer to compute than they last: a sound card with one block of buffer would have run dry),
and the 99th-percentile and largest block compute times. Next to it, the same music rendered
offline: per-note streams (`render --engine notes`) and persistent voices (`render --engine voices`).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from conditioning import MidiNote
from samplernn.bench.stream_material import part_lines
from samplernn.bench.stream_quality import note_messages, offline_notes, offline_voices
from samplernn.common.device import resolve_device
from samplernn.common.paths import SHIPPED_MODEL
from samplernn.generate.options import GenerationOptions
from samplernn.generate.stream import StreamConfig
from samplernn.model.checkpoint import Checkpoint, load_checkpoint
from samplernn.play.run import PlayOptions, check_stream_options, make_keyboard
from samplernn.play.session import play_messages
from samplernn.render.voices import most_at_once, voice_spans


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
    checkpoint or device, UsageError for a --block that does not fit the model (check_stream_options)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        dev = resolve_device(device)
        ckpt = load_checkpoint(checkpoint or SHIPPED_MODEL, dev)
        check_stream_options(ckpt, StreamConfig(block=block))
        gen = GenerationOptions(seed=0, device=dev, threads=1).for_checkpoint(ckpt)
        rng = ckpt.pitch_range or (40, 65)
        load = os.getloadavg()[0]
        tail = round(StreamConfig.tail * ckpt.sample_rate)
        runs = []
        for n in counts:
            notes = part_lines(n, seconds, rng, seed=n)
            played = [(x, x.pitch) for x in notes]
            spans = voice_spans(played, ckpt.stats, ckpt.sample_rate, ckpt.model.lookback, tail)
            pool = most_at_once(spans)  # every note its voice: nothing stolen, the whole work timed
            row = {"voices": n, "notes": len(notes), **stream_run(ckpt, notes, pool, block, gen)}
            if offline:
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


WAYS = ("offline", "voices", "live")  # per-note streams, offline voices, simulated real time


def _fitted_notes(path: Path, pitch_range: tuple[int, int]) -> list[MidiNote]:
    """A file's notes (drums left out), transposed into the model's range as evaluate does."""
    from dataclasses import replace

    from conditioning import read_midi_notes
    from samplernn.render.range_fit import fit_to_range

    notes = [n for n in read_midi_notes(path) if not n.is_drum]
    _, pitches, _ = fit_to_range([n.pitch for n in notes], *pitch_range)
    return [replace(n, pitch=p) for n, p in zip(notes, pitches, strict=True)]


def compare_live_offline(
    checkpoint: str | Path | None, midis: list[Path], seeds: int = 2, block: int = 256, device: str = "cpu"
) -> dict[str, Any]:
    """Every file played three ways (WAYS) with seeds 0 … seeds-1, each note scored on its own
    output (stream_quality): per way, the summary over all notes, the mean loudness of the mixes,
    and for live play the block-boundary jumps. Raises UserError for a bad checkpoint or file,
    UsageError for a --block that does not fit the model (check_stream_options)."""
    from samplernn.bench.stream_quality import boundary_jumps, live, summarize
    from samplernn.measures.sound import rms, to_db

    ckpt = load_checkpoint(checkpoint or SHIPPED_MODEL, resolve_device(device))
    check_stream_options(ckpt, StreamConfig(block=block))
    rng = ckpt.pitch_range or (0, 127)
    pieces = {Path(m).name: _fitted_notes(Path(m), rng) for m in midis}
    scores: dict[str, list] = {w: [] for w in WAYS}
    loud: dict[str, list[float]] = {w: [] for w in WAYS}
    jumps = []
    for seed in range(seeds):
        gen = GenerationOptions(seed=seed, device=device).for_checkpoint(ckpt)
        for notes in pieces.values():
            played = [(n, n.pitch) for n in notes]
            results = (
                offline_notes(ckpt, played, gen),
                offline_voices(ckpt, played, gen),
                live(ckpt, notes, gen, StreamConfig(block=block)),
            )
            for way, (s, y, _) in zip(WAYS, results, strict=True):
                scores[way] += s
                loud[way].append(to_db(rms(y)))
                if way == "live":
                    jumps.append(boundary_jumps(y, block))
    rows = {w: {**summarize(scores[w]), "mix_db": float(np.mean(loud[w])),
                "octave": sum(s.kind == "octave" for s in scores[w])} for w in WAYS}  # fmt: skip
    rows["live"].update({k: float(np.mean([j[k] for j in jumps])) for k in jumps[0]})
    rows["live"]["boundary_max"] = max(j["boundary_max"] for j in jumps)
    return {"checkpoint": str(checkpoint or SHIPPED_MODEL), "files": list(pieces), "seeds": seeds,
            "countdown": "held" if ckpt.config.held_flag else "frozen", "ways": rows}  # fmt: skip
