"""The pitch a sample file says it has: the root key of a WAV `smpl` chunk or an AIFF `INST` chunk.

Samplers store the note a recording sounds at in the file itself: WAV's `smpl` chunk (MIDI unity
note plus a fraction of a semitone up from it), AIFF's `INST` chunk (base note plus detune in
cents). GrandOrgue's pipe samples, for one, carry it: their names give the organ key, the chunk
the sounding pitch (a 2' stop's key 55 sounds at 79). Only the chunk headers are read; the audio is
seeked over.

GrandOrgue also ships its pipes WavPack-compressed under a `.wav` name, which libsndfile cannot
decode: `wavpack_message` names such a file so that it is rejected with the remedy, not as
"unreadable". The RIFF header inside a WavPack file is stored verbatim, so its root key is
still read here.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

HEADER_BYTES = 1 << 16  # the chunks before the audio data; WavPack keeps the RIFF header in its first block
MAX_CHUNKS = 64  # chunks walked before giving up (a file of junk after its header)


@dataclass(frozen=True)
class RootKey:
    """A sample's own pitch: MIDI `note` plus `cents` (−50..100) and which chunk said so."""

    note: int
    cents: float
    chunk: str  # "smpl" or "INST"

    @property
    def pitch(self) -> int:
        """The nearest MIDI note to the recorded pitch."""
        return min(127, max(0, self.note + round(self.cents / 100.0)))


def _find_chunk(f: BinaryIO, wanted: bytes, big_endian: bool) -> bytes:
    """The body (its first HEADER_BYTES) of the first chunk `wanted` of the RIFF/FORM container
    that `f` holds from its start, b"" when it has none; chunks before it are seeked over, the
    audio data included: editors write `smpl` after `data` as often as before it."""
    fmt = ">I" if big_endian else "<I"
    f.seek(12)
    for _ in range(MAX_CHUNKS):
        head = f.read(8)
        if len(head) < 8:
            return b""
        cid, size = head[:4], struct.unpack(fmt, head[4:])[0]
        if cid == wanted:
            return f.read(min(size, HEADER_BYTES))
        f.seek(size + (size & 1), io.SEEK_CUR)  # RIFF and IFF chunks are padded to even sizes
    return b""


def read_root_key(path: str | Path) -> RootKey | None:
    """The root key stored in a WAV (`smpl`, before or after the audio data), WavPack-wrapped WAV
    (`smpl` in its stored RIFF header), or AIFF (`INST`) file; None when the file has none, or a
    unity note of 0 with no fraction (what tools write when unset)."""
    try:
        with open(path, "rb") as f:
            data = f.read(HEADER_BYTES)
            source: BinaryIO = f
            if data[:4] == b"wvpk":
                riff = data.find(b"RIFF")
                data = data[riff:] if riff >= 0 else b""
                source = io.BytesIO(data)
            if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
                return _smpl_key(_find_chunk(source, b"smpl", big_endian=False))
            if data[:4] == b"FORM" and data[8:12] in (b"AIFF", b"AIFC"):
                return _inst_key(_find_chunk(source, b"INST", big_endian=True))
    except OSError:
        return None
    return None


def _smpl_key(body: bytes) -> RootKey | None:
    """A WAV `smpl` chunk's unity note and pitch fraction; None when absent or unset."""
    if len(body) < 20:
        return None
    note, fraction = struct.unpack("<II", body[12:20])
    if note > 127 or (note == 0 and fraction == 0):
        return None
    return RootKey(note, fraction / 2**32 * 100.0, "smpl")


def _inst_key(body: bytes) -> RootKey | None:
    """An AIFF `INST` chunk's base note and detune (cents); None when absent or out of range."""
    if len(body) < 2:
        return None
    note, detune = struct.unpack("bb", body[:2])
    if not 0 < note <= 127:
        return None
    return RootKey(note, float(detune), "INST")


def wavpack_message(path: str | Path) -> str | None:
    """A one-line reason for a WavPack file in disguise (GrandOrgue's `.wav` pipes), else None."""
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError:
        return None
    if magic != b"wvpk":
        return None
    return (f"{path}: WavPack-compressed audio, which cannot be read here; decode it first "
            "(wvunpack -y FILE -o OUT.wav keeps its sampler chunks)")
