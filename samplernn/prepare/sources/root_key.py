"""The pitch a sample file says it has: the root key of a WAV `smpl` chunk or an AIFF `INST` chunk.

Samplers store the note a recording sounds at in the file itself: WAV's `smpl` chunk (MIDI unity
note plus a fraction of a semitone up from it), AIFF's `INST` chunk (base note plus detune in
cents). GrandOrgue's pipe samples, for one, carry it: their names give the organ key, the chunk
the sounding pitch (a 2' stop's key 55 sounds at 79). Only the headers are read.

GrandOrgue also ships its pipes WavPack-compressed under a `.wav` name, which libsndfile cannot
decode: `wavpack_message` names such a file so that it is rejected with the remedy, not as
"unreadable". The RIFF header inside a WavPack file is stored verbatim, so its root key is
still read here.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

HEADER_BYTES = 1 << 16  # the chunks before the audio data; WavPack keeps the RIFF header in its first block


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


def _riff_chunks(data: bytes, big_endian: bool) -> dict[bytes, bytes]:
    """{chunk id: body} of a RIFF/FORM container held in `data` (the header part is enough)."""
    fmt = ">I" if big_endian else "<I"
    chunks: dict[bytes, bytes] = {}
    pos = 12
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack(fmt, data[pos + 4:pos + 8])[0]
        if cid in (b"data", b"SSND"):
            break
        chunks.setdefault(cid, data[pos + 8:pos + 8 + size])
        pos += 8 + size + (size & 1)
    return chunks


def read_root_key(path: str | Path) -> RootKey | None:
    """The root key stored in a WAV (`smpl`), WavPack-wrapped WAV, or AIFF (`INST`) file; None when
    the file has none, or a unity note of 0 with no fraction (what tools write when unset)."""
    try:
        with open(path, "rb") as f:
            data = f.read(HEADER_BYTES)
    except OSError:
        return None
    if data[:4] == b"wvpk":
        riff = data.find(b"RIFF")
        data = data[riff:] if riff >= 0 else b""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        body = _riff_chunks(data, big_endian=False).get(b"smpl", b"")
        if len(body) < 20:
            return None
        note, fraction = struct.unpack("<II", body[12:20])
        if note > 127 or (note == 0 and fraction == 0):
            return None
        return RootKey(note, fraction / 2**32 * 100.0, "smpl")
    if data[:4] == b"FORM" and data[8:12] in (b"AIFF", b"AIFC"):
        body = _riff_chunks(data, big_endian=True).get(b"INST", b"")
        if len(body) < 2:
            return None
        note, detune = struct.unpack("bb", body[:2])
        if not 0 < note <= 127:
            return None
        return RootKey(note, float(detune), "INST")
    return None


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
