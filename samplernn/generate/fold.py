"""Fold a trained SampleRNN once into the flat weights the generation engines run on.

What is folded (products formed in float64, stored float32):
* weight norm: every parametrised `.weight` is read once in its effective form;
* frame scaling: classes q → q·4/(Q−1) − 2 is folded into each tier's input projection;
* each tier's input projection into its first GRU layer: gates_x = A·frame + bias1 (+ upper + cond),
  with A = W_ih·W_in (3D, F) — one small mat-vec per frame instead of two large ones;
* each tier's conditioning projection into its first GRU layer: condg = W_ih·W_cond (3D, C);
* the sample MLP's embedding × input conv into a lookup table lut (F0, Q, D):
  conv(emb(window)) = Σ_j lut[j, window[j]].

Shapes: K frame tiers (lowest first), n = n_rnn, D = dim, Q = q_levels, C = conditioning
features (0 without conditioning), F_k = tier frame size, R_k = tier ratio (upsampling factor).
"""

from __future__ import annotations

import copy
import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from samplernn.data.quantize import zero_level
from samplernn.generate.aligned import aligned_copy
from samplernn.model.network import SampleRNN


@dataclass
class Folded:
    """Inference weights of one model on one device (float32, contiguous)."""

    frames: tuple[int, ...]  # F_k absolute frame sizes, lowest first
    ratios: tuple[int, ...]  # R_k: tier k produces R_k outputs per frame for the tier below
    dim: int
    q_levels: int
    n_rnn: int
    n_cond: int  # C; 0 when the model is unconditional
    lookback: int
    zero: int  # the silence class used as history before the first sample
    quantization: str
    A: list[torch.Tensor]  # per tier (3D, F_k): folded input projection into GRU layer 0
    bias1: torch.Tensor  # (K, 3D) GRU layer-0 input bias incl. the folded input bias
    condg: torch.Tensor  # (K, 3D, C) conditioning projection into GRU layer 0
    w_ih: torch.Tensor  # (K, n, 3D, D) GRU input weights (layer 0 used for the tier above's output)
    b_ih: torch.Tensor  # (K, n, 3D) (layer 0 unused: folded into bias1)
    w_hh: torch.Tensor  # (K, n, 3D, D)
    b_hh: torch.Tensor  # (K, n, 3D)
    h0: torch.Tensor  # (K, n, D)
    ups: list[torch.Tensor]  # per tier (R_k, D, D): [position, out, in] upsampling matrices
    b_up: torch.Tensor  # (K, D)
    lut: torch.Tensor  # (F0, Q, D) embedding × input conv
    mlp_cond: torch.Tensor  # (D, C)
    w_h: torch.Tensor  # (D, D) sample MLP hidden
    b_h: torch.Tensor  # (D,)
    w_o: torch.Tensor  # (Q, D) sample MLP output
    b_o: torch.Tensor  # (Q,)
    cond_features: torch.nn.Module | None  # raw (..., 5) → (..., C), the model's own module
    _numpy: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def n_tiers(self) -> int:
        return len(self.frames)

    @property
    def device(self) -> torch.device:
        return self.w_h.device

    def fits_half(self) -> bool:
        """Whether the large matrices fit float16's range (cached)."""
        if "fits_half" not in self._numpy:
            mats = [self.w_ih, self.w_hh, self.w_h, self.w_o, *self.ups]
            self._numpy["fits_half"] = all(float(m.abs().max()) <= HALF_MAX for m in mats)
        return self._numpy["fits_half"]

    def numpy_arrays(self, weight_dtype: str = "float32") -> dict[str, Any]:
        """The weights as contiguous numpy arrays, by name, for the numba kernel (cached).

        weight_dtype "float16" stores the large matrices (HALF_KEYS: GRU, upsampling, sample MLP)
        as IEEE half bits in uint16 arrays; everything else stays float32.
        Raises ValueError for an unknown dtype or weights beyond float16's range.
        """
        if weight_dtype not in STORED_DTYPES:
            choices = ", ".join(STORED_DTYPES)
            raise ValueError(f"unknown weight dtype {weight_dtype!r} (choose from {choices})")
        if weight_dtype not in self._numpy:
            arrays = _pack_numpy(self)
            if weight_dtype == "float16":
                arrays.update({k: _half_bits(k, arrays[k]) for k in HALF_KEYS})
            self._numpy[weight_dtype] = arrays
        return self._numpy[weight_dtype]

    def features(self, cond: torch.Tensor | None, t0: int, t1: int, batch: int) -> torch.Tensor:
        """Conditioning features (batch, t1-t0, C) float32 on self.device, from the raw
        conditioning cond (batch, N, 5) int through the model's own CondFeatures; (batch, n, 0)
        for an unconditional model or no cond."""
        if self.cond_features is None or cond is None or self.n_cond == 0:
            return torch.zeros(batch, t1 - t0, 0, device=self.device)
        with torch.inference_mode():
            return self.cond_features(cond[:, t0:t1].to(self.device))


STORED_DTYPES = ("float32", "float16")  # how the numba engine can store its weights
HALF_KEYS = ("w_ih", "w_hh", "ups", "w_h", "w_o")  # the matrices that dominate memory traffic
HALF_MAX = 60000.0  # float16 tops out at 65504


def _half_bits(name: str, a: np.ndarray) -> np.ndarray:
    """float32 → IEEE half bit patterns (uint16); refuses values half cannot hold."""
    peak = float(np.abs(a).max()) if a.size else 0.0
    if peak > HALF_MAX:
        raise ValueError(f"weights {name} reach {peak:g}, beyond float16; use weight dtype float32")
    return aligned_copy(a.astype(np.float16).view(np.uint16))


def _np(t: torch.Tensor) -> np.ndarray:
    return np.ascontiguousarray(t.detach().to("cpu", torch.float32).numpy())


def _pack_numpy(f: Folded) -> dict[str, Any]:
    """Pad per-tier arrays into stacked ones with offsets: numba kernels want uniform arrays.

    The short sums of the kernels (each tier's frame and conditioning into its first GRU layer,
    the sample MLP's conditioning) also come transposed for exact_order.ordered_sums, which the
    kernels use where `ordered` says that it sums as their plain loops on this machine (per tier;
    for the MLP, `mlp_cond_t` is (0, D) where it does not); `groups` says whether the matrix
    products may group the last streams of a batch (products.groups_match)."""
    # numba modules: only the numba kernels pack
    from samplernn.generate.exact_order import order_matches
    from samplernn.generate.products import groups_match

    K, D, C = f.n_tiers, f.dim, f.n_cond
    fmax = max(f.frames)
    A = np.zeros((K, 3 * D, fmax), np.float32)
    for k, a in enumerate(f.A):
        A[k, :, : a.shape[1]] = _np(a)
    condg = _np(f.condg)
    ordered = np.array([order_matches(n) and (C == 0 or order_matches(C)) for n in f.frames], np.bool_)
    mlp_cond_t = _np(f.mlp_cond).T if C and order_matches(C) else np.zeros((0, D), np.float32)
    uoff = np.zeros(K, np.int64)
    for k in range(1, K):
        uoff[k] = uoff[k - 1] + f.ratios[k - 1]
    arrays = {
        "frames": np.asarray(f.frames, np.int64),
        "ratios": np.asarray(f.ratios, np.int64),
        "A": A,
        "A_t": A.transpose(0, 2, 1),
        "ordered": ordered,
        "groups": np.array([groups_match()], np.bool_),
        "bias1": _np(f.bias1),
        "condg": condg,
        "condg_t": condg.transpose(0, 2, 1),
        "w_ih": _np(f.w_ih),
        "b_ih": _np(f.b_ih),
        "w_hh": _np(f.w_hh),
        "b_hh": _np(f.b_hh),
        "h0": _np(f.h0),
        "ups": np.ascontiguousarray(np.concatenate([_np(u) for u in f.ups], axis=0)),
        "uoff": uoff,
        "b_up": _np(f.b_up),
        "lut": _np(f.lut),
        "mlp_cond": _np(f.mlp_cond),
        "mlp_cond_t": mlp_cond_t,
        "w_h": _np(f.w_h),
        "b_h": _np(f.b_h),
        "w_o": _np(f.w_o),
        "b_o": _np(f.b_o),
    }
    return {name: aligned_copy(a) for name, a in arrays.items()}  # on cache lines (aligned.py)


def _w(module: torch.nn.Module) -> torch.Tensor:
    """Effective float32 weight (weight norm applied by the parametrisation), as forward uses it."""
    return module.weight.detach().to(torch.float32)


def _b(module: torch.nn.Module, n: int, like: torch.Tensor) -> torch.Tensor:
    bias = getattr(module, "bias", None)
    return bias.detach().to(torch.float32) if bias is not None else like.new_zeros(n)


@torch.no_grad()
def _fold(model: SampleRNN, device: torch.device) -> Folded:
    """Products of weights are formed in float64 and rounded once; copied weights stay float32."""
    cfg = model.cfg
    D, Q, n = cfg.dim, cfg.q_levels, cfg.n_rnn
    C = model.cond_features.n_features if model.cond_features is not None else 0
    scale = 4.0 / (Q - 1)

    def f32(t: torch.Tensor) -> torch.Tensor:
        return t.to(device=device, dtype=torch.float32).contiguous()

    A, bias1, condg, ups, b_up = [], [], [], [], []
    w_ih, b_ih, w_hh, b_hh, h0 = [], [], [], [], []
    for tier in model.tiers:
        w_in = _w(tier.input).double()  # (D, F)
        b_in = _b(tier.input, D, w_in).double() - 2.0 * w_in.sum(1)  # frames = q·scale − 2
        rnn = tier.rnn
        wi = [getattr(rnn, f"weight_ih_l{i}").detach().float() for i in range(n)]
        bi = [getattr(rnn, f"bias_ih_l{i}").detach().float() for i in range(n)]
        wi0 = wi[0].double()
        A.append(f32(wi0 @ (w_in * scale)))
        bias1.append(wi0 @ b_in + bi[0].double())
        if tier.cond is not None and C:
            condg.append(wi0 @ _w(tier.cond).double())
        else:
            condg.append(w_in.new_zeros(3 * D, C))
        w_ih.append(torch.stack(wi))
        b_ih.append(torch.stack(bi))
        w_hh.append(torch.stack([getattr(rnn, f"weight_hh_l{i}").detach().float() for i in range(n)]))
        b_hh.append(torch.stack([getattr(rnn, f"bias_hh_l{i}").detach().float() for i in range(n)]))
        h0.append(tier.h0.detach().float().reshape(n, D))
        up = _w(tier.upsample)  # ConvTranspose1d weight (D_in, D_out, R)
        ups.append(f32(up.permute(2, 1, 0)))  # (R, D_out, D_in)
        b_up.append(_b(tier.upsample, D, up))
    mlp = model.sample_mlp
    emb = mlp.embedding.weight.detach().float()  # (Q, E)
    conv = _w(mlp.input)  # (D, E, F0)
    lut = torch.einsum("qe,dej->jqd", emb, conv)  # (F0, Q, D), the same float32 products as forward
    mlp_cond = _w(mlp.cond) if (mlp.cond is not None and C) else emb.new_zeros(D, C)
    cond_features = copy.deepcopy(model.cond_features).to(device) if model.cond_features is not None else None
    return Folded(
        frames=tuple(cfg.tier_frames),
        ratios=tuple(cfg.frame_sizes),
        dim=D,
        q_levels=Q,
        n_rnn=n,
        n_cond=C,
        lookback=cfg.lookback,
        zero=zero_level(Q, cfg.quantization),
        quantization=cfg.quantization,
        A=A,
        bias1=f32(torch.stack(bias1)),
        condg=f32(torch.stack(condg)),
        w_ih=f32(torch.stack(w_ih)),
        b_ih=f32(torch.stack(b_ih)),
        w_hh=f32(torch.stack(w_hh)),
        b_hh=f32(torch.stack(b_hh)),
        h0=f32(torch.stack(h0)),
        ups=ups,
        b_up=f32(torch.stack(b_up)),
        lut=f32(lut),
        mlp_cond=f32(mlp_cond),
        w_h=f32(_w(mlp.hidden)),
        b_h=f32(_b(mlp.hidden, D, emb)),
        w_o=f32(_w(mlp.output)),
        b_o=f32(_b(mlp.output, Q, emb)),
        cond_features=cond_features,
    )


_CACHE: weakref.WeakKeyDictionary[SampleRNN, tuple[Any, Folded]] = weakref.WeakKeyDictionary()


def fold_model(model: SampleRNN, device: str | torch.device | None = None) -> Folded:
    """Folded inference weights of `model` on `device` (default: the model's device).

    Cached per model and device; the cache entry is dropped when any parameter changes
    (in-place optimiser steps bump the tensors' versions).
    """
    dev = torch.device(device) if device is not None else next(model.parameters()).device
    key = (str(dev), tuple((p.data_ptr(), p._version) for p in model.parameters()))
    hit = _CACHE.get(model)
    if hit is not None and hit[0] == key:
        return hit[1]
    folded = _fold(model, dev)
    _CACHE[model] = (key, folded)
    return folded
