"""MIDI input ports (python-rtmidi) and audio outputs (sounddevice over PortAudio), imported only
when used; every failure — a missing library, no port, no device — is one UserError line."""

from __future__ import annotations

import os
import queue
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import mido
import numpy as np

from samplernn.common.errors import UserError

PORTAUDIO_HINT = ("sounddevice needs the PortAudio library (Debian: apt install libportaudio2); "
                  "without it, -o out.wav plays into a WAV file")


def _rtmidi() -> Any:
    try:
        import rtmidi
    except ImportError:
        raise UserError("MIDI input needs python-rtmidi (pip install python-rtmidi)") from None
    return rtmidi


def sounddevice() -> Any:
    """The sounddevice module; UserError when it or the PortAudio library is missing."""
    try:
        import sounddevice as sd
    except ImportError:
        raise UserError("audio output needs sounddevice (pip install sounddevice); without it, -o out.wav "
                        "plays into a WAV file") from None
    except OSError:  # the module is there, the PortAudio library is not
        raise UserError(PORTAUDIO_HINT) from None
    return sd


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[-1] if lines else type(exc).__name__


@contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Silence the C libraries' own complaints (ALSA prints to fd 2) around a call that reports
    its failure as an exception anyway."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _midi_in() -> Any:
    rtmidi = _rtmidi()
    try:
        with _quiet_stderr():
            return rtmidi.MidiIn()
    except Exception as exc:  # rtmidi raises its own SystemError when ALSA's sequencer is missing
        why = _one_line(exc)
        raise UserError(f"no MIDI system to read from ({why}); play a file with --midi-file (and -o out.wav "
                        "to write it)") from None


def midi_input_ports() -> list[str]:
    """Names of the MIDI input ports; UserError when there is no MIDI system to ask."""
    return list(_midi_in().get_ports())


def audio_outputs() -> list[tuple[int, str, float]]:
    """(index, name, default sample rate) of every audio output device."""
    sd = sounddevice()
    try:
        devices = sd.query_devices()
    except Exception as exc:
        raise UserError(f"no audio system to play on ({_one_line(exc)})") from None
    return [(i, d["name"], float(d["default_samplerate"])) for i, d in enumerate(devices)
            if d["max_output_channels"] > 0]  # fmt: skip


def pick(names: list[str], wanted: str | None, what: str, fallback: str) -> int:
    """Index of `wanted` in `names` (a number, or a part of a name; None = the first).
    UserError naming the choices when there are none or none matches."""
    if not names:
        raise UserError(f"no {what} found; {fallback}")
    if wanted is None:
        return 0
    if wanted.isdigit() and int(wanted) < len(names):
        return int(wanted)
    hits = [i for i, n in enumerate(names) if wanted.lower() in n.lower()]
    if not hits:
        raise UserError(f"no {what} matches {wanted!r} (there are: {', '.join(names)})")
    return hits[0]


class MidiInput:
    """An open MIDI input port whose messages land in `inbox` as (time.perf_counter(), mido.Message)."""

    def __init__(self, port: str | None) -> None:
        names = midi_input_ports()
        index = pick(names, port, "MIDI input port", "connect a keyboard, or play a file with --midi-file")
        self.name = names[index]
        self.inbox: queue.SimpleQueue[tuple[float, mido.Message]] = queue.SimpleQueue()
        self._port = _midi_in()
        try:
            self._port.open_port(index)
        except Exception as exc:
            raise UserError(f"cannot open MIDI input {self.name!r} ({_one_line(exc)})") from None
        self._port.set_callback(self._receive)

    def _receive(self, event: tuple[list[int], float], _data: object = None) -> None:
        try:
            msg = mido.Message.from_bytes(event[0])
        except ValueError:
            return  # sysex fragments and realtime bytes mido cannot parse: not notes
        self.inbox.put((time.perf_counter(), msg))

    def close(self) -> None:
        self._port.close_port()


@dataclass
class AudioOutput:
    """An open mono output stream at the model's rate; `write(block)` blocks until the device has
    room and returns True when the device ran dry before it (an underrun)."""

    stream: Any
    name: str

    @classmethod
    def open(cls, device: str | None, sample_rate: int, block: int) -> AudioOutput:
        outputs = audio_outputs()
        names = [n for _, n, _ in outputs]
        index, name = outputs[pick(names, device, "audio output device", "write a file with -o out.wav")][:2]
        sd = sounddevice()
        default = sd.default.device[1]
        if device is None and isinstance(default, int) and default in [i for i, _, _ in outputs]:
            index, name = default, names[[i for i, _, _ in outputs].index(default)]
        try:
            stream = sd.OutputStream(samplerate=sample_rate, blocksize=block, device=index, channels=1,
                                     dtype="float32", latency="low")  # fmt: skip
            stream.start()
        except Exception as exc:
            raise UserError(f"cannot play on {name!r} at {sample_rate} Hz ({_one_line(exc)})") from None
        return cls(stream, name)

    def write(self, block: np.ndarray) -> bool:
        data = np.clip(np.asarray(block, np.float32), -1.0, 1.0)[:, None]
        return bool(self.stream.write(data))

    def close(self) -> None:
        self.stream.stop()
        self.stream.close()
