"""The torch generation engine on each device: the step-by-step engine equals the model's own
forward pass there, a seed repeats, and on CUDA the recorded graph draws what eager steps draw."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from support import tiny
from support.devices import CUDA, DEVICES

from conditioning import NoteEvent, events_to_conditioning
from samplernn.generate.engine import generate_classes, teacher_forced_logprobs
from samplernn.generate.fold import fold_model
from samplernn.generate.options import GenerationOptions
from samplernn.generate.torch_engine import run

pytestmark = pytest.mark.usefixtures("one_thread")
Q = 32  # quantisation levels of the tiny model; silence is class Q // 2


def model_on(device: str):
    model = tiny.tiny_model(seed=2, perturb=0.2, frame_sizes=(4, 2), dim=12, q_levels=Q, embed_dim=6,
                            note_embed_dim=4, level_conditioning=True, oscillator=3, sample_rate=16000)
    return model.to(device)


def note(n: int, pitch: int = 48, onset: int = 3) -> np.ndarray:
    cond = events_to_conditioning([NoteEvent(pitch, 90, onset, n - 9, n - 2)], n)
    cond[cond[:, 0] > 0, 4] = 500.0  # a level column, as bank statistics would give
    return cond


@pytest.mark.parametrize("device", DEVICES)
def test_teacher_forced_engine_equals_forward_on_the_device(device: str) -> None:
    model = model_on(device)
    L, T = model.lookback, 6 * model.lookback
    x = torch.randint(0, Q, (2, L + T), generator=torch.Generator().manual_seed(0))
    x[:, :L] = Q // 2
    cond = torch.from_numpy(np.stack([note(T), note(T, pitch=55, onset=0)]))
    with torch.no_grad():
        logits, _ = model(x.to(device), cond.to(device))
    expected = torch.log_softmax(logits.float(), dim=-1).gather(2, x[:, L:, None].to(device))[..., 0]
    got = teacher_forced_logprobs(model, x[:, L:], cond, options=GenerationOptions(backend="torch"))
    torch.testing.assert_close(got.to(device), expected, atol=2e-4, rtol=1e-4)
    # and the CPU's forward pass, within what TF32 and another summation order move
    cpu_logits, _ = model_on("cpu")(x, cond)
    cpu = torch.log_softmax(cpu_logits, dim=-1).gather(2, x[:, L:, None])[..., 0]
    torch.testing.assert_close(got.cpu(), cpu.detach(), atol=5e-3, rtol=1e-3)


@pytest.mark.parametrize("device", DEVICES)
def test_a_seed_repeats_on_the_device(device: str) -> None:
    model, conds = model_on(device), [note(70), note(41, pitch=55), note(96, onset=0)]
    a = generate_classes(model, conds, seed=5, batch_size=2, backend="torch")
    b = generate_classes(model, conds, seed=5, batch_size=2, backend="torch")
    c = generate_classes(model, conds, seed=6, batch_size=2, backend="torch")
    assert [len(s) for s in a] == [70, 41, 96] and all(s.min() >= 0 and s.max() < Q for s in a)
    assert all(np.array_equal(s, t) for s, t in zip(a, b, strict=True))
    assert not all(np.array_equal(s, t) for s, t in zip(a, c, strict=True))


@CUDA
def test_the_cuda_graph_draws_what_eager_steps_draw() -> None:
    model = model_on("cuda")
    f = fold_model(model, "cuda")
    L, B = f.lookback, 3
    N = 10 * L  # 8 blocks or more: the engine records a graph by default
    seq = torch.full((B, L + N), Q // 2, dtype=torch.long)
    cond = torch.from_numpy(np.stack([note(N, pitch=48 + 5 * i) for i in range(B)]))
    uniforms = torch.rand(B, N, generator=torch.Generator().manual_seed(3))
    opts = GenerationOptions(backend="torch", temperature=1.0)
    graphed, _, _ = run(f, seq.clone(), cond, uniforms, opts, use_graph=True)
    eager, _, _ = run(f, seq.clone(), cond, uniforms, opts, use_graph=False)
    assert torch.equal(graphed, eager)
    assert (graphed[:, L:] != Q // 2).any()  # something was drawn, not the history copied
