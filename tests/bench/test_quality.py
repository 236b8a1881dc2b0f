"""Time to quality: a run keeps snapshots by training minutes, and each is evaluated into a curve."""

from __future__ import annotations

import json

import pytest
from support.synth_data import write_synth_dataset
from support.tiny import TINY_MODEL

import samplernn.train.step as step_module
import samplernn.train.stop as stop_module
from samplernn.bench.quality import quality_curve, run_points
from samplernn.bench.quality_measures import MEASURES
from samplernn.common.errors import UserError
from samplernn.evaluate.options import EvaluateOptions
from samplernn.train.run_dir import RunPaths, snapshot_mark

pytestmark = pytest.mark.usefixtures("one_thread")

# The tiny model on the tiny bank with a step clock (StepClock): a budget of seconds holds several
# snapshots; no sound check and no plateau stop, so the clock alone ends the run.
TINY_RUN = dict(model_overrides=dict(TINY_MODEL), batch_size=4, window=32, val_every=3, log_every=3,
                device="cpu", eval_batch_size=8, sound_notes=0, choose_by="nll", patience=0, steps=10**6,
                threads=1)  # fmt: skip
FAST_EVALUATE = EvaluateOptions(device="cpu", max_notes=2, shipped_melodies=False)
CHEAPEST_EVALUATE = EvaluateOptions(device="cpu", max_notes=1, missing_pitches=False)


def test_snapshot_marks_and_names(tmp_path):
    assert snapshot_mark(None, 1e6) is None
    assert snapshot_mark(10, 599.0) is None
    assert snapshot_mark(10, 600.0) == 10 and snapshot_mark(10, 1250.0) == 20
    paths = RunPaths(tmp_path)
    assert paths.snapshot(10).name == "minute_010.pt" and paths.snapshot(120.0).name == "minute_120.pt"
    assert paths.snapshot(0.25).name == "minute_000.250.pt"
    assert paths.snapshot(3 * 0.02).name == "minute_000.060.pt"  # float error does not show


class StepClock:
    """A clock that moves only when read (STEP_S/2 a read): put in for both the step's timer and
    the run's clock, the time limit and the snapshots fall on the same steps however loaded the
    machine is."""

    STEP_S = 0.05

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        self.now += self.STEP_S / 2  # a step reads the clock twice
        return self.now


def test_quality_curve_trains_snapshots_and_evaluates_each(tmp_path, monkeypatch):
    clock = StepClock()  # the step's timer and the run's clock (time limit, snapshots) alike
    monkeypatch.setattr(step_module, "time", clock)
    monkeypatch.setattr(stop_module, "time", clock)
    dataset = write_synth_dataset(tmp_path / "bank", pitches=(57, 58, 60))  # one semitone missing
    out = tmp_path / "quality"
    seen = []

    def progress(done, total=None, **fields):
        seen.append(fields["phase"])

    curve = quality_curve(dataset, out, minutes=0.04, every=0.01, train_overrides=TINY_RUN,
                          evaluate=FAST_EVALUATE, progress=progress)
    assert {"train", "evaluate"} <= set(seen)
    snaps = [p.name for p in RunPaths(out / "run").snapshots()]
    assert len(snaps) >= 2 and set(snaps) <= {f"minute_000.0{k}0.pt" for k in range(1, 10)}
    written = json.loads((out / "quality.json").read_text())
    assert written == json.loads(json.dumps(curve))
    entries = written["snapshots"]
    assert len(entries) >= 2
    minutes, steps = [e["minutes"] for e in entries], [e["step"] for e in entries]
    assert minutes == sorted(minutes) and len(set(minutes)) == len(minutes) and minutes[0] >= 0.01
    assert steps == sorted(steps) and len(set(steps)) == len(steps)
    assert sum(e["best"] for e in entries) == 1
    for e in entries:
        assert set(e["measures"]) == {m.key for m in MEASURES}
        for key in ("val_nll", "test_nll", "test_pitch_accuracy", "length_error_ms", "rms_rising_share",
                    "timbre_db", "timbre_sawtooth_db", "clip_share", "missing_pitch_accuracy"):
            assert e["measures"][key] is not None, key
        assert e["measures"]["melody_pitch_accuracy"] is None  # no melodies asked for
    assert written["targets"]["test_pitch_accuracy"] == ">= 0.95"
    assert set(written["time_to_target"]) == set(written["targets"])
    assert written["train"]["status"] == "time_limit"
    assert (out / "quality.png").stat().st_size > 10_000

    # the same run again, evaluated only: same checkpoints; training into it again is refused
    again = quality_curve(dataset, out / "again", run_dir=out / "run", evaluate_only=True,
                          evaluate=CHEAPEST_EVALUATE)
    assert [e["step"] for e in again["snapshots"]] == steps and again["train"] is None
    with pytest.raises(UserError, match="holds a run already"):
        quality_curve(dataset, out, minutes=0.01, every=0.01, train_overrides=TINY_RUN)


def test_a_run_without_checkpoints_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="no checkpoints"):
        run_points(tmp_path)


def test_bench_quality_command_evaluates_a_run(tmp_path):
    from support.tiny import tiny_checkpoint
    from typer.testing import CliRunner

    from samplernn.cli import app
    from samplernn.data.dataset import load_dataset

    dataset = write_synth_dataset(tmp_path / "bank", pitches=(57, 58, 60))
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    tiny_checkpoint(run / "checkpoints" / "last.pt", sample_rate=4000, stats=load_dataset(dataset).stats)
    out = tmp_path / "q"
    args = ["bench", "quality", str(dataset), "--out", str(out), "--run", str(run), "--evaluate-only",
            "--no-melodies", "--max-notes", "1", "--device", "cpu", "--threads", "1", "-q"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "test_pitch_accuracy >= 0.95" in result.output
    curve = json.loads((out / "quality.json").read_text())
    assert [e["name"] for e in curve["snapshots"]] == ["last"] and curve["evaluate"]["max_notes"] == 1
    bad = CliRunner().invoke(app, ["bench", "quality", str(dataset), "-o", str(out), "--set", "nonsense=1"])
    assert bad.exit_code == 2 and "--set 'nonsense=1'" in bad.output
    for option in ("--every", "--minutes"):  # its own option named, a usage error (was 1, or train's name)
        zero = CliRunner().invoke(app, ["bench", "quality", str(dataset), "-o", str(out), option, "0"])
        said = zero.output
        assert zero.exit_code == 2 and f"'{option}'" in said and "equal to 0.01" in said, said


def test_the_curve_title_names_the_bank_and_start_not_a_path():
    from samplernn.bench.quality_plot import curve_title

    curve = {"dataset": "/home/me/runs/data/cello", "run": "/home/me/runs/q/run",
             "init": "trombone-small", "budget_minutes": 30.0}
    assert curve_title(curve) == "cello, fine-tuned from trombone-small, 30-minute budget"
    scratch = {**curve, "init": None, "budget_minutes": None}
    assert curve_title(scratch) == "cello, from scratch"
    assert "/" not in curve_title({**curve, "init": "/x/y/best.pt"})
