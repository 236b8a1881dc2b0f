"""Causality: the logits for sample t depend on no sample >= t and no later conditioning, for
several tier layouts and both ways the sample MLP computes its input conv."""

from __future__ import annotations

import pytest
import torch

from samplernn.model.config import preset
from samplernn.model.network import build_model

pytestmark = pytest.mark.usefixtures("one_thread")


def tiny(frame_sizes):
    torch.manual_seed(0)
    cfg = preset(
        "small",
        frame_sizes=frame_sizes,
        dim=8,
        n_rnn=2,
        embed_dim=4,
        note_embed_dim=2,
        level_conditioning=True,
        oscillator=2,
        sample_rate=16000,
    )
    return build_model(cfg)


@pytest.mark.parametrize("frame_sizes, batch", [((2, 2, 2), 2), ((4, 4), 2), ((4, 4), 12), ((3,), 3)])
def test_logits_depend_only_on_the_past(frame_sizes, batch):
    model = tiny(frame_sizes)
    L, f0 = model.lookback, frame_sizes[0]
    T = 3 * L
    x = torch.randint(0, 256, (batch, L + T))
    cond = torch.randint(0, 100, (batch, T, 5), dtype=torch.int32)

    captured = {}
    scale = model.scale_frames
    model.scale_frames = lambda q: captured.setdefault("frames", scale(q).requires_grad_())

    def keep_embedding(module, args, out):
        if out.requires_grad:
            out.retain_grad()
            captured["emb"] = out

    model.sample_mlp.embedding.register_forward_hook(keep_embedding)
    with torch.no_grad():
        ref, _ = model(x, cond)
    for t in [0, 1, f0 - 1, f0, L - 1, L, L + 1, T - 1]:
        # gradient check: no gradient from logits[:, t] reaches samples >= t
        captured.clear()
        model.zero_grad()
        logits, _ = model(x, cond)
        logits[:, t].sum().backward()
        g_frames = captured["frames"].grad.abs().sum(0)  # (L+T,): x index p is sample p - L
        assert g_frames[L + t :].eq(0).all(), f"frame tiers see sample >= {t}"
        if "emb" in captured:  # the conv path: index i of the embedded history is x index L - f0 + i
            g_emb = captured["emb"].grad.abs().sum((0, 2))
            assert g_emb[f0 + t :].eq(0).all(), f"sample MLP sees sample >= {t}"
            assert g_emb[f0 + t - 1] > 0  # the previous sample matters
        # perturbation check (either path): new samples >= t and conditioning > t change nothing up to t
        x2, cond2 = x.clone(), cond.clone()
        x2[:, L + t :] = torch.randint(0, 256, x2[:, L + t :].shape)
        cond2[:, t + 1 :] = torch.randint(0, 100, cond2[:, t + 1 :].shape, dtype=torch.int32)
        with torch.no_grad():
            out, _ = model(x2, cond2)
        torch.testing.assert_close(out[:, : t + 1], ref[:, : t + 1], rtol=1e-6, atol=1e-6)
        assert not torch.allclose(out[:, t + 1 :], ref[:, t + 1 :]) or t == T - 1


def test_table_and_conv_paths_agree():
    mlp = tiny((4, 2)).sample_mlp
    prev = torch.randint(0, 256, (3, 40 + 3))
    torch.testing.assert_close(
        mlp.input_conv(prev, use_table=True), mlp.input_conv(prev, use_table=False), rtol=1e-5, atol=1e-5
    )
