"""The learning-rate schedule fitted to the budget; progress totals that follow the bound ending the run."""

from __future__ import annotations

import math

import pytest
import torch
from support.synth_data import write_synth_dataset
from support.tiny import tiny_train_config

from samplernn.train.config import TrainConfig
from samplernn.train.curves import read_metrics
from samplernn.train.loop import train
from samplernn.train.schedule import run_progress, warmup_factor
from samplernn.train.stop import projected_steps


def tiny_cfg(**kw) -> TrainConfig:
    """The tiny run with a metrics record every step, no sound check and no warm-up."""
    base = {"log_every": 1, "sound_notes": 0, "choose_by": "nll", "warmup_steps": 0}
    return tiny_train_config(**{**base, **kw})


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return write_synth_dataset(tmp_path_factory.mktemp("ds") / "bank")


def test_warmup_rises_linearly_to_the_peak_then_the_cosine_takes_over():
    cfg = tiny_cfg(steps=100, lr=1e-3, lr_final=1e-5, warmup_steps=10)
    assert cfg.lr_at(0) == pytest.approx(1e-4)  # lr / warmup_steps
    assert cfg.lr_at(4) == pytest.approx(0.5 * cosine(cfg, 4 / 100))  # the warm-up scales the cosine
    assert cfg.lr_at(9) == pytest.approx(cosine(cfg, 9 / 100))  # the full rate from the warm-up's last step
    assert cfg.lr_at(50) == pytest.approx((1e-3 + 1e-5) / 2)
    assert cfg.lr_at(100) == pytest.approx(1e-5) and cfg.lr_at(500) == pytest.approx(1e-5)
    assert [warmup_factor(s, 0) for s in (0, 5)] == [1.0, 1.0]
    # no --lr-final: constant after the warm-up
    flat = tiny_cfg(steps=100, lr=1e-3, warmup_steps=4, lr_final=None)
    assert [flat.lr_at(s) for s in (0, 3, 99)] == pytest.approx([2.5e-4, 1e-3, 1e-3])
    # the command line's way to a constant rate: --lr-final as high as --lr (or higher)
    for final in (1e-3, 5e-3):
        same = tiny_cfg(steps=100, lr=1e-3, warmup_steps=4, lr_final=final)
        assert [same.lr_at(s) for s in (0, 3, 50, 99)] == pytest.approx([2.5e-4, 1e-3, 1e-3, 1e-3])


def test_a_run_shorter_than_its_warm_up_reaches_lr_and_ends_at_lr_final():
    """Before: the 200-step warm-up multiplied the cosine of a 100-step run all along: it peaked at
    a seventh of --lr and ended at half of --lr-final."""
    short = tiny_cfg(steps=100, lr=1e-3, lr_final=1e-4, warmup_steps=200)
    rates = [short.lr_at(s) for s in range(101)]
    assert rates[0] == pytest.approx(1e-3 / 200)  # the first step as before
    assert rates[25] == pytest.approx(cosine(short, 0.25))  # warmed up by a quarter of the budget
    assert max(rates) > 0.8e-3 and rates[100] == pytest.approx(1e-4)
    assert rates[12] == pytest.approx(0.48 * cosine(short, 0.12))  # linear in the budget until then
    by_time = tiny_cfg(steps=10**6, lr=1e-3, lr_final=1e-4, warmup_steps=200, max_minutes=3.0)
    assert by_time.lr_at(40, elapsed_s=45.0) == pytest.approx(cosine(by_time, 0.25))
    assert by_time.lr_at(99, elapsed_s=180.0) == pytest.approx(1e-4)
    long = tiny_cfg(steps=10_000, lr=1e-3, lr_final=1e-4, warmup_steps=200)
    assert long.lr_at(99) == pytest.approx(0.5 * cosine(long, 0.0099))  # a long run: --warmup-steps


def cosine(cfg: TrainConfig, t: float) -> float:
    return cfg.lr_final + 0.5 * (cfg.lr - cfg.lr_final) * (1 + math.cos(math.pi * t))


def test_both_bounds_end_at_lr_final():
    by_time = tiny_cfg(steps=10**6, lr=1e-3, lr_final=1e-4, max_minutes=2.0)
    assert by_time.lr_at(10, elapsed_s=120.0) == pytest.approx(1e-4)
    assert by_time.lr_at(10, elapsed_s=60.0) == pytest.approx(5.5e-4)
    by_steps = tiny_cfg(steps=100, lr=1e-3, lr_final=1e-4, max_minutes=60.0)
    assert by_steps.lr_at(100, elapsed_s=1.0) == pytest.approx(1e-4)
    # progress is whichever share of the budget is larger
    assert run_progress(25, 100, 90.0, 2.0) == 0.75 and run_progress(75, 100, 30.0, 2.0) == 0.75
    assert run_progress(25, 100, 1e9, None) == 0.25 and run_progress(200, 100) == 1.0


def test_a_time_bounded_run_ends_annealed_and_its_resume_continues_the_schedule(dataset, tmp_path):
    run = tmp_path / "run"
    cfg = tiny_cfg(steps=10**6, val_every=10**6, lr=1e-3, lr_final=1e-5, max_minutes=0.01)
    first = train(dataset, run, cfg)
    assert first.status == "time_limit" and first.step > 3
    lrs = [r["lr"] for r in read_metrics(run / "metrics.jsonl") if r["kind"] == "train"]
    assert all(b <= a for a, b in zip(lrs, lrs[1:], strict=False))  # annealing all the way
    assert lrs[-1] < 0.25 * cfg.lr  # the last steps ran near lr_final
    elapsed = torch.load(run / "checkpoints" / "last.pt", weights_only=True)["elapsed_s"]
    assert elapsed >= 0.01 * 60

    # 0.6 s more than the first call's time, whatever it ran past its bound on a loaded machine
    # (a fixed 0.02 minutes was already spent there once: the resume found the run ended)
    more = elapsed / 60 + 0.01
    longer = tiny_cfg(steps=10**6, val_every=10**6, lr=1e-3, lr_final=1e-5, max_minutes=more)
    second = train(dataset, run, longer, resume=True)
    assert second.status == "time_limit" and second.step > first.step
    records = [r for r in read_metrics(run / "metrics.jsonl") if r["kind"] == "train"]
    resumed = next(r for r in records if r["step"] == first.step + 1)
    assert resumed["lr"] == pytest.approx(longer.lr_at(first.step, elapsed))  # where the first call left off
    assert torch.load(run / "checkpoints" / "last.pt", weights_only=True)["elapsed_s"] >= more * 60

    before = (run / "checkpoints" / "last.pt").read_bytes()
    shown = []
    again = train(dataset, run, longer, resume=True,
                  progress=lambda done, total=None, **fields: shown.append((done, total)))
    assert again.status == "already_ended" and again.step == second.step  # its time is spent: no step
    assert shown == [(second.step, second.step)]  # not a bar left at 0/?
    assert "--max-minutes 0.02" in again.message and (run / "checkpoints" / "last.pt").read_bytes() == before


def test_projected_steps_follow_the_bound_that_ends_the_run():
    assert projected_steps(10, 1000, 10, 5.0, math.inf) == 1000  # no time limit: --steps
    assert projected_steps(10, 1000, 10, 5.0, 20.0) == 50  # 2 steps/s for 20 s more
    assert projected_steps(10, 30, 10, 5.0, 20.0) == 30  # --steps comes first
    assert projected_steps(10, 1000, 10, 5.0, -1.0) == 10  # time is up: ends here
    assert projected_steps(0, 1000, 0, 0.0, 60.0) == 1000  # no pace yet


def test_progress_totals_follow_the_bound_that_ends_the_run(dataset, tmp_path):
    calls: list[tuple[int, int | None]] = []

    def progress(done, total=None, **fields):
        calls.append((done, total))

    train(dataset, tmp_path / "steps", tiny_cfg(steps=5), progress=progress)
    assert {t for _, t in calls if t is not None} == {5} and calls[-1][0] == 5

    calls.clear()
    result = train(dataset, tmp_path / "time", tiny_cfg(steps=10**6, val_every=10**6, max_minutes=0.01),
                   progress=progress)  # fmt: skip
    totals = [t for _, t in calls if t is not None]
    assert calls[0] == (0, None)  # no pace known yet
    assert totals and max(totals) < 10**6  # never the unreachable --steps
    last = [c for c in calls if c[1] is not None][-1]
    assert last == (result.step, result.step)  # the bar ends full, at the step the time limit ended it
