"""`samplernn synth`: one note (or N takes of it as one batch) from a checkpoint, plus a picture."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from conditioning.pitch import note_name
from samplernn.common.audio import write_wav
from samplernn.common.files import atomic_path
from samplernn.generate.engine import generate_audio
from samplernn.model.checkpoint import Checkpoint
from samplernn.render.midi import StreamSpec, note_stream


@dataclass
class SynthResult:
    """Generated takes of one note and where the note sits in them (samples)."""

    takes: list[np.ndarray]  # float32 (n,) each
    spec: StreamSpec  # conditioning and the note event (onset = lead)
    sample_rate: int
    warning: str | None = None


def synth_note(
    ckpt: Checkpoint,
    pitch: int,
    velocity: int = 100,
    duration: float = 1.5,
    *,
    takes: int = 1,
    lead: float = 0.25,
    tail: float = 0.1,
    temperature: float | None = None,
    seed: int | None = None,
    device: str | None = None,
    progress: bool = False,
    precision: str = "auto",
    threads: int | None = None,
) -> SynthResult:
    """Generate `takes` streams of one note: `lead` s of silent context, note-on, `duration` s to
    note-off, the bank's release tail for (pitch, velocity), then `tail` s more. `temperature`
    defaults to the checkpoint's own (see Checkpoint.temperature)."""
    if not 0 <= pitch <= 127 or not 1 <= velocity <= 127:
        raise ValueError(f"pitch must be 0..127 and velocity 1..127, got {pitch} and {velocity}")
    if duration <= 0 or lead < 0 or tail < 0 or takes < 1:
        raise ValueError("duration must be > 0, lead and tail >= 0, takes >= 1")
    sr = ckpt.sample_rate
    lead_n = round(lead * sr)
    # Output positions: the stream starts at sample 0, the note-on at lead_n.
    spec = note_stream(
        pitch, velocity, lead_n, lead_n + round(duration * sr), ckpt.stats, lead_n, round(tail * sr)
    )
    audio = generate_audio(
        ckpt.model,
        [spec.cond] * takes,
        temperature=ckpt.sampling_temperature(temperature),
        seed=seed,
        batch_size=takes,
        device=device,
        progress=progress,
        precision=precision,
        threads=threads,
    )
    warning = None
    rng = ckpt.pitch_range
    if rng and not rng[0] <= pitch <= rng[1]:
        warning = (
            f"{note_name(pitch)} ({pitch}) is outside the model's trained range "
            f"{note_name(rng[0])}–{note_name(rng[1])}; expect a poor note"
        )
    return SynthResult(audio, spec, sr, warning)


def take_paths(out: Path, n: int) -> list[Path]:
    """out.wav for one take; out-1.wav … out-N.wav for several."""
    if n == 1:
        return [out]
    return [out.with_name(f"{out.stem}-{i}{out.suffix or '.wav'}") for i in range(1, n + 1)]


def write_takes(result: SynthResult, out: str | Path, bit_depth: int = 16, plot: bool = False) -> list[Path]:
    """Write every take (and a PNG beside each when plot); returns the paths written."""
    written: list[Path] = []
    for path, audio in zip(take_paths(Path(out), len(result.takes)), result.takes, strict=True):
        write_wav(path, audio, result.sample_rate, bit_depth)
        written.append(path)
        if plot:
            ev = result.spec.event
            png = path.with_suffix(".png")
            title = f"{path.name}: {note_name(ev.pitch)} velocity {ev.velocity}"
            plot_note(audio, result.sample_rate, png, title, (ev.onset, ev.release, ev.end))
            written.append(png)
    return written


def plot_note(
    audio: np.ndarray, sample_rate: int, out: str | Path, title: str = "", marks: tuple[int, ...] = ()
) -> None:
    """Waveform above a log-magnitude spectrogram, with onset/release/end marks (samples), as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = np.arange(len(audio)) / sample_rate
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 5.5), dpi=100, sharex=True)
    ax1.plot(t, audio, lw=0.5, color="tab:blue")
    ax1.set_ylim(-1.05, 1.05)
    ax1.set_ylabel("amplitude")
    ax1.set_title(title)
    nfft = 512 if len(audio) >= 512 else max(16, 1 << (max(len(audio), 2).bit_length() - 1))
    with np.errstate(divide="ignore"):  # digital silence: log10(0) = -inf is drawn as the floor
        pxx, _, _, image = ax2.specgram(audio, NFFT=nfft, Fs=sample_rate, noverlap=nfft * 3 // 4,
                                        cmap="magma")
    top = 10 * np.log10(max(float(pxx.max()), 1e-20))
    image.set_clim(top - 80, top)  # an 80 dB range below the loudest bin
    ax2.set_ylabel("Hz")
    ax2.set_xlabel("seconds")
    for ax in (ax1, ax2):
        for m, name, color in zip(
            marks, ("onset", "release", "end"), ("green", "orange", "red"), strict=False
        ):
            ax.axvline(m / sample_rate, color=color, lw=0.8, ls="--", label=name if ax is ax1 else None)
    if marks:
        ax1.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
