"""Progress on a stderr that is not a terminal (a log file, a pipe): plain lines, not a live bar."""

from __future__ import annotations

from samplernn.common import progress
from samplernn.common.progress import progress_bar


def test_a_log_file_gets_plain_progress_lines_and_a_last_one(monkeypatch, capsys) -> None:
    monkeypatch.setattr(progress, "PLAIN_EVERY_S", 0.0)
    with progress_bar("train", 10, fields=("loss",), unit="steps") as update:
        update(5, loss="1.234")
        update(10, total=10, loss="1.000")
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("train 5/10 steps (50%) loss 1.234, 0:00:00, eta ")
    assert lines[-1].startswith("train 10/10 steps (100%) loss 1.000, 0:00:00")
    assert "eta" not in lines[-1] and len(lines) == 2  # the end is not said twice
    assert not any("━" in line for line in lines)


def test_between_two_lines_nothing_is_said_and_the_end_is(monkeypatch, capsys) -> None:
    monkeypatch.setattr(progress, "PLAIN_EVERY_S", 3600.0)
    with progress_bar("render", 0) as update:
        for i in range(1, 50):
            update(i)
    assert capsys.readouterr().err.splitlines() == ["render 49/?, 0:00:00"]
