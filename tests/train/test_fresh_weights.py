"""What generates from a model in training (the sound check, the previews) plays its weights of now:
the fused Adam step writes them in place, where the folded-weights cache cannot see it unless the
step says so."""

from __future__ import annotations

import copy

import numpy as np
import torch
from support.tiny import tiny_model

from samplernn.data.batching import Batch
from samplernn.generate.engine import synthesize
from samplernn.train.step import make_optimizer, train_step

CPU = torch.device("cpu")


def test_generation_after_a_step_plays_the_new_weights():
    model = tiny_model(perturb=0.3)
    cond = np.zeros((300, 5), np.int32)
    before = synthesize(model, [cond], seed=0)[0]  # folds the weights, and caches them
    B, L = 2, model.lookback
    T = 4 * L
    x = torch.randint(0, model.cfg.q_levels, (B, L + T))
    batch = Batch(x, torch.zeros(B, T, 5, dtype=torch.int32), torch.ones(B, T, dtype=torch.bool),
                  torch.ones(B, dtype=torch.bool), torch.zeros(B, dtype=torch.long))
    model.train()
    train_step(model, model, make_optimizer(model, 0.05, CPU), batch, None, 1.0, 1.0, CPU, "fp32")
    model.eval()
    after = synthesize(model, [cond], seed=0)[0]
    assert np.array_equal(after, synthesize(copy.deepcopy(model), [cond], seed=0)[0])  # as a fresh copy plays
    assert not np.array_equal(after, before)
