"""A note's picture: digital silence in the spectrogram is drawn as the colormap's floor."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from samplernn.render.pictures import plot_note


def test_digital_silence_is_the_spectrograms_floor_not_white(tmp_path: Path) -> None:
    import matplotlib.image

    sr = 8000
    audio = np.zeros(2 * sr, np.float32)
    audio[:sr] = 0.3 * np.random.default_rng(0).standard_normal(sr)  # one second of noise, one of zeros
    plot_note(audio, sr, tmp_path / "n.png")
    rgb = matplotlib.image.imread(tmp_path / "n.png")[..., :3]
    h, w = rgb.shape[:2]
    # The spectrogram's silent second: the lower axes, right half of the time axis.
    silent = rgb[int(0.62 * h) : int(0.82 * h), int(0.62 * w) : int(0.82 * w)]
    assert not np.all(silent > 0.98, axis=-1).any()  # no white (matplotlib's masked -inf)
    assert silent.mean() < 0.1  # the floor of magma: near black
