"""scripts/ship_model.py: the shipped file is float16 weights and keeps what playing needs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import torch
from support.drum_kit import drum_checkpoint, drum_stats, write_drum_dataset

from samplernn.data.dataset import load_dataset
from samplernn.model.checkpoint import load_checkpoint
from samplernn.train.recipe import playing_hints

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "ship_model.py"


def test_a_shipped_kit_model_keeps_its_temperature_and_its_pieces(tmp_path: Path) -> None:
    kit = write_drum_dataset(tmp_path / "kit", {"train": 1})
    hints = playing_hints(load_dataset(kit))
    src = drum_checkpoint(tmp_path / "run.pt", drum_stats(kit), generation=hints)
    dst = tmp_path / "shipped.pt"
    subprocess.run([sys.executable, str(SCRIPT), str(src), str(dst), "--temperature", "0.8",
                    "--attack-temperature", "1.0"], check=True,
                   capture_output=True)
    payload = torch.load(dst, weights_only=True)
    assert all(v.dtype == torch.float16 for v in payload["state_dict"].values() if v.is_floating_point())
    shipped = load_checkpoint(dst)
    assert shipped.temperature == 0.8  # the flag wins over the checkpoint's own
    assert shipped.attack_temperature == 1.0 and load_checkpoint(src).attack_temperature is None
    assert sorted(shipped.hit_pieces.centroids) == sorted(int(k) for k in hints["pieces"]["centroids"])
