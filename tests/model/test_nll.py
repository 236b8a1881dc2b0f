"""NLL in bits per sample: independent of window/batch (state carried), whole files, per pitch."""

from __future__ import annotations

import math

import pytest
import torch
from support.synth_data import write_synth_dataset

from samplernn.common.errors import UserError
from samplernn.data.dataset import load_dataset
from samplernn.data.quantize import quantize, zero_level
from samplernn.model.config import preset
from samplernn.model.network import build_model
from samplernn.model.nll import dataset_nll, masked_nll

# pre_emphasis 0: the expected NLLs below are of the plain signal (the preset pre-emphasises)
TINY = {"frame_sizes": (4, 2), "dim": 8, "n_rnn": 1, "embed_dim": 4, "note_embed_dim": 2, "pre_emphasis": 0.0}


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return load_dataset(write_synth_dataset(tmp_path_factory.mktemp("ds") / "bank", min_len=50, max_len=120))


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return build_model(preset("small", **TINY)).eval()


def test_nll_does_not_depend_on_window_or_batch(dataset, model):
    a = dataset_nll(model, dataset, "val", window=8, batch_size=1)
    b = dataset_nll(model, dataset, "val", window=32, batch_size=5)
    assert a.n_samples == b.n_samples == sum(n.n_samples for n in dataset.split("val"))
    assert a.overall == pytest.approx(b.overall, rel=1e-5)
    assert a.per_pitch.keys() == {48, 55, 60}
    for p in a.per_pitch:
        assert a.per_pitch[p] == pytest.approx(b.per_pitch[p], rel=1e-5)


def test_nll_matches_one_pass_over_each_file(dataset, model):
    """Reference: one forward over [L silent samples, whole note, padding] per note."""
    L, cfg = model.lookback, model.cfg
    total, count = 0.0, 0
    for rec in dataset.split("test"):
        q = quantize(torch.from_numpy(dataset.load_audio(rec)), cfg.q_levels, cfg.quantization)
        n = len(q)
        T = -(-n // L) * L
        x = torch.full((1, L + T), zero_level(cfg.q_levels, cfg.quantization))
        x[0, L : L + n] = q
        cond = torch.zeros(1, T, 5, dtype=torch.int32)
        cond[0, :n] = torch.from_numpy(rec.conditioning(dataset.stats))
        mask = torch.zeros(1, T, dtype=torch.bool)
        mask[0, :n] = True
        with torch.no_grad():
            logits, _ = model(x, cond)
        total += float(masked_nll(logits, x[:, L:], mask).sum())
        count += n
    res = dataset_nll(model, dataset.root, "test", window=16, batch_size=3)
    assert res.n_samples == count
    assert res.overall == pytest.approx(total / count / math.log(2), rel=1e-5)


def test_uniform_model_scores_log2_levels(dataset):
    model = build_model(preset("small", **TINY, weight_norm=False)).eval()
    with torch.no_grad():
        model.sample_mlp.output.weight.zero_()
        model.sample_mlp.output.bias.zero_()
    assert dataset_nll(model, dataset, "val", window=16).overall == pytest.approx(8.0, abs=1e-5)


def test_empty_split_is_a_user_error(tmp_path, model):
    root = write_synth_dataset(tmp_path / "bank", per_split={"train": 1, "val": 1})
    with pytest.raises(UserError, match="'test' split holds no notes"):
        dataset_nll(model, root, "test")
