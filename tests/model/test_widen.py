"""Widening a checkpoint by conditioning inputs (level column, oscillator) for --init."""

from dataclasses import replace

import pytest
import torch
from support.synth_data import write_synth_dataset
from support.tiny import TINY_MODEL, tiny_config

from samplernn.common.errors import UserError
from samplernn.model.checkpoint import load_checkpoint
from samplernn.model.network import HELD_COUNTDOWN, build_model
from samplernn.model.widen import can_widen, widen_state
from samplernn.train.config import TrainConfig
from samplernn.train.init import resolve_train_config
from samplernn.train.loop import train
from samplernn.train.step import make_optimizer

OLD = tiny_config()
NEW = replace(OLD, level_conditioning=True, oscillator=2, sample_rate=16000, held_flag=True)


# the second adds the level column between the old inputs and the oscillator's: columns move
@pytest.mark.parametrize("before", [OLD, replace(OLD, oscillator=2, sample_rate=16000)])
def test_widened_model_computes_what_the_old_one_did(before):
    torch.manual_seed(0)
    old = build_model(before)
    opt = make_optimizer(old, 1e-3, torch.device("cpu"))
    x = torch.randint(0, 256, (2, 8 + 16))
    cond = torch.randint(1, 100, (2, 16, 5), dtype=torch.int32)
    old(x, cond)[0].logsumexp(-1).sum().backward()
    opt.step()  # Adam state to widen
    new = build_model(NEW)
    state, adam = widen_state(old.state_dict(), opt.state_dict(), before, new)
    new.load_state_dict(state)
    make_optimizer(new, 1e-3, torch.device("cpu")).load_state_dict(adam)  # shapes fit
    with torch.no_grad():
        torch.testing.assert_close(new(x, cond)[0], old(x, cond)[0])
    cond2 = cond.clone()
    cond2[..., 4] += 300  # the level column: read only by the widened model, at zero weight
    with torch.no_grad():
        torch.testing.assert_close(new(x, cond2)[0], old(x, cond)[0])
    held = cond.clone()
    held[..., 2] = -1  # a key held, its end unknown: the flag at zero weight, a sustaining countdown
    sustaining = cond.clone()
    sustaining[..., 2] = HELD_COUNTDOWN
    with torch.no_grad():
        torch.testing.assert_close(new(x, held)[0], old(x, sustaining)[0])


def test_only_added_inputs_can_be_widened():
    assert can_widen(OLD, NEW) and can_widen(OLD, replace(OLD, oscillator=3, sample_rate=8000))
    assert not can_widen(NEW, OLD)  # inputs are never dropped
    assert not can_widen(OLD, replace(NEW, dim=12))
    assert not can_widen(replace(OLD, conditioning=False), NEW)
    assert can_widen(OLD, replace(OLD, held_flag=True)) and not can_widen(replace(OLD, held_flag=True), OLD)


def test_init_with_an_oscillator_widens_the_checkpoint(tmp_path):
    data = write_synth_dataset(tmp_path / "bank", min_len=60, max_len=150)
    base = dict(batch_size=4, window=32, device="cpu", threads=1, eval_batch_size=8, val_every=2)
    train(data, tmp_path / "a", TrainConfig(model_overrides=TINY_MODEL, steps=2, **base))
    given = {"init": str(tmp_path / "a" / "checkpoints" / "last.pt"), "model_overrides": {"oscillator": 3}}
    cfg = resolve_train_config(tmp_path / "b", {**given, "steps": 1, "lr": 1e-12, **base}, resume=False)
    train(data, tmp_path / "b", cfg)
    a = load_checkpoint(tmp_path / "a" / "checkpoints" / "last.pt")
    b = load_checkpoint(tmp_path / "b" / "checkpoints" / "last.pt")
    assert b.config == replace(a.config, oscillator=3, sample_rate=a.sample_rate)
    wa = a.model.sample_mlp.cond.weight
    wb = b.model.sample_mlp.cond.weight
    assert torch.allclose(wb[:, : wa.shape[1]], wa, atol=1e-6)  # lr 1e-12: the old weights
    assert wb[:, wa.shape[1] :].abs().max() < 1e-6  # the oscillator's start at zero
    wider = {**given, "model_overrides": {**TINY_MODEL, "dim": 12}, **base}
    bad = resolve_train_config(tmp_path / "c", wider, resume=False)
    with pytest.raises(UserError, match="differs"):
        train(data, tmp_path / "c", bad)


def test_init_with_hidden_countdowns_adds_the_held_flag(tmp_path):
    # a pitch outside the GM drum keys: these short notes would otherwise read as a drum kit
    data = write_synth_dataset(tmp_path / "bank", pitches=(48, 55, 84), min_len=60, max_len=150)
    base = dict(batch_size=4, window=32, device="cpu", threads=1, eval_batch_size=8, val_every=2)
    train(data, tmp_path / "a", TrainConfig(model_overrides=TINY_MODEL, steps=2, **base))
    given = {"init": str(tmp_path / "a" / "checkpoints" / "last.pt"), "hidden_countdown": 0.5}
    cfg = resolve_train_config(tmp_path / "b", {**given, "steps": 2, "lr": 1e-12, **base}, resume=False)
    train(data, tmp_path / "b", cfg)
    a = load_checkpoint(tmp_path / "a" / "checkpoints" / "last.pt")
    b = load_checkpoint(tmp_path / "b" / "checkpoints" / "last.pt")
    assert a.config.held_flag is False and b.config == replace(a.config, held_flag=True)
    wa, wb = a.model.sample_mlp.cond.weight, b.model.sample_mlp.cond.weight
    assert torch.allclose(wb[:, : wa.shape[1]], wa, atol=1e-6) and wb[:, -1].abs().max() < 1e-6
    with pytest.raises(UserError, match="hidden-countdown"):
        TrainConfig(hidden_countdown=1.5).validate()
