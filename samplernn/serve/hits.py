"""What a takes job does for a drum model: takes of one piece at one velocity, generated and
judged as `samplernn pack` makes them (render.pack: each hit the best of its searched starts, the
kit's own length, the one-shot checks against the kit reference), best first, each a WAV and a
PNG (on the voices where `pack` would use them). A pitched model's takes are serve.work's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from samplernn.common.audio import under_full_scale, write_wav
from samplernn.generate.options import ONSET_CANDIDATES
from samplernn.measures import oneshot
from samplernn.model.checkpoint import Checkpoint
from samplernn.render.drums import held_samples, piece_name, piece_slug
from samplernn.render.pack import generate_takes, judge, reference
from samplernn.render.pictures import plot_note
from samplernn.serve.jobs import Job
from samplernn.serve.requests import TakeRequest
from samplernn.serve.work import BIT_DEPTH, GENERATION_SHARE, LABEL, generation_for

# A take's fields that stay out of the page's JSON (the page has its own names for them).
_LEFT_OUT = ("file", "key", "piece", "velocity", "take")


def kit_reference(ckpt: Checkpoint) -> tuple[oneshot.KitReference, str]:
    """The reference a drum model's takes are judged against, and the page's words for where it
    came from (no server paths): the real samples of the dataset the checkpoint was trained on
    when it is still there (likeness and novelty too), else the bank statistics (decays only) —
    render.pack.reference. Raises UserError for a recorded dataset that cannot be read."""
    ref, _, _ = reference(ckpt, None, [], 0)
    if not ref.centroids:
        return ref, "the kit's statistics in the checkpoint"
    name = Path(str((ckpt.payload.get("dataset") or {}).get("path", ""))).name
    return ref, f"the kit's real samples in {name}"


def hit_take_name(req: TakeRequest, take: int, label: str = LABEL) -> str:
    """The download name of a hit's take of the model `label`: 'kit-38-acoustic-snare-v100-take2.wav'."""
    return f"{label}-{piece_slug(req.pitch)}-v{req.velocity}-take{take}.wav"


def make_hit_takes(
    ckpt: Checkpoint, req: TakeRequest, job: Job, kit: tuple[oneshot.KitReference, str], label: str = LABEL
) -> dict[str, Any]:
    """Generate req.takes hits of piece req.pitch at req.velocity as one batch, each searched by
    level and, when the checkpoint carries its kit's pieces, likeness (OnsetSearch.for_hits), and
    as long as the kit's hits; judge them against `kit` (from `kit_reference`); write take-K.wav
    (lowered to -1 dBFS when it reached full scale) and take-K.png. Returns the piece, the hit's
    event times (s) and the takes, best first (the most checks passed, then the decay nearest the
    kit's: render.pack.score_take), each with its measures, checks, rank and file names (its download
    name hit_take_name's, of the model `label`)."""
    sr = ckpt.sample_rate
    gen = generation_for(job, req.seed, GENERATION_SHARE)
    gen = gen.with_onset_search(ONSET_CANDIDATES, sr, hits=True, pieces=ckpt.hit_pieces)
    takes = generate_takes(ckpt, [(req.pitch, req.velocity)], req.takes, gen, engine="auto")
    ref, where = kit
    judge(takes, ref)
    held = held_samples(ckpt.stats, req.pitch, req.velocity)
    end = held + ckpt.stats.release_tail(req.pitch, req.velocity)
    entries = []
    for t in takes:
        k = t.number
        job.report(GENERATION_SHARE + (1 - GENERATION_SHARE) * (k - 1) / req.takes, f"drawing take {k}")
        audio, gain_db = under_full_scale(t.audio)
        write_wav(job.add_file(f"take-{k}.wav"), audio, sr, BIT_DEPTH)
        title = f"take {k}: {piece_name(req.pitch)} velocity {req.velocity}"
        plot_note(audio, sr, job.add_file(f"take-{k}.png"), title, (0, held, end))
        record = {f: v for f, v in t.record(sr).items() if f not in _LEFT_OUT}
        nearest = record.get("nearest_piece")
        entries.append({"take": k, "wav": f"take-{k}.wav", "png": f"take-{k}.png",
                        "download": hit_take_name(req, k, label), **record, "gain_db": round(gain_db, 2),
                        "nearest_piece": None if nearest is None else piece_name(int(nearest))})  # fmt: skip
    order = sorted(range(len(takes)), key=lambda i: (-takes[i].score, i))
    return {
        "note": piece_name(req.pitch),
        "pitch": req.pitch,
        "velocity": req.velocity,
        "duration": None,
        "drums": True,
        "sample_rate": sr,
        "onset_s": 0.0,
        "release_s": held / sr,
        "end_s": end / sr,
        "reference": where,
        "warning": req.played_by,  # a piece the kit lacks, played by its kind's, as synth says
        "takes": [{**entries[i], "rank": r} for r, i in enumerate(order, start=1)],
    }
