"""Training a pre-emphasis or dropout model: the setting is the model's, stored in its checkpoint."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from support.synth_data import write_synth_dataset
from support.tiny import TINY_MODEL
from typer.testing import CliRunner

from samplernn.cli import app
from samplernn.data.dataset import load_dataset
from samplernn.generate.engine import synthesize
from samplernn.model.checkpoint import load_checkpoint
from samplernn.model.nll import dataset_nll
from samplernn.train.config import TrainConfig
from samplernn.train.loop import train

runner = CliRunner()
FAST = ["--steps", "2", "--batch-size", "2", "--window", "64", "--val-every", "2", "--sound-notes", "0",
        "--choose-by", "nll", "--device", "cpu", "--threads", "1", "-q"]  # fmt: skip


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return write_synth_dataset(tmp_path_factory.mktemp("ds") / "bank", min_len=60, max_len=150)


def test_cli_trains_a_pre_emphasis_model_and_refuses_it_on_resume(dataset, tmp_path):
    run = tmp_path / "run"
    result = runner.invoke(app, ["train", str(dataset), "--out", str(run), "--pre-emphasis", "0.85", *FAST])
    assert result.exit_code == 0, result.output
    ck = load_checkpoint(run / "checkpoints" / "last.pt")
    assert ck.config.pre_emphasis == 0.85
    assert json.loads((run / "run.json").read_text())["model_config"]["pre_emphasis"] == 0.85
    resume = ["train", str(dataset), "--out", str(run), "--resume", "--pre-emphasis", "0.5"]
    result = runner.invoke(app, resume)
    assert result.exit_code == 2 and "--pre-emphasis is part of the run's model" in result.output


def test_tiny_run_scores_and_generates_in_the_pre_emphasis_domain(dataset, tmp_path):
    cfg = TrainConfig(model_overrides={**TINY_MODEL, "pre_emphasis": 0.85}, steps=2, batch_size=4, window=32,
                      val_every=2, device="cpu", eval_batch_size=8, threads=1)  # fmt: skip
    train(dataset, tmp_path / "run", cfg)
    ck = load_checkpoint(tmp_path / "run" / "checkpoints" / "last.pt")
    assert ck.config.pre_emphasis == 0.85
    ds = load_dataset(dataset)
    val = dataset_nll(ck.model, ds, "val", window=32).overall
    plain = copy.deepcopy(ck.model)
    plain.cfg.pre_emphasis = 0.0  # the same weights scored on the audio as it is
    assert np.isfinite(val) and val != dataset_nll(plain, ds, "val", window=32).overall
    cond = ds.split("val")[0].conditioning(ds.stats)
    [audio] = synthesize(ck.model, [cond], seed=0)
    assert audio.shape == (len(cond),) and np.isfinite(audio).all()


def test_dropout_is_the_run_model_s_and_a_fine_tune_takes_a_checkpoint_without_it(dataset, tmp_path):
    plain, drop = tmp_path / "plain", tmp_path / "drop"
    assert runner.invoke(app, ["train", str(dataset), "--out", str(plain), *FAST]).exit_code == 0
    init = str(plain / "checkpoints" / "last.pt")
    fine_tune = ["train", str(dataset), "--out", str(drop), "--init", init, "--dropout", "0.3", *FAST]
    result = runner.invoke(app, fine_tune)
    assert result.exit_code == 0, result.output
    assert load_checkpoint(drop / "checkpoints" / "last.pt").config.dropout == 0.3
    assert load_checkpoint(init).config.dropout == 0.0
    result = runner.invoke(app, ["train", str(dataset), "--out", str(drop), "--resume", "--dropout", "0.1"])
    assert result.exit_code == 2 and "--dropout is part of the run's model" in result.output
