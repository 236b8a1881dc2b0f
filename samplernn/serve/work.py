"""What the server's jobs do: generate, measure, rank and draw takes of one note; render a MIDI
file. Each writes only into its job's folder and reports progress through the job."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from pathlib import Path
from typing import Any

from conditioning.pitch import note_name
from samplernn.common.audio import write_wav
from samplernn.common.errors import UserError
from samplernn.common.lists import counted
from samplernn.common.shipped import resolve_checkpoint
from samplernn.generate.options import GenerationOptions
from samplernn.model.checkpoint import Checkpoint
from samplernn.render.midi import RenderOptions, render_midi
from samplernn.render.pictures import plot_note
from samplernn.serve.jobs import Job
from samplernn.serve.ranking import measure_take, rank
from samplernn.serve.requests import TakeRequest

GENERATION_SHARE = 0.8  # of a takes job's progress bar; measuring and drawing the rest
BIT_DEPTH = 16
LABEL = "samplernn"  # the model's name in download names where none is given (serve gives the checkpoint's)


def safe_name(text: str, fallback: str) -> str:
    """`text` as a file name: letters and digits of any script, '.', '-' and '_' only ('Мелодия.mid'
    stays itself: ASCII letters alone made it 'mid'), at most 80 characters; `fallback` if none are left."""
    text = unicodedata.normalize("NFC", text)  # é, not e + a combining accent
    return re.sub(r"[^\w.-]+", "_", text).strip("._")[:80] or fallback


def model_label(checkpoint: str | Path) -> str:
    """The model's name in the names of the files the page offers: its checkpoint's file name without
    '.pt' ('trombone-small', also for the shipped model named without a path), a training run's folder
    name for the run's checkpoints/best.pt ('runs/cello/checkpoints/best.pt': 'cello'; its last.pt:
    'cello-last')."""
    path = resolve_checkpoint(checkpoint)
    if path.parent.name == "checkpoints" and path.parent.parent.name:
        name = path.parent.parent.name + ("" if path.stem == "best" else f"-{path.stem}")
    else:
        name = path.stem
    return safe_name(name, LABEL)


def take_name(req: TakeRequest, take: int, label: str = LABEL) -> str:
    """The download name of a take of the model `label`: 'trombone-small-Cs3-v100-1.00s-take2.wav'
    ('#' spelled 's' for file systems)."""
    note = note_name(req.pitch).replace("#", "s")
    return f"{label}-{note}-v{req.velocity}-{req.duration:.2f}s-take{take}.wav"


def generation_for(job: Job, seed: int | None, share: float) -> GenerationOptions:
    """Options whose progress fills `share` of the job's bar while generating."""
    return GenerationOptions(seed=seed, progress=lambda done, total: job.report(share * done / max(total, 1),
                                                                                "generating"))  # fmt: skip


def make_takes(ckpt: Checkpoint, req: TakeRequest, job: Job, label: str = LABEL) -> dict[str, Any]:
    """Generate req.takes takes as one batch; write each as take-K.wav with take-K.png (waveform and
    spectrogram); measure and rank them. Returns the note, its event times (s) and the takes, best
    first, each with its measures (ranking.TakeMeasures.to_dict), rank and file names (its download
    name take_name's, of the model `label`)."""
    from samplernn.render.synth import synth_note

    result = synth_note(ckpt, req.pitch, req.velocity, req.duration, takes=req.takes,
                        generation=generation_for(job, req.seed, GENERATION_SHARE))  # fmt: skip
    sr, ev = result.sample_rate, result.spec.event
    takes: list[dict[str, Any]] = []
    measures = []
    for k, audio in enumerate(result.takes, start=1):
        job.report(GENERATION_SHARE + (1 - GENERATION_SHARE) * (k - 1) / req.takes, f"measuring take {k}")
        write_wav(job.add_file(f"take-{k}.wav"), audio, sr, BIT_DEPTH)
        title = f"take {k}: {note_name(req.pitch)} velocity {req.velocity}"
        plot_note(audio, sr, job.add_file(f"take-{k}.png"), title, (ev.onset, ev.release, ev.end))
        measures.append(measure_take(audio, ev, ckpt.stats, sr))
        takes.append({"take": k, "wav": f"take-{k}.wav", "png": f"take-{k}.png",
                      "download": take_name(req, k, label), "seconds": len(audio) / sr})  # fmt: skip
    order = rank(measures)
    ranked = [{**takes[i], **measures[i].to_dict(), "rank": r} for r, i in enumerate(order, start=1)]
    return {
        "note": note_name(req.pitch),
        "pitch": req.pitch,
        "velocity": req.velocity,
        "duration": req.duration,
        "sample_rate": sr,
        "onset_s": ev.onset / sr,
        "release_s": ev.release / sr,
        "end_s": ev.end / sr,
        "warning": result.warning,
        "takes": ranked,
    }


def render_file(ckpt: Checkpoint, midi: Path, name: str, opts: RenderOptions, job: Job,
                label: str = LABEL) -> dict[str, Any]:
    """Render the MIDI file `midi` (shown as `name`) to render.wav with render.png beside it.
    Returns the render's summary (seconds, notes, gain, what was ignored or clamped) and file names
    (its download name the song's and the model's, `label`: 'melody-trombone-small.wav')."""
    import soundfile as sf

    opts = replace(opts, bit_depth=BIT_DEPTH, generation=generation_for(job, opts.generation.seed, 0.9))
    try:
        report = render_midi(ckpt, midi, job.add_file("render.wav"), opts)
    except UserError as exc:  # name the file as the user knows it, not by its server path
        raise UserError(str(exc).replace(str(midi), name)) from None
    job.report(0.9, "drawing")
    audio, sr = sf.read(job.dir / "render.wav", dtype="float32")
    what = counted(report.n_notes, "hit" if report.pieces else "note")  # '1 note', not '1 notes'
    plot_note(audio, sr, job.add_file("render.png"), f"{name}: {what}")
    stem = Path(name).stem or "render"
    return {
        "name": name,
        "wav": "render.wav",
        "png": "render.png",
        "download": f"{stem}-{label}.wav",
        "seconds": report.seconds,
        "notes": report.n_notes,
        "gain_db": report.gain_db,
        "peak_db": report.peak_db,
        "elapsed": report.elapsed,
        "ignored": report.ignored,
        "changed": report.changed,
        "pedal_held": report.pedal_held,
        "hanging": report.hanging,  # notes with no note-off, played to their track's last event
    }
