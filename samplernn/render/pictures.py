"""Pictures of generated audio: waveform above a spectrogram, with a note's marks."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from samplernn.common.plots import SPECTROGRAM_RANGE_DB, figure

MARKS = (("onset", "green"), ("release", "orange"), ("end", "red"))


def plot_note(
    audio: np.ndarray, sample_rate: int, out: str | Path, title: str = "", marks: tuple[int, ...] = ()
) -> None:
    """Write a PNG of `audio` (n,) at `sample_rate` Hz: the waveform above a log-magnitude
    spectrogram (SPECTROGRAM_RANGE_DB below its loudest bin), with dashed lines at `marks`
    (onset, release, end, in samples). Written atomically."""
    t = np.arange(len(audio)) / sample_rate
    with figure(out, figsize=(9, 5.5), dpi=100) as fig:
        ax1, ax2 = fig.subplots(2, 1, sharex=True)
        ax1.plot(t, audio, lw=0.5, color="tab:blue")
        ax1.set_ylim(-1.05, 1.05)
        ax1.set_ylabel("amplitude")
        ax1.set_title(title)
        nfft = 512 if len(audio) >= 512 else max(16, 1 << (max(len(audio), 2).bit_length() - 1))
        # Digital silence: log10(0) = -inf, which matplotlib masks as "bad" (transparent: white
        # stripes); the colormap draws it as its floor instead.
        from matplotlib import colormaps

        floor = colormaps["magma"].with_extremes(bad=colormaps["magma"](0.0))
        with np.errstate(divide="ignore"):
            pxx, _, _, image = ax2.specgram(
                audio, NFFT=nfft, Fs=sample_rate, noverlap=nfft * 3 // 4, cmap=floor
            )
        top = 10 * np.log10(max(float(pxx.max()), 1e-20))
        image.set_clim(top - SPECTROGRAM_RANGE_DB, top)
        ax2.set_ylabel("Hz")
        ax2.set_xlabel("seconds")
        for ax in (ax1, ax2):
            for m, (name, color) in zip(marks, MARKS, strict=False):
                ax.axvline(m / sample_rate, color=color, lw=0.8, ls="--", label=name if ax is ax1 else None)
        if marks:
            ax1.legend(loc="upper right", fontsize=8)
