"""Render an instrument bank from a General MIDI SoundFont with FluidSynth (default: the bundled bank).

Every note of the grid (by default E2..F4 × velocities 40/80/120 × lengths 0.25/0.5/1/2 s of GM
program 57, trombone, from FluidR3 GM) gets a one-note MIDI file and a mono 16-bit FLAC at 44.1 kHz
(a stereo preset mixed down) with the same stem, under ``<out>/notes/``. The bank is rendered into
a temporary folder next to ``<out>`` and only moved into place when every note passed its checks,
so a failed run leaves the old bank (or none) behind, never half a bank.

    .venv/bin/python scripts/render_bank.py [--out samplernn/banks/trombone] [--soundfont PATH]
        [--fluidsynth PATH] [--program N --name NAME --pitches LO:HI --velocities 40,80,120
        --lengths 0.25,0.5,1,2 --leave-out-every K]

The second instrument of docs/training.md and docs/benchmarks.md (a cello, every third semitone
left out) is

    .venv/bin/python scripts/render_bank.py --out runs/banks/cello --name cello --program 42 \
        --soundfont /usr/share/sounds/sf3/MuseScore_General.sf3 --pitches 36:72 \
        --velocities 33,80,112 --lengths 2 --leave-out-every 3
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import mido
import numpy as np
import soundfile as sf
from rich.progress import track

from conditioning.envelope import find_extent
from conditioning.pitch import note_name
from samplernn.common.paths import BUNDLED_BANK

PROGRAM = 57  # General MIDI Trombone, zero-based
PITCHES = (40, 65)  # E2 .. F4, both included
VELOCITIES = (40, 80, 120)
LENGTHS = (0.25, 0.5, 1.0, 2.0)  # seconds from note-on to note-off
SAMPLE_RATE = 44100
LEAD_IN = 0.05  # seconds of silence before the note-on
TAIL = 2.0  # seconds kept in the MIDI file after the note-off, for the release
TICKS_PER_BEAT = 480
TEMPO = 500_000  # µs per beat: 120 bpm, one tick = 1/960 s, so every time above is a whole tick count
ONSET_THRESHOLD = 0.008  # start = first sample where |x| exceeds this share of the peak
MIN_PEAK = 0.01  # a note quieter than this (-40 dBFS) counts as silent
FULL_SCALE = 32767
PAD = 0.01  # seconds of digital silence kept after the last non-zero sample

DEFAULT_SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
DEFAULT_OUT = BUNDLED_BANK.parent  # the bank that ships inside the package


@dataclass(frozen=True)
class NoteReport:
    """What the checks measured on one rendered note (times in seconds)."""

    stem: str
    velocity: int
    length: float
    peak: float
    onset_offset: float
    release_tail: float
    silence_after_off: float
    duration: float


def stem_for(pitch: int, velocity: int, length: float, instrument: str = "trombone") -> str:
    """'trombone_052_E3_v080_1.00s': MIDI number first so plain and natural sorting agree."""
    name = note_name(pitch).replace("#", "s")
    return f"{instrument}_{pitch:03d}_{name}_v{velocity:03d}_{length:.2f}s"


def kept_pitches(low: int, high: int, leave_out_every: int) -> list[int]:
    """MIDI notes LOW..HIGH (both included), without every K-th semitone counted from LOW + 1.

    K = 0 keeps them all; K = 3 on 36..72 keeps 25 and leaves out 37, 40, …, 70 (12 semitones),
    the bank lacking pitches that `samplernn evaluate` then asks for (issue 13).
    """
    if leave_out_every <= 0:
        return list(range(low, high + 1))
    return [p for p in range(low, high + 1) if (p - low) % leave_out_every != 1]


def seconds_to_ticks(seconds: float) -> int:
    """Exact tick count for a time on the fixed tempo grid (raises if it falls between ticks)."""
    ticks = mido.second2tick(seconds, TICKS_PER_BEAT, TEMPO)
    if abs(ticks - round(ticks)) > 1e-6:
        raise ValueError(f"{seconds} s is not a whole number of ticks")
    return round(ticks)


def write_note_midi(path: Path, pitch: int, velocity: int, length: float, program: int = PROGRAM) -> None:
    """One-track MIDI: tempo and program change at 0, note-on at LEAD_IN, note-off LENGTH later."""
    mid = mido.MidiFile(type=0, ticks_per_beat=TICKS_PER_BEAT)
    track_ = mido.MidiTrack()
    mid.tracks.append(track_)
    track_.append(mido.MetaMessage("set_tempo", tempo=TEMPO, time=0))
    track_.append(mido.Message("program_change", channel=0, program=program, time=0))
    on, off = seconds_to_ticks(LEAD_IN), seconds_to_ticks(length)
    track_.append(mido.Message("note_on", channel=0, note=pitch, velocity=velocity, time=on))
    track_.append(mido.Message("note_off", channel=0, note=pitch, velocity=0, time=off))
    track_.append(mido.MetaMessage("end_of_track", time=seconds_to_ticks(TAIL)))
    mid.save(path)


def render(midi: Path, wav: Path, soundfont: Path, fluidsynth: str) -> None:
    """FluidSynth offline render at 44.1 kHz, reverb and chorus off, gain 1.0."""
    cmd = [fluidsynth, "-ni", "-R", "0", "-C", "0", "-g", "1.0", "-F", str(wav), "-r", str(SAMPLE_RATE)]
    result = subprocess.run([*cmd, str(soundfont), str(midi)], capture_output=True, text=True)
    if result.returncode != 0 or not wav.exists():
        raise RuntimeError(f"fluidsynth failed on {midi.name}:\n{result.stdout}{result.stderr}")


def to_mono(stereo: np.ndarray, name: str) -> np.ndarray:
    """One int16 channel: an exact copy where the channels are equal (the trombone), else their mean.

    With reverb and chorus off (-R 0 -C 0) the channels still differ for a preset built from stereo
    samples or panned layers (FluidR3's flute, violin, cello); `samplernn prepare` would mix such a
    file down the same way.
    """
    if stereo.ndim == 1:
        return stereo
    if np.array_equal(stereo[:, 0], stereo[:, 1]):
        return stereo[:, 0].copy()
    mean = np.round(stereo.astype(np.int32).sum(axis=1) / 2)
    return np.clip(mean, -32768, FULL_SCALE).astype(np.int16)


def trim_silence(x: np.ndarray, name: str) -> np.ndarray:
    """Cut the trailing digital silence, keeping PAD seconds; the release tail itself stays whole.

    In 16 bit the only values below -90 dBFS are 0 and ±1 LSB (-90.3 dBFS); cutting exact zeros
    only keeps every sample of the tail. Fails if the tail runs into the end of the render.
    """
    nonzero = np.flatnonzero(x)
    if nonzero.size == 0:
        raise RuntimeError(f"{name}: render is all zeros")
    end = int(nonzero[-1]) + 1
    pad = round(PAD * SAMPLE_RATE)
    if end + pad > x.size:
        raise RuntimeError(f"{name}: sound reaches the end of the render; raise TAIL")
    return x[: end + pad]


def check_note(x: np.ndarray, stem: str, velocity: int, length: float) -> NoteReport:
    """Not clipped, not silent, start near the note-on; measure the release tail."""
    peak_lsb = int(np.abs(x.astype(np.int32)).max())
    if peak_lsb >= FULL_SCALE:
        raise RuntimeError(f"{stem}: clipped (peak {peak_lsb} LSB)")
    peak = peak_lsb / 32768.0
    if peak < MIN_PEAK:
        raise RuntimeError(f"{stem}: silent (peak {peak:.5f})")
    xf = x.astype(np.float64) / 32768.0
    start = int(np.flatnonzero(np.abs(xf) > ONSET_THRESHOLD * peak)[0])
    onset_offset = start / SAMPLE_RATE - LEAD_IN
    extent = find_extent(xf, ONSET_THRESHOLD)
    assert extent is not None  # peak > 0 checked above
    note_off = LEAD_IN + length
    last_nonzero = int(np.flatnonzero(x)[-1]) + 1
    return NoteReport(
        stem=stem,
        velocity=velocity,
        length=length,
        peak=peak,
        onset_offset=onset_offset,
        release_tail=extent[1] / SAMPLE_RATE - note_off,
        silence_after_off=last_nonzero / SAMPLE_RATE - note_off,
        duration=x.size / SAMPLE_RATE,
    )


def render_note(
    notes: Path,
    work: Path,
    pitch: int,
    velocity: int,
    length: float,
    soundfont: Path,
    fluidsynth: str,
    instrument: str = "trombone",
    program: int = PROGRAM,
) -> NoteReport:
    """MIDI → FluidSynth → mono, trimmed, checked FLAC in `notes` (GM `program`, zero-based)."""
    stem = stem_for(pitch, velocity, length, instrument)
    midi = notes / f"{stem}.mid"
    wav = work / f"{stem}.wav"
    write_note_midi(midi, pitch, velocity, length, program)
    render(midi, wav, soundfont, fluidsynth)
    stereo, sr = sf.read(wav, dtype="int16", always_2d=True)
    wav.unlink()
    if sr != SAMPLE_RATE:
        raise RuntimeError(f"{stem}: rendered at {sr} Hz, expected {SAMPLE_RATE}")
    mono = trim_silence(to_mono(stereo, stem), stem)
    report = check_note(mono, stem, velocity, length)
    flac = notes / f"{stem}.flac"
    sf.write(flac, mono, SAMPLE_RATE, format="FLAC", subtype="PCM_16", compression_level=1.0)
    return report


def install(new_notes: Path, out: Path) -> None:
    """Swap `new_notes` in as `out/notes`, replacing any previous bank only at the very end."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / "notes"
    old = out / "notes.old"
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        target.rename(old)
    shutil.move(str(new_notes), str(target))
    if old.exists():
        shutil.rmtree(old)


def summarise(reports: list[NoteReport], notes: Path) -> None:
    """Print the checks: count, size, onset offsets, peaks per velocity, release tails."""
    files = sorted(notes.iterdir())
    size = sum(f.stat().st_size for f in files)
    offsets = np.array([r.onset_offset for r in reports]) * 1000
    print(f"{len(reports)} notes, {len(files)} files (FLAC + MIDI), {size / 1e6:.2f} MB")
    print(
        f"start - note-on: min {offsets.min():.2f} ms, mean {offsets.mean():.2f} ms, "
        f"max {offsets.max():.2f} ms"
    )
    for v in sorted({r.velocity for r in reports}):
        peaks = np.array([r.peak for r in reports if r.velocity == v])
        db = 20 * np.log10(peaks)
        print(
            f"velocity {v:3d}: peak min {peaks.min():.3f} ({db.min():.1f} dBFS), "
            f"median {np.median(peaks):.3f} ({np.median(db):.1f} dBFS), "
            f"max {peaks.max():.3f} ({db.max():.1f} dBFS)"
        )
    tails = np.array([r.release_tail for r in reports]) * 1000
    silence = np.array([r.silence_after_off for r in reports]) * 1000
    print(
        f"release tail (0.8 % envelope end - note-off): min {tails.min():.0f} ms, "
        f"median {np.median(tails):.0f} ms, max {tails.max():.0f} ms"
    )
    print(
        f"digital silence after note-off: min {silence.min():.0f} ms, "
        f"median {np.median(silence):.0f} ms, max {silence.max():.0f} ms"
    )
    durations = np.array([r.duration for r in reports])
    print(f"file durations: {durations.min():.2f} .. {durations.max():.2f} s, total {durations.sum():.1f} s")


def main(argv: list[str] | None = None) -> int:
    """Render, check and install the bank; exit status 1 on any failed note."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="bank folder (notes go to OUT/notes)")
    parser.add_argument("--soundfont", type=Path, default=DEFAULT_SOUNDFONT, help="SoundFont (.sf2)")
    parser.add_argument("--fluidsynth", default="fluidsynth", help="fluidsynth executable")
    parser.add_argument("--program", type=int, default=PROGRAM, help="GM program, zero-based (57 trombone)")
    parser.add_argument("--name", default="trombone", help="instrument name, the first word of every stem")
    parser.add_argument("--pitches", default=f"{PITCHES[0]}:{PITCHES[1]}", help="MIDI notes LO:HI, both kept")
    parser.add_argument("--velocities", default=",".join(map(str, VELOCITIES)), help="comma-separated")
    parser.add_argument("--lengths", default=",".join(map(str, LENGTHS)), help="seconds, comma-separated")
    parser.add_argument("--leave-out-every", type=int, default=0, help="leave out every K-th semitone")
    args = parser.parse_args(argv)
    try:
        low, high = (int(v) for v in args.pitches.split(":"))
        velocities = [int(v) for v in args.velocities.split(",")]
        lengths = [float(v) for v in args.lengths.split(",")]
    except ValueError:
        print("--pitches is LO:HI, --velocities and --lengths comma-separated numbers", file=sys.stderr)
        return 1

    if not args.soundfont.is_file():
        print(f"SoundFont not found: {args.soundfont}", file=sys.stderr)
        return 1
    if shutil.which(args.fluidsynth) is None:
        print(f"fluidsynth not found: {args.fluidsynth}", file=sys.stderr)
        return 1

    pitches = kept_pitches(low, high, args.leave_out_every)
    grid = [(p, v, n) for p in pitches for v in velocities for n in lengths]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.out.parent, prefix=".render_bank-") as tmp:
        notes = Path(tmp) / "notes"
        work = Path(tmp) / "work"
        notes.mkdir()
        work.mkdir()
        try:
            reports = [
                render_note(notes, work, p, v, n, args.soundfont, args.fluidsynth, args.name, args.program)
                for p, v, n in track(grid, description=f"Rendering {args.name} notes")
            ]
        except RuntimeError as err:
            print(f"error: {err}\nnothing was written to {args.out}", file=sys.stderr)
            return 1
        summarise(reports, notes)
        install(notes, args.out)
    print(f"bank installed in {args.out / 'notes'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
