"""Naming a checkpoint: a file, a shipped model's name, or a run folder (refused, naming its checkpoints)."""

from __future__ import annotations

from pathlib import Path

import pytest

from samplernn.common.errors import UserError
from samplernn.common.shipped import resolve_checkpoint


def test_a_run_folder_is_refused_naming_its_checkpoints(tmp_path: Path) -> None:
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "best.pt").write_bytes(b"x")
    (run / "checkpoints" / "last.pt").write_bytes(b"x")
    with pytest.raises(UserError) as err:
        resolve_checkpoint(run)
    msg = str(err.value)
    assert "a training run's folder" in msg and str(run / "checkpoints" / "best.pt") in msg
    assert "\n" not in msg


def test_a_plain_folder_and_a_unknown_name_are_refused_and_a_file_is_kept(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="a folder, not a checkpoint"):
        resolve_checkpoint(tmp_path)
    with pytest.raises(UserError, match="no such checkpoint file or shipped model"):
        resolve_checkpoint("no-such-model-name")
    f = tmp_path / "m.pt"
    f.write_bytes(b"x")
    assert resolve_checkpoint(f) == f
    assert resolve_checkpoint("trombone-small").is_file()
