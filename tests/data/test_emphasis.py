"""Pre-emphasis before quantisation, de-emphasis after: an exact inverse pair, streamable in blocks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from support.synth_data import write_synth_dataset

from samplernn.data.batching import build_bank
from samplernn.data.dataset import load_dataset
from samplernn.data.emphasis import de_emphasize, pre_emphasize
from samplernn.data.quantize import dequantize, quantize
from samplernn.model.config import ModelConfig


def harmonic_note(n: int = 4000, sr: int = 16000) -> np.ndarray:
    t = np.arange(n) / sr
    return (0.5 * np.sin(2 * np.pi * 110 * t) + 0.2 * np.sin(2 * np.pi * 330 * t)).astype(np.float32)


def test_de_emphasis_inverts_pre_emphasis():
    x = harmonic_note()
    y = pre_emphasize(torch.from_numpy(x), 0.85).numpy()
    assert y[0] == x[0] and np.allclose(y[1:], x[1:] - 0.85 * x[:-1])
    back, _ = de_emphasize(y, 0.85)
    assert back.dtype == np.float32 and np.abs(back - x).max() < 1e-5


def test_round_trip_through_mu_law_stays_close_and_0_is_the_identity():
    x = harmonic_note()
    q = quantize(pre_emphasize(torch.from_numpy(x), 0.85))
    back, _ = de_emphasize(dequantize(q).numpy(), 0.85)
    plain = dequantize(quantize(torch.from_numpy(x))).numpy()
    assert np.abs(back - x).max() < 0.02  # the IIR's gain of 1/(1-a) bounds the error it spreads
    assert np.sqrt(np.mean((back - x) ** 2)) < 2 * np.sqrt(np.mean((plain - x) ** 2))
    t = torch.from_numpy(x)
    assert pre_emphasize(t, 0.0) is t and de_emphasize(x, 0.0)[0] is x


def test_state_carried_across_blocks_gives_the_samples_of_one_block():
    y = np.random.default_rng(0).uniform(-1, 1, 1000).astype(np.float32)
    whole, _ = de_emphasize(y, 0.85)
    parts, state = [], 0.0
    for a, b in ((0, 64), (64, 65), (65, 500), (500, 500), (500, 1000)):
        part, state = de_emphasize(y[a:b], 0.85, state)
        parts.append(part)
    np.testing.assert_array_equal(np.concatenate(parts), whole)


def test_bank_is_pre_emphasised_per_note(tmp_path):
    ds = load_dataset(write_synth_dataset(tmp_path / "bank", min_len=40, max_len=80))
    notes = ds.split("train")
    plain, emph = build_bank(ds, notes), build_bank(ds, notes, pre_emphasis=0.85)
    assert torch.equal(plain.lengths, emph.lengths) and not torch.equal(plain.audio, emph.audio)
    for i, rec in enumerate(notes):
        x = torch.from_numpy(ds.load_audio(rec))
        s, n = int(emph.starts[i]), int(emph.lengths[i])
        assert torch.equal(emph.audio[s : s + n].long(), quantize(pre_emphasize(x, 0.85)))


def test_config_reads_0_when_a_checkpoint_predates_it():
    d = ModelConfig(pre_emphasis=0.85).to_dict()
    assert ModelConfig.from_dict(d).pre_emphasis == 0.85
    del d["pre_emphasis"]
    assert ModelConfig.from_dict(d).pre_emphasis == 0.0
    with pytest.raises(ValueError, match="pre_emphasis"):
        ModelConfig(pre_emphasis=1.0)
