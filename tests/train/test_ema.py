"""The moving average of the weights (--ema): its arithmetic, what a run saves and plays, resume."""

from __future__ import annotations

import pytest
import torch
from support.synth_data import write_synth_dataset
from support.tiny import tiny_train_config
from torch import nn

from samplernn.common.errors import UsageError
from samplernn.model.checkpoint import load_checkpoint
from samplernn.train.ema import WeightEMA
from samplernn.train.init import resolve_train_config
from samplernn.train.loop import train


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return write_synth_dataset(tmp_path_factory.mktemp("ds") / "bank")


def test_the_average_follows_the_rule_with_its_early_warm_up():
    lin = nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        lin.weight.fill_(1.0)
    ema = WeightEMA(lin, 0.9)
    with torch.no_grad():
        lin.weight.fill_(2.0)
    ema.update(lin)  # first update: d = min(0.9, 1/10) = 0.1
    assert torch.allclose(ema.average[0], torch.full((1, 2), 0.1 * 1 + 0.9 * 2))
    avg = ema.average[0].clone()
    for n in range(1, 100):
        ema.update(lin)
        d = min(0.9, (1 + n) / (10 + n))
        avg = d * avg + (1 - d) * 2.0
    assert ema.rate() == 0.9 and torch.allclose(ema.average[0], avg)


def test_played_swaps_the_average_in_and_restores_the_trained_weights():
    lin = nn.Linear(3, 2)
    ema = WeightEMA(lin, 0.5)
    trained = [p.detach().clone() for p in lin.parameters()]
    ema.average = [torch.zeros_like(a) for a in ema.average]
    with ema.played(lin):
        assert all(torch.count_nonzero(p) == 0 for p in lin.parameters())
        with torch.no_grad():
            lin.bias[0] = 7.0  # what the block writes stays in the average (the note fill)
    assert all(torch.equal(p, t) for p, t in zip(lin.parameters(), trained, strict=True))
    assert ema.average[1][0] == 7.0
    with pytest.raises(RuntimeError), ema.played(lin):
        raise RuntimeError("a validation that fails")
    assert all(torch.equal(p, t) for p, t in zip(lin.parameters(), trained, strict=True))
    with pytest.raises(ValueError, match="decay"):
        WeightEMA(lin, 1.0)


def test_a_run_saves_the_average_to_play_and_the_trained_weights_to_resume(dataset, tmp_path):
    run, lines = tmp_path / "run", []
    train(dataset, run, tiny_cfg_ema(steps=6), log=lines.append)
    assert any("moving average of the weights (--ema 0.9)" in line for line in lines)
    payload = torch.load(run / "checkpoints" / "last.pt", weights_only=True)
    played, trained = payload["state_dict"], payload["train_state_dict"]
    assert payload["ema"] == {"decay": 0.9, "updates": 6}
    assert any(not torch.equal(played[k], trained[k]) for k in played)
    assert set(played) == set(trained)
    ck = load_checkpoint(run / "checkpoints" / "last.pt")  # what synth, render and evaluate play
    assert all(torch.equal(ck.model.state_dict()[k], played[k]) for k in played)


def test_resume_with_the_average_continues_exactly(dataset, tmp_path):
    straight, split = tmp_path / "straight", tmp_path / "split"
    # a constant rate: the warm-up, at most a quarter of the budget, stretches with a resume's
    # larger --steps as the cosine does (schedule.WARMUP_MAX_SHARE)
    train(dataset, straight, tiny_cfg_ema(steps=7, warmup_steps=0, lr_final=None))
    train(dataset, split, tiny_cfg_ema(steps=4, warmup_steps=0, lr_final=None))
    cfg = resolve_train_config(split, {"steps": 7}, resume=True)
    assert cfg.ema == 0.9
    train(dataset, split, cfg, resume=True)
    a = torch.load(straight / "checkpoints" / "last.pt", weights_only=True)
    b = torch.load(split / "checkpoints" / "last.pt", weights_only=True)
    for key in ("state_dict", "train_state_dict"):
        for k in a[key]:
            assert torch.equal(a[key][k], b[key][k]), (key, k)
    assert b["ema"]["updates"] == 7


def test_an_ema_outside_its_range_is_refused():
    with pytest.raises(UsageError, match="--ema must be in"):
        tiny_train_config(ema=1.0).validate()
    with pytest.raises(UsageError, match="--ema must be in"):
        tiny_train_config(ema=-0.1).validate()


def tiny_cfg_ema(**overrides):
    return tiny_train_config(ema=0.9, **overrides)
