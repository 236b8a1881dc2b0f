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
