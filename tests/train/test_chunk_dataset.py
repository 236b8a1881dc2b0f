"""A dataset of chunks with no notes (prepare's audio layout) trains unconditioned, its best.pt
chosen by validation NLL: there are no notes for the sound score to generate."""

from __future__ import annotations

import json

import numpy as np
import pytest
from support.audio import write_audio
from support.tiny import tiny_train_config

from samplernn.common.errors import UserError
from samplernn.prepare import PrepareSettings, prepare_bank
from samplernn.train.config import TrainConfig
from samplernn.train.loop import train

pytestmark = pytest.mark.usefixtures("one_thread")

SR = 8000


@pytest.fixture
def chunks(tmp_path):
    t = np.arange(3 * SR) / SR
    for k in range(2):
        x = 0.4 * np.sin(2 * np.pi * (110 + 55 * k) * t)
        write_audio(tmp_path / "album" / f"0{k + 1} - Song.flac", x.astype(np.float32), SR)
    settings = PrepareSettings(sample_rate=SR, chunk_seconds=1.0, layout="audio")
    prepare_bank(tmp_path / "album", tmp_path / "chunks", settings)
    return tmp_path / "chunks"


def tiny(**kw) -> TrainConfig:
    return tiny_train_config(steps=2, batch_size=2, val_every=2, eval_batch_size=4, **kw)


def test_chunks_choose_best_by_nll_and_say_so_once(chunks, tmp_path):
    lines: list[str] = []
    summary = train(chunks, tmp_path / "run", tiny(conditioning=False), log=lines.append)
    assert summary.status == "completed" and summary.best_score is None and summary.best_val is not None
    said = [line for line in lines if "chosen by validation NLL" in line]
    assert len(said) == 1 and "no notes" in said[0]
    stored = json.loads((tmp_path / "run" / "run.json").read_text())["train_config"]
    assert (stored["choose_by"], stored["sound_notes"]) == ("nll", 0)
    assert not (tmp_path / "run" / "sound.png").exists()


def test_a_conditioned_model_on_chunks_is_refused_in_one_line(chunks, tmp_path):
    with pytest.raises(UserError) as err:
        train(chunks, tmp_path / "run", tiny())
    message = str(err.value)
    assert "\n" not in message and "no notes" in message and "--no-conditioning" in message
