"""`samplernn play` as library calls: a source (a MIDI file in simulated real time, or a MIDI input
port) through the streaming engine into a sink (a WAV file, or a sound card)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from conditioning.midi import DRUM_CHANNEL, read_sustain
from samplernn.common.audio import CEILING_DB, limit_peak, write_wav
from samplernn.common.errors import UsageError, UserError
from samplernn.generate.options import GenerationOptions
from samplernn.generate.stream import StreamConfig, StreamEngine
from samplernn.model.checkpoint import Checkpoint
from samplernn.play.devices import AudioOutput, MidiInput
from samplernn.play.events import TimedMessage, close_hanging, close_pedals, midi_file_messages
from samplernn.play.keyboard import Keyboard
from samplernn.play.session import BlockTimes, play_live, play_messages
from samplernn.render.drums import is_drum_model, kit_keys, refuse_transpose
from samplernn.render.midi import (
    CHANNEL_OPTION_HINT,
    RenderOptions,
    as_played,
    channel_mismatch,
    check_length,
    parse_midi,
    read_notes,
    timing_warnings,
)

#: How a drum model's channel_mismatch line ends in `play`, which has no --channel: a file's drum
#: part is its channel 10, a keyboard's notes any channel.
PLAY_CHANNEL_HINT = "play takes a file's drum part from channel 10, and a keyboard's hits from any channel"


@dataclass
class PlayOptions:
    """How to play: the engine's settings, the transposition and the WAV's bit depth; generation's
    temperature None = the checkpoint's own."""

    stream: StreamConfig = field(default_factory=StreamConfig)
    transpose: int = 0
    bit_depth: int = 16
    generation: GenerationOptions = field(default_factory=GenerationOptions)


@dataclass
class PlayReport:
    """What a session did, for the command's summary."""

    source: str
    sink: str
    seconds: float
    notes: int
    stolen: int
    peak_voices: int
    countdown: str  # "held" (the model's held flag), "frozen" (an older one's stand-in), "one-shot" (a kit)
    timing: dict[str, float]
    remarks: list[str]
    gain_db: float = 0.0
    interrupted: bool = False  # a file played into a WAV, stopped by Ctrl-C (what was played is kept)
    written: bool = True  # False: a live session into a WAV stopped before any note (nothing written)


def check_stream_options(ckpt: Checkpoint, stream: StreamConfig) -> None:
    """UsageError for a --block or --countdown that this model cannot take, which the parser cannot
    tell (it knows neither the model's lookback nor whether it has a held flag): `play`'s and
    `bench stream`'s check, once the checkpoint is loaded, before the engine's own (a ValueError
    not naming the option)."""
    lookback = ckpt.model.lookback
    if stream.block % lookback:
        fit = max(lookback, stream.block // lookback * lookback)
        raise UsageError(f"--block {stream.block}: must be a multiple of the model's lookback, {lookback} "
                         f"(e.g. --block {fit})")
    if stream.countdown == "held" and not ckpt.model.cfg.held_flag:
        raise UsageError("--countdown held: this model has no held flag (it was trained without "
                         "--hidden-countdown); leave --countdown at auto")


def make_keyboard(ckpt: Checkpoint, opts: PlayOptions) -> Keyboard:
    """The engine for `ckpt` and the keyboard that feeds it. Raises ValueError for bad settings."""
    gen = opts.generation.for_checkpoint(ckpt)
    engine = StreamEngine(ckpt.model, ckpt.stats, ckpt.sample_rate, opts.stream, gen)
    kit = kit_keys(ckpt.stats) if is_drum_model(ckpt) else None
    return Keyboard(engine, ckpt.pitch_range, opts.transpose, kit)


def _report(kb: Keyboard, times: BlockTimes, source: str, sink: str, gain_db: float = 0.0) -> PlayReport:
    eng = kb.engine
    return PlayReport(source, sink, eng.clock / eng.sample_rate, eng.counters.notes, eng.counters.stolen,
                      eng.counters.peak_voices, _countdown(kb), times.summary(),
                      kb.counters.summary(), gain_db)  # fmt: skip


def _countdown(kb: Keyboard) -> str:
    """How the session's notes knew their end: "one-shot" (a drum kit's hits, their length known at
    the hit), "held" (the model's held flag) or "frozen" (an older model's stand-in)."""
    if kb.kit is not None:
        return "one-shot"
    return "held" if kb.engine.held else "frozen"


class _WavSink:
    """Collects blocks; `finish` writes them peak-safe, as `render` does."""

    def __init__(self, pace: float | None = None) -> None:
        self.blocks: list[np.ndarray] = []
        self.pace, self.t0 = pace, time.perf_counter()

    def __call__(self, block: np.ndarray) -> bool:
        self.blocks.append(block)
        if self.pace:  # live input without a sound card: keep to the wall clock
            ahead = self.t0 + len(self.blocks) * self.pace - time.perf_counter()
            time.sleep(max(0.0, ahead))
        return False

    def finish(self, out: Path, sample_rate: int, bit_depth: int) -> float:
        audio = np.concatenate(self.blocks) if self.blocks else np.zeros(0)
        audio, gain_db, _ = limit_peak(audio, CEILING_DB)
        write_wav(out, audio, sample_rate, bit_depth)
        return gain_db


def play_file(
    ckpt: Checkpoint,
    midi: str | Path,
    opts: PlayOptions,
    out: str | Path | None = None,
    device: str | None = None,
) -> PlayReport:
    """Play a MIDI file in simulated real time (play/session.py) into the WAV `out`, or else on the
    audio `device` (None: the default) in real time. Raises UsageError for a transposition with a
    drum model (as render does), UserError for a bad file or device, and, into a WAV, for a file
    whose notes end after render's `RenderOptions.max_seconds` (as played: a sustain pedal holds its
    notes, as render holds them) or of which no note could be played
    (all outside the model's range, say: nothing is written); UserError for a file with drum-channel
    notes only and a pitched model, or with none and a drum model (render.midi.channel_mismatch),
    live or not. A Ctrl-C while playing into a WAV writes what was played, as from a keyboard (a
    remark says so)."""
    drums = is_drum_model(ckpt)
    if drums:  # a live keyboard may shift its keys onto a kit, a file not
        refuse_transpose(opts.transpose)
    parsed = parse_midi(Path(midi))  # once, for the notes and the messages
    notes = read_notes(Path(midi), parsed)
    mismatch = channel_mismatch(str(midi), notes, kit_keys(ckpt.stats) if drums else None)
    if mismatch:  # a file of only the part the model does not play: render's line, not a played silence
        raise UserError(mismatch.replace(f" ({CHANNEL_OPTION_HINT})", f" ({PLAY_CHANNEL_HINT})"))
    # as render plays them: the pedal holds notes, an all-notes-off or a re-strike ends one left hanging
    pedal = read_sustain(parsed)  # once: for the notes as played and for the pedal left down
    sounding = as_played(notes, parsed, drums, pedal)
    messages = close_hanging(midi_file_messages(midi, parsed), sounding)
    if drums:  # a file's drum part is its channel 10, as render plays it; a keyboard any
        messages = drum_channel(messages)
    else:  # a pedal the file leaves down holds its notes to the file's end, as render holds them
        messages = close_pedals(messages, pedal)
    # a hit lasts the kit's length whatever its note-off; a note of no length plays live as it comes
    hanging = [] if drums else timing_warnings([n for n in sounding if n.hanging])
    kb = make_keyboard(ckpt, opts)
    sr = ckpt.sample_rate
    if out is not None:  # offline, as `render`: a stuck note would fill the memory
        check_length(Path(midi), sounding, RenderOptions.max_seconds, notes, option=None)
        sink, times = _WavSink(), BlockTimes(opts.stream.block / sr)
        try:
            play_messages(kb, messages, sink, times=times)
            stopped = None
        except KeyboardInterrupt:  # as from a keyboard: what was played so far is kept
            if not sink.blocks:
                raise
            stopped = f"stopped by Ctrl-C at {kb.engine.clock / sr:.1f} s: the WAV holds what was played"
        if not kb.counters.notes:  # as render refuses it: a WAV of silence is no answer
            left = "; ".join(kb.counters.summary()) or "no notes in the file"
            raise UserError(f"{midi}: no note could be played ({left}); nothing written")
        gain = sink.finish(Path(out), sr, opts.bit_depth)
        report = _report(kb, times, str(midi), str(out), gain)
        report.remarks += hanging + ([stopped] if stopped else [])
        report.interrupted = stopped is not None
        return report
    output = AudioOutput.open(device, sr, opts.stream.block)
    try:
        times = play_messages(kb, messages, output.write)
    finally:
        output.close()
    report = _report(kb, times, str(midi), output.name)
    report.remarks += hanging
    return report


def drum_channel(messages: list[TimedMessage]) -> list[TimedMessage]:
    """The messages of the drum channel (10; render's choice for a drum model) and those of no
    channel (a file without drum notes is refused before: render.midi.channel_mismatch)."""
    return [m for m in messages if getattr(m.message, "channel", DRUM_CHANNEL) == DRUM_CHANNEL]


def play_keyboard(
    ckpt: Checkpoint,
    opts: PlayOptions,
    port: str | None = None,
    out: str | Path | None = None,
    device: str | None = None,
    stop: Callable[[], bool] = lambda: False,
    ready: Callable[[str, str], Any] = lambda source, sink: None,
) -> PlayReport:
    """Play from a MIDI input `port` (None: the first) onto the audio `device` (None: the default),
    or into the WAV `out`, until `stop()` is true or Ctrl-C; ready(source, sink) is called once
    both are open. A session into a WAV stopped before any note was played writes nothing (the
    report's `written` is False): a WAV of silence, or an empty one, is no take. Raises UserError
    when there is no port or no device."""
    midi_in = MidiInput(port)
    kb = make_keyboard(ckpt, opts)
    sr, B = ckpt.sample_rate, opts.stream.block
    output = None if out is not None else AudioOutput.open(device, sr, B)
    sink = _WavSink(pace=B / sr) if output is None else output.write
    ready(midi_in.name, str(out) if output is None else output.name)
    times = BlockTimes(B / sr)
    try:
        play_live(kb, midi_in.inbox, sink, stop, times)
    except KeyboardInterrupt:
        pass
    finally:
        midi_in.close()
        if output is not None:
            output.close()
    if output is not None:
        return _report(kb, times, midi_in.name, output.name)
    report = _report(kb, times, midi_in.name, str(out))
    if kb.counters.notes and sink.blocks:
        report.gain_db = sink.finish(Path(out), sr, opts.bit_depth)
    else:
        report.written = False
    return report
