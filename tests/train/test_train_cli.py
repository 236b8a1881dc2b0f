"""`samplernn train` and `samplernn bench train` through typer's CliRunner."""

from __future__ import annotations

import json
from dataclasses import fields

import pytest
import torch
import typer
from support.synth_data import write_synth_dataset
from typer.testing import CliRunner

from samplernn.bench.train import bench_train_report
from samplernn.cli import app
from samplernn.commands.train_cmd import SWITCHES_OFF
from samplernn.common.device import cpu_has_native_bf16
from samplernn.common.paths import SHIPPED_MODEL
from samplernn.model.checkpoint import load_checkpoint
from samplernn.train.config import MINUTES_BOUND_STEPS, SCHEDULED_SAMPLING, TrainConfig
from samplernn.train.init import resolve_train_config

runner = CliRunner()
FAST = [
    "--steps",
    "2",
    "--batch-size",
    "2",
    "--window",
    "64",
    "--val-every",
    "2",
    "--device",
    "cpu",
    "--threads",
    "1",
    "-q",
]


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return write_synth_dataset(tmp_path_factory.mktemp("ds") / "bank", min_len=60, max_len=150)


def test_train_resume_and_refusals(dataset, tmp_path):
    run = tmp_path / "run"
    result = runner.invoke(app, ["train", str(dataset), "--out", str(run), "--no-conditioning", *FAST])
    assert result.exit_code == 0, result.output
    assert "completed at step 2" in result.output
    ck = load_checkpoint(run / "checkpoints" / "best.pt")
    assert ck.config.conditioning is False and ck.config.dim == 256

    result = runner.invoke(app, ["train", str(dataset), "--out", str(run), *FAST])
    assert result.exit_code == 1 and len(error_lines(result.output)) == 1
    assert "holds a run already" in result.output

    # resume keeps the stored settings (no conditioning) and goes on to the new step count
    result = runner.invoke(app, ["train", str(dataset), "--out", str(run), "--resume", "--steps", "4", "-q"])
    assert result.exit_code == 0, result.output
    assert load_checkpoint(run / "checkpoints" / "last.pt").step == 4
    records = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if r["kind"] == "eval"] == [2, 4]
    before = (run / "checkpoints" / "last.pt").read_bytes()
    result = runner.invoke(app, ["train", str(dataset), "--out", str(run), "--resume", "--steps", "3"])
    assert result.exit_code == 2 and "--steps 3: the run is at step 4 already" in result.output
    assert (run / "checkpoints" / "last.pt").read_bytes() == before  # not rewritten

    # a run already at its bound trains no step, writes nothing and says how to go on
    metrics = (run / "metrics.jsonl").read_bytes()
    result = runner.invoke(app, ["train", str(dataset), "--out", str(run), "--resume", "-q"])
    assert result.exit_code == 0, result.output
    assert "already ended at step 4 (--steps 4): nothing left to train" in " ".join(result.output.split())
    assert (run / "checkpoints" / "last.pt").read_bytes() == before
    assert (run / "metrics.jsonl").read_bytes() == metrics

    inside = dataset / "audio" / "run"
    result = runner.invoke(app, ["train", str(dataset), "--out", str(inside), *FAST])
    assert result.exit_code == 1 and "lies inside the dataset" in error_lines(result.output)[0]
    assert not inside.exists()

    result = runner.invoke(app, ["train", str(dataset), "--out", str(run), "--resume", "--preset", "base"])
    assert result.exit_code == 2 and "preset='small'" in error_lines(result.output)[0]
    # a typed option counts even when it equals the default (the stored run has batch size 2)
    result = runner.invoke(app, ["train", str(dataset), "--out", str(run), "--resume", "--batch-size", "32"])
    assert result.exit_code == 2 and "batch_size=2" in error_lines(result.output)[0]


def test_a_plateau_stops_training_and_says_so(dataset, tmp_path):
    # a learning rate too small to move the weights: the sound score never improves on the first
    args = ["train", str(dataset), "--out", str(tmp_path / "run"), *FAST, "--steps", "8", "--lr", "1e-30"]
    result = runner.invoke(app, [*args, "--patience", "1"])
    assert result.exit_code == 0, result.output
    # this bank's notes are as short as one-shots, so it reads as a drum kit: the score alone decides
    assert "quality plateaued at step 2 (sound score" in result.output
    assert "early_stopped at step 4: best step 2 (sound score" in result.output


@pytest.mark.parametrize(
    "args, fragment, status",
    [
        (["train", "{missing}", "--out", "{run}"], "not a directory", 1),
        (["train", "{ds}", "--out", "{run}", "--preset", "huge"], "unknown preset", 2),
        (["train", "{ds}", "--out", "{run}", "--window", "100"], "multiple of the model's lookback", 2),
        (["train", "{ds}", "--out", "{run}", "--resume"], "nothing to resume", 1),
        (["train", "{ds}", "--out", "{run}", "--init", "{missing}"], "checkpoint not found", 1),
        (["train", "{ds}", "--out", "{run}", "--resume", "--init", "{missing}"], "cannot be combined", 2),
        (["train", "{ds}", "--out", "{run}", "--input-noise", "-1"], "--input-noise must be >= 0", 2),
        (["train", "{ds}", "--out", "{run}", "--scheduled-sampling", "1"],
         "--scheduled-sampling must be in [0, 1)", 2),
        (["train", "{ds}", "--out", "{run}", "--device", "cuda"], None, 1),
        (["train", "{ds}", "--out", "{run}", "--device", "tpu"], "--device 'tpu': unknown device", 2),
        (["train", "{ds}", "--out", "{run}", "--lr-final", "1"], "--lr-final 1 is above --lr 0.001", 2),
        (["train", "{ds}", "--out", "{run}", "--init", "trombone-small", "--preset", "base"],
         "the --init model is the 'small' preset", 2),
        (["bench", "train", "--preset", "huge"], "unknown preset", 2),
        (["bench", "train", "--steps", "0", "--no-reference"], "must be at least 1", 2),
        (["bench", "train", "--precision", "fp8", "--no-reference"], "--precision must be one of", 2),
        (["bench", "train", "--threads", "-1", "--no-reference"], "--threads must be within 0..1024", 2),
        (["bench", "train", "--scheduled-sampling", "1", "--no-reference"],
         "--scheduled-sampling must be in [0, 1)", 2),
        (["train", "{ds}", "--out", "{run}", "--threads", "100000"], "--threads must be within 0..1024", 2),
        (["train", "{ds}", "--out", "{run}", "--sound-draws", "0"], "--sound-draws must be within 1..64", 2),
    ],
)
def test_bad_input_is_one_line(dataset, tmp_path, args, fragment, status):
    """A bad option value is a usage mistake (exit status 2), a missing file or GPU a user error (1)."""
    import torch

    if fragment is None:
        if torch.cuda.is_available():
            pytest.skip("a GPU is present")
        fragment = "no CUDA GPU"
    fill = {"missing": str(tmp_path / "missing"), "run": str(tmp_path / "run"), "ds": str(dataset)}
    result = runner.invoke(app, [a.format(**fill) for a in args])
    assert result.exit_code == status, result.output
    assert len(error_lines(result.output)) == 1 and fragment in result.output


def test_init_takes_a_shipped_models_name(dataset, tmp_path):
    cfg = resolve_train_config(tmp_path / "run", {"init": "trombone-small"}, resume=False)
    assert cfg.init == str(SHIPPED_MODEL) and cfg.preset == "small"
    assert cfg.model_config().level_conditioning  # the shipped model's own settings
    path = tmp_path / "copy.pt"
    path.write_bytes(SHIPPED_MODEL.read_bytes())
    assert resolve_train_config(tmp_path / "run", {"init": str(path)}, resume=False).init == str(path)
    result = runner.invoke(app, ["train", str(dataset), "--out", str(tmp_path / "r"), "--init", "tromboon"])
    assert result.exit_code == 1 and len(error_lines(result.output)) == 1, result.output
    assert "tromboon" in result.output and "shipped models: trombone-small" in result.output


def test_a_fine_tune_keeps_its_inits_scheduled_sampling(tmp_path):
    """A fine-tune keeps its init's scheduled sampling unless told: a checkpoint from before the
    option (none in its train config) passes 0 on, one trained with it its share; a given share
    wins; a shipped model's name reads its file's own."""
    run = tmp_path / "run"
    payload = torch.load(SHIPPED_MODEL, weights_only=True)
    shipped_share = float(payload["train_config"].get("scheduled_sampling") or 0.0)
    named = resolve_train_config(run, {"init": "trombone-small"}, resume=False)
    assert named.scheduled_sampling == shipped_share
    for share, name in ((None, "before.pt"), (0.5, "with_ss.pt")):
        payload["train_config"].pop("scheduled_sampling", None)
        if share is not None:
            payload["train_config"]["scheduled_sampling"] = share
        torch.save(payload, tmp_path / name)
        got = resolve_train_config(run, {"init": str(tmp_path / name)}, resume=False).scheduled_sampling
        assert got == (share or 0.0)
        given = {"init": str(tmp_path / name), "scheduled_sampling": 0.3}
        assert resolve_train_config(run, given, resume=False).scheduled_sampling == 0.3
    assert resolve_train_config(run, {}, resume=False).scheduled_sampling is None  # fit_to_bank sets it


def test_max_minutes_alone_lifts_the_step_bound(tmp_path):
    """`--max-minutes 120` on a fast CPU stopped at the 20,000-step default after ~50 minutes, its
    schedule annealed over the steps: alone, the minutes are the budget."""
    run = tmp_path / "run"
    assert resolve_train_config(run, {"max_minutes": 120.0}, resume=False).steps == MINUTES_BOUND_STEPS
    assert resolve_train_config(run, {"max_minutes": 120.0, "steps": 500}, resume=False).steps == 500
    late = resolve_train_config(run, {"max_minutes": 1.0}, resume=False)
    assert late.lr_at(20000, elapsed_s=30.0) > 0.5 * late.lr  # half-way by the clock: not yet annealed


def test_the_default_budget_is_steps_or_minutes_and_either_given_alone_is_the_whole_budget(tmp_path):
    """Unset, a run ends at 20,000 steps or 120 minutes, whichever comes first (20,000 steps at
    batch 32 would take ~4.5 hours on a slower 2-core CPU); `--steps` alone lifts the time bound as
    `--max-minutes` alone lifts the step bound."""
    run = tmp_path / "run"
    default = resolve_train_config(run, {}, resume=False)
    assert (default.steps, default.max_minutes, default.batch_size) == (20000, 120.0, 32)
    assert default.lr_at(20000, elapsed_s=0.0) == pytest.approx(default.lr_final)  # annealed by the steps…
    assert default.lr_at(1000, elapsed_s=120 * 60.0) == pytest.approx(default.lr_final)  # …or by the clock
    steps = resolve_train_config(run, {"steps": 40000}, resume=False)
    assert (steps.steps, steps.max_minutes) == (40000, None)
    both = resolve_train_config(run, {"steps": 40000, "max_minutes": 30.0}, resume=False)
    assert (both.steps, both.max_minutes) == (40000, 30.0)


def test_malformed_dataset_is_one_line(tmp_path):
    bad = write_synth_dataset(tmp_path / "bank", per_split={"train": 1, "val": 1})
    (bad / "dataset.json").write_text("{not json")
    result = runner.invoke(app, ["train", str(bad), "--out", str(tmp_path / "run"), *FAST])
    assert result.exit_code == 1 and "malformed dataset.json" in error_lines(result.output)[0]


def test_bench_train_reports_samples_per_second():
    rep = bench_train_report(
        "small", batch_size=2, window=64, steps=1, device="cpu", reference=False, threads=1
    )
    r = rep["runs"][0]
    auto = "bf16" if cpu_has_native_bf16() else "fp32"  # what --precision auto means on this CPU
    assert r["samples_per_s"] > 0 and r["params"] > 0 and r["precision"] == auto and rep["threads"] == 1
    assert r["scheduled_sampling"] == SCHEDULED_SAMPLING
    result = runner.invoke(
        app,
        [
            "bench",
            "train",
            "--batch-size",
            "2",
            "--window",
            "64",
            "--steps",
            "1",
            "--no-reference",
            "--threads",
            "1",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["runs"][0]["preset"] == "small"


def test_help_shows_defaults_and_ranges_verbatim():
    out = runner.invoke(app, ["train", "--help"], env={"COLUMNS": "200"}).output
    # rich markup once swallowed every "[...]" of the help texts
    assert "[default: 0.001]" in out and "[default: small]" in out and "[this, 1/this]" in out


def test_every_option_takes_its_default_and_help_from_train_config():
    settings = {f.name: f for f in fields(TrainConfig)}
    assert all(f.metadata.get("help") for f in settings.values())
    command = typer.main.get_command(app).commands["train"]
    checked = set()
    for param in command.params:
        if param.name in SWITCHES_OFF:  # --no-conditioning: off what is on by default
            field = settings[SWITCHES_OFF[param.name]]
            assert field.default is True and param.default is False
        elif param.name in settings:
            field = settings[param.name]
            assert param.default == field.default, param.name
        else:
            continue
        assert param.help == field.metadata["help"], param.name
        checked.add(field.name)
    options = {"preset", "steps", "batch_size", "window", "lr", "lr_final", "warmup_steps", "device",
               "input_noise", "scheduled_sampling", "input_gain", "input_gain_from", "input_gain_tiers",
               "ema", "attack_weight",
               "attack_noise",
               "attack_seconds", "hidden_countdown", "note_interpolation", "fill_pitches",
               "kit_retune", "balance_pieces", "piece_brightness", "piece_tuning", "fit_min_p", "short_notes",
               "init",
               "new_pitch_draws",
               "conditioning",
               "seed", "val_every", "patience", "choose_by", "score_tie", "sound_notes", "sound_draws",
               "sound_seconds",
               "max_minutes",
               "snapshot_minutes", "compile", "precision", "threads", "preview"}  # fmt: skip
    assert checked == options


def test_an_unwritable_out_is_one_line_before_training(dataset, tmp_path, monkeypatch):
    import samplernn.train.loop

    def train(*args, **kwargs):
        raise AssertionError("training started before --out was checked")

    (tmp_path / "file").write_text("x")
    monkeypatch.setattr(samplernn.train.loop, "train", train)
    run = tmp_path / "file" / "run"
    result = runner.invoke(app, ["train", str(dataset), "--out", str(run), *FAST])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), repr(result.exception)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [f"error: {run}: cannot be made, {tmp_path / 'file'} is a file, not a folder"]


def test_check_run_dir_refuses_a_place_it_cannot_write(tmp_path):
    from samplernn.common.errors import UserError
    from samplernn.train.run_dir import RunPaths, check_run_dir

    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="is a file, not a folder"):
        check_run_dir(RunPaths(tmp_path / "file" / "run"), resume=False)
    check_run_dir(RunPaths(tmp_path / "run"), resume=False)


def test_a_batch_too_large_for_memory_is_one_line_before_any_bar(dataset, tmp_path, monkeypatch):
    import samplernn.train.memory as memory

    monkeypatch.setattr(memory, "available_memory_bytes", lambda device: 1e9)
    run = tmp_path / "run"
    result = runner.invoke(app, ["train", str(dataset), "--out", str(run), "--batch-size", "100000"])
    assert result.exit_code == 2, result.output
    (line,) = error_lines(result.output)
    assert "--batch-size 100000 with --window 1024 needs about" in line
    assert "0.9 GiB this machine has free" in line
    assert result.output.startswith("error:") and not run.exists()  # no progress bar drawn first


def test_bench_train_measures_train_s_batch_and_window_unless_told(monkeypatch):
    import samplernn.bench.train as bench

    seen: list[dict] = []
    monkeypatch.setattr(bench, "bench_train", lambda p, **kw: seen.append({"preset": p, **kw}) or kw)
    result = runner.invoke(app, ["bench", "train", "--steps", "1", "--json"])
    assert result.exit_code == 0, result.output
    default = TrainConfig()
    assert (seen[0]["batch_size"], seen[0]["window"]) == (default.batch_size, default.window)
    assert seen[0]["scheduled_sampling"] == SCHEDULED_SAMPLING  # the step a pitched bank trains at
    assert (seen[1]["preset"], seen[1]["batch_size"], seen[1]["window"]) == ("reference", 16, 1024)
    assert seen[1].get("scheduled_sampling", 0.0) == 0.0  # the 2017 step
    told = runner.invoke(app, ["bench", "train", "--batch-size", "8", "--no-reference", "--json"])
    assert told.exit_code == 0, told.output
    assert seen[2]["batch_size"] == 8 and len(seen) == 3
