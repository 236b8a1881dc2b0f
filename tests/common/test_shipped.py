"""Naming a checkpoint: a file, a shipped model's name, or a run folder (its checkpoints/best.pt)."""

from __future__ import annotations

from pathlib import Path

import pytest

from samplernn.common.errors import UserError
from samplernn.common.shipped import resolve_checkpoint


def test_a_run_folder_means_its_best_checkpoint(tmp_path: Path) -> None:
    """`synth runs/X` was refused ("a training run's folder, not a checkpoint"): a run's folder now
    means its checkpoints/best.pt; one with no best.pt yet (only last.pt) is refused, naming it."""
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "last.pt").write_bytes(b"x")
    with pytest.raises(UserError) as err:
        resolve_checkpoint(run)
    msg = str(err.value)
    assert "a training run's folder with no best.pt yet" in msg
    assert str(run / "checkpoints" / "last.pt") in msg
    assert "\n" not in msg
    (run / "checkpoints" / "best.pt").write_bytes(b"x")
    assert resolve_checkpoint(run) == run / "checkpoints" / "best.pt"
    with pytest.raises(UserError) as err:  # its checkpoints/ folder, completed no further
        resolve_checkpoint(run / "checkpoints")
    assert str(err.value) == (f"{run / 'checkpoints'}: a folder, not a checkpoint; it holds "
                              f"{run / 'checkpoints' / 'best.pt'}, {run / 'checkpoints' / 'last.pt'}")
    assert resolve_checkpoint(str(run) + "/") == run / "checkpoints" / "best.pt"


def test_a_missing_checkpoint_says_what_was_probably_meant(tmp_path: Path) -> None:
    """`synth trombone-small.pt` and `synth runs/X/best.pt` (the file in runs/X/checkpoints/) said only
    "checkpoint not found": the message now names the shipped model, or the run's checkpoint."""
    from samplernn.model.checkpoint import read_payload

    with pytest.raises(UserError) as err:
        read_payload("trombone-small.pt")
    assert str(err.value) == ("trombone-small.pt: checkpoint not found; the shipped model is named "
                              "without a path or .pt: trombone-small")
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "best.pt").write_bytes(b"x")
    with pytest.raises(UserError) as err:
        read_payload(run / "best.pt")
    assert str(err.value) == (f"{run / 'best.pt'}: checkpoint not found; a training run keeps it in "
                              f"checkpoints/: {run / 'checkpoints' / 'best.pt'} (or give the run's folder, "
                              f"{run})")
    with pytest.raises(UserError) as err:
        read_payload(run / "checkpoints" / "step100.pt")
    assert str(err.value).endswith(f"checkpoint not found; {run / 'checkpoints'} holds best.pt")
    with pytest.raises(UserError) as err:
        read_payload(tmp_path / "nowhere" / "m.pt")
    assert str(err.value) == f"{tmp_path / 'nowhere' / 'm.pt'}: checkpoint not found"


def test_a_plain_folder_and_a_unknown_name_are_refused_and_a_file_is_kept(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="a folder, not a checkpoint"):
        resolve_checkpoint(tmp_path)
    with pytest.raises(UserError, match="no such checkpoint file or shipped model"):
        resolve_checkpoint("no-such-model-name")
    f = tmp_path / "m.pt"
    f.write_bytes(b"x")
    assert resolve_checkpoint(f) == f
    assert resolve_checkpoint("trombone-small").is_file()
