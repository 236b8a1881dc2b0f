"""Training loop: run dir contents, checkpoints, resume exactness, interrupts, divergence, bad input."""

from __future__ import annotations

import json
import math
import os
import signal

import pytest
import torch
from support.drum_kit import write_drum_dataset
from support.synth_data import write_synth_dataset
from support.tiny import TINY_MODEL, tiny_train_config

from conditioning.events import ELAPSED_INDEX, NOTE_INDEX
from samplernn.common.errors import UsageError, UserError
from samplernn.data.batching import Batch
from samplernn.data.quantize import dequantize, quantize
from samplernn.model.checkpoint import load_checkpoint
from samplernn.model.config import ModelConfig, preset
from samplernn.model.network import build_model
from samplernn.model.nll import masked_nll
from samplernn.train.config import DEFAULT_BATCH, SCHEDULED_SAMPLING, TrainConfig
from samplernn.train.curves import read_metrics
from samplernn.train.init import resolve_train_config
from samplernn.train.loop import TrainingDiverged, train
from samplernn.train.step import attack_inputs, make_optimizer, noise_attack, target_weights, train_step

tiny_cfg = tiny_train_config


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return write_synth_dataset(tmp_path_factory.mktemp("ds") / "bank")


def test_train_writes_run_dir(dataset, tmp_path):
    run = tmp_path / "run"
    threads = torch.get_num_threads()
    summary = train(dataset, run, tiny_cfg())
    assert torch.get_num_threads() == threads  # restored
    assert summary.status == "completed" and summary.step == 6
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
    assert summary.best_val == pytest.approx(payload["best"]["val"])


def final_params(run) -> dict[str, torch.Tensor]:
    return torch.load(run / "checkpoints" / "last.pt", weights_only=True)["state_dict"]


def test_a_checkpoint_finds_its_kit_from_another_working_directory(tmp_path, monkeypatch):
    """`train data/kit -o runs/kit` recorded the dataset as 'data/kit': `pack` (and serve, and the
    drum-model rule) run from another folder looked for it there, did not find it and measured the
    takes against the bank statistics alone. The checkpoint now records the absolute path."""
    from samplernn.render.pack import reference

    write_drum_dataset(tmp_path / "data" / "kit", {"train": 1, "val": 1})
    monkeypatch.chdir(tmp_path)
    train("data/kit", "runs/kit", tiny_cfg(steps=1, val_every=1, choose_by="nll", sound_notes=0,
                                           fit_min_p=False))
    payload = torch.load(tmp_path / "runs/kit/checkpoints/best.pt", weights_only=True)
    assert payload["dataset"]["path"] == str((tmp_path / "data" / "kit").resolve())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    _, where, _ = reference(load_checkpoint(tmp_path / "runs/kit/checkpoints/best.pt"), None, [], 0)
    assert where.startswith("the real samples of"), where


def test_a_resume_keeps_the_batch_size_its_run_stored(dataset, tmp_path):
    assert TrainConfig().batch_size == DEFAULT_BATCH == 32
    run = tmp_path / "run"
    train(dataset, run, tiny_train_config(batch_size=16, steps=1, val_every=1))
    stored = torch.load(run / "checkpoints" / "last.pt", weights_only=True)["train_config"]
    described = json.loads((run / "run.json").read_text())["train_config"]
    assert stored["batch_size"] == 16 == described["batch_size"]
    # a run of the old CPU default resumes at its own batch (the CLI fills left-out options from it)
    assert resolve_train_config(run, {}, resume=True).batch_size == 16


def test_the_input_gain_tiers_are_fitted_to_the_bank_and_a_run_before_them_keeps_all(dataset, tmp_path):
    run = tmp_path / "run"
    assert resolve_train_config(run, {}, resume=False).input_gain_tiers is None  # fit_to_bank sets it
    train(dataset, run, tiny_train_config(steps=1, val_every=1))
    last = run / "checkpoints" / "last.pt"
    payload = torch.load(last, weights_only=True)
    assert payload["train_config"]["input_gain_tiers"] == "frames"  # a pitched bank's
    assert payload["train_config"]["scheduled_sampling"] == SCHEDULED_SAMPLING
    for key in ("input_gain_tiers", "scheduled_sampling"):  # a checkpoint of a run from before them
        del payload["train_config"][key]
    torch.save(payload, last)
    resumed = resolve_train_config(run, {}, resume=True)
    assert resumed.input_gain_tiers == "all" and resumed.scheduled_sampling == 0


def test_resume_continues_exactly(dataset, tmp_path):
    straight, split = tmp_path / "straight", tmp_path / "split"
    # the warm-up spans the resume, the split run stopped at step 4 as by Ctrl-C (a resume that
    # raised --steps would stretch the schedule: warm-up and cosine are fitted to the budget)
    train(dataset, straight, tiny_cfg(steps=28, warmup_steps=5, lr_final=None))

    def ctrl_c(step: int, model: object) -> None:
        if step == 4:
            raise KeyboardInterrupt

    assert train(dataset, split, tiny_cfg(steps=28, warmup_steps=5, lr_final=None), on_step=ctrl_c).step == 4
    cfg = resolve_train_config(split, {}, resume=True)
    assert cfg.batch_size == 4 and cfg.model_overrides == TINY_MODEL
    summary = train(dataset, split, cfg, resume=True)
    assert summary.step == 28
    a, b = final_params(straight), final_params(split)
    for k in a:
        assert torch.equal(a[k], b[k]), k
    pa = torch.load(straight / "checkpoints" / "last.pt", weights_only=True)
    pb = torch.load(split / "checkpoints" / "last.pt", weights_only=True)
    assert all(torch.equal(x, y) for x, y in zip(pa["hidden"], pb["hidden"], strict=True))
    assert torch.equal(pa["data"]["note"], pb["data"]["note"])


def test_resume_refuses_incompatible_settings(dataset, tmp_path):
    run = tmp_path / "run"
    train(dataset, run, tiny_cfg(steps=2))
    with pytest.raises(UserError, match="holds a run already"):
        train(dataset, run, tiny_cfg(steps=2))
    with pytest.raises(UserError, match="batch_size"):
        resolve_train_config(run, {"batch_size": 8}, resume=True)
    for copies in ("fill_pitches", "kit_retune", "short_notes"):  # each changes the train bank
        stored = resolve_train_config(run, {}, resume=True).to_dict()[copies]
        with pytest.raises(UserError, match=rf"{copies}={stored!r} \(asked 3\)"):
            resolve_train_config(run, {copies: 3}, resume=True)
    with pytest.raises(UserError, match="incompatible"):
        other = tiny_cfg(steps=4, model_overrides={**TINY_MODEL, "dim": 12})
        train(dataset, run, other, resume=True)
    with pytest.raises(UserError, match="nothing to resume"):
        train(dataset, tmp_path / "fresh", tiny_cfg(), resume=True)
    # on a drum kit the settings fitted to the bank differ too (fill_pitches off): the data is named
    kit = write_drum_dataset(tmp_path / "kit", {"train": 1, "val": 1})
    with pytest.raises(UserError, match=r"was trained on other data than .*kit \(its train split differs\)"):
        train(kit, run, resolve_train_config(run, {"steps": 4}, resume=True), resume=True)


def test_a_run_that_stopped_before_its_first_checkpoint_is_started_again(dataset, tmp_path):
    """A run that died before its first checkpoint (a bad setting found late, Ctrl-C) left run.json
    and metrics.jsonl only: a new run said "holds a run already (use --resume)" and --resume said
    "nothing to resume", so the user had to delete the folder by hand. The same command now starts
    the run again, its old records dropped; --resume says why there is nothing to resume."""
    import json

    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"dataset": "elsewhere"}))
    (run / "metrics.jsonl").write_text(json.dumps({"kind": "train", "step": 10, "time": 0}) + "\n")
    with pytest.raises(UserError, match="stopped before its first checkpoint: leave out --resume"):
        train(dataset, run, tiny_cfg(steps=2), resume=True)
    train(dataset, run, tiny_cfg(steps=2))
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert records and all(r["step"] <= 2 for r in records)  # the dead run's step-10 record is gone
    assert json.loads((run / "run.json").read_text())["dataset"] == str(dataset)
    with pytest.raises(UserError, match="holds a run already"):  # it has a checkpoint now
        train(dataset, run, tiny_cfg(steps=2))
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "run.json").write_text("{}")
    (mine / "notes.txt").write_text("a user's own file beside it")
    with pytest.raises(UserError, match="holds a run already"):
        train(dataset, mine, tiny_cfg(steps=2))


def test_out_of_memory_at_the_first_step_is_one_line_and_the_same_command_starts_again(
    dataset, tmp_path, monkeypatch
):
    """An allocation failure in a step (the CPU allocator's RuntimeError, CUDA's OutOfMemoryError)
    was a traceback, and the run dir it left (run.json, metrics.jsonl, step 0's last.pt) refused
    the next plain run as "holds a run already". Now: one line naming the batch and window, and the
    same command, with a smaller batch, starts the run again there."""
    import samplernn.train.loop as loop

    real = loop.advance

    def failing(exc):
        def step(state, fwd):
            raise exc
        return step

    run = tmp_path / "run"
    monkeypatch.setattr(loop, "advance", failing(RuntimeError(
        "[enforce fail at alloc_cpu.cpp:119] DefaultCPUAllocator: can't allocate memory")))
    with pytest.raises(UserError, match=r"^out of memory at step 1 on cpu \(--batch-size 4, --window 32\)"):
        train(dataset, run, tiny_cfg(steps=2, batch_size=4))
    assert (run / "checkpoints" / "last.pt").is_file()
    monkeypatch.setattr(loop, "advance", failing(torch.OutOfMemoryError("CUDA out of memory")))
    with pytest.raises(UserError, match="out of memory at step 1"):
        train(dataset, run, tiny_cfg(steps=2, batch_size=4))
    monkeypatch.setattr(loop, "advance", failing(RuntimeError("a bug")))
    with pytest.raises(RuntimeError, match="a bug"):  # other errors are not taken for memory
        train(dataset, run, tiny_cfg(steps=2, batch_size=4))
    monkeypatch.setattr(loop, "advance", real)
    assert train(dataset, run, tiny_cfg(steps=2, batch_size=2)).step == 2
    with pytest.raises(UserError, match="holds a run already"):  # trained steps are kept from now on
        train(dataset, run, tiny_cfg(steps=2))


def test_a_batch_whose_step_cannot_fit_in_free_memory_is_refused_before_the_run_starts(
    dataset, tmp_path, monkeypatch
):
    import samplernn.train.memory as memory

    cfg = tiny_cfg(steps=2, batch_size=4)
    need = memory.step_memory_bytes(cfg.model_config(), 4, cfg.window)
    monkeypatch.setattr(memory, "available_memory_bytes", lambda device: need * 0.9)
    with pytest.raises(UsageError, match=r"^--batch-size 4 with --window 32 needs about .* GiB .* --window$"):
        train(dataset, tmp_path / "run", cfg)
    assert not (tmp_path / "run" / "run.json").exists()
    monkeypatch.setattr(memory, "available_memory_bytes", lambda device: need * 1.1)
    assert train(dataset, tmp_path / "run", cfg).step == 2


def test_the_step_memory_estimate_follows_the_measured_peaks():
    # peak RSS minus the batch-16 run's, 2-step CPU runs on the trombone bank (2026-12-04):
    # small 256 → 1,024 rows: +4,112,808 KiB; base 16 → 128 rows: +1,546,744 KiB (window 1,024)
    from samplernn.train.memory import step_memory_bytes

    small = step_memory_bytes(preset("small"), 1024 - 256, 1024)
    base = step_memory_bytes(preset("base"), 128 - 16, 1024)
    assert 0.9 < small / (4_112_808 * 1024) < 1.1 and 0.9 < base / (1_546_744 * 1024) < 1.1


def test_a_new_run_refuses_a_folder_of_the_users_own_files(dataset, tmp_path):
    """--out a folder holding a user's files (a loss.png of their own, their samples): refused before
    anything is written, the files untouched; an empty folder, or one holding only a file browser's
    .DS_Store, takes the run."""
    mine = tmp_path / "project"
    mine.mkdir()
    (mine / "loss.png").write_bytes(b"mine")
    (mine / "kick.wav").write_bytes(b"mine too")
    with pytest.raises(UserError, match=r"project: is not empty \(holds kick.wav, loss.png\)"):
        train(dataset, mine, tiny_cfg(steps=2))
    assert sorted(p.name for p in mine.iterdir()) == ["kick.wav", "loss.png"]
    assert (mine / "loss.png").read_bytes() == b"mine"
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / ".DS_Store").write_bytes(b"")
    assert train(dataset, empty, tiny_cfg(steps=2)).step == 2


def test_init_of_the_other_kind_is_said(dataset, tmp_path):
    """--init a drum model on a pitched bank (or the reverse) trains, as before, but says so (evaluate
    refuses that pairing; train said nothing)."""
    base = tmp_path / "base"
    train(dataset, base, tiny_cfg(steps=2))
    drum = torch.load(base / "checkpoints" / "last.pt", weights_only=True)
    drum["dataset"] = {**(drum.get("dataset") or {}), "layout": "drumkit"}  # as if trained on a kit
    torch.save(drum, tmp_path / "drum.pt")
    lines: list[str] = []
    train(dataset, tmp_path / "tuned", tiny_cfg(steps=1, init=str(tmp_path / "drum.pt")), log=lines.append)
    assert any("a drum model, and this bank is a pitched bank" in line for line in lines), lines
    quiet: list[str] = []
    same = tiny_cfg(steps=1, init=str(base / "checkpoints" / "last.pt"))
    train(dataset, tmp_path / "same", same, log=quiet.append)
    assert not any("of another kind" in line for line in quiet)


def test_init_starts_a_new_run_from_a_checkpoint(dataset, tmp_path):
    base, tuned = tmp_path / "base", tmp_path / "tuned"
    train(dataset, base, tiny_cfg(steps=4, conditioning=False))
    init = str(base / "checkpoints" / "last.pt")
    old = torch.load(init, weights_only=True)  # as written before level_conditioning existed
    del old["model_config"]["level_conditioning"]
    torch.save(old, init)
    given = {"init": init, "steps": 1, "lr": 1e-12, "batch_size": 4, "window": 32, "device": "cpu",
             "threads": 1, "val_every": 1, "eval_batch_size": 8}
    with pytest.raises(UsageError, match="an unconditioned model .*add --no-conditioning"):
        resolve_train_config(tuned, given, resume=False)  # a note bank's fine-tune would drop its notes
    cfg = resolve_train_config(tuned, {**given, "conditioning": False}, resume=False)
    # the model is the checkpoint's, fields it predates at their old defaults
    assert cfg.model_config() == ModelConfig.from_dict(old["model_config"]) and cfg.conditioning is False
    cond = dict(old, model_config={**old["model_config"], "conditioning": True})
    cond["train_config"] = {**old["train_config"], "conditioning": True}
    torch.save(cond, tmp_path / "cond.pt")  # a conditional model from before the level column
    got = resolve_train_config(tmp_path / "t2", {**given, "init": str(tmp_path / "cond.pt")}, resume=False)
    assert got.model_config().conditioning and not got.model_config().level_conditioning
    with pytest.raises(UsageError, match="--no-conditioning: the --init model .* is conditioned"):
        no_cond = {**given, "init": str(tmp_path / "cond.pt"), "conditioning": False}
        resolve_train_config(tmp_path / "t3", no_cond, resume=False)  # failed in training, naming --preset
    summary = train(dataset, tuned, cfg)
    assert summary.step == 1  # a new run: its own step count
    a, b = final_params(base), final_params(tuned)
    for k in a:  # one step at lr 1e-12 leaves the inherited weights in place
        assert torch.allclose(a[k].float(), b[k].float(), atol=1e-6), k
    assert json.loads((tuned / "run.json").read_text())["init"] == {"checkpoint": init, "step": 4}
    with pytest.raises(UserError, match="model differs"):
        other = tiny_cfg(init=init, conditioning=False, model_overrides={**TINY_MODEL, "dim": 12})
        train(dataset, tmp_path / "other", other)


def _step_seeing_inputs(B: int, zero_row: bool = False, frames: list | None = None, **augment) -> tuple:
    """One train_step of a stand-in forward on random classes (B, L+T): (x, inputs it saw, loss,
    the loss of clean targets); the frame tiers' own input (frames_x, None = x) is appended to
    `frames`. `augment`: train_step's input_noise / input_gain / gain_frames_only."""
    torch.manual_seed(0)
    model = build_model(preset("small", **TINY_MODEL))
    L, T, Q = model.lookback, 16, model.cfg.q_levels
    x = torch.randint(0, Q, (B, L + T))
    if zero_row:
        x[0] = 0
    b = Batch(x, torch.zeros(B, T, 5, dtype=torch.int32), torch.ones(B, T, dtype=torch.bool),
              torch.ones(B, dtype=torch.bool), torch.zeros(B, dtype=torch.long))
    seen, logits = [], torch.randn(B, T, Q, requires_grad=True)

    def fwd(x_in, cond, state, reset, frames_x=None):
        seen.append(x_in)
        if frames is not None:
            frames.append(frames_x)
        return logits * 1.0, [torch.zeros(1, B, 8)]

    opt = make_optimizer(model, 1e-3, torch.device("cpu"))
    loss, _, _ = train_step(fwd, model, opt, b, None, 1.0, 1.0, torch.device("cpu"), "fp32", **augment)
    return x, seen[0], loss.item(), masked_nll(logits, x[:, L:], b.mask).sum().item()


def test_input_noise_corrupts_inputs_not_targets():
    Q = preset("small", **TINY_MODEL).q_levels
    x, clean, loss, clean_loss = _step_seeing_inputs(3, zero_row=True)  # noise stays inside the range
    assert loss == pytest.approx(clean_loss)
    _, noisy, loss, clean_loss = _step_seeing_inputs(3, zero_row=True, input_noise=2)
    assert loss == pytest.approx(clean_loss)  # targets are never noised
    assert torch.equal(clean, x)
    diff = noisy - x
    assert diff.abs().max() == 2 and (diff != 0).float().mean() > 0.5 and noisy.min() >= 0
    assert noisy.max() <= Q - 1


def test_scheduled_sampling_feeds_own_draws_after_the_history_targets_clean(monkeypatch):
    """The training pass reads the model's own draws (here always class 7), asked without gradient
    at about `share` of the targets, in the inputs after the L history samples, none inside it;
    the loss is still on the real targets."""
    torch.manual_seed(0)
    model = build_model(preset("small", **TINY_MODEL))
    B, L, T, Q = 64, model.lookback, 32, model.cfg.q_levels
    x = torch.randint(8, Q, (B, L + T))
    b = Batch(x, torch.zeros(B, T, 5, dtype=torch.int32), torch.ones(B, T, dtype=torch.bool),
              torch.ones(B, dtype=torch.bool), torch.zeros(B, dtype=torch.long))
    peaked = torch.full((B, T, Q), -1e4)
    peaked[..., 7] = 0.0
    asked, seen, logits = [], [], peaked.clone().requires_grad_(True)

    def logits_at(where, x_in, *rest):
        asked.append((where, x_in, torch.is_grad_enabled()))
        return peaked[where]

    def fwd(x_in, cond, state, reset, frames_x=None):
        seen.append((x_in, torch.is_grad_enabled()))
        return logits * 1.0, [torch.zeros(1, B, 8)]

    monkeypatch.setattr(model, "logits_at", logits_at)
    opt = make_optimizer(model, 1e-3, torch.device("cpu"))
    loss, _, _ = train_step(fwd, model, opt, b, None, 1.0, 1.0, torch.device("cpu"), "fp32",
                            scheduled_sampling=0.3)
    [(where, first, first_grad)], [(mixed, grad)] = asked, seen
    assert torch.equal(first, x) and not first_grad and grad
    assert torch.equal(mixed[:, :L], x[:, :L])
    changed = mixed[:, L:] != x[:, L:]
    assert torch.equal(changed, where) and torch.all(mixed[:, L:][changed] == 7)
    assert 0.25 < changed.float().mean().item() < 0.35
    assert loss.item() == pytest.approx(masked_nll(peaked, x[:, L:], b.mask).sum().item())


def test_own_draws_follow_the_model_distribution():
    """Every input after the history replaced (share 1): classes 3 and 5 at probabilities 1/4 and
    3/4 come back in those shares, never a class of probability ~0 (an off-by-one in the inverse
    CDF would draw class 4 or 6 or skew the shares)."""
    from types import SimpleNamespace

    from samplernn.train.step import own_draws

    torch.manual_seed(0)
    B, L, T, Q = 8, 4, 4096, 16
    logits = torch.full((B, T, Q), -1e4)
    logits[..., 3], logits[..., 5] = math.log(0.25), math.log(0.75)
    b = Batch(torch.zeros(B, L + T, dtype=torch.long), torch.zeros(B, T, 5, dtype=torch.int32),
              torch.ones(B, T, dtype=torch.bool), torch.ones(B, dtype=torch.bool),
              torch.zeros(B, dtype=torch.long))
    model = SimpleNamespace(lookback=L, logits_at=lambda where, *a: logits[where])
    mixed = own_draws(model, b.x, b, None, None, 1.0, torch.device("cpu"), "fp32")
    drawn = mixed[:, L:]
    assert set(drawn.unique().tolist()) == {3, 5} and torch.all(mixed[:, :L] == 0)
    assert (drawn == 5).float().mean().item() == pytest.approx(0.75, abs=0.01)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_sigint_or_sigterm_saves_and_stops(dataset, tmp_path, sig):
    run = tmp_path / "run"

    def interrupt(step, model):
        if step == 2:
            os.kill(os.getpid(), sig)

    before = signal.getsignal(sig)
    lines: list[str] = []
    summary = train(dataset, run, tiny_cfg(steps=50), on_step=interrupt, log=lines.append)
    assert summary.status == "interrupted" and summary.step == 2
    assert sum(line.startswith("stopping: the step or validation under way finishes") for line in lines) == 1
    assert load_checkpoint(run / "checkpoints" / "last.pt").step == 2
    assert signal.getsignal(sig) == before  # the handler is put back


def test_keyboard_interrupt_saves_consistent_state(dataset, tmp_path):
    straight, run = tmp_path / "straight", tmp_path / "run"
    train(dataset, straight, tiny_cfg(steps=5))

    def boom(step, model):
        if step == 2:
            raise KeyboardInterrupt

    summary = train(dataset, run, tiny_cfg(steps=5), on_step=boom)
    assert summary.status == "interrupted" and summary.step == 2
    train(dataset, run, tiny_cfg(steps=5), resume=True)
    a, b = final_params(straight), final_params(run)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_nan_loss_stops_with_last_good_checkpoint(dataset, tmp_path):
    run = tmp_path / "run"

    def poison(step, model):
        if step == 4:
            with torch.no_grad():
                model.sample_mlp.output.bias.fill_(float("nan"))

    with pytest.raises(TrainingDiverged, match="NaN/inf at step 5"):
        train(dataset, run, tiny_cfg(steps=8), on_step=poison)
    ck = load_checkpoint(run / "checkpoints" / "last.pt")
    assert ck.step == 3
    assert all(torch.isfinite(v).all() for v in ck.model.state_dict().values())


def test_oscillator_model_takes_the_data_rate_and_survives_init(dataset, tmp_path):
    first = tmp_path / "a" / "checkpoints" / "last.pt"
    osc = tiny_cfg(steps=2, model_overrides={**TINY_MODEL, "oscillator": 2})
    train(dataset, tmp_path / "a", osc)
    ckpt = load_checkpoint(first)
    rate = json.loads((dataset / "dataset.json").read_text())["sample_rate"]
    assert ckpt.config.oscillator == 2 and ckpt.config.sample_rate == rate == ckpt.sample_rate
    given = {"init": str(first), "steps": 1, "device": "cpu", "threads": 1, "batch_size": 4, "window": 32}
    cfg = resolve_train_config(tmp_path / "b", given, resume=False)
    assert train(dataset, tmp_path / "b", cfg).step == 1
    assert load_checkpoint(tmp_path / "b" / "checkpoints" / "last.pt").config == ckpt.config


def test_lr_final_anneals_along_a_cosine(dataset, tmp_path):
    cfg = tiny_cfg(steps=8, lr=1e-3, lr_final=1e-4, log_every=1, warmup_steps=0)
    assert cfg.lr_at(0) == pytest.approx(1e-3) and cfg.lr_at(8) == pytest.approx(1e-4)
    flat = tiny_cfg(lr_final=None, warmup_steps=0)
    assert cfg.lr_at(4) == pytest.approx(5.5e-4) and flat.lr_at(5) == flat.lr
    assert tiny_cfg(lr=1e-5, lr_final=1e-4, warmup_steps=0).lr_at(3) == pytest.approx(1e-5)  # capped at --lr
    train(dataset, tmp_path / "run", cfg)
    logged = [r["lr"] for r in read_metrics(tmp_path / "run" / "metrics.jsonl") if r["kind"] == "train"]
    assert logged == pytest.approx([cfg.lr_at(s) for s in range(8)])  # the rate each step used
    opt = torch.load(tmp_path / "run" / "checkpoints" / "last.pt", weights_only=True)["optimizer"]
    assert opt["param_groups"][0]["lr"] == pytest.approx(cfg.lr_at(7))
    with pytest.raises(UserError, match="--lr-final"):
        tiny_cfg(lr_final=0.0).validate()


def test_bad_input_is_a_user_error(dataset, tmp_path):
    with pytest.raises(UserError, match="not a directory"):
        train(tmp_path / "missing", tmp_path / "r1", tiny_cfg())
    with pytest.raises(UserError, match="multiple of the model's lookback"):
        train(dataset, tmp_path / "r2", tiny_cfg(window=30))
    empty = write_synth_dataset(tmp_path / "noval", per_split={"train": 1, "test": 1})
    with pytest.raises(UserError, match="'val' split holds no notes"):
        train(empty, tmp_path / "r3", tiny_cfg())
    with pytest.raises(UserError, match="unknown preset"):
        train(dataset, tmp_path / "r4", tiny_cfg(preset="huge"))


def test_early_stopping_and_time_limit(dataset, tmp_path):
    # a learning rate too small to move float32 weights: validation never improves after the first
    summary = train(dataset, tmp_path / "es", tiny_cfg(steps=30, lr=1e-30, patience=2))
    assert summary.status == "early_stopped" and summary.step == 9 and summary.best_step == 3
    summary = train(dataset, tmp_path / "tl", tiny_cfg(steps=30, max_minutes=1e-9))
    assert summary.status == "time_limit" and summary.step == 1 and summary.last_val is not None
    assert load_checkpoint(tmp_path / "tl" / "checkpoints" / "last.pt").step == 1


def test_input_gain_scales_half_the_rows_inputs_not_targets():
    B, Q = 64, preset("small", **TINY_MODEL).q_levels
    x, seen, loss, clean_loss = _step_seeing_inputs(B, input_gain=0.5)
    assert loss == pytest.approx(clean_loss)
    a_in, a = dequantize(seen, Q), dequantize(x, Q)
    peak_ratio = a_in.abs().amax(1) / a.abs().amax(1)
    kept = [torch.equal(seen[r], x[r]) for r in range(B)]
    assert 16 <= sum(kept) <= 48  # about half the rows
    scaled = peak_ratio[[not k for k in kept]]
    assert (scaled >= 0.45).all() and (scaled <= 2.1).all()
    assert (scaled < 0.95).any() and (scaled > 1.05).any()  # both quieter and louder
    with pytest.raises(UserError, match="--input-gain"):
        tiny_cfg(input_gain=1.0).validate()


def test_input_gain_on_the_frame_tiers_leaves_the_sample_mlp_reading_the_recording():
    B, frames = 64, []
    x, seen, loss, clean_loss = _step_seeing_inputs(B, frames=frames, input_gain=0.5, gain_frames_only=True)
    assert loss == pytest.approx(clean_loss)
    assert torch.equal(seen, x)  # the sample-level MLP's input as recorded
    kept = [torch.equal(frames[0][r], x[r]) for r in range(B)]
    assert 16 <= sum(kept) <= 48  # the frame tiers' input: about half the rows scaled
    _step_seeing_inputs(4, frames=frames, input_gain=0.0, gain_frames_only=True)
    assert frames[1] is None  # no gain: the frame tiers read x too
    with pytest.raises(UserError, match="--input-gain-tiers must be one of all, frames, got 'sample'"):
        tiny_cfg(input_gain_tiers="sample").validate()


def test_frames_x_feeds_the_frame_tiers_alone():
    torch.manual_seed(0)
    model = build_model(preset("small", **TINY_MODEL)).eval()
    L, T, Q = model.lookback, 2 * model.lookback, model.cfg.q_levels
    x = torch.randint(0, Q, (2, L + T))
    cond = torch.zeros(2, T, 5, dtype=torch.int32)
    plain, _ = model(x, cond)
    same, _ = model(x, cond, frames_x=x.clone())
    other, _ = model(x, cond, frames_x=torch.randint(0, Q, x.shape))
    assert torch.equal(plain, same) and not torch.allclose(plain, other)
    with pytest.raises(ValueError, match="frames_x must have x's shape"):
        model(x, cond, frames_x=x[:, 1:])


def test_input_gain_starts_at_its_share_of_the_budget():
    by_steps = TrainConfig(steps=100, max_minutes=None, input_gain=0.7, input_gain_from=0.5)
    assert [by_steps.input_gain_at(s) for s in (0, 49, 50, 99)] == [0, 0, 0.7, 0.7]
    by_time = TrainConfig(steps=10**9, max_minutes=10, input_gain=0.7, input_gain_from=0.5)
    assert by_time.input_gain_at(5, elapsed_s=299.0) == 0 and by_time.input_gain_at(5, elapsed_s=300.0) == 0.7
    assert TrainConfig(input_gain=0.7).input_gain_at(0) == 0.7  # the default: from the start
    assert TrainConfig(input_gain=0.0, input_gain_from=0.5).input_gain_at(10**6) == 0
    for bad in (1.0, -0.1):
        with pytest.raises(UsageError, match="--input-gain-from must be in"):
            TrainConfig(input_gain_from=bad).validate()


def test_a_run_takes_the_gain_from_its_share_on_and_no_plateau_stops_it_before(
    dataset, tmp_path, monkeypatch
):
    import samplernn.train.step as step_module

    gains: list[float] = []
    real = step_module.train_step
    monkeypatch.setattr(step_module, "train_step", lambda *a: gains.append(a[10]) or real(*a))
    said: list[str] = []
    late = tiny_cfg(steps=4, input_gain=0.7, input_gain_from=0.5)
    summary = train(dataset, tmp_path / "g", late, log=said.append)
    assert summary.status == "completed" and gains == [0, 0, 0.7, 0.7]
    assert ("step 3: input gain 0.7 from here on (50% of the budget spent); best.pt is chosen among the "
            "validations from here") in said
    # a resume that raises the budget keeps the gain it has begun (4 of 10 steps is not half of them)
    gains.clear()
    more = resolve_train_config(tmp_path / "g", {"steps": 10}, resume=True)
    train(dataset, tmp_path / "g", more, resume=True)
    assert gains == [0.7] * 6
    # weights that never move: no validation after the first is progress, yet none before the gain's
    # phase (from step 16 of 30) counts toward --patience, and best.pt is chosen afresh after it
    summary = train(dataset, tmp_path / "p", tiny_cfg(steps=30, lr=1e-30, patience=2, input_gain_from=0.5))
    assert summary.status == "early_stopped" and summary.step == 24 and summary.best_step == 18
    assert load_checkpoint(tmp_path / "p" / "checkpoints" / "best.pt").step == 18


def test_target_weights_weight_each_notes_attack():
    # row 0: silence, then a note from its onset; row 1: a note already 3 samples in; last target masked
    cond = torch.zeros(2, 6, 5, dtype=torch.int32)
    cond[0, 2:, NOTE_INDEX], cond[0, 2:, ELAPSED_INDEX] = 60, torch.arange(4)
    cond[1, :, NOTE_INDEX], cond[1, :, ELAPSED_INDEX] = 62, torch.arange(3, 9)
    mask = torch.ones(2, 6, dtype=torch.bool)
    mask[1, 5] = False
    b = Batch(torch.zeros(2, 10, dtype=torch.long), cond, mask, torch.ones(2, dtype=torch.bool),
              torch.zeros(2, dtype=torch.long))
    w = target_weights(b, 4.0, 5)
    assert w.tolist() == [[1, 1, 4, 4, 4, 4], [4, 4, 1, 1, 1, 0]]
    assert torch.equal(target_weights(b, 1.0, 5), mask.float())


def test_attack_weight_scales_the_gradient_not_the_reported_loss():
    torch.manual_seed(0)
    model = build_model(preset("small", **TINY_MODEL))
    L, T, Q = model.lookback, 8, model.cfg.q_levels
    x = torch.randint(0, Q, (1, L + T))
    b = Batch(x, torch.zeros(1, T, 5, dtype=torch.int32), torch.ones(1, T, dtype=torch.bool),
              torch.ones(1, dtype=torch.bool), torch.zeros(1, dtype=torch.long))
    weights = torch.tensor([[3.0, 3.0, 1, 1, 1, 1, 1, 1]])
    grads, losses = [], []
    for w in (None, weights):
        logits = torch.randn(1, T, Q, generator=torch.Generator().manual_seed(1)).requires_grad_()

        def fwd(x_in, cond, state, reset, frames_x=None, logits=logits):
            return logits * 1.0, [torch.zeros(1, 1, 8)]

        opt = make_optimizer(model, 1e-3, torch.device("cpu"))
        loss, _, _ = train_step(fwd, model, opt, b, None, 1.0, 1.0, torch.device("cpu"), "fp32", weights=w)
        grads.append(logits.grad.abs().sum(-1)[0])
        losses.append(loss.item())
    assert losses[0] == pytest.approx(losses[1])  # the reported NLL stays unweighted
    assert torch.allclose(grads[1] / grads[0], weights[0])


def test_attack_weight_trains_and_is_checked(dataset, tmp_path):
    summary = train(dataset, tmp_path / "aw", tiny_cfg(steps=2, attack_weight=4.0, attack_seconds=0.01))
    assert summary.step == 2
    assert json.loads((tmp_path / "aw" / "run.json").read_text())["train_config"]["attack_weight"] == 4.0
    with pytest.raises(UserError, match="--attack-weight"):
        tiny_cfg(attack_weight=0.5).validate()
    with pytest.raises(UserError, match="--attack-seconds"):
        tiny_cfg(attack_seconds=0.0).validate()


def test_attack_inputs_mark_each_notes_attack_and_its_history():
    # row 0: silence, then a note from its onset; row 1: a note already 3 samples in
    L = 4
    cond = torch.zeros(2, 6, 5, dtype=torch.int32)
    cond[0, 2:, NOTE_INDEX], cond[0, 2:, ELAPSED_INDEX] = 60, torch.arange(4)
    cond[1, :, NOTE_INDEX], cond[1, :, ELAPSED_INDEX] = 62, torch.arange(3, 9)
    b = Batch(torch.zeros(2, L + 6, dtype=torch.long), cond, torch.ones(2, 6, dtype=torch.bool),
              torch.ones(2, dtype=torch.bool), torch.zeros(2, dtype=torch.long))
    a = attack_inputs(b, L, 5)
    assert a.int().tolist() == [[0] * L + [0, 0, 1, 1, 1, 1], [1] * L + [1, 1, 0, 0, 0, 0]]


def test_noise_attack_noises_only_the_attack_at_its_share_of_the_rows_rms():
    torch.manual_seed(0)
    Q, N = 256, 4000
    loud = 0.5 * torch.sin(torch.arange(N) * 0.05)
    x = quantize(torch.stack([loud, 0.1 * loud]), Q)  # two rows, 20 dB apart
    attack = torch.zeros(2, N, dtype=torch.bool)
    attack[:, : N // 2] = True
    noisy = noise_attack(x, attack, 0.5, Q, "mu-law")
    assert torch.equal(noisy[:, N // 2 :], x[:, N // 2 :])  # the rest untouched
    a, b = dequantize(x, Q), dequantize(noisy, Q)
    for r in range(2):
        ratio = (b[r, : N // 2] - a[r, : N // 2]).square().mean().sqrt() / a[r].square().mean().sqrt()
        assert 0.4 < ratio < 0.6  # the noise follows each row's own level
    assert torch.equal(noise_attack(x, attack, 0.0, Q, "mu-law"), x)


def test_attack_noise_corrupts_inputs_not_targets_and_trains(dataset, tmp_path):
    torch.manual_seed(0)
    model = build_model(preset("small", **TINY_MODEL))
    L, T, Q = model.lookback, 16, model.cfg.q_levels
    x = quantize(0.5 * torch.sin(torch.arange(L + T) * 0.3)[None].repeat(2, 1), Q)
    cond = torch.zeros(2, T, 5, dtype=torch.int32)
    cond[0, :, NOTE_INDEX], cond[0, :, ELAPSED_INDEX] = 60, torch.arange(T)  # in its attack
    cond[1, :, NOTE_INDEX], cond[1, :, ELAPSED_INDEX] = 60, torch.arange(T) + 10_000
    b = Batch(x, cond, torch.ones(2, T, dtype=torch.bool), torch.ones(2, dtype=torch.bool),
              torch.zeros(2, dtype=torch.long))
    seen, logits = [], torch.randn(2, T, Q, requires_grad=True)

    def fwd(x_in, cond, state, reset, frames_x=None):
        seen.append(x_in)
        return logits * 1.0, [torch.zeros(1, 2, 8)]

    opt = make_optimizer(model, 1e-3, torch.device("cpu"))
    loss, _, _ = train_step(fwd, model, opt, b, None, 1.0, 1.0, torch.device("cpu"), "fp32",
                            attack_noise=0.5, attack_samples=800)
    assert loss.item() == pytest.approx(masked_nll(logits, x[:, L:], b.mask).sum().item())
    assert not torch.equal(seen[0][0], x[0]) and torch.equal(seen[0][1], x[1])
    summary = train(dataset, tmp_path / "an", tiny_cfg(steps=2, attack_noise=0.5, attack_seconds=0.01))
    assert summary.step == 2
    with pytest.raises(UserError, match="--attack-noise"):
        tiny_cfg(attack_noise=-0.1).validate()


@pytest.mark.parametrize(("field", "value"), [("max_minutes", 0.0), ("max_minutes", -1.0), ("patience", -1),
                                              ("threads", -2), ("seed", -1)])  # fmt: skip
def test_budget_and_patience_out_of_range_are_refused(field, value):
    with pytest.raises(UserError, match=f"--{field.replace('_', '-')} must be"):
        tiny_cfg(**{field: value}).validate()


def test_progress_says_validating_and_the_rate_leaves_validations_out(dataset, tmp_path, monkeypatch):
    import samplernn.train.meter as meter_mod
    from samplernn.train.meter import Meter

    now = [100.0]
    monkeypatch.setattr(meter_mod.time, "monotonic", lambda: now[0])
    m = Meter(torch.device("cpu"))
    m._samples = 1000
    now[0] += 10.0  # one second of steps, nine of validation
    m.exclude(9.0)
    assert m.rate() == pytest.approx(1000.0)
    m.exclude(50.0)  # never past now
    assert m.rate() == pytest.approx(1000.0 / 1e-9)
    monkeypatch.undo()

    seen = []
    train(dataset, tmp_path / "p", tiny_cfg(steps=2, val_every=1),
          progress=lambda step, total=None, **f: seen.append((step, f.get("val"))))  # fmt: skip
    vals = [v for _, v in seen if v is not None]
    assert vals[0] == "validating…" and vals[1] != "validating…" and vals.count("validating…") == 2
