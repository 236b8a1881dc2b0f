"""The silence prepare puts around each note: shorter for one-shot layouts (a drum kit), the
layout's default only where the user gave none."""

from __future__ import annotations

import json

import numpy as np
import pytest
from support.audio import write_audio
from support.drum_kit import one_shot

from samplernn.common.audio import read_audio
from samplernn.common.errors import UsageError
from samplernn.data.manifest import read_manifest
from samplernn.prepare import prepare_bank
from samplernn.prepare.settings import (
    LEAD_SILENCE,
    ONE_SHOT_LEAD_SILENCE,
    ONE_SHOT_TAIL_SILENCE,
    TAIL_SILENCE,
    PrepareSettings,
    silence_defaults,
)

SR = 16000


def test_one_shot_layouts_have_their_own_silence_defaults():
    assert silence_defaults("drumkit") == (ONE_SHOT_LEAD_SILENCE, ONE_SHOT_TAIL_SILENCE)
    assert silence_defaults("pairs") == silence_defaults("named") == (LEAD_SILENCE, TAIL_SILENCE)
    assert 0 < ONE_SHOT_LEAD_SILENCE < LEAD_SILENCE and 0 < ONE_SHOT_TAIL_SILENCE < TAIL_SILENCE
    kit = PrepareSettings(layout="drumkit")
    assert (kit.lead_silence, kit.tail_silence) == (ONE_SHOT_LEAD_SILENCE, ONE_SHOT_TAIL_SILENCE)
    auto = PrepareSettings()  # unknown until the layout is detected
    assert auto.lead_silence is None and auto.tail_silence is None
    assert auto.for_layout("drumkit") == PrepareSettings(layout="auto", lead_silence=ONE_SHOT_LEAD_SILENCE,
                                                         tail_silence=ONE_SHOT_TAIL_SILENCE)
    assert auto.for_layout("session").lead_silence == LEAD_SILENCE


def test_the_users_silence_wins_over_the_layouts():
    mine = PrepareSettings(layout="drumkit", lead_silence=0.3, tail_silence=0.0)
    assert (mine.lead_silence, mine.tail_silence) == (0.3, 0.0)
    assert PrepareSettings(lead_silence=0.3).for_layout("drumkit").lead_silence == 0.3
    assert PrepareSettings(tail_silence=0.2).for_layout("drumkit").lead_silence == ONE_SHOT_LEAD_SILENCE
    with pytest.raises(ValueError, match="must exceed the lead silence"):
        PrepareSettings(length=0.2).for_layout("pairs")
    kit = PrepareSettings(length=0.2).for_layout("drumkit")  # 0.2 s holds the one-shot lead
    # the default fade-out: half of the 0.05 s after the lead, not 1 s reaching back over the attack
    assert kit.fade_seconds() == pytest.approx(0.025) and PrepareSettings(length=4.0).fade_seconds() == 1.0
    assert PrepareSettings(length=4.0, fade=0.3).fade_seconds() == 0.3
    with pytest.raises(ValueError, match="the fade-out would reach the note's attack"):
        PrepareSettings(length=0.2, fade=0.1).for_layout("drumkit")
    with pytest.raises(ValueError, match="must not be negative"):
        PrepareSettings(lead_silence=-0.1)


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    """A folder of three one-shots named by piece (detected as the drumkit layout)."""
    src = tmp_path_factory.mktemp("shots")
    shots = (("kick_01", "tone", 0.12), ("snare-hard", "noise", 0.08), ("hat_closed", "hiss", 0.03))
    for name, kind, decay in shots:
        write_audio(src / f"{name}.wav", one_shot(kind, decay, n=SR // 2), SR)
    return src


def prepared(src, out, **settings) -> tuple[dict, list]:
    chosen = PrepareSettings(sample_rate=SR, val_fraction=0, test_fraction=0, **settings)
    result = prepare_bank(src, out, chosen)
    info = json.loads((out / "dataset.json").read_text())
    return info | {"layout": result.layout}, read_manifest(out / "manifest.csv")


def silence_around(out, rec) -> tuple[int, int]:
    """Samples of exact silence before the first and after the last sound of a prepared note."""
    x, _ = read_audio(out / rec.audio)
    loud = np.flatnonzero(x)
    return int(loud[0]), int(x.size - 1 - loud[-1])


def test_one_shots_are_prepared_with_the_short_silence(shots, tmp_path):
    info, notes = prepared(shots, tmp_path / "kit")
    assert info["layout"] == "drumkit" and len(notes) == 3
    s = info["settings"]  # dataset.json records what was used
    assert (s["lead_silence"], s["tail_silence"]) == (ONE_SHOT_LEAD_SILENCE, ONE_SHOT_TAIL_SILENCE)
    for rec in notes:
        before, after = silence_around(tmp_path / "kit", rec)
        assert before == round(ONE_SHOT_LEAD_SILENCE * SR)  # the hit starts at sample 0 of its file
        assert after >= round(ONE_SHOT_TAIL_SILENCE * SR)
        assert rec.onset == before

    info, mine = prepared(shots, tmp_path / "mine", lead_silence=0.25, tail_silence=0.25)
    assert (info["settings"]["lead_silence"], info["settings"]["tail_silence"]) == (0.25, 0.25)
    assert all(silence_around(tmp_path / "mine", r)[0] == round(0.25 * SR) for r in mine)
    longer = round((0.25 - ONE_SHOT_LEAD_SILENCE) * SR) + round((0.25 - ONE_SHOT_TAIL_SILENCE) * SR)
    assert [r.n_samples - n.n_samples for r, n in zip(mine, notes, strict=True)] == [longer] * 3


def test_a_length_too_short_for_the_detected_layouts_lead_is_a_usage_error(shots, tmp_path, note_pair):
    note_pair(tmp_path / "pairs", "a")
    with pytest.raises(UsageError, match="must exceed the lead silence"):  # --length's, exit status 2
        prepared(tmp_path / "pairs", tmp_path / "out", length=0.2)
    prepared(shots, tmp_path / "kit", length=0.2)
