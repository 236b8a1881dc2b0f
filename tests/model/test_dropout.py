"""Dropout (ModelConfig.dropout): active in training mode only, shapes no weight, never heard."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from support.tiny import tiny_model

from samplernn.generate.engine import synthesize
from samplernn.model.config import ModelConfig

pytestmark = pytest.mark.usefixtures("one_thread")


def _window(model, batch=3, seed=1):
    g = torch.Generator().manual_seed(seed)
    L = model.lookback
    x = torch.randint(0, 256, (batch, L + 4 * L), generator=g)
    cond = torch.randint(1, 100, (batch, 4 * L, 5), generator=g, dtype=torch.int32)
    return x, cond


def test_dropout_acts_while_training_and_nowhere_else():
    drop = tiny_model(perturb=0.3, dropout=0.5)
    plain = tiny_model(perturb=0.3)
    assert drop.state_dict().keys() == plain.state_dict().keys()
    drop.load_state_dict(plain.state_dict())
    x, cond = _window(plain)
    with torch.no_grad():
        ref, _ = plain(x, cond)
        same, _ = drop.eval()(x, cond)
        drop.train()
        a, _ = drop(x, cond)
        b, _ = drop(x, cond)
    torch.testing.assert_close(same, ref)
    assert not torch.allclose(a, ref) and not torch.allclose(a, b)
    with torch.no_grad():  # a dropout-0 model in training mode is the eval model: nothing drawn
        torch.testing.assert_close(plain.train()(x, cond)[0], ref)


def test_a_dropout_model_generates_as_the_same_weights_without_it():
    plain = tiny_model(perturb=0.3)
    drop = tiny_model(perturb=0.3, dropout=0.5)
    drop.load_state_dict(plain.state_dict())
    cond = np.zeros((400, 5), np.int32)
    cond[:, 0], cond[:, 1], cond[:, 2], cond[:, 3] = 60, 100, np.arange(400)[::-1], np.arange(400)
    [ref] = synthesize(plain, [cond], seed=3)
    [out] = synthesize(drop.train(), [cond], seed=3)
    np.testing.assert_array_equal(out, ref)


@pytest.mark.parametrize("bad", [-0.1, 1.0])
def test_dropout_out_of_range_is_refused(bad):
    with pytest.raises(ValueError, match="dropout"):
        ModelConfig(dropout=bad)
