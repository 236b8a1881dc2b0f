"""The sound check of a validation: generate a few short validation notes and score how they sound.

The notes (`Probe`s) are picked once per run from the val split, spread over its pitches and
velocities, and shortened to at most `sound_seconds`; every validation generates all of them in
one batch with a fixed seed (the generation engine: numba on a CPU), each `--sound-draws` times
(a drum kit's default: 4), and scores them
(samplernn.train.sound_score). A drum kit's probes are its validation hits, each generated for
`sound_seconds` from its onset and scored as one-shots (samplernn.train.drum_check).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from conditioning import NoteEvent, events_to_conditioning
from samplernn.common.threads import MAX_THREADS
from samplernn.data.dataset import NoteRecord, PreparedDataset
from samplernn.data.drum_bank import is_drum_bank
from samplernn.measures import sound as measures
from samplernn.model.network import SampleRNN
from samplernn.train.drum_check import HitProbe, hit_probe, piece_centroids
from samplernn.train.sound_score import NoteScore, SoundScore, score_note

#: Seconds generated past each note's requested end: a note that does not stop shows up as a
#: length error instead of being cut off.
TAIL_SECONDS = 0.2


@dataclass(frozen=True)
class NoteProbe:
    """A validation note as the sound check plays it: the event asked for (the real note's, or a
    shortened copy), its conditioning (n, 5) int32 with n = end + TAIL_SECONDS, and the real
    note's RMS level in dB over `level_span` (the held part both share)."""

    id: str
    event: NoteEvent
    cond: np.ndarray
    real_db: float
    level_span: tuple[int, int]

    def score(self, generated: np.ndarray, sample_rate: int) -> NoteScore:
        """Measure the generated note (float (len(cond),)) against the real one."""
        return score_note(generated, self.event, sample_rate, self.real_db, self.level_span)


#: What the sound check plays: a note of a pitched bank, or a drum kit's hit.
Probe = NoteProbe | HitProbe


def pick_notes(notes: Sequence[NoteRecord], count: int) -> list[NoteRecord]:
    """Up to `count` notes evenly spaced over `notes` sorted by (pitch, velocity, id): the range
    from the lowest to the highest pitch. Deterministic."""
    ordered = sorted(notes, key=lambda r: (r.pitch, r.velocity, r.id))
    if len(ordered) <= count:
        return ordered
    return [ordered[i] for i in np.linspace(0, len(ordered) - 1, count).round().astype(int)]


def shorten(event: NoteEvent, max_len: int) -> NoteEvent:
    """`event` cut to at most `max_len` samples from its onset: the release tail is kept (at most
    half the note), the held part gives way."""
    if event.length <= max_len:
        return event
    tail = min(event.end - event.release, max_len // 2)
    end = event.onset + max_len
    return NoteEvent(event.pitch, event.velocity, event.onset, end - tail, end)


def make_probes(dataset: PreparedDataset, count: int, seconds: float) -> list[Probe]:
    """The sound check's notes: up to `count` val notes of at most `seconds`, with the level
    column from the dataset's bank statistics (as training sees them); for a drum kit, up to
    `count` val hits, each played for `seconds` from its onset, their likeness told by the train
    hits' piece centroids (drum_check.hit_probe, drum_check.piece_centroids)."""
    picked = pick_notes(dataset.split("val"), count)
    if is_drum_bank(dataset.info.get("layout"), dataset.stats):
        centroids = piece_centroids(dataset)
        return [hit_probe(dataset, rec, seconds, centroids) for rec in picked]
    sr = dataset.sample_rate
    tail = int(round(TAIL_SECONDS * sr))
    probes: list[Probe] = []
    for rec in picked:
        ev = shorten(rec.event, max(1, int(seconds * sr)))
        span = (ev.onset, max(ev.onset + 1, min(ev.release, rec.release)))
        real_db = measures.to_db(measures.rms(dataset.load_audio(rec), *span))
        cond = events_to_conditioning([ev], ev.end + tail, dataset.stats)
        probes.append(NoteProbe(rec.id, ev, cond, real_db, span))
    return probes


def listen(
    model: SampleRNN,
    probes: Sequence[Probe],
    sample_rate: int,
    *,
    seed: int = 0,
    device: torch.device | str = "cpu",
    threads: int = 1,
    temperature: float = 1.0,
    draws: int = 1,
) -> SoundScore:
    """Generate every probe `draws` times in one batch (each row its own random numbers; at
    `temperature`: the one the model will be played at, recipe.playing_temperature; `seed`) on
    `device` and score them all: the score is the mean over the len(probes) × draws notes.

    The model's train mode and torch's RNG are left as they were. Raises ValueError for no probes
    or draws < 1.
    """
    from samplernn.generate.engine import synthesize
    from samplernn.generate.options import GenerationOptions

    if not probes or draws < 1:
        raise ValueError(f"the sound check needs at least one note and one draw ({len(probes)}, {draws})")
    played = list(probes) * draws
    t0 = time.monotonic()
    dev = torch.device(device)
    opts = GenerationOptions(temperature=temperature, seed=seed, batch_size=len(played), device=dev,
                             threads=max(1, min(threads, len(played), MAX_THREADS)))  # fmt: skip
    was_training = model.training
    model.eval()
    try:
        with torch.random.fork_rng(devices=[dev] if dev.type == "cuda" else []):
            audio = synthesize(model, [p.cond for p in played], opts)
    finally:
        model.train(was_training)
    notes = [p.score(x, sample_rate) for x, p in zip(audio, played, strict=True)]
    return SoundScore.of(notes, time.monotonic() - t0)
