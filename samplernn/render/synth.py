"""`samplernn synth`: one note (or N takes of it as one batch) from a checkpoint, plus a picture;
an unconditioned model's free-running takes (`free_run`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from conditioning.pitch import note_name, note_span
from samplernn.common.audio import under_full_scale, write_wav
from samplernn.generate.engine import synthesize
from samplernn.generate.options import ONSET_CANDIDATES, GenerationOptions
from samplernn.model.checkpoint import Checkpoint
from samplernn.model.network import N_RAW_COND
from samplernn.prepare.settings import CHUNK_SECONDS
from samplernn.render.drums import held_samples, is_drum_model, kit_keys, piece_name, velocity_outside_layers
from samplernn.render.hits import strike
from samplernn.render.pictures import plot_note
from samplernn.render.streams import StreamSpec, note_stream

DEFAULT_DURATION = 1.5  # seconds from note-on to note-off of a pitched model's note
DEFAULT_VELOCITY = 100  # a note's velocity when none is given


@dataclass
class SynthResult:
    """Generated takes of one note and where the note sits in them (samples); an unconditioned
    model's free-running takes have no note (spec None)."""

    takes: list[np.ndarray]  # float32 (n,) each
    spec: StreamSpec | None  # conditioning and the note event in the takes (onset = lead; a hit's: 0)
    sample_rate: int
    warning: str | None = None
    onset_candidates: int = 1  # the most candidates the onset search tried per take (1: none)
    drums: bool = False  # takes of a drum model: one-shots from their hit


def synth_note(
    ckpt: Checkpoint,
    pitch: int,
    velocity: int | None = None,
    duration: float | None = None,
    *,
    takes: int = 1,
    lead: float = 0.25,
    tail: float = 0.1,
    generation: GenerationOptions | None = None,
    onset_candidates: int = ONSET_CANDIDATES,
) -> SynthResult:
    """Generate `takes` streams of one note: `lead` s of silent context, note-on, `duration` s to
    note-off, the bank's release tail for (pitch, velocity), then `tail` s more.

    `velocity` None: DEFAULT_VELOCITY, which no one chose, so a drum model's takes are not warned
    of it lying outside the kit's layers (a kit prepared without velocity marks has one, at 80):
    only a velocity given is (render.drums.velocity_outside_layers).
    `duration` None: DEFAULT_DURATION, or for a drum model (render.drums) the kit's typical held
    part of that piece and velocity, so that every take is a whole hit of the kit's length. A drum
    model's takes are one-shots as `pack`'s are (render.hits.strike, on the engine `render` would
    take): the lead is the model's context, cut off; each take starts at its hit and fades out.

    `generation` says how (default GenerationOptions()); its temperature defaults to the
    checkpoint's own (see Checkpoint.temperature) and the takes are always one batch.
    onset_candidates: each take of a pitched model is the best of up to this many onsets
    (OnsetSearch; 1 = off; a drum model's hits are searched by their level and likeness,
    OnsetSearch.for_hits).
    Raises ValueError for an impossible note, duration, lead, tail, takes or onset candidates.
    """
    chosen = velocity is not None
    velocity = DEFAULT_VELOCITY if velocity is None else velocity
    if not 0 <= pitch <= 127 or not 1 <= velocity <= 127:
        raise ValueError(f"pitch must be 0..127 and velocity 1..127, got {pitch} and {velocity}")
    if (duration is not None and duration <= 0) or lead < 0 or tail < 0 or takes < 1:
        raise ValueError("duration must be > 0, lead and tail >= 0, takes >= 1")
    sr = ckpt.sample_rate
    drums = is_drum_model(ckpt)
    lead_n = round(lead * sr)
    if duration is None:
        held = held_samples(ckpt.stats, pitch, velocity) if drums else round(DEFAULT_DURATION * sr)
    else:
        held = round(duration * sr)
    # Output positions: the stream starts at sample 0, the note-on at lead_n.
    spec = note_stream(pitch, velocity, lead_n, lead_n + held, ckpt.stats, lead_n, round(tail * sr))
    gen = (generation or GenerationOptions()).for_checkpoint(ckpt)
    gen = replace(gen.with_onset_search(onset_candidates, sr, hits=drums, pieces=ckpt.hit_pieces),
                  batch_size=takes)
    if drums:  # one-shots from their hit: the lead was context for the model, not part of the take
        audio = strike(ckpt, [(pitch, velocity, held)] * takes, gen, lead, tail, engine="auto")
        ev = spec.event
        spec = replace(spec, event=replace(ev, onset=0, release=ev.release - lead_n, end=ev.end - lead_n))
    else:
        audio = synthesize(ckpt.model, [spec.cond] * takes, gen)
    warning = None
    rng = ckpt.pitch_range
    if drums and pitch not in kit_keys(ckpt.stats):
        warning = f"the kit has no piece on key {pitch}; expect a poor sound"
    elif drums and chosen:
        warning = velocity_outside_layers(ckpt.stats, pitch, velocity)
    elif rng and not rng[0] <= pitch <= rng[1]:
        warning = (
            f"{note_name(pitch)} ({pitch}) is outside the model's trained range "
            f"{note_span(*rng)}; expect a poor note"
        )
    return SynthResult(audio, spec, sr, warning, gen.onset_candidates, drums)


FREE_SECONDS = CHUNK_SECONDS  # default length of an unconditioned model's free-running take: prepare's chunks


def free_run(
    ckpt: Checkpoint, seconds: float = FREE_SECONDS, *, takes: int = 1,
    generation: GenerationOptions | None = None,
) -> SynthResult:
    """`takes` streams of `seconds` s each from an unconditioned model (`train --no-conditioning`),
    which plays no notes: it continues from silence as it learned to (SampleRNN's unconditional
    generation, Mehri et al. 2017). One batch; temperature as synth_note's.

    Raises ValueError for a model that takes notes (synth_note plays those), seconds <= 0 or
    takes < 1."""
    if ckpt.model.cfg.conditioning:
        raise ValueError("this model plays notes (C3, 48; a drum model's: snare, 38)")
    if seconds <= 0 or takes < 1:
        raise ValueError("seconds must be > 0 and takes >= 1")
    n = round(seconds * ckpt.sample_rate)
    gen = replace((generation or GenerationOptions()).for_checkpoint(ckpt),
                  batch_size=takes)
    silence = np.zeros((n, N_RAW_COND), np.int32)  # the engine's input; the model reads none of it
    return SynthResult(synthesize(ckpt.model, [silence] * takes, gen), None, ckpt.sample_rate)


def take_paths(out: Path, n: int) -> list[Path]:
    """out.wav for one take; out-1.wav … out-N.wav for several. A name without a suffix stays
    without one (out-1, out-2 …), as one take's `out` and render's output do."""
    if n == 1:
        return [out]
    return [out.with_name(f"{out.stem}-{i}{out.suffix}") for i in range(1, n + 1)]


def take_files(out: Path, n: int, plot: bool = False) -> list[Path]:
    """Every file `write_takes` writes for n takes at `out`: the WAVs, and with plot a PNG beside each."""
    wavs = take_paths(Path(out), n)
    return wavs + ([p.with_suffix(".png") for p in wavs] if plot else [])


def write_takes(
    result: SynthResult, out: str | Path, bit_depth: int = 16, plot: bool = False
) -> list[tuple[Path, float]]:
    """Write every take (and a PNG beside each when plot); returns (path, gain in dB) of each file
    written: a take that would reach full scale is lowered to CEILING_DB peak (common.audio.
    under_full_scale) rather than clipped, and its gain is below 0; 0 for the rest and the PNGs."""
    written: list[tuple[Path, float]] = []
    for path, take in zip(take_paths(Path(out), len(result.takes)), result.takes, strict=True):
        audio, gain_db = under_full_scale(take)
        write_wav(path, audio, result.sample_rate, bit_depth)
        written.append((path, gain_db))
        if plot:
            png = path.with_suffix(".png")
            if result.spec is None:
                plot_note(audio, result.sample_rate, png, f"{path.name}: free-running")
            else:
                ev = result.spec.event
                what = piece_name(ev.pitch) if result.drums else note_name(ev.pitch)
                title = f"{path.name}: {what} velocity {ev.velocity}"
                plot_note(audio, result.sample_rate, png, title, (ev.onset, ev.release, ev.end))
            written.append((png, 0.0))
    return written
