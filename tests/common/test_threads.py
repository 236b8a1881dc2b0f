"""CPU thread counts: the notice for more threads than cores."""

from __future__ import annotations


def test_more_threads_than_usable_cores_gets_a_notice_and_keeps_its_value(monkeypatch, capsys):
    """--threads 1000 on two cores seemed to hang a training run: it is said, not refused (the
    bound stays MAX_THREADS for every command)."""
    from samplernn.commands.common import say_if_oversubscribed
    from samplernn.common import threads

    monkeypatch.setattr(threads, "usable_cores", lambda: 2)
    assert threads.oversubscribed(None) is None and threads.oversubscribed(2) is None
    assert threads.oversubscribed(3) == (
        "note: --threads 3 is more than the 2 CPU cores this process may use: it will run slower, not faster")
    assert say_if_oversubscribed(1000) == 1000
    assert capsys.readouterr().err.startswith("note: --threads 1000 is more than the 2 CPU cores")
    assert say_if_oversubscribed(2) == 2 and capsys.readouterr().err == ""
    assert threads.usable_cores() >= 1
