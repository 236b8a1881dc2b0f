"""Causality: the logits for sample t depend on no sample >= t (gradient check) and on no later
conditioning (perturbation check), for several tier layouts."""

from __future__ import annotations

import pytest
import torch

from samplernn.config import preset
from samplernn.model import build_model


@pytest.mark.parametrize("frame_sizes", [(2, 2, 2), (4, 4), (3,)])
def test_logits_depend_only_on_the_past(frame_sizes):
    torch.manual_seed(0)
    model = build_model(preset("small", frame_sizes=frame_sizes, dim=8, n_rnn=2, embed_dim=4,
                               note_embed_dim=2))
    L = model.lookback
    f0 = frame_sizes[0]
    T = 3 * L
    B = 2
    x = torch.randint(0, 256, (B, L + T))
    cond = torch.randint(0, 100, (B, T, 4), dtype=torch.int32)

    captured = {}
    scale = model.scale_frames
    model.scale_frames = lambda q: captured.setdefault("frames", scale(q).requires_grad_())

    def keep_embedding(module, args, out):
        if out.requires_grad:
            out.retain_grad()
            captured["emb"] = out

    model.sample_mlp.embedding.register_forward_hook(keep_embedding)
    for t in [0, 1, f0 - 1, f0, L - 1, L, L + 1, T - 1]:
        captured.clear()
        model.zero_grad()
        logits, _ = model(x, cond)
        logits[:, t].sum().backward()
        g_frames = captured["frames"].grad.abs().sum(0)  # (L+T,): x index p is sample p - L
        g_emb = captured["emb"].grad.abs().sum((0, 2))  # (T+f0-1,): index i is x index L - f0 + i
        assert g_frames[L + t :].eq(0).all(), f"frame tiers see sample >= {t}"
        assert g_emb[f0 + t :].eq(0).all(), f"sample MLP sees sample >= {t}"
        assert g_emb[f0 + t - 1] > 0  # the previous sample matters
        # later conditioning changes nothing up to t
        cond2 = cond.clone()
        cond2[:, t + 1 :] = torch.randint(0, 100, cond2[:, t + 1 :].shape, dtype=torch.int32)
        with torch.no_grad():
            a, _ = model(x, cond)
            b, _ = model(x, cond2)
        assert torch.equal(a[:, : t + 1], b[:, : t + 1])
