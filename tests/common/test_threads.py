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


def test_a_threads_variable_that_is_no_number_of_threads_is_a_usage_error(monkeypatch, tmp_path):
    """$SAMPLERNN_THREADS=abc or 0 was taken for 1 thread, 99999 for 1024, all unsaid: the first two
    are one usage line naming the variable (exit 2) before any work, the last a notice."""
    from typer.testing import CliRunner

    from samplernn.cli import app
    from samplernn.common import threads
    from samplernn.common.errors import UsageError
    from samplernn.generate.options import default_threads

    runner = CliRunner()
    for value in ("abc", "0", "-3", "2.5"):
        monkeypatch.setenv(threads.THREADS_ENV, value)
        args = ["synth", str(tmp_path / "none.pt"), "-n", "C3", "-o", str(tmp_path / "x.wav")]
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and f"$SAMPLERNN_THREADS={value!r}: not a number of threads" in lines[0], lines
        assert "none.pt" not in result.output  # said before the checkpoint is looked for
        try:
            default_threads()
        except UsageError as exc:
            assert "SAMPLERNN_THREADS" in str(exc)
        else:
            raise AssertionError(f"{value!r} taken for a number of threads")
    # serve and demo generate with it but have no --threads: checked before the server starts, or
    # before --train's minutes (not at the first request, or after training)
    for args in (["serve", str(tmp_path / "none.pt")], ["demo", "--train", "-o", str(tmp_path / "demo")]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and "$SAMPLERNN_THREADS='2.5'" in result.output, result.output
        assert not (tmp_path / "demo").exists()
    monkeypatch.setenv(threads.THREADS_ENV, "99999")
    assert default_threads() == threads.MAX_THREADS
    assert threads.env_threads_notice() == (
        "note: $SAMPLERNN_THREADS=99999 is more than 1024, the most threads taken: using 1024")
    monkeypatch.setattr(threads, "usable_cores", lambda: 2)
    monkeypatch.setenv(threads.THREADS_ENV, "3")
    assert default_threads() == 3 and threads.env_threads_notice().startswith("note: $SAMPLERNN_THREADS=3 is")
    monkeypatch.setenv(threads.THREADS_ENV, " ")
    assert default_threads() == 1 and threads.env_threads_notice() is None
