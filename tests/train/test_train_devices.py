"""Training on each device: a run trains, its checkpoints load on a machine without a GPU
(weights_only, every tensor on the CPU), and a run resumes on the same device or another."""

from __future__ import annotations

import pytest
import torch
from support.devices import CUDA, DEVICES
from support.synth_data import write_synth_dataset
from support.tiny import tiny_train_config

from samplernn.model.checkpoint import load_checkpoint
from samplernn.train.init import resolve_train_config
from samplernn.train.loop import train


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return write_synth_dataset(tmp_path_factory.mktemp("ds") / "bank")


def tensors(tree) -> list[torch.Tensor]:
    """Every tensor in a nested payload of dicts and lists."""
    if isinstance(tree, torch.Tensor):
        return [tree]
    if isinstance(tree, dict):
        return [t for v in tree.values() for t in tensors(v)]
    if isinstance(tree, list | tuple):
        return [t for v in tree for t in tensors(v)]
    return []


@pytest.mark.parametrize("device", DEVICES)
def test_a_run_trains_and_its_checkpoint_loads_without_a_gpu(dataset, tmp_path, device: str) -> None:
    run = tmp_path / "run"
    summary = train(dataset, run, tiny_train_config(device=device, precision="auto"))
    assert summary.status == "completed" and summary.step == 6
    payload = torch.load(run / "checkpoints" / "last.pt", weights_only=True, map_location="cpu")
    assert payload["train_config"]["device"] == device
    weights = payload["state_dict"]
    assert all(torch.isfinite(w).all() for w in weights.values() if w.is_floating_point())
    # weights, optimiser, hidden state and generator states: a CPU-only machine loads them as saved
    plain = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
    assert plain["optimizer"]["state"] and plain["hidden"]
    for t in tensors(plain):
        assert t.device.type == "cpu"
    ck = load_checkpoint(run / "checkpoints" / "best.pt")
    assert next(ck.model.parameters()).device.type == "cpu"


@CUDA
@pytest.mark.parametrize("then", ["cuda", "cpu"])
def test_a_cuda_run_resumes_on_cuda_or_on_the_cpu(dataset, tmp_path, then: str) -> None:
    run = tmp_path / "run"
    train(dataset, run, tiny_train_config(device="cuda", steps=4))
    cfg = resolve_train_config(run, {"steps": 7, "device": then}, resume=True)
    summary = train(dataset, run, cfg, resume=True)
    assert summary.status == "completed" and summary.step == 7
    assert load_checkpoint(run / "checkpoints" / "last.pt").step == 7
