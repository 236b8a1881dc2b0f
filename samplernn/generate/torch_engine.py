"""Batched generation engine in torch: the CUDA path (one CUDA graph per top-tier frame) and the
CPU fallback when numba is missing.

One `block` produces L = lookback samples for every stream: each tier steps at its own frame
boundaries inside the block, the sample MLP steps every sample. All buffers are allocated once;
per sample nothing leaves the device (sampling is an inverse CDF on uniforms drawn up front).

Shapes: B streams, L lookback, K tiers, n GRU layers, D dim, Q levels, C conditioning features.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import torch
import torch.nn.functional as F

from samplernn.generate.fold import Folded
from samplernn.generate.options import GenerationOptions
from samplernn.generate.temperature import sample_curve
from samplernn.model.draw import draw_classes


class TorchEngine:
    """Per-stream state and static buffers for one batch; `run` drives it block by block."""

    def __init__(
        self, f: Folded, batch: int, inv_temp: float, teacher: bool, want_full: bool, curve: bool = False,
        min_p: float = 0.0, min_p_curve: bool = False,
    ) -> None:
        dev, B, L, D = f.device, batch, f.lookback, f.dim
        K, Q, C, F0 = f.n_tiers, f.q_levels, f.n_cond, f.frames[0]
        self.f, self.B, self.teacher, self.want_full = f, B, teacher, want_full
        self.greedy = inv_temp < 0
        self.min_p = float(min_p)  # GenerationOptions.min_p: no class under min_p × the top one's
        # With a min-p per piece (generate.min_p) each sample's own comes from `mp`.
        self.mp_curve = min_p_curve and not (teacher or self.greedy)
        # With a temperature curve (generate.temperature) each sample's 1/T comes from `it`.
        self.curve = curve and not (teacher or self.greedy)
        scale = 1.0 if (teacher or self.greedy or self.curve) else float(inv_temp)
        self.w_o, self.b_o = f.w_o * scale, f.b_o * scale  # softmax(logits / T) folded in
        self.lut_flat = f.lut.reshape(F0 * Q, D)
        self.lut_off = (torch.arange(F0, device=dev) * Q).view(1, F0)
        self.ucat = [u.reshape(-1, D) for u in f.ups]  # (R_k·D, D)
        # Static buffers (CUDA graphs replay on these addresses).
        self.hist = torch.full((B, 2 * L), f.zero, dtype=torch.long, device=dev)  # [previous | current]
        self.h = f.h0[:, :, None, :].expand(K, f.n_rnn, B, D).clone()  # (K, n, B, D), never a view
        self.gup = [torch.zeros(B, f.ratios[k + 1], 3 * D, device=dev) for k in range(K - 1)]
        self.mlpb = torch.zeros(B, F0, D, device=dev)
        self.feats = torch.zeros(B, L, C, device=dev)
        self.u = torch.zeros(B, L, device=dev)
        self.it = torch.ones(B, L, device=dev)  # 1/T of each sample, read when self.curve
        self.mp = torch.full((B, L), self.min_p, device=dev)  # min-p of each sample, when self.mp_curve
        self.lp = torch.zeros(B, L, device=dev)
        self.full = torch.zeros(B, L, Q, device=dev) if want_full else None

    # -- one block of L samples -------------------------------------------------------------
    def _tier(self, k: int, s: int) -> None:
        f, B, L, D = self.f, self.B, self.f.lookback, self.f.dim
        F_k = f.frames[k]
        frame = self.hist[:, L + s - F_k : L + s].to(torch.float32)  # (B, F_k)
        gx = torch.addmm(f.bias1[k], frame, f.A[k].t())  # (B, 3D)
        if f.n_cond:
            gx = gx.addmm_(self.feats[:, s], f.condg[k].t())
        if k + 1 < f.n_tiers:
            gx = gx + self.gup[k][:, (s // F_k) % f.ratios[k + 1]]
        for layer in range(f.n_rnn):
            h = self.h[k, layer]  # (B, D)
            if layer > 0:
                gx = torch.addmm(f.b_ih[k, layer], self.h[k, layer - 1], f.w_ih[k, layer].t())
            gh = torch.addmm(f.b_hh[k, layer], h, f.w_hh[k, layer].t())
            rz = torch.sigmoid(gx[:, : 2 * D] + gh[:, : 2 * D])
            c = torch.tanh(gx[:, 2 * D :] + rz[:, :D] * gh[:, 2 * D :])
            h.copy_(torch.lerp(c, h, rz[:, D:]))  # (1 − z)·c + z·h
        up = torch.mm(self.h[k, -1], self.ucat[k].t()).view(B, f.ratios[k], D) + f.b_up[k]
        if k > 0:
            self.gup[k - 1].copy_(torch.matmul(up, f.w_ih[k - 1, 0].t()))  # (B, R_k, 3D)
        else:
            if f.n_cond:
                up = up + torch.matmul(self.feats[:, s : s + f.frames[0]], f.mlp_cond.t())
            self.mlpb.copy_(up)

    def _mlp(self, s: int) -> None:
        f, L, F0 = self.f, self.f.lookback, self.f.frames[0]
        win = self.hist[:, L + s - F0 : L + s] + self.lut_off  # (B, F0) rows of lut_flat
        x = F.embedding_bag(win, self.lut_flat, mode="sum")  # (B, D) = Σ_j lut[j, window_j]
        x = torch.relu_(x + self.mlpb[:, s % F0])
        x = torch.relu_(torch.addmm(f.b_h, x, f.w_h.t()))
        logits = torch.addmm(self.b_o, x, self.w_o.t())  # (B, Q)
        if self.teacher:
            ls = torch.log_softmax(logits, dim=-1)
            self.lp[:, s] = ls.gather(1, self.hist[:, L + s : L + s + 1])[:, 0]
            if self.full is not None:
                self.full[:, s] = ls
        elif self.greedy:
            self.hist[:, L + s] = logits.argmax(dim=-1)
        else:
            if self.curve:
                logits = logits * self.it[:, s : s + 1]
            probs = torch.softmax(logits, dim=-1)
            if self.mp_curve or self.min_p > 0:
                floor = self.mp[:, s : s + 1] if self.mp_curve else self.min_p
                probs = probs.masked_fill(probs < floor * probs.amax(dim=-1, keepdim=True), 0.0)
            self.hist[:, L + s] = draw_classes(probs, self.u[:, s : s + 1])[:, 0]

    def block(self) -> None:
        """L samples for every stream: tiers top-down at their frame boundaries, then the MLP."""
        for s in range(self.f.lookback):
            for k in reversed(range(self.f.n_tiers)):
                if s % self.f.frames[k] == 0:
                    self._tier(k, s)
            self._mlp(s)

    # -- CUDA graph -------------------------------------------------------------------------
    def _state(self) -> list[torch.Tensor]:
        return [self.hist, self.h, self.mlpb, *self.gup]

    def capture(self) -> torch.cuda.CUDAGraph | None:
        """Record `block` as a CUDA graph (state restored afterwards); None if capture fails."""
        snapshot = [t.clone() for t in self._state()]
        try:
            side = torch.cuda.Stream(device=self.f.device)
            side.wait_stream(torch.cuda.current_stream(self.f.device))
            with torch.cuda.stream(side):
                for _ in range(2):  # warm-up: lazy inits, allocator pools
                    self.block()
            torch.cuda.current_stream(self.f.device).wait_stream(side)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                self.block()
        except RuntimeError as exc:  # capture is an optimisation: fall back to eager
            warnings.warn(f"CUDA graph capture failed, generating without it: {exc}", stacklevel=2)
            graph = None
        for t, v in zip(self._state(), snapshot, strict=True):
            t.copy_(v)
        return graph


def run(
    f: Folded,
    seq: torch.Tensor,
    cond: torch.Tensor | None,
    uniforms: torch.Tensor | None,
    opts: GenerationOptions,
    *,
    teacher: bool = False,
    want_full: bool = False,
    progress: Callable[[int], None] | None = None,
    use_graph: bool | None = None,
    chunk: int = 8192,
) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
    """Generate (or score, when teacher) every stream of a batch.

    seq (B, L+N) long: L history samples then the stream (overwritten unless teacher).
    cond (B, N, 5) raw; uniforms (B, N) float32. N must be a multiple of L. Uses
    opts.temperature, opts.attack, opts.min_p and opts.piece_min_p; progress(n) is called with the
    stream-samples done since its last call.
    use_graph: record one block as a CUDA graph (None: on CUDA when there are 8 blocks or more).
    Returns (seq, target log-probs (B, N) | None, full log-probs (B, N, Q) | None), on f.device.
    Raises ValueError when N is not a multiple of the lookback.
    """
    L = f.lookback
    B, total = seq.shape
    N = total - L
    if N % L:
        raise ValueError(f"stream length {N} must be a multiple of the lookback {L}")
    dev = f.device
    seq = seq.to(dev, torch.long)
    curve = None if teacher or cond is None else sample_curve(
        cond.cpu().numpy(), opts.inverse_temperature, opts.active_attack)
    per_sample = None if teacher or cond is None else opts.min_p_curve(cond.cpu().numpy())
    eng = TorchEngine(f, B, opts.inverse_temperature, teacher, want_full, curve is not None,
                      opts.active_min_p, per_sample is not None)
    inv_temps = torch.from_numpy(curve).to(dev) if curve is not None else None
    min_ps = torch.from_numpy(per_sample).to(dev) if per_sample is not None else None
    lp_out = torch.zeros(B, N, device=dev) if teacher else None
    full_out = torch.zeros(B, N, f.q_levels, device=dev) if (teacher and want_full) else None
    if uniforms is not None:
        uniforms = uniforms.to(dev, torch.float32)
    if use_graph is None:
        use_graph = dev.type == "cuda" and N // L >= 8
    graph = eng.capture() if use_graph and dev.type == "cuda" else None
    eng.hist[:, :L].copy_(seq[:, :L])
    chunk = max(L, chunk // L * L)
    feats = f.features(cond, 0, 0, B)
    c0 = 0
    for t0 in range(0, N, L):
        if t0 % chunk == 0:
            c0, feats = t0, f.features(cond, t0, min(N, t0 + chunk), B)
        eng.feats.copy_(feats[:, t0 - c0 : t0 - c0 + L])
        if uniforms is not None:
            eng.u.copy_(uniforms[:, t0 : t0 + L])
        if inv_temps is not None:
            eng.it.copy_(inv_temps[:, t0 : t0 + L])
        if min_ps is not None:
            eng.mp.copy_(min_ps[:, t0 : t0 + L])
        if teacher:
            eng.hist[:, L:].copy_(seq[:, L + t0 : 2 * L + t0])
        if graph is not None:
            graph.replay()
        else:
            eng.block()
        if teacher:
            lp_out[:, t0 : t0 + L].copy_(eng.lp)
            if full_out is not None:
                full_out[:, t0 : t0 + L].copy_(eng.full)
        else:
            seq[:, L + t0 : 2 * L + t0].copy_(eng.hist[:, L:])
        eng.hist[:, :L].copy_(eng.hist[:, L:])
        if progress is not None and ((t0 + L) % chunk == 0 or t0 + L == N):
            progress((t0 + L - c0) * B)  # stream-samples
    return seq, lp_out, full_out
