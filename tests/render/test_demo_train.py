"""`samplernn demo --train`: prepare a bank, fine-tune the shipped model on it (or start from
nothing with --scratch), render with the result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.audio import tone, write_audio, write_midi

from samplernn.common.paths import SHIPPED_MODEL
from samplernn.model.checkpoint import load_checkpoint
from samplernn.render.demo import (
    DEMO_INIT,
    demo_train_config,
    prepare_demo_bank,
    render_demo,
    train_demo_model,
)

pytestmark = pytest.mark.usefixtures("one_thread")

SR = 16000  # the shipped model's rate


def small_bank(folder):
    """36 short tones on 9 semitones inside the shipped trombone model's range (E2–F4)."""
    for pitch in range(48, 57):
        for k in range(4):
            length = 0.1 + 0.05 * k
            write_audio(folder / f"p{pitch}_{k}.wav", tone(SR, pitch, 0.05, 0.05 + length, tail=0.05), SR)
            write_midi(folder / f"p{pitch}_{k}.mid", [(pitch, 60 + 20 * k, 0.05, 0.05 + length)])
    return folder


def test_demo_training_fine_tunes_the_shipped_model_unless_scratch():
    fine = demo_train_config(3.0)
    assert DEMO_INIT == "trombone-small" and Path(fine.init) == SHIPPED_MODEL
    cfg = demo_train_config(3.0, scratch=True)
    assert cfg.init is None and cfg.max_minutes == 3.0 and cfg.preset == "small"
    # the fine-tune keeps the shipped model's own fields (its pre-emphasis), scratch the preset's
    shipped = load_checkpoint(SHIPPED_MODEL).config
    assert fine.model_config().pre_emphasis == shipped.pre_emphasis and cfg.model_config().pre_emphasis == 0.7


def test_fine_tuned_demo_starts_where_the_shipped_model_is(tmp_path):
    bank = small_bank(tmp_path / "bank")
    sound = {}
    for name, scratch in (("fine", False), ("scratch", True)):
        assert prepare_demo_bank(tmp_path / name, bank).counts["notes"] == 36
        best = train_demo_model(tmp_path / name, minutes=0.002, device="cpu", scratch=scratch)
        assert best.is_file()
        evals = [json.loads(x) for x in (best.parents[1] / "metrics.jsonl").read_text().splitlines()]
        sound[name] = next(r for r in evals if r["kind"] == "eval")["sound"]
    run = json.loads((tmp_path / "fine" / "run" / "run.json").read_text())
    assert Path(run["train_config"]["init"]) == SHIPPED_MODEL
    # after a step or two, from nothing the validation notes are noise; the shipped model plays
    # most of them in tune (measured: 3 of 4 within 30 cents, score 0.51 vs -0.38)
    assert sound["fine"]["in_tune"] >= 0.5 and sound["scratch"]["in_tune"] <= 0.25, sound
    assert sound["fine"]["score"] > sound["scratch"]["score"] + 0.5, sound


def test_a_melody_outside_the_models_range_is_moved_into_it(tmp_path):
    """A model trained on another bank's range (demo --train --bank) plays the demo melody moved
    into its range, not refused after training ("outside the model's trained range")."""
    from support.tiny import tiny_checkpoint

    from conditioning import BankStats

    stats = BankStats(SR, {(p, 100): 40 for p in range(72, 80)})  # G4–G5: the melody lies lower
    ckpt = tiny_checkpoint(tmp_path / "t.pt", sample_rate=SR, stats=stats)
    melody = write_midi(tmp_path / "m.mid", [(48, 90, 0.0, 0.05), (55, 90, 0.05, 0.1), (67, 90, 0.1, 0.15)])
    res = render_demo(tmp_path / "out", ckpt, melody, onset_candidates=1)
    assert res.n_notes == 3 and res.transpose == 24 and res.clamped == 1  # two octaves: 72, 79 in; 91 clamped
    inside = write_midi(tmp_path / "in.mid", [(74, 90, 0.0, 0.05)])
    assert render_demo(tmp_path / "out2", ckpt, inside, onset_candidates=1).transpose == 0


def test_a_melody_wider_than_the_models_range_is_clamped_even_unmoved(tmp_path):
    """A melody that no octave shift brings wholly into range (best shift 0: most of it is in)
    has its outliers clamped to the range's edge, as the docs say, not refused as `render` does."""
    from support.tiny import tiny_checkpoint

    from conditioning import BankStats

    stats = BankStats(SR, {(p, 100): 40 for p in range(72, 80)})  # G4–G5
    ckpt = tiny_checkpoint(tmp_path / "t.pt", sample_rate=SR, stats=stats)
    melody = write_midi(tmp_path / "m.mid", [(72, 90, 0.0, 0.05), (74, 90, 0.05, 0.1), (70, 90, 0.1, 0.15)])
    res = render_demo(tmp_path / "out", ckpt, melody, onset_candidates=1)
    assert res.n_notes == 3 and res.transpose == 0 and res.clamped == 1  # 70 played at 72


def test_octave_shift_keeps_the_key():
    from samplernn.render.range_fit import octave_shift

    assert octave_shift([84, 86], 40, 65) == -24  # C6-D6 into E2-F4: two octaves, not -32
    assert octave_shift([66, 67], 40, 65) == -12
    assert octave_shift([50, 60], 40, 65) == 0
    assert octave_shift([30, 80], 40, 65) == 12  # one note in at best (+12 or -24): the smaller shift


def _earlier_demo_run(out: Path, bank: Path, *, init: str | None, seed: int = 0) -> None:
    """What an earlier `demo --train -o OUT` left: OUT/dataset of `bank` and OUT/run (files
    standing in for the checkpoint: only run.json is read before training)."""
    (out / "dataset").mkdir(parents=True)
    (out / "dataset" / "dataset.json").write_text(json.dumps({"source": str(bank)}))
    (out / "run" / "checkpoints").mkdir(parents=True)
    (out / "run" / "checkpoints" / "last.pt").write_bytes(b"a checkpoint")
    (out / "run" / "run.json").write_text(json.dumps({"train_config": {"init": init, "seed": seed}}))


@pytest.mark.parametrize(
    ("args", "earlier", "said"),
    [
        (["--scratch"], {"init": str(SHIPPED_MODEL)}, "fine-tuning trombone-small, not from scratch"),
        ([], {"init": None}, "from scratch, not fine-tuning trombone-small"),
        (["--seed", "3"], {"init": str(SHIPPED_MODEL)}, "seed 0, not 3"),
        (["--bank", "OTHER"], {"init": str(SHIPPED_MODEL)}, "not OTHER"),
    ],
)
def test_a_rerun_into_another_kind_of_demo_run_is_refused_before_preparing(tmp_path, args, earlier, said):
    """Before: --scratch over a fine-tune said 'training (from scratch)', trained nothing and played
    the fine-tune; another --bank or --seed replaced OUT/dataset, then failed on the run's
    last.pt with advice to 'resume with the same dataset' (demo has no --resume)."""
    from typer.testing import CliRunner

    from samplernn.cli import app

    bank, other = small_bank(tmp_path / "bank"), tmp_path / "other"
    other.mkdir()
    out = tmp_path / "o"
    _earlier_demo_run(out, bank, **earlier)
    args = [str(other) if a == "OTHER" else a for a in args]
    bank_args = [] if "--bank" in args else ["--bank", str(bank)]
    cli = ["demo", "--train", "--minutes", "0.01", "-o", str(out), *bank_args]
    result = CliRunner().invoke(app, [*cli, *args])
    assert result.exit_code == 1, result.output
    line = result.output.strip().replace(str(other), "OTHER")
    assert said in line and "another --out" in line and "resume" not in line, line
    assert json.loads((out / "dataset" / "dataset.json").read_text()) == {"source": str(bank)}  # untouched


def test_a_rerun_of_a_demo_run_that_has_had_its_minutes_says_so(tmp_path, capsys):
    """Before: 'training … for 1 min' and nothing else, while the earlier run's best.pt played."""
    bank = small_bank(tmp_path / "bank")
    prepare_demo_bank(tmp_path, bank)
    said = []
    train_demo_model(tmp_path, minutes=0.002, device="cpu", said=said.append)
    assert said == []
    best = train_demo_model(tmp_path, minutes=0.002, device="cpu", said=said.append)
    assert best.is_file() and len(said) == 1
    assert said[0].startswith(f"{tmp_path / 'run'} has trained its 0.002 min already")
    assert "--minutes" in said[0]
