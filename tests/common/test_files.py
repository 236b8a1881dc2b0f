"""samplernn.common.files: an output that cannot be written is a one-line UserError naming it, said up
front by the check_output_* functions, and a failed write leaves nothing behind."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import pytest

from samplernn.common.audio import AudioError, write_wav
from samplernn.common.errors import UserError
from samplernn.common.files import atomic_path, check_output_file, check_output_folder, write_json


def read_only(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Make `folder` look like the root of a read-only file system (chmod does not stop root)."""
    real = os.statvfs

    def statvfs(path):
        result = real(path)
        if Path(path).absolute() != folder.absolute():
            return result
        fields = list(result)
        fields[8] |= os.ST_RDONLY  # f_flag
        return os.statvfs_result(fields)

    monkeypatch.setattr(os, "statvfs", statvfs)


def test_writable_places_pass(tmp_path: Path) -> None:
    check_output_folder(tmp_path)
    check_output_folder(tmp_path / "new" / "deeper")  # can be made
    check_output_file(tmp_path / "new" / "report.json")
    (tmp_path / "old.json").write_text("{}")
    check_output_file(tmp_path / "old.json")  # replaced
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.json"]  # nothing made


def test_a_file_in_the_way(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(UserError, match=r"/f/out: cannot be made, .*/f is a file, not a folder"):
        check_output_folder(tmp_path / "f" / "out")
    with pytest.raises(UserError, match=r"/f: exists and is not a folder"):
        check_output_folder(tmp_path / "f")
    with pytest.raises(UserError, match=r"/f/a/r\.json: cannot be made"):
        check_output_file(tmp_path / "f" / "a" / "r.json")
    with pytest.raises(UserError, match=f"{tmp_path}: is a folder; give a file name"):
        check_output_file(tmp_path)


def test_read_only_file_system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    read_only(monkeypatch, tmp_path)
    with pytest.raises(UserError, match=r"/out/x: cannot write in .* \(read-only file system\)"):
        check_output_folder(tmp_path / "out" / "x")
    with pytest.raises(UserError, match=r"/r\.json: cannot write in .* \(read-only file system\)"):
        check_output_file(tmp_path / "r.json")


def test_dangling_link(tmp_path: Path) -> None:
    (tmp_path / "link").symlink_to(tmp_path / "gone")
    with pytest.raises(UserError, match="is a link to nothing"):
        check_output_folder(tmp_path / "link" / "run")


def test_write_json_under_a_file_is_a_user_error(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(UserError, match=r"/f/r\.json: cannot write \(") as info:
        write_json(tmp_path / "f" / "r.json", {"a": 1})
    assert "\n" not in str(info.value)
    with pytest.raises(UserError, match=r": cannot write \(is a directory\)"):
        write_json(tmp_path, {"a": 1})


def test_a_failed_write_leaves_no_file_and_no_folder(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "x.json"
    with pytest.raises(UserError, match=r"x\.json: cannot write \(no space left on device\)"):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert list(tmp_path.iterdir()) == []


def test_write_wav_where_it_cannot_is_an_audio_error(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(AudioError, match=r"/f/n\.wav: cannot write"):
        write_wav(tmp_path / "f" / "n.wav", np.zeros(100, np.float32), 8000)


def test_a_device_or_pipe_is_refused_not_replaced(tmp_path: Path) -> None:
    """`-o /dev/null` as root once replaced the device with a regular file: the atomic rename
    replaces whatever is at the path. A pipe stands in for the device here."""
    pipe = tmp_path / "pipe.wav"
    os.mkfifo(pipe)
    with pytest.raises(UserError, match=r"pipe\.wav: not a regular file \(a device, pipe or socket\)"):
        check_output_file(pipe)
    with pytest.raises(AudioError, match=r"pipe\.wav: not a regular file"):
        write_wav(pipe, np.zeros(100, np.float32), 8000)
    assert pipe.is_fifo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe.wav"]  # no temporary file left
