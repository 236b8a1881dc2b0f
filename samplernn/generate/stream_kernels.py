"""The generation kernels, stepped block by block over a set of persistent voices.

A voice's state between blocks is what the model needs at a top-tier frame boundary: every tier's
GRU hidden state and the last `lookback` samples (the pending upper-tier gates and the sample
MLP's bias are recomputed at that boundary before they are read). Blocks are multiples of the
lookback, so every block starts on such a boundary; a voice is (re)loaded with a saved state
(`snapshot`) at any top-frame boundary inside a block.

* `NumbaVoices` (CPU): the voices sounding in a block are gathered into one batch of the numba
  kernel (`numba_engine.run_chunk`), so the cost follows the voices that sound, not the pool.
* `TorchVoices` (CUDA, or CPU without numba): the torch engine over the whole pool (a GPU does
  the pool in the time of one voice), one CUDA graph per top-tier frame.

Shapes: V voices in the pool, B voices in a batch, n samples in a block, L lookback, K tiers,
n_rnn GRU layers, D dim, C conditioning features.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import torch

from samplernn.generate.aligned import aligned_zeros
from samplernn.generate.fold import Folded
from samplernn.generate.min_p import min_p_curve
from samplernn.generate.temperature import AttackSpan, AttackTemperature, follows_curve, sample_curve

#: A voice loaded inside a block: (sample of the block, a top-frame boundary; row of the batch; state).
Load = tuple[int, int, Any]


class VoiceKernel(Protocol):
    """What the streaming engine needs of a kernel."""

    def reset(self, voice: int) -> None:
        """The voice's state to the learned h0 and a silent history."""

    def snapshot(self, voice: int) -> Any:
        """A copy of the voice's state (opaque) for `run`'s loads."""

    def run(
        self, voices: Sequence[int], cond: np.ndarray, uniforms: np.ndarray, loads: Sequence[Load]
    ) -> np.ndarray:
        """Generate n samples for `voices` (B,): cond (B, n, 5) int32 raw conditioning, uniforms
        (B, n) float32; each load puts a snapshot into a batch row at a block sample (a multiple
        of the lookback) before that sample is generated. Returns int32 classes (B, n)."""


def _check_loads(loads: Sequence[Load], lookback: int, n: int) -> list[int]:
    """The block's segment boundaries: 0, every load position, n. ValueError for a load off a
    top-frame boundary or outside the block."""
    for pos, _, _ in loads:
        if pos % lookback or not 0 <= pos < n:
            raise ValueError(f"a voice loads at a top-frame boundary inside the block, not at {pos}")
    return sorted({0, n, *(pos for pos, _, _ in loads)})


class NumbaVoices:
    """The numba CPU kernel over a pool of `voices`; blocks of at most `max_block` samples."""

    def __init__(
        self, folded: Folded, voices: int, max_block: int, inv_temp: float, weight_dtype: str,
        attack: AttackTemperature | None = None, min_p: float = 0.0,
        piece_min_p: Mapping[int, float] | None = None, min_p_attack: AttackSpan = AttackSpan(),
    ) -> None:
        from samplernn.generate import numba_engine

        self._kernel = numba_engine
        self.f, self.L = folded, folded.lookback
        self.tw, self.mw = numba_engine.weight_records(folded, weight_dtype)
        self.inv_temp, self.attack, self.min_p = np.float32(inv_temp), attack, np.float32(min_p)
        self.piece_min_p, self.min_p_attack = piece_min_p, min_p_attack
        K, n_rnn, D, F0 = folded.n_tiers, folded.n_rnn, folded.dim, folded.frames[0]
        R = max(folded.ratios)
        self.h0 = folded.numpy_arrays()["h0"]  # (K, n_rnn, D)
        self.h = np.repeat(self.h0[None], voices, axis=0)  # (V, K, n_rnn, D)
        self.hist = np.full((voices, self.L), folded.zero, np.int32)  # (V, L)
        # Batch buffers, allocated once (on cache lines: aligned.py): each run takes C-contiguous
        # views of their first elements.
        self._flat = {
            "h": aligned_zeros(K * n_rnn * voices * D, np.float32),
            "gup": aligned_zeros(K * voices * R * 3 * D, np.float32),
            "mlpb": aligned_zeros(voices * F0 * D, np.float32),
            "seq": aligned_zeros(voices * (self.L + max_block), np.int32),
            "uni": aligned_zeros(voices * max_block, np.float32),
        }
        self._shapes = {"h": (K, n_rnn, -1, D), "gup": (K, -1, R, 3 * D), "mlpb": (-1, F0, D)}
        self._lp, self._full = np.zeros((0, 0), np.float32), np.zeros((0, 0, 0), np.float32)

    def _view(self, name: str, batch: int, shape: tuple[int, ...]) -> np.ndarray:
        size = int(np.prod([batch if s == -1 else s for s in shape]))
        return self._flat[name][:size].reshape([batch if s == -1 else s for s in shape])

    def reset(self, voice: int) -> None:
        self.h[voice] = self.h0
        self.hist[voice] = self.f.zero

    def snapshot(self, voice: int) -> tuple[np.ndarray, np.ndarray]:
        return self.h[voice].copy(), self.hist[voice].copy()

    def run(
        self, voices: Sequence[int], cond: np.ndarray, uniforms: np.ndarray, loads: Sequence[Load]
    ) -> np.ndarray:
        rows = np.asarray(voices, np.int64)
        B, n = cond.shape[:2]
        L = self.L
        bounds = _check_loads(loads, L, n)
        state = self._kernel.State(*(self._view(k, B, self._shapes[k]) for k in ("h", "gup", "mlpb")))
        state.h[...] = self.h[rows].transpose(1, 2, 0, 3)
        seq = self._view("seq", B, (-1, L + n))
        seq[:, :L] = self.hist[rows]
        uni = self._view("uni", B, (-1, n))
        uni[...] = uniforms
        raw = torch.from_numpy(np.ascontiguousarray(cond, np.int32))
        feats = self.f.features(raw, 0, n, B).to("cpu", torch.float32).numpy()
        curve = sample_curve(cond, float(self.inv_temp), self.attack)
        inv_temps = self._kernel.NO_CURVE if curve is None else curve
        per_sample = min_p_curve(cond, float(self.min_p), self.piece_min_p, self.min_p_attack)
        min_ps = self._kernel.NO_CURVE if per_sample is None else per_sample
        for s0, s1 in zip(bounds[:-1], bounds[1:], strict=True):
            for pos, row, (h, hist) in loads:
                if pos == s0:
                    state.h[:, :, row] = h
                    seq[row, s0 : s0 + L] = hist
            self._kernel.run_chunk(seq, L, s0, s1, np.ascontiguousarray(feats[:, s0:s1]), uni,
                                   self.inv_temp, inv_temps, self.min_p, min_ps, False, self._lp, self._full,
                                   self.tw, self.mw, state)  # fmt: skip
        self.h[rows] = state.h.transpose(2, 0, 1, 3)
        self.hist[rows] = seq[:, n : n + L]
        return seq[:, L:].copy()


class TorchVoices:
    """The torch engine over the whole pool of `voices` (graph-captured on CUDA)."""

    def __init__(
        self, folded: Folded, voices: int, inv_temp: float, attack: AttackTemperature | None = None,
        min_p: float = 0.0, piece_min_p: Mapping[int, float] | None = None,
        min_p_attack: AttackSpan = AttackSpan(),
    ) -> None:
        from samplernn.generate.torch_engine import TorchEngine

        self.f, self.L, self.V = folded, folded.lookback, voices
        self.inv_temp, self.attack = inv_temp, attack
        self.min_p, self.piece_min_p, self.min_p_attack = float(min_p), piece_min_p, min_p_attack
        self.eng = TorchEngine(folded, voices, inv_temp, teacher=False, want_full=False,
                               curve=follows_curve(inv_temp, attack), min_p=min_p,
                               min_p_curve=bool(piece_min_p) and inv_temp >= 0)
        self.graph = self.eng.capture() if folded.device.type == "cuda" else None

    def reset(self, voice: int) -> None:
        with torch.inference_mode():
            self.eng.h[:, :, voice] = self.f.h0
            self.eng.hist[voice, : self.L] = self.f.zero

    def snapshot(self, voice: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.eng.h[:, :, voice].clone(), self.eng.hist[voice, : self.L].clone()

    def run(
        self, voices: Sequence[int], cond: np.ndarray, uniforms: np.ndarray, loads: Sequence[Load]
    ) -> np.ndarray:
        eng, L, dev = self.eng, self.L, self.f.device
        B, n = cond.shape[:2]
        _check_loads(loads, L, n)
        rows = torch.as_tensor(np.asarray(voices, np.int64), device=dev)
        full = torch.zeros(self.V, n, cond.shape[2], dtype=torch.int32, device=dev)
        full[rows] = torch.from_numpy(np.ascontiguousarray(cond, np.int32)).to(dev)
        u = torch.zeros(self.V, n, device=dev)
        u[rows] = torch.from_numpy(np.ascontiguousarray(uniforms, np.float32)).to(dev)
        curve = sample_curve(cond, self.inv_temp, self.attack)
        it = None  # per-sample 1/T, only with a curve (else folded into the engine's weights)
        if curve is not None:
            it = torch.ones(self.V, n, device=dev)
            it[rows] = torch.from_numpy(curve).to(dev)
        mp = None  # per-sample min-p, only with a piece table (else the engine's scalar)
        if self.eng.mp_curve:
            mp = torch.full((self.V, n), self.min_p, device=dev)
            per_sample = min_p_curve(cond, self.min_p, self.piece_min_p, self.min_p_attack)
            if per_sample is not None:
                mp[rows] = torch.from_numpy(per_sample).to(dev)
        out = torch.empty(self.V, n, dtype=torch.long, device=dev)
        with torch.inference_mode():
            feats = self.f.features(full, 0, n, self.V)
            for s in range(0, n, L):
                for pos, row, (h, hist) in loads:
                    if pos == s:
                        eng.h[:, :, voices[row]] = h
                        eng.hist[voices[row], :L] = hist
                eng.feats.copy_(feats[:, s : s + L])
                eng.u.copy_(u[:, s : s + L])
                if it is not None:
                    eng.it.copy_(it[:, s : s + L])
                if mp is not None:
                    eng.mp.copy_(mp[:, s : s + L])
                if self.graph is not None:
                    self.graph.replay()
                else:
                    eng.block()
                out[:, s : s + L].copy_(eng.hist[:, L:])
                eng.hist[:, :L].copy_(eng.hist[:, L:])
        return out[rows].to("cpu", torch.int32).numpy()
