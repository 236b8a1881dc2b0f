"""Training loop: run dir contents, checkpoints, resume exactness, interrupts, divergence, bad input."""

from __future__ import annotations

import json

import pytest
import torch
from synth_data import write_synth_dataset

from samplernn.checkpoint import load_checkpoint
from samplernn.train import TrainConfig, train

TINY = {"frame_sizes": [4, 2], "dim": 8, "n_rnn": 1, "embed_dim": 4, "note_embed_dim": 2}


def tiny_cfg(**kw) -> TrainConfig:
    base = dict(model_overrides=dict(TINY), steps=6, batch_size=4, window=32, val_every=3, log_every=2,
                device="cpu", eval_batch_size=8)
    base.update(kw)
    return TrainConfig(**base)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return write_synth_dataset(tmp_path_factory.mktemp("ds") / "bank")


def test_train_writes_run_dir(dataset, tmp_path):
    run = tmp_path / "run"
    summary = train(dataset, run, tiny_cfg(), progress=False)
    assert summary["status"] == "completed" and summary["step"] == 6
    for name in ("run.json", "metrics.jsonl", "loss.png", "checkpoints/last.pt", "checkpoints/best.pt"):
        assert (run / name).is_file(), name
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    evals = [r for r in records if r["kind"] == "eval"]
    assert [r["step"] for r in evals] == [3, 6]
    assert set(evals[-1]["val"]["per_pitch"]) == {"48", "55", "60"}
    assert [r["step"] for r in records if r["kind"] == "train"] == [2, 4, 6]
    ck = load_checkpoint(run / "checkpoints" / "last.pt")
    assert ck.step == 6 and ck.sample_rate == 4000 and ck.config.dim == 8
    payload = torch.load(run / "checkpoints" / "best.pt", weights_only=True)
    assert payload["train_config"]["batch_size"] == 4 and "optimizer" in payload
    assert summary["best_val"] == pytest.approx(payload["best"]["val"])
