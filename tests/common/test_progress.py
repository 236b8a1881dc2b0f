"""Progress on a stderr that is not a terminal (a log file, a pipe): plain lines, not a live bar."""

from __future__ import annotations

import re

from samplernn.common import progress
from samplernn.common.progress import progress_bar


def test_a_log_file_gets_plain_progress_lines_and_a_last_one(monkeypatch, capsys) -> None:
    monkeypatch.setattr(progress, "PLAIN_EVERY_S", 0.0)
    with progress_bar("train", 10, fields=("loss",), unit="steps") as update:
        update(5, loss="1.234")
        update(10, total=10, loss="1.000")
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "train 5/10 steps (50%) loss 1.234, 0:00:00"  # no pace yet: no ETA
    assert lines[-1].startswith("train 10/10 steps (100%) loss 1.000, 0:00:00")
    assert "eta" not in lines[-1] and len(lines) == 2  # the end is not said twice
    assert not any("━" in line for line in lines)


def test_between_two_lines_nothing_is_said_and_the_end_is(monkeypatch, capsys) -> None:
    monkeypatch.setattr(progress, "PLAIN_EVERY_S", 3600.0)
    with progress_bar("render", 0) as update:
        for i in range(1, 50):
            update(i)
    assert capsys.readouterr().err.splitlines() == ["render 49/?, 0:00:00"]


def test_the_eta_goes_at_the_pace_since_the_first_update(monkeypatch, capsys) -> None:
    """Set-up before the first step and a resumed run's earlier steps do not bend the ETA."""
    clock = [0.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(progress, "PLAIN_EVERY_S", 0.0)
    for first, total in ((10, 100), (5000, 6000)):  # a new run after 100 s of set-up; a resumed one
        clock[0] = 0.0
        with progress_bar("train", total, unit="steps") as update:
            clock[0] = 100.0
            update(first)
            clock[0] = 110.0
            update(first + 10)  # a step a second
    lines = capsys.readouterr().err.splitlines()
    assert lines[1] == "train 20/100 steps (20%), 0:01:50, eta 0:01:20"
    assert lines[3] == "train 5010/6000 steps (84%), 0:01:50, eta 0:16:30"


def test_a_terminal_bar_keeps_its_eta_when_the_total_moves(monkeypatch, capsys) -> None:
    """A time-bounded training run moves its total (the step the time limit will stop it at) at
    almost every step; rich forgets its pace at every change of total, so the terminal showed
    `eta -:--:--` most of the run, and `0/0 … eta 0:00:00` before the first step."""
    import rich.progress
    from rich.console import Console

    bars: list[rich.progress.Progress] = []

    class Recorded(rich.progress.Progress):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            bars.append(self)

    monkeypatch.setattr(rich.progress, "Progress", Recorded)
    monkeypatch.setattr(Console, "is_terminal", property(lambda self: True))
    clock = [0.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: clock[0])

    def shown() -> str:
        """What the live bar draws now, colours left out (refreshed by hand: its own refresh is on
        a timer thread)."""
        bars[0].refresh()
        drawn = capsys.readouterr().err.replace("\r", "\n").splitlines()[-1]
        return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", drawn)

    with progress_bar("train", 0, fields=("loss",)) as update:
        clock[0] = 100.0
        update(0)
        assert "0/?" in (line := shown()) and "eta -:--:--" in line  # no pace yet, no end known
        clock[0] = 110.0
        update(10, total=100, loss="2.0")
        clock[0] = 120.0
        update(20, total=95, loss="1.0")  # a step a second: 75 steps left
        assert "20/95" in (line := shown()) and "eta 0:01:15" in line
        update(0, total=50)  # the next stage, counted from 0 again: its own pace
        clock[0] = 130.0
        update(10)
        assert "10/50" in (line := shown()) and "eta 0:00:40" in line
        update(20, label="drawing again")  # a stage said on the bar: its label replaced
        assert (line := shown()).lstrip().startswith("drawing again") and "train" not in line


def test_a_log_file_s_eta_starts_afresh_when_the_count_goes_back(monkeypatch, capsys) -> None:
    """The next stage of prepare or evaluate counts from 0 again between two plain lines: its ETA
    goes at its own pace, not at the stage before's (the going back is seen at every update, not
    only when a line is said)."""
    clock = [0.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: clock[0])
    with progress_bar("prepare", 100) as update:
        for t, done, total in ((0, 0, None), (10, 50, None), (31, 100, None), (32, 0, 200), (40, 40, None)):
            clock[0] = float(t)
            update(done, total)
        clock[0] = 62.0
        update(120)  # 4 a second since the count went back at 32 s: 80 left, 20 s
    lines = capsys.readouterr().err.splitlines()
    assert lines[1] == "prepare 120/200 (60%), 0:01:02, eta 0:00:20"


def test_a_pack_s_redraw_rounds_say_themselves_on_the_bar(monkeypatch, capsys) -> None:
    """Before: a redraw round added its work to the count unsaid, and the bar went from 99 % back
    to 66 % under the same label, as if it had run backwards."""
    from samplernn.render.pack import RoundProgress

    monkeypatch.setattr(progress, "PLAIN_EVERY_S", 0.0)
    with progress_bar("generating", 0, unit="stream-samples") as update:
        rounds = RoundProgress(update)
        rounds.update(0, 100)
        rounds.update(99)
        rounds.next("drawing again for 2 layers (round 1 of at most 2)")
        rounds.update(0, 50)
        rounds.update(50)
    lines = capsys.readouterr().err.splitlines()
    assert lines[1].startswith("generating 99/100 stream-samples (99%)")
    again = "drawing again for 2 layers (round 1 of at most 2)"
    assert lines[2].startswith(f"{again} 100/150 stream-samples (67%)")
    assert lines[-1].startswith(f"{again} 150/150")
