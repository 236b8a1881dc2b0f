"""A multi-layer GRU for CPU training: the same function and parameters as `torch.nn.GRU`, faster.

aten's CPU GRU backward computes the recurrent weight gradient one time step at a time (a K=B
matmul plus a full-size accumulation per step). Here the input projections of all steps are one
GEMM, the recurrence is a custom autograd function whose backward collects the gate gradients of
all steps and forms dW_hh with one GEMM. Gate order and equations follow torch.nn.GRU:

    r = σ(W_ir x + b_ir + W_hr h + b_hr)        z = σ(W_iz x + b_iz + W_hz h + b_hz)
    n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))      h' = n + z ⊙ (h − n)

Shapes: B batch, S steps, D hidden size; batch_first tensors (B, S, D).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


class _Recurrence(torch.autograd.Function):
    """gi (B, S, 3D) input projections incl. b_ih, h0 (B, D), w_hh (3D, D), b_hh (3D) → hs (B, S, D).

    Math in float32; the recurrent matmul in `mm_dtype` (bfloat16 under CPU autocast).
    """

    @staticmethod
    def forward(
        ctx: Any,
        gi: torch.Tensor,
        h0: torch.Tensor,
        w_hh: torch.Tensor,
        b_hh: torch.Tensor,
        mm_dtype: torch.dtype,
    ) -> torch.Tensor:
        B, S, D3 = gi.shape
        D = D3 // 3
        gi = gi.float()
        w = w_hh.to(mm_dtype).t()  # (D, 3D)
        b = b_hh.float()
        h = h0.float()
        hs = gi.new_empty(B, S, D)
        gates = gi.new_empty(B, S, D3)  # r, z, n per step
        ghn = gi.new_empty(B, S, D)  # W_hn h + b_hn per step
        for t in range(S):
            gh = torch.addmm(b, h, w) if mm_dtype == torch.float32 else (h.to(mm_dtype) @ w).float() + b
            g = gi[:, t]
            rz = torch.sigmoid(g[:, : 2 * D] + gh[:, : 2 * D])
            r, z = rz[:, :D], rz[:, D:]
            n = torch.tanh(torch.addcmul(g[:, 2 * D :], r, gh[:, 2 * D :]))
            h = torch.addcmul(n, z, h - n)
            hs[:, t] = h
            gates[:, t, : 2 * D] = rz
            gates[:, t, 2 * D :] = n
            ghn[:, t] = gh[:, 2 * D :]
        ctx.save_for_backward(h0, w_hh, hs, gates, ghn)
        ctx.mm_dtype = mm_dtype
        ctx.in_dtype = gi.dtype
        return hs

    @staticmethod
    def backward(ctx: Any, dhs: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        h0, w_hh, hs, gates, ghn = ctx.saved_tensors
        mm_dtype = ctx.mm_dtype
        B, S, D = hs.shape
        w = w_hh.to(mm_dtype)  # (3D, D)
        dhs = dhs.float()
        h_prev_all = torch.cat([h0.float().unsqueeze(1), hs[:, :-1]], dim=1)  # (B, S, D)
        dgh = hs.new_empty(B, S, 3 * D)  # gradient of W_hh h + b_hh per step
        dgi = hs.new_empty(B, S, 3 * D)
        dh = torch.zeros_like(h0, dtype=torch.float32)
        for t in reversed(range(S)):
            dh = dh + dhs[:, t]
            r, z, n = gates[:, t, :D], gates[:, t, D : 2 * D], gates[:, t, 2 * D :]
            h_prev = h_prev_all[:, t]
            dn = dh * (1 - z)
            da_n = dn * (1 - n * n)
            da_r = da_n * ghn[:, t] * r * (1 - r)
            da_z = dh * (h_prev - n) * z * (1 - z)
            dgi[:, t, :D] = da_r
            dgi[:, t, D : 2 * D] = da_z
            dgi[:, t, 2 * D :] = da_n
            dgh[:, t, : 2 * D] = dgi[:, t, : 2 * D]
            dgh[:, t, 2 * D :] = da_n * r
            back = dgh[:, t].to(mm_dtype) @ w
            dh = dh * z + back.float()
        flat = dgh.reshape(B * S, 3 * D)
        dw = (flat.t().to(mm_dtype) @ h_prev_all.reshape(B * S, D).to(mm_dtype)).to(w_hh.dtype)  # (3D, D)
        db = flat.sum(0).to(w_hh.dtype)
        return dgi.to(ctx.in_dtype), dh.to(h0.dtype), dw, db, None


def gru_forward(rnn: nn.GRU, x: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Run `rnn` (batch_first, unidirectional, with biases) on x (B, S, D_in) from h (L, B, D).

    Returns (outputs (B, S, D), final hidden (L, B, D)) exactly as rnn(x, h) does, computed by the
    fused-backward recurrence above; bfloat16 matmuls when CPU autocast is on.
    """
    if not (rnn.batch_first and rnn.bias and not rnn.bidirectional and rnn.proj_size == 0):
        return rnn(x, h.contiguous())
    mm_dtype = torch.float32
    if torch.is_autocast_enabled("cpu") and x.device.type == "cpu":
        mm_dtype = torch.get_autocast_dtype("cpu")
    finals = []
    out = x
    for layer in range(rnn.num_layers):
        w_ih = getattr(rnn, f"weight_ih_l{layer}")
        b_ih = getattr(rnn, f"bias_ih_l{layer}")
        w_hh = getattr(rnn, f"weight_hh_l{layer}")
        b_hh = getattr(rnn, f"bias_hh_l{layer}")
        gi = torch.nn.functional.linear(out, w_ih, b_ih)  # (B, S, 3D): all steps in one GEMM
        out = _Recurrence.apply(gi, h[layer], w_hh, b_hh, mm_dtype)
        finals.append(out[:, -1])
    return out, torch.stack(finals)
