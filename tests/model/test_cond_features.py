"""The model's own scaling of the raw conditioning columns, the oscillator above all."""

import math

import numpy as np
import pytest
import torch

from conditioning import NoteEvent, events_to_conditioning
from samplernn.model.config import ModelConfig
from samplernn.model.network import HELD_COUNTDOWN, LOG_SCALE, CondFeatures, build_model

SR = 16000


def test_oscillator_is_the_notes_phase_and_silent_outside_notes():
    n = 3 * SR  # long enough that float32 phase arithmetic would drift
    cond = torch.from_numpy(events_to_conditioning([NoteEvent(69, 100, 100, n - 500, n - 10)], n))
    feats = CondFeatures(note_embed_dim=3, oscillator=3, sample_rate=SR)(cond)
    assert feats.shape == (n, 3 + 5 + 6)
    osc = feats[:, -6:].detach().numpy()
    t = np.arange(n) - 100
    for k in (1, 2, 3):  # A4 = 440 Hz, phase 0 at the onset
        angle = 2 * np.pi * k * 440.0 * t[100 : n - 10] / SR
        np.testing.assert_allclose(osc[100 : n - 10, k - 1], np.sin(angle), atol=1e-4)
        np.testing.assert_allclose(osc[100 : n - 10, 3 + k - 1], np.cos(angle), atol=1e-4)
    assert not osc[:100].any() and not osc[n - 10 :].any()


def test_oscillator_follows_the_note_and_restarts_at_each_onset():
    events = [NoteEvent(60, 90, 0, 700, 800), NoteEvent(48, 90, 800, 1500, 1600)]
    cond = torch.from_numpy(events_to_conditioning(events, 1600))
    osc = CondFeatures(2, oscillator=1, sample_rate=SR)(cond)[:, -2:].detach().numpy()
    for onset, pitch in ((0, 60), (800, 48)):
        hz = 440.0 * 2 ** ((pitch - 69) / 12)
        t = np.arange(700)
        np.testing.assert_allclose(osc[onset + t, 0], np.sin(2 * np.pi * hz * t / SR), atol=1e-4)


def test_oscillator_needs_a_sample_rate_and_is_off_without_conditioning():
    with pytest.raises(ValueError, match="sample_rate"):
        build_model(ModelConfig(dim=8, n_rnn=1, embed_dim=4, oscillator=2))
    assert ModelConfig(conditioning=False, oscillator=4).oscillator == 0


def test_countdown_scale_is_fixed_in_samples():
    # Every trained model saw log1p(countdown) / log1p(128,000): the scale must not follow the
    # model's sample rate, or shipped checkpoints would hear different inputs.
    assert LOG_SCALE == math.log1p(16000 * 8)
    cond = torch.from_numpy(events_to_conditioning([NoteEvent(60, 100, 0, 128_000, 128_001)], 128_001))
    remaining = CondFeatures(note_embed_dim=2, sample_rate=8000)(cond)[0, 2 + 2].detach()
    assert float(remaining) == pytest.approx(1.0)


def test_held_flag_reads_the_sentinel_and_old_models_ignore_it():
    cond = torch.from_numpy(events_to_conditioning([NoteEvent(60, 100, 10, 60, 90)], 100))
    held = cond.clone()
    held[10:60, 2] = -1  # the key is down, the end not known yet
    with_flag = CondFeatures(note_embed_dim=2, level=True, held=True)
    without = CondFeatures(note_embed_dim=2, level=True)
    f = with_flag(held).detach()
    assert f.shape[1] == without.n_features + 1
    flag = f[:, -1]
    assert flag[10:60].eq(1).all() and flag[:10].eq(0).all() and flag[60:].eq(0).all()
    # while held the countdown reads as a sustaining note's, never as the 0 of a note's last sample
    assert torch.allclose(f[10:60, 2 + 2], torch.tensor(math.log1p(HELD_COUNTDOWN) / LOG_SCALE))
    # a model without the flag computes exactly what it did before the flag existed
    without.note_embed.weight.data.copy_(with_flag.note_embed.weight.data)
    torch.testing.assert_close(without(cond), with_flag(cond)[:, :-1])
    assert ModelConfig(conditioning=False, held_flag=True).held_flag is False


def test_piece_brightness_replaces_the_key_number_in_the_pitch_column_and_nothing_else():
    events = [NoteEvent(38, 100, 0, 50, 100), NoteEvent(36, 100, 100, 150, 200)]
    cond = torch.from_numpy(events_to_conditioning(events, 200))
    plain = CondFeatures(3)
    bright = CondFeatures(3, piece_brightness=[(38, 90.0)])
    bright.load_state_dict(plain.state_dict())  # the table is no weight: the same state dict
    a, b = plain(cond).detach(), bright(cond).detach()
    pitch = 3
    assert a[10, pitch] == pytest.approx((38 - 60) / 24) and b[10, pitch] == pytest.approx((90 - 60) / 24)
    assert b[110, pitch] == a[110, pitch] == pytest.approx((36 - 60) / 24)  # a key not in the table
    others = [i for i in range(a.shape[1]) if i != pitch]
    assert torch.equal(a[:, others], b[:, others])
    assert set(bright.state_dict()) == set(plain.state_dict())


@pytest.mark.parametrize(
    ("field", "buffer", "extra", "unlisted", "bad"),
    [
        # the pitch column: a key not listed reads its own number
        ("piece_brightness", "note_pitch", {}, 60.0, [[(0, 50.0)], [(36, float("nan"))], [(36, 250.0)]]),
        # the oscillator, in Hz: a key not listed has none
        ("piece_tuning", "note_hz", {"oscillator": 1, "sample_rate": SR}, 0.0,
         [[(128, 50.0)], [(36, float("nan"))], [(36, -1.0)], [(36, 30000.0)]]),
    ],
)
def test_a_per_piece_table_travels_with_the_model_config(field, buffer, extra, unlisted, bad):
    cfg = ModelConfig(dim=8, embed_dim=4, **extra, **{field: [[42, 100.5], (36, 43.25)]})
    assert getattr(cfg, field) == ((36, 43.25), (42, 100.5))  # sorted tuples from lists
    again = ModelConfig.from_dict(cfg.to_dict())
    assert again == cfg
    model = build_model(again)
    assert model.cond_features is not None
    table = getattr(model.cond_features, buffer)
    assert table[42].item() == pytest.approx(100.5) and table[60].item() == unlisted
    assert buffer not in model.state_dict()  # the config holds it, no weight
    for pairs in bad:
        with pytest.raises(ValueError, match=field):
            ModelConfig(**{field: pairs})


def test_piece_tuning_runs_the_oscillator_at_a_pieces_resonance_and_silences_the_others():
    events = [NoteEvent(45, 100, 0, 700, 800), NoteEvent(38, 100, 800, 1500, 1600)]
    cond = torch.from_numpy(events_to_conditioning(events, 1600))
    tuned = CondFeatures(2, oscillator=2, sample_rate=SR, piece_tuning=[(45, 70.8)])
    plain = CondFeatures(2, oscillator=2, sample_rate=SR)
    tuned.load_state_dict(plain.state_dict())  # the table is no weight: the same state dict
    osc = tuned(cond)[:, -4:].detach().numpy()
    t = np.arange(700)
    for k in (1, 2):  # the low tom's 70.8 Hz, not key 45's equal-tempered 110 Hz
        np.testing.assert_allclose(osc[t, k - 1], np.sin(2 * np.pi * k * 70.8 * t / SR), atol=1e-4)
        np.testing.assert_allclose(osc[t, 2 + k - 1], np.cos(2 * np.pi * k * 70.8 * t / SR), atol=1e-4)
    assert not osc[800:].any()  # the snare, not in the table: no oscillator at all (not cos = 1)
    a, b = plain(cond).detach(), tuned(cond).detach()
    assert torch.equal(a[:, :-4], b[:, :-4])  # every other column as before
    # without a table the oscillator reads every key's equal-tempered frequency, as it always did
    np.testing.assert_allclose(a[800 + t, -4].numpy(), np.sin(2 * np.pi * 73.4162 * t / SR), atol=1e-3)

