"""Conditional multi-tier SampleRNN: GRU frame tiers above a sample-level MLP.

Shapes: B batch, T predicted samples (a multiple of the top frame size), L = cfg.lookback,
Q = cfg.q_levels, D = cfg.dim, C = n_cond_features. Conditioning arrives raw (B, T, 5) with the
columns of conditioning.COND_COLUMNS and is scaled here, never on disk.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

from conditioning import (
    COND_COLUMNS,
    ELAPSED_INDEX,
    LEVEL_FULL_SCALE,
    LEVEL_INDEX,
    NOTE_INDEX,
    REMAINING_INDEX,
    VELOCITY_INDEX,
)
from samplernn.model.config import ModelConfig
from samplernn.model.gru import gru_forward
from samplernn.model.note_fill import neighbour_table

N_RAW_COND = len(COND_COLUMNS)  # note, velocity, remaining, elapsed, level
# The countdown features are log1p(samples) / LOG_SCALE, where LOG_SCALE is the log of a fixed
# number of samples: COUNTDOWN_SCALE_SECONDS at COUNTDOWN_SCALE_RATE, not at the model's own rate.
# Every trained model saw these exact inputs, so the scale stays fixed whatever the sample rate.
COUNTDOWN_SCALE_RATE = 16000  # Hz
COUNTDOWN_SCALE_SECONDS = 8
LOG_SCALE = math.log1p(COUNTDOWN_SCALE_RATE * COUNTDOWN_SCALE_SECONDS)  # a countdown of 128,000 samples → 1.0
LEVEL_SCALE = float(LEVEL_FULL_SCALE)  # level column at 0 dBFS → 1.0
# While a key is held and its end unknown (remaining = REMAINING_HELD), a held-flag model reads the
# countdown as this many samples to go (1 s at COUNTDOWN_SCALE_RATE): a sustaining note's value.
# Reading it as 0 — the value of a note's last sample — taught models to sound on past real ends.
HELD_COUNTDOWN = COUNTDOWN_SCALE_RATE


def _wn(module: nn.Module, enabled: bool) -> nn.Module:
    return weight_norm(module) if enabled else module


def cond_feature_names(note_embed_dim: int, level: bool, oscillator: int, held: bool = False) -> list[str]:
    """Name of every CondFeatures output column, in order (`widen.py` matches columns by name)."""
    names = [f"note_embed{i}" for i in range(note_embed_dim)]
    names += ["pitch", "velocity", "remaining", "elapsed", "active"] + ["level"] * level + ["held"] * held
    k = range(1, oscillator + 1)
    return names + [f"osc_sin{i}" for i in k] + [f"osc_cos{i}" for i in k]


class CondFeatures(nn.Module):
    """Raw conditioning (..., 5) → well-scaled features (..., C).

    Features: note embedding (0 = no note), normalised pitch (the note's number, or with
    `piece_brightness` a drum piece's measured centroid in MIDI pitch units), velocity/127, log
    countdown, log time since onset, note-active flag, with `level` the loudness column / 800 (0 … 1), with
    `held` a flag that is 1 inside a note whose remaining column is negative (REMAINING_HELD: the
    key is down, the end unknown; the countdown then reads HELD_COUNTDOWN), and with `oscillator` = H > 0
    the sin and cos of harmonics 1 … H of the note's phase 2π · f(note) · elapsed / sample_rate
    (0 outside notes), f(note) its equal-tempered frequency, or with `piece_tuning` a drum piece's
    measured resonance in Hz (samplernn.data.piece_tuning) and 0 — no oscillator — for a key the
    table lacks.
    """

    def __init__(
        self,
        note_embed_dim: int,
        level: bool = False,
        oscillator: int = 0,
        sample_rate: int = 0,
        held: bool = False,
        piece_brightness: Iterable[tuple[int, float]] = (),
        piece_tuning: Iterable[tuple[int, float]] = (),
    ) -> None:
        super().__init__()
        if oscillator and sample_rate <= 0:
            raise ValueError("an oscillator needs the model's sample_rate")
        self.note_embed = nn.Embedding(128, note_embed_dim)
        pitch = torch.arange(128, dtype=torch.float32)
        for key, centroid in piece_brightness:
            pitch[int(key)] = float(centroid)
        # Not in the state dict: the model config holds the table.
        self.register_buffer("note_pitch", pitch, persistent=False)
        self.register_buffer("note_hz", _oscillator_hz(piece_tuning), persistent=False)
        self.note_interpolation = 0.0  # training only: see interpolate_notes
        self.level, self.held = level, held
        self.oscillator, self.sample_rate = oscillator, sample_rate
        self.n_features = len(cond_feature_names(note_embed_dim, level, oscillator, held))

    def forward(self, raw: torch.Tensor) -> torch.Tensor:
        raw = raw.to(torch.long)
        note = raw[..., NOTE_INDEX].clamp(0, 127)
        active = (note > 0).to(torch.float32)

        def column(index: int) -> torch.Tensor:
            return raw[..., index].to(torch.float32).clamp_min(0)

        remaining = column(REMAINING_INDEX)
        held = (raw[..., REMAINING_INDEX] < 0).to(torch.float32) * active
        if self.held:
            remaining = torch.where(held > 0, float(HELD_COUNTDOWN), remaining)
        feats = [
            self._note_rows(note),
            ((self.note_pitch[note] - 60.0) / 24.0 * active).unsqueeze(-1),
            (column(VELOCITY_INDEX) / 127.0).unsqueeze(-1),
            (torch.log1p(remaining) / LOG_SCALE).unsqueeze(-1),
            (torch.log1p(column(ELAPSED_INDEX)) / LOG_SCALE).unsqueeze(-1),
            active.unsqueeze(-1),
        ]
        if self.level:
            feats.append((column(LEVEL_INDEX) / LEVEL_SCALE).unsqueeze(-1))
        if self.held:
            feats.append(held.unsqueeze(-1))
        if self.oscillator:
            feats.append(self.phase_features(note, raw[..., ELAPSED_INDEX], active))
        return torch.cat(feats, dim=-1)

    def interpolate_notes(self, trained: Iterable[int], share: float) -> None:
        """Training augmentation (off at 0, never in eval mode): in a `share` of the batch rows,
        every note's embedding is read as the interpolation of its nearest `trained` neighbours
        below and above instead of its own row (model.note_fill.neighbour_table; notes without a
        trained neighbour on both sides keep their row), as a pitch the bank lacks is played after
        `fill_untrained_notes`. The gradient reaches the neighbours' rows. Nothing is stored in the
        state dict. Raises ValueError for a share outside [0, 1]."""
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"note interpolation share must be in [0, 1], got {share}")
        device = self.note_embed.weight.device
        below, above, t = neighbour_table(trained, self.note_embed.num_embeddings)
        self.register_buffer("neighbour_below", below.to(device), persistent=False)
        self.register_buffer("neighbour_above", above.to(device), persistent=False)
        self.register_buffer("neighbour_t", t.to(device), persistent=False)
        self.note_interpolation = float(share)

    def _note_rows(self, note: torch.Tensor) -> torch.Tensor:
        """note (B, ...) int64 → its embedding rows (B, ..., E), interpolated in some batch rows
        while training (interpolate_notes)."""
        own = self.note_embed(note)
        if not (self.training and self.note_interpolation > 0):
            return own
        w, t = self.note_embed.weight, self.neighbour_t[note].unsqueeze(-1)
        mixed = (1.0 - t) * w[self.neighbour_below[note]] + t * w[self.neighbour_above[note]]
        rows = torch.rand((note.shape[0],) + (1,) * note.dim(), device=note.device) < self.note_interpolation
        return torch.where(rows, mixed.to(own.dtype), own)

    def phase_features(self, note: torch.Tensor, elapsed: torch.Tensor, active: torch.Tensor) -> torch.Tensor:
        """note, elapsed (...) int64, active (...) float → (..., 2H): sin of harmonics 1 … H, then cos."""
        # Cycles as an exact fraction in float64: elapsed reaches millions of samples, where
        # float32 would lose the phase.
        hz = self.note_hz[note]
        cycles = torch.remainder(elapsed.clamp_min(0).to(torch.float64) * hz / self.sample_rate, 1.0)
        k = torch.arange(1, self.oscillator + 1, device=note.device, dtype=torch.float64)
        angle = (2.0 * math.pi) * torch.remainder(cycles.unsqueeze(-1) * k, 1.0)
        gate = (active * (hz > 0)).unsqueeze(-1)
        return torch.cat([torch.sin(angle).float() * gate, torch.cos(angle).float() * gate], dim=-1)


def _oscillator_hz(piece_tuning: Iterable[tuple[int, float]]) -> torch.Tensor:
    """The oscillator's frequency of every MIDI key (128,) float64, Hz: equal temperament (A4 =
    440 Hz) without a table; with one, a listed key's Hz and 0 (no oscillator) for the others."""
    table = list(piece_tuning)
    if not table:
        return 440.0 * torch.pow(2.0, (torch.arange(128, dtype=torch.float64) - 69.0) / 12.0)
    hz = torch.zeros(128, dtype=torch.float64)
    for key, value in table:
        hz[int(key)] = float(value)
    return hz


def _drop(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """Dropout of share `p` while training (ModelConfig.dropout); `x` itself otherwise."""
    return F.dropout(x, p, training=True) if training and p > 0 else x


class FrameTier(nn.Module):
    """One frame-level tier: frames of `frame_size` samples → GRU → `ratio` upsampled outputs.

    forward(frames (B, n, F) float in [-2, 2], upper (B, n, D) | None, cond (B, n, C) | None,
    h (n_rnn, B, D)) → (out (B, n*ratio, D), h).
    """

    def __init__(self, frame_size: int, ratio: int, cfg: ModelConfig, n_cond: int) -> None:
        super().__init__()
        d = cfg.dim
        self.frame_size, self.ratio, self.dropout = frame_size, ratio, cfg.dropout
        self.input = _wn(nn.Linear(frame_size, d), cfg.weight_norm)
        self.cond = _wn(nn.Linear(n_cond, d, bias=False), cfg.weight_norm) if n_cond else None
        self.rnn = nn.GRU(d, d, num_layers=cfg.n_rnn, batch_first=True)
        # Learned per-position upsampling: a transposed conv with kernel = stride = ratio.
        self.upsample = _wn(nn.ConvTranspose1d(d, d, ratio, stride=ratio), cfg.weight_norm)
        self.h0 = nn.Parameter(torch.zeros(cfg.n_rnn, 1, d), requires_grad=cfg.learn_h0)
        for name, p in self.rnn.named_parameters():
            if name.startswith("weight_ih"):
                nn.init.xavier_uniform_(p)
            elif name.startswith("weight_hh"):
                for chunk in p.data.chunk(3, 0):
                    nn.init.orthogonal_(chunk)
            else:
                nn.init.zeros_(p)

    def rnn_input(
        self, frames: torch.Tensor, upper: torch.Tensor | None, cond: torch.Tensor | None
    ) -> torch.Tensor:
        """(B, n, F) frames (+ upper (B, n, D), cond (B, n, C)) → GRU input (B, n, D)."""
        x = self.input(frames)
        if upper is not None:
            x = x + upper
        if self.cond is not None and cond is not None:
            x = x + self.cond(cond)
        return x

    def upsample_out(self, y: torch.Tensor) -> torch.Tensor:
        """GRU output (B, n, D) → (B, n*ratio, D).

        The transposed conv (kernel = stride = ratio) as one matmul against its weight laid out
        (D_in, ratio*D_out): no transposes of the activations, one large GEMM.
        """
        B, n, d = y.shape
        w = self.upsample.weight  # (D_in, D_out, ratio)
        bias = self.upsample.bias.repeat(self.ratio)  # (ratio*D,)
        out = torch.addmm(bias, y.reshape(B * n, d), w.permute(0, 2, 1).reshape(d, -1))  # (B*n, ratio*D)
        return out.view(B, n * self.ratio, -1)

    def forward(
        self,
        frames: torch.Tensor,
        upper: torch.Tensor | None,
        cond: torch.Tensor | None,
        h: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        x = _drop(self.rnn_input(frames, upper, cond), self.dropout, self.training)
        if x.device.type == "cpu":  # same function, faster backward than aten's CPU GRU
            y, h = gru_forward(self.rnn, x, h)
        else:  # cuDNN
            y, h = self.rnn(x, h.contiguous())
        return self.upsample_out(_drop(y, self.dropout, self.training)), h


class SampleMLP(nn.Module):
    """Sample-level MLP: embeddings of the last F samples + upper tier + conditioning → logits.

    forward(prev (B, T+F-1) int64, upper (B, T, D), cond (B, T, C) | None) → logits (B, T, Q).
    """

    def __init__(self, cfg: ModelConfig, n_cond: int) -> None:
        super().__init__()
        d, f = cfg.dim, cfg.frame_sizes[0]
        self.frame_size, self.dropout = f, cfg.dropout
        self.embedding = nn.Embedding(cfg.q_levels, cfg.embed_dim)
        self.input = _wn(nn.Conv1d(cfg.embed_dim, d, f, bias=False), cfg.weight_norm)
        self.cond = _wn(nn.Linear(n_cond, d, bias=False), cfg.weight_norm) if n_cond else None
        self.hidden = _wn(nn.Linear(d, d), cfg.weight_norm)
        self.output = _wn(nn.Linear(d, cfg.q_levels), cfg.weight_norm)

    def input_table(self) -> torch.Tensor:
        """Embedding × input conv folded into a lookup table (F, Q, D).

        The input conv's output for target t is Σ_j table[j, prev[t + j]]: F·Q·E·D multiply-adds
        once instead of F·E·D per sample (exact up to float rounding).
        """
        return torch.einsum("def,qe->fqd", self.input.weight, self.embedding.weight)

    def input_conv(self, prev: torch.Tensor, use_table: bool | None = None) -> torch.Tensor:
        """Input conv over the embedded history: prev (B, T+F-1) int64 → (B, T, D).

        use_table None picks the cheaper way: the folded table for many samples (training,
        scoring), the convolution itself for few (step-by-step generation).
        """
        B, n = prev.shape
        f, q = self.frame_size, self.embedding.num_embeddings
        T = n - f + 1
        if use_table is None:
            use_table = B * T >= 2 * q
        if use_table:
            return self._table_sum(prev.unfold(1, f, 1))
        e = self.embedding(prev).transpose(1, 2)  # (B, E, T+F-1)
        return self.input(e).transpose(1, 2)

    def _table_sum(self, windows: torch.Tensor) -> torch.Tensor:
        """The input conv through the folded table: windows (..., F) of classes → (..., D),
        Σ_j table[j, windows[..., j]]."""
        f, q = self.frame_size, self.embedding.num_embeddings
        idx = windows.reshape(-1, f) + torch.arange(f, device=windows.device) * q
        table = self.input_table().reshape(f * q, -1)  # (F*Q, D)
        return F.embedding_bag(idx, table, mode="sum").view(*windows.shape[:-1], table.shape[1])

    def forward(self, prev: torch.Tensor, upper: torch.Tensor, cond: torch.Tensor | None) -> torch.Tensor:
        return self._head(self.input_conv(prev) + upper, cond)  # (B, T, Q)

    def at(
        self, prev: torch.Tensor, upper: torch.Tensor, cond: torch.Tensor | None, where: torch.Tensor
    ) -> torch.Tensor:
        """forward's logits at the K targets where `where` (B, T) bool is set, row-major (K, Q),
        computed at those targets alone (the input conv through the folded table)."""
        x = self._table_sum(prev.unfold(1, self.frame_size, 1)[where])  # (K, D)
        return self._head(x + upper[where], None if cond is None else cond[where])

    def _head(self, x: torch.Tensor, cond: torch.Tensor | None) -> torch.Tensor:
        """Input conv + upper tier (..., D) and conditioning (..., C) → logits (..., Q)."""
        if self.cond is not None and cond is not None:
            x = x.add_(self.cond(cond))
        x = torch.relu_(x)  # in place: these (B, T, D) passes are memory-bound
        x = torch.relu_(self.hidden(_drop(x, self.dropout, self.training)))
        return self.output(_drop(x, self.dropout, self.training))


class SampleRNN(nn.Module):
    """The full model. State: one hidden tensor (n_rnn, B, D) per frame tier, lowest first."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.cond_features = (
            CondFeatures(
                cfg.note_embed_dim, cfg.level_conditioning, cfg.oscillator, cfg.sample_rate, cfg.held_flag,
                cfg.piece_brightness, cfg.piece_tuning,
            )
            if cfg.conditioning
            else None
        )
        n_cond = self.cond_features.n_features if self.cond_features is not None else 0
        self.tiers = nn.ModuleList(
            FrameTier(f, r, cfg, n_cond) for f, r in zip(cfg.tier_frames, cfg.frame_sizes, strict=True)
        )
        self.sample_mlp = SampleMLP(cfg, n_cond)

    @property
    def lookback(self) -> int:
        return self.cfg.lookback

    def scale_frames(self, q: torch.Tensor) -> torch.Tensor:
        """Int classes → floats in [-2, 2] for the frame tiers."""
        return q.to(torch.float32) * (4.0 / (self.cfg.q_levels - 1)) - 2.0

    def initial_state(self, batch: int) -> list[torch.Tensor]:
        """Learned h0 for every tier: list of (n_rnn, B, D)."""
        return [t.h0.expand(-1, batch, -1).contiguous() for t in self.tiers]

    def reset_state(self, state: list[torch.Tensor], reset: torch.Tensor) -> list[torch.Tensor]:
        """Replace the rows of `state` where reset (B,) bool is set by the learned h0."""
        m = reset.view(1, -1, 1)
        return [torch.where(m, t.h0.to(h.dtype), h) for t, h in zip(self.tiers, state, strict=True)]

    def forward(
        self,
        x: torch.Tensor,
        cond: torch.Tensor | None = None,
        state: list[torch.Tensor] | None = None,
        reset: torch.Tensor | None = None,
        frames_x: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Teacher-forced pass over a window.

        x: (B, L+T) int64 classes — L samples of history then the T targets' predecessors;
           targets are x[:, L:] (the caller takes them from the same tensor).
        cond: (B, T, 5) raw conditioning for the T predicted samples.
        state: per-tier hidden (n_rnn, B, D) carried from the previous window; None = h0.
        reset: (B,) bool, rows whose state restarts at h0 (a note starts in this window).
        frames_x: (B, L+T) int64 classes the frame tiers read instead of x (training's input gain
           on the frame tiers alone, train.step.train_step); None = x.
        Returns logits (B, T, Q) for x[:, L:] and the new state.
        """
        upper, feats, new_state = self._frame_tiers(x, cond, state, reset, frames_x)
        f0 = self.cfg.frame_sizes[0]
        return self.sample_mlp(x[:, self.lookback - f0 : -1], upper, feats), new_state

    def logits_at(
        self,
        where: torch.Tensor,
        x: torch.Tensor,
        cond: torch.Tensor | None = None,
        state: list[torch.Tensor] | None = None,
        reset: torch.Tensor | None = None,
        frames_x: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """forward's logits at the K targets where `where` (B, T) bool is set, in row-major order
        (K, Q): the frame tiers over the whole window, the sample-level MLP (most of the work) at
        those K targets alone. For training's scheduled sampling (train.step.own_draws)."""
        upper, feats, _ = self._frame_tiers(x, cond, state, reset, frames_x)
        f0 = self.cfg.frame_sizes[0]
        return self.sample_mlp.at(x[:, self.lookback - f0 : -1], upper, feats, where)

    def _frame_tiers(
        self,
        x: torch.Tensor,
        cond: torch.Tensor | None,
        state: list[torch.Tensor] | None,
        reset: torch.Tensor | None,
        frames_x: torch.Tensor | None,
    ) -> tuple[torch.Tensor, torch.Tensor | None, list[torch.Tensor]]:
        """forward's frame tiers: (upper tier output (B, T, D), conditioning features (B, T, C) or
        None, new state). Raises ValueError for the shapes forward names."""
        L = self.lookback
        B, total = x.shape
        T = total - L
        if T <= 0 or T % L:
            raise ValueError(f"x must hold lookback {L} + a positive multiple of {L} samples, got {total}")
        if state is None:
            state = self.initial_state(B)
        elif reset is not None:
            state = self.reset_state(state, reset)
        feats = None
        if self.cond_features is not None:
            if cond is None or cond.shape[:2] != (B, T):
                raise ValueError(f"cond must have shape ({B}, {T}, {N_RAW_COND})")
            feats = self.cond_features(cond)  # (B, T, C)
        if frames_x is not None and frames_x.shape != x.shape:
            raise ValueError(f"frames_x must have x's shape {tuple(x.shape)}, got {tuple(frames_x.shape)}")
        xf = self.scale_frames(x if frames_x is None else frames_x)
        upper: torch.Tensor | None = None
        new_state: list[torch.Tensor] = [torch.empty(0)] * len(self.tiers)
        for k in reversed(range(len(self.tiers))):
            tier = self.tiers[k]
            f = tier.frame_size
            frames = xf[:, L - f : L - f + T].reshape(B, T // f, f)
            tier_cond = feats[:, ::f] if feats is not None else None
            upper, new_state[k] = tier(frames, upper, tier_cond, state[k])
        assert upper is not None  # a model has at least one frame tier (ModelConfig)
        return upper, feats, new_state


def build_model(cfg: ModelConfig) -> SampleRNN:
    """The one builder from config to module."""
    return SampleRNN(cfg)
