"""One optimisation step: Adam, autocast, input augmentation, and the step on the next window."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

import torch
from torch import nn

from conditioning.events import ELAPSED_INDEX, NOTE_INDEX
from samplernn.common.device import cpu_has_native_bf16
from samplernn.data.batching import Batch
from samplernn.data.quantize import dequantize, quantize
from samplernn.model.draw import draw_classes
from samplernn.model.network import SampleRNN
from samplernn.model.nll import masked_nll
from samplernn.train.state import TrainState


def make_optimizer(model: nn.Module, lr: float, device: torch.device) -> torch.optim.Adam:
    """Adam; the fused kernel (one pass over all parameters) on CPU and CUDA."""
    return torch.optim.Adam(model.parameters(), lr=lr, fused=device.type in ("cpu", "cuda"))


def autocast(device: torch.device, precision: str = "auto") -> contextlib.AbstractContextManager:
    """bf16 autocast for precision 'bf16', or 'auto' on CUDA and on CPUs with native bf16
    (common.device.cpu_has_native_bf16); float32 otherwise."""
    if precision == "bf16" or (precision == "auto" and use_bf16_by_default(device)):
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def use_bf16_by_default(device: torch.device) -> bool:
    """What --precision auto means on `device`: bf16 on CUDA and on CPUs with native bf16."""
    return device.type == "cuda" or (device.type == "cpu" and cpu_has_native_bf16())


def scale_inputs(x: torch.Tensor, lowest: float, levels: int, method: str) -> torch.Tensor:
    """Classes (B, N) with half the rows (at random) rescaled by a gain drawn log-uniformly from
    [lowest, 1/lowest] (B, N); full scale clips."""
    B = x.shape[0]
    gain = lowest ** (2.0 * torch.rand(B, 1, device=x.device) - 1.0)
    gain = torch.where(torch.rand(B, 1, device=x.device) < 0.5, gain, torch.ones_like(gain))
    return quantize(dequantize(x, levels, method) * gain, levels, method)


def augment_inputs(
    x: torch.Tensor, model: SampleRNN, input_noise: int = 0, input_gain: float = 0.0
) -> torch.Tensor:
    """The model's input classes (B, L+T): `x` with ±input_noise levels of uniform integer noise
    (clamped to the class range), then `scale_inputs` by input_gain (0 = off). Targets stay `x`."""
    if input_noise > 0:
        noise = torch.randint(-input_noise, input_noise + 1, x.shape, device=x.device)
        x = (x + noise).clamp_(0, model.cfg.q_levels - 1)
    if input_gain > 0:
        x = scale_inputs(x, input_gain, model.cfg.q_levels, model.cfg.quantization)
    return x


def own_draws(
    model: SampleRNN, x_in: torch.Tensor, b: Batch, state: list[torch.Tensor] | None,
    x_frames: torch.Tensor | None, share: float, device: torch.device, precision: str,
) -> torch.Tensor:
    """Parallel scheduled sampling (Duckworth et al. 2019, "Parallel Scheduled Sampling"; after
    Bengio et al. 2015): each input sample x_in[:, L+t] after the L = model.lookback history
    samples is chosen with probability `share`, and replaced by a draw (temperature 1) from the
    model's output distribution for target t, given inputs `x_in` (B, L+T) from `state`, computed
    without gradient. Returns the mixed inputs (B, L+T) int64; the history samples and the targets
    are left as they are, so the model learns to continue from a history that holds its own
    one-step errors, as it does in generation. The draws come from `SampleRNN.logits_at` (the
    sample-level MLP at the chosen targets alone) and `draw_classes` (inverse CDF): at share 0.5
    a step costs ~20 % more than a plain one, against ~50 % for a full pass with a draw at every
    target (docs/training.md, "The draws at the replaced samples alone"). The state the pass
    makes is dropped: the step's own pass carries the state on."""
    L = model.lookback
    replace = torch.rand(x_in.shape[0], x_in.shape[1] - L, device=x_in.device) < share  # (B, T)
    with torch.no_grad(), autocast(device, precision):
        logits = model.logits_at(replace, x_in, b.cond, state, b.reset, x_frames)  # (K, Q)
    with torch.no_grad():
        probs = torch.softmax(logits.float(), dim=-1)
        draws = draw_classes(probs, torch.rand(probs.shape[0], 1, device=probs.device))[:, 0]
    mixed = x_in.clone()
    mixed[:, L:][replace] = draws.to(x_in.dtype)
    return mixed


def attack_inputs(b: Batch, lookback: int, attack_samples: int) -> torch.Tensor:
    """Which input samples of `b` (bool (B, L+T)) belong to a note's attack: x[:, L+t] where
    target t is among its note's first `attack_samples` samples (note column > 0, elapsed column
    < attack_samples), and the L history samples of a row whose first target is (the attack's
    earlier samples, or the silence before its note-on)."""
    target = (b.cond[..., NOTE_INDEX] > 0) & (b.cond[..., ELAPSED_INDEX] < attack_samples)  # (B, T)
    return torch.cat([target[:, :1].expand(-1, lookback), target], dim=1)


def noise_attack(
    x: torch.Tensor, attack: torch.Tensor, share: float, levels: int, method: str
) -> torch.Tensor:
    """Classes (B, N) with white Gaussian noise added where `attack` (B, N) is set, in the
    decoded amplitude domain and quantised again (full scale clips); its RMS is `share` times
    the RMS of the row's decoded samples over all N, so it drowns the quiet first samples of an
    onset and leaves a loud one audible under it. Tried against the late pitch of generated
    onsets (train --attack-noise 0.5, 1.5): the model learnt noisy onsets instead
    (docs/training.md, "The attack")."""
    amp = dequantize(x, levels, method)
    rms = amp.square().mean(dim=1, keepdim=True).sqrt()  # (B, 1)
    noisy = amp + share * rms * torch.randn_like(amp)
    return torch.where(attack, quantize(noisy, levels, method), x)


def target_weights(b: Batch, attack_weight: float, attack_samples: int) -> torch.Tensor:
    """The loss weight of every target of `b`, float32 (B, T): `attack_weight` on the first
    `attack_samples` samples of a note (note column > 0, elapsed column < attack_samples), 1 on
    the rest of it, 0 where masked. Why: generated notes find their pitch later after note-on
    than the recordings (evaluate's pitch settling); a weight of 4 did not change that in a
    1,000-step fine-tune of the shipped model (docs/training.md, "The attack")."""
    w = b.mask.float()
    if attack_weight != 1.0:
        attack = (b.cond[..., NOTE_INDEX] > 0) & (b.cond[..., ELAPSED_INDEX] < attack_samples)
        w = torch.where(attack, w * attack_weight, w)
    return w


def train_step(
    fwd: nn.Module,
    model: SampleRNN,
    opt: torch.optim.Optimizer,
    b: Batch,
    state: list[torch.Tensor] | None,
    loss_scale: float,
    grad_clip: float,
    device: torch.device,
    precision: str = "auto",
    input_noise: int = 0,
    input_gain: float = 0.0,
    weights: torch.Tensor | None = None,
    attack_noise: float = 0.0,
    attack_samples: int = 0,
    gain_frames_only: bool = False,
    scheduled_sampling: float = 0.0,
) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
    """One optimiser step on window `b` (x (B, L+T), cond (B, T, 5), mask (B, T), reset (B,)).

    fwd is the model or its DDP / compiled wrapper. The loss minimised is the summed masked NLL
    (each target times its `weights` (B, T) when given, see `target_weights`) times `loss_scale`
    (world_size / targets, or their summed weights, in the whole batch: a per-target mean over
    all ranks). Returns (summed unweighted NLL in nats, gradient norm before clipping, detached
    float32 new state). attack_noise > 0: `noise_attack` on the inputs of the notes' first
    `attack_samples` samples (`attack_inputs`), before the other augmentations.
    gain_frames_only: the input gain scales the frame tiers' input alone (SampleRNN.forward's
    frames_x); the sample-level MLP reads the samples unscaled (--input-gain-tiers frames).
    scheduled_sampling > 0: that share of the input samples replaced by the model's own draws
    (`own_draws`), after the other augmentations; the frame tiers' gain is drawn again on them.
    """
    x_in = b.x
    if attack_noise > 0:
        attack = attack_inputs(b, model.lookback, attack_samples)
        x_in = noise_attack(x_in, attack, attack_noise, model.cfg.q_levels, model.cfg.quantization)
    x_in = augment_inputs(x_in, model, input_noise, 0.0 if gain_frames_only else input_gain)
    x_frames = None
    if gain_frames_only and input_gain > 0:
        x_frames = scale_inputs(x_in, input_gain, model.cfg.q_levels, model.cfg.quantization)
    if scheduled_sampling > 0:
        x_in = own_draws(model, x_in, b, state, x_frames, scheduled_sampling, device, precision)
        if x_frames is not None:
            x_frames = scale_inputs(x_in, input_gain, model.cfg.q_levels, model.cfg.quantization)
    with autocast(device, precision):
        logits, new_state = fwd(x_in, b.cond, state, b.reset, x_frames)  # (B, T, Q)
    nll = masked_nll(logits, b.x[:, model.lookback :], b.mask)
    loss_sum = nll.sum()
    objective = loss_sum if weights is None else (nll * weights).sum()
    opt.zero_grad(set_to_none=True)
    (objective * loss_scale).backward()
    gnorm = torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    opt.step()
    # The fused step writes the weights in place without bumping their version counters: bumped
    # here, so that what is cached on them (generate.fold's folded weights, which the sound check
    # and the previews generate with) is built anew instead of playing the weights of long ago.
    torch.autograd.graph.increment_version(list(model.parameters()))
    return loss_sum.detach(), gnorm, [h.detach().float() for h in new_state]


@dataclass
class StepOutput:
    """What one step of `advance` measured: summed NLL (nats), targets, gradient norm (0-dim
    tensors, left on the device), samples in the whole batch, and wall-clock seconds."""

    loss_sum: torch.Tensor
    targets: torch.Tensor
    grad_norm: torch.Tensor
    samples: int
    seconds: float


def advance(state: TrainState, fwd: nn.Module) -> StepOutput:
    """Train on the next window of `state`'s data (this rank's rows) and count the step.

    fwd: the model or its DDP / compiled wrapper. The learning rate follows the config's schedule
    at the step and the training time the ranks last agreed on (state.elapsed_s).
    A KeyboardInterrupt mid-step puts the data position back, so the step never happened.
    """
    cfg, t0 = state.cfg, time.monotonic()
    snapshot = state.stream.state_dict()
    try:
        for group in state.optimizer.param_groups:
            group["lr"] = cfg.lr_at(state.step, state.elapsed_s)
        full = state.stream.next_batch()
        rows = state.info.row_range(cfg.batch_size)
        b = full.rows(*rows).to(state.device, non_blocking=True)
        weights = None
        attack = round(cfg.attack_seconds * state.data.sample_rate)
        if cfg.attack_weight != 1.0:  # set for the bank by train.recipe.fit_to_bank, never None here
            full_weights = target_weights(full, cfg.attack_weight, attack)
            total = max(float(full_weights.sum()), 1.0)
            weights = full_weights[rows[0] : rows[1]].to(state.device, non_blocking=True)
        else:
            total = max(int(full.mask.sum()), 1)
        loss_sum, gnorm, state.hidden = train_step(
            fwd, state.model, state.optimizer, b, state.hidden, state.info.world_size / total,
            cfg.grad_clip, state.device, cfg.precision, cfg.input_noise, state.input_gain(), weights,
            cfg.attack_noise, attack, cfg.input_gain_tiers == "frames", cfg.scheduled_sampling or 0.0,
        )  # fmt: skip
        state.step += 1
    except KeyboardInterrupt:
        state.stream.load_state_dict(snapshot)
        raise
    targets = b.mask.sum()
    return StepOutput(loss_sum, targets, gnorm, cfg.batch_size * cfg.window, time.monotonic() - t0)
