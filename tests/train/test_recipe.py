"""The default recipe fits the bank: the held flag and the input gain only where they mean something."""

from __future__ import annotations

import dataclasses

import pytest
from support.drum_kit import write_drum_dataset
from support.synth_data import write_synth_dataset

from samplernn.common.errors import UserError
from samplernn.data.dataset import PreparedDataset, load_dataset
from samplernn.prepare.sources.plain_audio import LAYOUT as CHUNK_LAYOUT
from samplernn.train.config import (
    KIT_ATTACK_WEIGHT,
    KIT_PATIENCE,
    KIT_PRE_EMPHASIS,
    KIT_SOUND_DRAWS,
    MAX_SHORT_NOTES,
    MAX_SOUND_DRAWS,
    PATIENCE,
    SCHEDULED_SAMPLING,
    TrainConfig,
)
from samplernn.train.plateau import SCORE_TIE_BAND
from samplernn.train.recipe import fit_to_bank, sound_draws_for

HELD = TrainConfig(hidden_countdown=0.5)


def as_pitched(cfg: TrainConfig, bank: PreparedDataset | None = None) -> TrainConfig:
    """What fit_to_bank makes of `cfg` for a pitched bank it all applies to: the unset settings set
    (one sound draw a val note, or as many as `bank`'s few val notes need)."""
    draws = 1 if bank is None else sound_draws_for(cfg.sound_notes, len(bank.split("val")))
    return dataclasses.replace(cfg, score_tie=SCORE_TIE_BAND, sound_draws=draws, attack_weight=1.0,
                               patience=PATIENCE, input_gain_tiers="frames",
                               scheduled_sampling=SCHEDULED_SAMPLING)


def test_the_defaults_are_the_recipe_for_pitched_notes():
    cfg = TrainConfig()
    assert cfg.input_gain > 0 and cfg.warmup_steps > 0
    assert cfg.lr_final is not None and cfg.lr_final < cfg.lr
    assert not cfg.model_config().held_flag and HELD.model_config().held_flag
    assert not dataclasses.replace(HELD, conditioning=False).model_config().held_flag


def test_a_pitched_bank_keeps_every_default(tmp_path):
    said: list[str] = []
    bank = load_dataset(write_synth_dataset(tmp_path / "bank"))
    for cfg in (TrainConfig(), HELD):
        cfg = dataclasses.replace(cfg, sound_notes=len(bank.split("val")))
        assert fit_to_bank(cfg, bank, said.append) == as_pitched(cfg)
    assert said == []


def test_few_val_notes_are_drawn_until_the_sound_check_has_its_notes(tmp_path):
    said: list[str] = []
    bank = load_dataset(write_synth_dataset(tmp_path / "bank"))
    n = len(bank.split("val"))
    assert 1 < n < TrainConfig().sound_notes
    cfg = fit_to_bank(TrainConfig(), bank, said.append)
    assert cfg.sound_draws == -(-TrainConfig().sound_notes // n) and cfg.sound_draws * n >= 24
    assert said == [f"--sound-draws {cfg.sound_draws}: the val split has {n} notes, fewer than "
                    f"--sound-notes 24; the sound check generates each {cfg.sound_draws} times"]
    # one more val note than asked for, or drawn as the user said: one draw each
    assert fit_to_bank(dataclasses.replace(TrainConfig(), sound_notes=n - 1), bank, print).sound_draws == 1
    assert fit_to_bank(dataclasses.replace(TrainConfig(), sound_draws=2), bank, print).sound_draws == 2


@pytest.mark.parametrize(("notes", "val", "draws"), [(24, 8, 3), (24, 7, 4), (24, 24, 1), (24, 30, 1),
                                                      (24, 0, 1), (0, 3, 1), (1000, 1, MAX_SOUND_DRAWS)])
def test_sound_draws_fill_the_sound_check(notes, val, draws):
    assert sound_draws_for(notes, val) == draws


def test_a_drum_kit_plays_out_its_hits_so_no_held_flag(tmp_path):
    said: list[str] = []
    cfg = fit_to_bank(HELD, load_dataset(write_drum_dataset(tmp_path / "kit")), said.append)
    assert cfg.hidden_countdown == 0 and cfg.input_gain == TrainConfig().input_gain
    assert not cfg.model_config().held_flag
    assert len(said) == 8 and "--hidden-countdown" in said[0] and "drum" in said[0]
    # its NLL falls as it learns its hits by heart: the sound score alone picks best.pt
    assert cfg.score_tie == 0 and "--score-tie 0" in said[1]
    # and that score is of every val hit generated several times
    assert cfg.sound_draws == KIT_SOUND_DRAWS > 1 and f"--sound-draws {KIT_SOUND_DRAWS}" in said[2]
    # no plateau stop: its hits sound their best at the annealed end of the schedule
    assert cfg.patience == KIT_PATIENCE == 0 and f"--patience {KIT_PATIENCE}" in said[3]
    # the input gain on every tier's input, as its models were measured (a pitched bank's: frames)
    assert cfg.input_gain_tiers == "all" and "--input-gain-tiers all" in said[4]
    # no scheduled sampling, unmeasured on kits (a pitched bank's: SCHEDULED_SAMPLING)
    assert cfg.scheduled_sampling == 0 and "--scheduled-sampling 0" in said[5]
    # its hits' transients weigh more in the loss (a pitched bank's onsets do not: 1)
    assert cfg.attack_weight == KIT_ATTACK_WEIGHT > 1 and f"--attack-weight {KIT_ATTACK_WEIGHT:g}" in said[6]
    # a new kit model writes the plain signal (the preset's pre-emphasis is a pitched bank's)
    assert TrainConfig().model_config().pre_emphasis != KIT_PRE_EMPHASIS
    assert cfg.model_config().pre_emphasis == KIT_PRE_EMPHASIS
    assert f"--pre-emphasis {KIT_PRE_EMPHASIS:g}" in said[7]
    assert cfg.model_overrides == {"pre_emphasis": KIT_PRE_EMPHASIS}  # stored with the run: a resume keeps it


@pytest.mark.parametrize("how", ["given", "resumed", "fine-tune"])
def test_a_kit_keeps_the_pre_emphasis_given_resumed_or_of_its_init(tmp_path, how):
    """A kit run resumed from before the kit default goes on as the model it was trained as, and a
    fine-tune keeps its init's model; a given --pre-emphasis is kept."""
    said: list[str] = []
    kit = load_dataset(write_drum_dataset(tmp_path / "kit"))
    cfg = {"given": dataclasses.replace(HELD, model_overrides={"pre_emphasis": 0.5}),
           "resumed": HELD, "fine-tune": dataclasses.replace(HELD, init=str(tmp_path / "init.pt"))}[how]
    fitted = fit_to_bank(cfg, kit, said.append, resumed=how == "resumed")
    assert fitted.model_overrides == cfg.model_overrides
    assert not any("--pre-emphasis" in line for line in said)


def test_a_pitched_bank_keeps_its_presets_pre_emphasis(tmp_path):
    bank = load_dataset(write_synth_dataset(tmp_path / "bank"))
    cfg = fit_to_bank(HELD, bank, print)
    assert cfg.model_overrides == {}
    assert cfg.model_config().pre_emphasis == TrainConfig().model_config().pre_emphasis > 0


def test_a_score_tie_given_for_a_drum_kit_is_kept(tmp_path):
    said: list[str] = []
    kit = load_dataset(write_drum_dataset(tmp_path / "kit"))
    given = dataclasses.replace(HELD, score_tie=0.03, sound_draws=2, attack_weight=1.0, patience=3,
                                input_gain_tiers="frames", scheduled_sampling=0.3)
    cfg = fit_to_bank(given, kit, said.append)
    assert cfg.scheduled_sampling == 0.3 and not any("--scheduled-sampling" in line for line in said)
    assert cfg.input_gain_tiers == "frames" and not any("--input-gain-tiers" in line for line in said)
    assert cfg.patience == 3 and not any("--patience" in line for line in said)
    assert cfg.score_tie == 0.03 and not any("--score-tie" in line for line in said)
    assert cfg.sound_draws == 2 and not any("--sound-draws" in line for line in said)
    assert cfg.attack_weight == 1.0 and not any("--attack-weight" in line for line in said)


def test_an_unconditioned_model_has_no_countdown_or_level_to_use(tmp_path):
    said: list[str] = []
    bank = load_dataset(write_synth_dataset(tmp_path / "bank"))
    cfg = fit_to_bank(dataclasses.replace(HELD, conditioning=False), bank, said.append)
    assert cfg.hidden_countdown == 0 and cfg.input_gain == 0
    # it plays no note it is told: a sound check would score noise, so its NLL picks best.pt
    assert cfg.choose_by == "nll" and cfg.sound_notes == 0
    assert said[0] == "a model without conditioning cannot be told which note to play, so no sound score: " \
        "best.pt is chosen by validation NLL"
    assert "--hidden-countdown, --input-gain, --fill-pitches off" in said[1]
    dataclasses.replace(HELD, conditioning=False).validate()  # not an error without conditioning


def test_chunks_need_no_conditioning(tmp_path, monkeypatch):
    bank = load_dataset(write_synth_dataset(tmp_path / "bank"))
    monkeypatch.setitem(bank.info, "layout", CHUNK_LAYOUT)
    with pytest.raises(UserError, match="--no-conditioning"):
        fit_to_bank(TrainConfig(), bank, print)
    cfg = fit_to_bank(dataclasses.replace(HELD, conditioning=False), bank, print)
    assert cfg.choose_by == "nll" and cfg.sound_notes == 0 and cfg.hidden_countdown == 0


def test_precision_auto_is_bf16_where_the_cpu_has_it(monkeypatch):
    """--precision auto: bf16 autocast on a CPU with native bf16, float32 on one without; fp32 and
    bf16 as asked whatever the CPU."""
    import torch

    from samplernn.train import step

    cpu = torch.device("cpu")
    for native in (True, False):
        monkeypatch.setattr(step, "cpu_has_native_bf16", lambda native=native: native)
        with step.autocast(cpu, "auto"):
            assert torch.is_autocast_enabled("cpu") is native
        with step.autocast(cpu, "fp32"):
            assert not torch.is_autocast_enabled("cpu")
        with step.autocast(cpu, "bf16"):
            assert torch.is_autocast_enabled("cpu")
            assert torch.get_autocast_dtype("cpu") == torch.bfloat16


def test_note_interpolation_is_for_pitched_notes_only(tmp_path):
    interp = TrainConfig(note_interpolation=0.25)
    bank = load_dataset(write_synth_dataset(tmp_path / "bank"))
    assert fit_to_bank(interp, bank, print) == as_pitched(interp, bank)
    said: list[str] = []
    kit = fit_to_bank(interp, load_dataset(write_drum_dataset(tmp_path / "kit")), said.append)
    assert kit.note_interpolation == 0 and "--note-interpolation" in said[0] and "scale" in said[0]
    assert fit_to_bank(dataclasses.replace(interp, conditioning=False), bank, print).note_interpolation == 0
    with pytest.raises(UserError, match="--note-interpolation"):
        TrainConfig(note_interpolation=1.5).validate()


@pytest.mark.parametrize(("name", "on", "bad"), [("fill_pitches", 2, (-1,)),
                                                 ("short_notes", 1, (-1, MAX_SHORT_NOTES + 1))])
def test_copies_of_notes_are_for_a_conditioned_pitched_bank_only(tmp_path, name, on, bad):
    cfg = TrainConfig(**{name: on})
    flag = "--" + name.replace("_", "-")
    said: list[str] = []
    kit = fit_to_bank(cfg, load_dataset(write_drum_dataset(tmp_path / "kit")), said.append)
    assert getattr(kit, name) == 0 and any(flag in line for line in said)
    bank = load_dataset(write_synth_dataset(tmp_path / "bank"))
    assert fit_to_bank(cfg, bank, print) == as_pitched(cfg, bank)
    assert getattr(fit_to_bank(dataclasses.replace(cfg, conditioning=False), bank, print), name) == 0
    for value in bad:
        with pytest.raises(UserError, match=flag):
            TrainConfig(**{name: value}).validate()


def test_a_kits_fine_tune_draws_its_pieces_evenly(tmp_path):
    """--new-pitch-draws: a kit's keys are pieces, not pitches; said only for a fine-tune, the one
    run it acts in."""
    bank = load_dataset(write_drum_dataset(tmp_path / "kit"))
    said: list[str] = []
    tuned = fit_to_bank(TrainConfig(init="x.pt", new_pitch_draws=3), bank, said.append)
    assert tuned.new_pitch_draws == 1 and any("--new-pitch-draws" in line for line in said)
    quiet: list[str] = []
    assert fit_to_bank(TrainConfig(new_pitch_draws=3), bank, quiet.append).new_pitch_draws == 3
    assert not any("--new-pitch-draws" in line for line in quiet)
