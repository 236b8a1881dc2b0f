"""The sound check of a drum kit: its validation hits scored as one-shots (attack, decay, level)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from support.drum_kit import ONSET, SR, one_shot, velocity_amp, write_drum_dataset
from support.synth_data import write_synth_dataset
from support.tiny import tiny_train_config

from samplernn.data.dataset import load_dataset
from samplernn.generate.options import HIT_PIECE_SECONDS
from samplernn.measures import oneshot
from samplernn.model.checkpoint import load_checkpoint
from samplernn.train.config import KIT_SOUND_DRAWS
from samplernn.train.curves import read_metrics
from samplernn.train.drum_check import HitProbe, HitScore
from samplernn.train.init import resolve_train_config
from samplernn.train.loop import train
from samplernn.train.min_p_fit import LADDER
from samplernn.train.recipe import KIT_TEMPERATURE, playing_hints, playing_temperature
from samplernn.train.sound_check import NoteProbe, make_probes
from samplernn.train.sound_score import SoundScore, describe

WINDOW_S = 0.2


def probe_of(kit, key: int, velocity: int) -> HitProbe:
    probes = make_probes(load_dataset(kit), 6, WINDOW_S)
    return next(p for p in probes if (p.event.pitch, p.event.velocity) == (key, velocity))


def played(probe: HitProbe, hit: np.ndarray) -> np.ndarray:
    """What a model might generate for `probe`: silence until the onset, then `hit`."""
    x = np.zeros(len(probe.cond), np.float32)
    part = hit[: x.size - ONSET]
    x[ONSET : ONSET + part.size] = part
    return x


def test_a_kits_probes_are_its_val_hits_played_for_the_window(kit):
    probes = make_probes(load_dataset(kit), 4, WINDOW_S)
    assert len(probes) == 4 and all(isinstance(p, HitProbe) for p in probes)
    for p in probes:
        assert len(p.cond) == p.event.onset + round(WINDOW_S * SR)
        assert p.cond[p.event.onset, 2] == p.event.length - 1  # the hit's own countdown, not a shortened one
        assert p.real_decay_ms is not None and -30 < p.real_db < 0
    pitched = write_synth_dataset(kit.parent / "pitched", per_split={"train": 1, "val": 1})
    assert all(isinstance(p, NoteProbe) for p in make_probes(load_dataset(pitched), 2, 0.1))


def test_the_kit_is_told_by_the_rule_evaluate_uses(kit, tmp_path):
    """Without a recorded layout the bank statistics decide, as for a checkpoint (is_drum_bank)."""
    old = tmp_path / "old"
    old.mkdir()
    for name in ("manifest.csv", "audio"):
        (old / name).symlink_to(kit / name)
    info = json.loads((kit / "dataset.json").read_text())
    (old / "dataset.json").write_text(json.dumps({k: v for k, v in info.items() if k != "layout"}))
    assert all(isinstance(p, HitProbe) for p in make_probes(load_dataset(old), 2, WINDOW_S))
    (old / "dataset.json").write_text(json.dumps({**info, "layout": "named"}))
    assert all(isinstance(p, NoteProbe) for p in make_probes(load_dataset(old), 2, WINDOW_S))


def test_the_real_hit_scores_full_marks_and_its_faults_cost(kit):
    probe = probe_of(kit, 38, 100)  # a noise snare falling 20 dB in 80 ms
    amp = velocity_amp(100)
    real = one_shot("noise", 0.08, amp, seed=99)  # another take of the same hit
    good = probe.score(played(probe, real), SR)
    assert good.attack_ok and good.decay_ok and abs(good.level_error_db) < 1.5 and good.value > 0.9
    late = probe.score(played(probe, one_shot("noise", 0.08, amp, seed=99, attack=480)), SR)
    assert late.attack_ms > 10 and not late.attack_ok and late.decay_ok  # peaks 30 ms late
    ringing = probe.score(played(probe, one_shot("noise", 0.5, amp, seed=99)), SR)
    assert ringing.attack_ok and not ringing.decay_ok and ringing.like_ok  # two of its three checks
    assert ringing.value == pytest.approx(2 / 3, abs=0.05)
    softer = probe.score(played(probe, real * 10 ** (-6 / 20)), SR)
    assert softer.attack_ok and softer.decay_ok and softer.value == pytest.approx(1 - 0.25 * 6 / 12, abs=0.03)
    faint = probe.score(played(probe, real * 10 ** (-20 / 20)), SR)
    assert faint.level_error_db == pytest.approx(-20, abs=1.5)
    assert not faint.attack_ok and not faint.decay_ok and faint.value == -0.25  # too faint to be judged
    silent = probe.score(np.zeros(len(probe.cond), np.float32), SR)
    assert silent.value == -0.25  # the worst a hit can do
    bed = np.random.default_rng(0).standard_normal(len(probe.cond)).astype(np.float32) * 1e-3
    assert probe.score(bed, SR).value == -0.25  # an untrained model's near-silence passes nothing


def test_the_likeness_and_band_floor_are_recorded_beside_the_score(kit):
    """A hit is judged like its piece by the train hits' centroids, as `evaluate` judges a take;
    a tone played for the snare is taken for the kick, and scores a third less for it."""
    probe = probe_of(kit, 38, 100)
    ds = load_dataset(kit)
    assert sorted(probe.centroids) == sorted({r.pitch for r in ds.split("train")})
    amp = velocity_amp(100)
    snare = probe.score(played(probe, one_shot("noise", 0.08, amp, seed=99)), SR)
    assert snare.like_ok and abs(snare.floor_over_db) < 3
    kick = probe.score(played(probe, one_shot("tone", 0.08, amp, seed=99)), SR)
    assert kick.like_ok is False and kick.likeness_margin_db < 0
    # the likeness is one of a hit's three checks; the floor is not in the score
    assert replace(kick, likeness_margin_db=5.0).value == pytest.approx(kick.value + 1 / 3)
    assert replace(kick, floor_over_db=-9.0).value == kick.value
    assert replace(kick, likeness_margin_db=None).value == pytest.approx(
        0.5 * (kick.attack_ok + kick.decay_ok) - 0.25 * min(abs(kick.level_error_db) / 12, 1))
    hissy = one_shot("noise", 0.08, amp, seed=99) + one_shot("hiss", 10.0, 0.3 * amp, seed=5)
    assert probe.score(played(probe, hissy), SR).floor_over_db > snare.floor_over_db + 3
    d = SoundScore.of([snare, kick]).to_dict()
    assert d["likeness"] == 0.5 and d["floor_over_db"] is not None
    assert describe(d).endswith("50% like their piece)")


def test_the_parts_of_a_kits_sound_score():
    hits = [HitScore(2.0, 80.0, 80.0, 0.0), HitScore(None, 200.0, 100.0, -30.0)]
    assert [h.value for h in hits] == [1.0, -0.25]
    d = SoundScore.of(hits, seconds=0.5).to_dict()
    assert d["kind"] == "drum" and d["score"] == 0.38 and d["notes"] == 2 and d["seconds"] == 0.5
    assert d["attack"] == d["decay"] == 0.5 and d["level_error_db"] == 15.0 and d["decay_error_pct"] == 50.0
    assert d["attack_ms"] == [2.0, None] and d["real_decay_ms"] == [80.0, 100.0]
    assert d["likeness"] is None and d["floor_over_db"] is None  # not measured
    # measured, the likeness is a third check: and a hit too faint to be judged is like nothing
    like = [replace(hits[0], likeness_margin_db=2.0), replace(hits[0], likeness_margin_db=-1.0),
            replace(hits[1], likeness_margin_db=2.0)]
    assert [h.value for h in like] == pytest.approx([1.0, 2 / 3, -0.25])
    assert describe(d) == "0.38 (50% attack, 50% decay, level ±15.0 dB)"


def test_training_on_a_kit_chooses_by_the_hits(kit, tmp_path):
    cfg = tiny_train_config(steps=4, window=128, val_every=2, eval_batch_size=16, sound_notes=3,
                            sound_seconds=0.05)
    lines: list[str] = []
    shown: list[str] = []
    result = train(kit, tmp_path / "run", cfg, log=lines.append,
                   progress=lambda step, total, **fields: shown.append(fields.get("val", "")))
    evals = [r for r in read_metrics(tmp_path / "run" / "metrics.jsonl") if r["kind"] == "eval"]
    assert len(evals) == 2
    for r in evals:
        sound = r["sound"]
        # every val hit generated KIT_SOUND_DRAWS times (a kit's default)
        assert sound["kind"] == "drum" and sound["notes"] == 3 * KIT_SOUND_DRAWS
        assert -0.25 <= sound["score"] <= 1
        assert {"attack", "decay", "level_error_db", "attack_ms", "decay_ms"} <= set(sound)
        assert 0 <= sound["likeness"] <= 1 and sound["floor_over_db"] is not None
    assert any("attack" in line and "decay" in line for line in lines)
    assert (tmp_path / "run" / "sound.png").is_file()
    best = torch.load(tmp_path / "run" / "checkpoints" / "best.pt", weights_only=True)["best"]
    assert result.best_score == best["score"] == max(r["sound"]["score"] for r in evals)
    # a kit's model is played (synth, render, pack, evaluate) at the kit temperature by default
    for name in ("best.pt", "last.pt"):
        assert load_checkpoint(tmp_path / "run" / "checkpoints" / name).temperature == KIT_TEMPERATURE < 1.0
    # and carries its pieces' sound over their first HIT_PIECE_SECONDS, for the hit search by likeness
    pieces = load_checkpoint(tmp_path / "run" / "checkpoints" / "last.pt").hit_pieces
    ds = load_dataset(kit)
    hits = ds.split("train")
    assert pieces.seconds == HIT_PIECE_SECONDS and sorted(pieces.centroids) == sorted({r.pitch for r in hits})
    snare = [oneshot.features(ds.load_audio(r), SR, r.onset, HIT_PIECE_SECONDS)
             for r in hits if r.pitch == 38]
    np.testing.assert_allclose(pieces.centroids[38], np.mean(snare, axis=0), atol=1e-4)
    # best.pt, and it alone, carries a min-p per piece fitted when the run ended (train.min_p_fit)
    table = load_checkpoint(tmp_path / "run" / "checkpoints" / "best.pt").piece_min_p
    assert sorted(table) == sorted({r.pitch for r in hits}) and set(table.values()) <= set(LADDER)
    assert load_checkpoint(tmp_path / "run" / "checkpoints" / "last.pt").piece_min_p is None
    assert any(line.startswith("min-p per piece, fitted on") for line in lines)
    fit_shown = [v for v in shown if v.startswith("min-p fit")]  # the fit's share done, in the bar
    assert fit_shown[-1] == "min-p fit 100%" and len(set(fit_shown)) > 2
    # resumed at its bound, the run trains nothing and does not fit again
    best_bytes = (tmp_path / "run" / "checkpoints" / "best.pt").read_bytes()
    again: list[str] = []
    stored = resolve_train_config(tmp_path / "run", {}, True)  # as `train --resume` reads it
    result = train(kit, tmp_path / "run", stored, resume=True, log=again.append)
    assert result.status == "already_ended" and result.step == 4
    assert (tmp_path / "run" / "checkpoints" / "best.pt").read_bytes() == best_bytes
    assert any("already holds its min-p per piece" in line for line in again)
    assert not any(line.startswith("min-p per piece, fitted on") for line in again)


def test_the_sound_check_listens_at_the_temperature_asked(kit):
    """The kit's sound score is that of its hits at the temperature the model will be played at:
    greedy decoding gives the same score whatever the seed, sampling does not."""
    from samplernn.model.config import preset
    from samplernn.model.network import build_model
    from samplernn.train.sound_check import listen

    torch.manual_seed(0)
    model = build_model(preset("small", dim=32, embed_dim=8, frame_sizes=(4,), note_embed_dim=4))
    probes = make_probes(load_dataset(kit), 2, 0.02)
    greedy = [listen(model, probes, SR, seed=s, temperature=0.0).notes for s in (0, 1)]
    sampled = [listen(model, probes, SR, seed=s).notes for s in (0, 1)]
    assert greedy[0] == greedy[1] and sampled[0] != sampled[1]


def test_each_draw_of_the_sound_check_is_a_new_take_and_the_score_their_mean(kit):
    from samplernn.model.config import preset
    from samplernn.model.network import build_model
    from samplernn.train.sound_check import listen

    torch.manual_seed(0)
    model = build_model(preset("small", dim=32, embed_dim=8, frame_sizes=(4,), note_embed_dim=4))
    probes = make_probes(load_dataset(kit), 2, 0.02)
    one = listen(model, probes, SR, seed=0).notes
    three = listen(model, probes, SR, seed=0, draws=3)
    assert len(three.notes) == 3 * len(probes)
    assert three.notes[: len(probes)] == one  # more draws leave the first as it was
    takes = [three.notes[i :: len(probes)] for i in range(len(probes))]  # one probe's draws
    assert all(len(set(map(repr, t))) > 1 for t in takes)
    assert three.score == round(float(np.mean([n.value for n in three.notes])), 2)
    with pytest.raises(ValueError, match="draw"):
        listen(model, probes, SR, draws=0)


def test_a_pitched_banks_model_plays_at_temperature_1(tmp_path):
    bank = write_synth_dataset(tmp_path / "bank")
    assert playing_temperature(load_dataset(bank)) == 1.0
    assert playing_hints(load_dataset(bank)) == {"temperature": 1.0}  # no pieces: not a kit
    kit = write_drum_dataset(tmp_path / "kit", {"train": 1})
    assert playing_temperature(load_dataset(kit)) == KIT_TEMPERATURE
