"""Running the streaming engine in time: a MIDI file in simulated real time, or live input.

Simulated real time (`play_messages`): before each block is generated, the messages whose time
has come (time ≤ the engine's clock) are delivered — none earlier, so nothing is known ahead —
and each takes effect one block after its own time (a constant latency of one block, so their
spacing is kept to the sample). Every block's compute time is measured against the block's
duration: a block that took longer would have been late on a sound card.

Live (`play_live`): messages that arrived while the last block was playing are placed in the next
block at their arrival offset (again one block of latency); blocks go to the sound card, which
paces the loop.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import mido
import numpy as np

from samplernn.play.events import TimedMessage
from samplernn.play.keyboard import Keyboard

Sink = Callable[[np.ndarray], bool]  # takes a block; True when the device ran dry (late)


@dataclass
class BlockTimes:
    """Compute time of every block against its duration (block / sample rate)."""

    block_s: float
    times: list[float] = field(default_factory=list)
    underruns: int = 0  # blocks a sound card reported late

    @property
    def late(self) -> int:
        """Blocks that took longer to compute than they last (or that a device reported late)."""
        return max(self.underruns, sum(t > self.block_s for t in self.times))

    def summary(self) -> dict[str, float]:
        t = np.asarray(self.times) if self.times else np.zeros(1)
        audio = len(self.times) * self.block_s
        return {
            "blocks": len(self.times),
            "late_blocks": self.late,
            "block_ms": self.block_s * 1000.0,
            "mean_compute_ms": float(t.mean() * 1000.0),
            "p99_compute_ms": float(np.quantile(t, 0.99) * 1000.0),
            "max_compute_ms": float(t.max() * 1000.0),
            "realtime_factor": audio / float(t.sum()) if t.sum() > 0 else float("inf"),
        }


def _timed_block(keyboard: Keyboard, times: BlockTimes) -> np.ndarray:
    t = time.perf_counter()
    block = keyboard.engine.render_block()
    times.times.append(time.perf_counter() - t)
    return block


def play_messages(
    keyboard: Keyboard,
    messages: Sequence[TimedMessage],
    sink: Sink,
    *,
    max_seconds: float | None = None,
    times: BlockTimes | None = None,
) -> BlockTimes:
    """Play `messages` through keyboard.engine in simulated real time (see the module doc) until
    every note has ended; notes still down at the last message are released there. Each block
    goes to `sink`. Returns the blocks' compute times (`times`, when given: it holds them so far
    if a Ctrl-C stops the loop)."""
    engine = keyboard.engine
    sr, B = engine.sample_rate, engine.cfg.block
    times = BlockTimes(B / sr) if times is None else times
    todo = sorted(messages, key=lambda m: m.time)
    last = round(todo[-1].time * sr) if todo else 0
    i, released = 0, False
    limit = None if max_seconds is None else round(max_seconds * sr)
    while i < len(todo) or engine.pending or not released:
        while i < len(todo) and round(todo[i].time * sr) <= engine.clock:
            keyboard.handle(todo[i].message, round(todo[i].time * sr) + B)
            i += 1
        if i == len(todo) and not released and engine.clock >= last:
            keyboard.release_all(last + B)
            released = True
        times.underruns += int(sink(_timed_block(keyboard, times)))
        if limit is not None and engine.clock >= limit:
            break
    return times


def play_live(
    keyboard: Keyboard,
    inbox: queue.SimpleQueue[tuple[float, mido.Message]],
    sink: Sink,
    stop: Callable[[], bool],
    times: BlockTimes | None = None,
) -> BlockTimes:
    """Play messages from `inbox` ((arrival time.perf_counter(), message)) as they come, block by
    block into `sink` (a sound card's blocking write paces the loop), until `stop()` says so;
    block times go into `times` (a new BlockTimes by default), which is returned."""
    engine = keyboard.engine
    sr, B = engine.sample_rate, engine.cfg.block
    times = BlockTimes(B / sr) if times is None else times
    started = time.perf_counter()
    while not stop():
        now = time.perf_counter()
        while True:
            try:
                arrived, msg = inbox.get_nowait()
            except queue.Empty:
                break
            offset = min(B - 1, max(0, round((arrived - started) * sr)))
            keyboard.handle(msg, engine.clock + offset)
        started = now
        times.underruns += int(sink(_timed_block(keyboard, times)))
    return times
