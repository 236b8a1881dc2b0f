"""Comma-separated option values (common.lists): typos are refused, never dropped."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from samplernn.cli import app
from samplernn.common.errors import UsageError
from samplernn.common.lists import comma_ints, comma_list


def test_items_are_stripped() -> None:
    assert comma_list(" kick, snare ,38", "--pieces", "kick") == ("kick", "snare", "38")
    assert comma_ints("40, 80,120", "--velocities", "40") == (40, 80, 120)


@pytest.mark.parametrize("text", ["", " ", "40,,80", "40,", ",40"])
def test_an_empty_item_is_refused(text: str) -> None:
    with pytest.raises(UsageError, match="--velocities"):
        comma_ints(text, "--velocities", "40,80,120")


@pytest.mark.parametrize(("text", "minimum"), [("40,x", None), ("1.5", None), ("2,0", 1)])
def test_bad_numbers_are_refused(text: str, minimum: int | None) -> None:
    with pytest.raises(UsageError, match=r"--sizes '.*'"):
        comma_ints(text, "--sizes", "1,20", minimum)


@pytest.mark.parametrize(("text", "twice"), [("1,2,1", "1"), ("1,01", "1")])
def test_a_value_given_twice_is_refused(text: str, twice: str) -> None:
    """'--sizes 1,1' ran the same size twice."""
    with pytest.raises(UsageError, match=f"{twice} is given twice"):
        comma_ints(text, "--sizes", "1,20")
    with pytest.raises(UsageError, match="kick is given twice"):
        comma_list("kick,snare, kick", "--pieces", "kick")


@pytest.mark.parametrize(
    "args",
    [
        ["pack", "missing.pt", "-o", "out", "--velocities", "40,,80"],
        ["pack", "missing.pt", "-o", "out", "--pieces", "kick,,snare"],
        ["bench", "prepare", "--sizes", "1,,2"],
        ["bench", "prepare", "--sizes", "0"],
        ["bench", "stream", "--voices", "1,"],
        ["bench", "stream", "--voices", "17"],
        ["bench", "stream", "--voices", "2,2"],
        ["bench", "stream", "--seconds", "inf"],
        ["bench", "prepare", "--sizes", "1,1"],
        ["pack", "missing.pt", "-o", "out", "--velocities", "80,80"],
        ["bench", "quality", "data", "--out", "q", "--minutes", "inf"],
        ["bench", "quality", "data", "--out", "q", "--every", "inf"],
    ],
)
def test_commands_refuse_before_doing_anything(args: list[str], tmp_path, monkeypatch) -> None:
    """A usage error (exit 2, the option named) before the checkpoint is even looked for."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert args[-2] in result.output and "not found" not in result.output
    assert list(tmp_path.iterdir()) == []
