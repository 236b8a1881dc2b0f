"""A small bank (36 notes, 4 on each of 9 pitches) prepares with validation and test notes and trains."""

from __future__ import annotations

from collections import Counter

import pytest
from support.audio import tone, write_audio, write_midi
from support.tiny import tiny_train_config

from samplernn.data.dataset import load_dataset
from samplernn.prepare import PrepareSettings, prepare_bank
from samplernn.train.loop import train

pytestmark = pytest.mark.usefixtures("one_thread")

SR = 8000
PITCHES = range(55, 64)  # 9 pitches
TAKES = 4


def test_a_small_bank_gets_val_and_test_notes_and_trains(tmp_path):
    src = tmp_path / "src"
    for pitch in PITCHES:
        for k in range(TAKES):
            length = 0.1 + 0.05 * k
            write_audio(src / f"p{pitch}_{k}.wav", tone(SR, pitch, 0.05, 0.05 + length, tail=0.05), SR)
            write_midi(src / f"p{pitch}_{k}.mid", [(pitch, 60 + 20 * k, 0.05, 0.05 + length)])
    settings = PrepareSettings(sample_rate=SR, lead_silence=0.02, tail_silence=0.02)
    result = prepare_bank(src, tmp_path / "bank", settings)
    assert (result.counts["train"], result.counts["val"], result.counts["test"]) == (28, 4, 4)
    ds = load_dataset(tmp_path / "bank")
    per_pitch = Counter(n.pitch for n in ds.split("train"))
    assert sorted(per_pitch) == list(PITCHES)  # every pitch keeps train notes

    cfg = tiny_train_config(steps=4, val_every=2)
    summary = train(tmp_path / "bank", tmp_path / "run", cfg)
    assert summary.status == "completed" and summary.step == 4
    assert summary.best_val is not None and summary.best_val > 0
    assert (tmp_path / "run" / "checkpoints" / "best.pt").is_file()
