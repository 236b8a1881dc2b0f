"""`samplernn serve`: the address checks and the command's one-line errors (no server started)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from samplernn.cli import app
from samplernn.common.errors import UserError
from samplernn.serve.limits import ServeLimits
from samplernn.serve.server import DEFAULT_HOST, check_port, is_loopback


def test_listens_on_this_machine_only_unless_told() -> None:
    assert DEFAULT_HOST == "127.0.0.1" and is_loopback(DEFAULT_HOST)
    assert is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.20")


def test_a_port_in_use_is_one_line() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(UserError, match=f"cannot listen on 127.0.0.1:{port}.*try another --port"):
            check_port("127.0.0.1", port)
    # an address of no interface of this machine (TEST-NET-1, RFC 5737): the host is wrong, not the port
    with pytest.raises(UserError, match="--host must be an address of this machine"):
        check_port("192.0.2.1", 0)


def test_the_command_reports_a_missing_checkpoint_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = CliRunner().invoke(app, ["serve", str(tmp_path / "missing.pt"), "--port", str(port)])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and result.output.startswith("error: ")
    assert "missing.pt" in result.output


def test_limits_defaults_fit_their_own_limits() -> None:
    with pytest.raises(ValueError, match="default_takes"):
        ServeLimits(max_takes=2, default_takes=3)
    with pytest.raises(ValueError, match="durations"):
        ServeLimits(max_duration=0.5)


def test_the_model_is_named_by_its_checkpoint_or_its_run() -> None:
    """The name the page's files carry (the model's), from the checkpoint serve was given."""
    from samplernn.serve.work import model_label

    assert model_label("trombone-small") == "trombone-small"  # the shipped model, by its name
    assert model_label("models/cello v2.pt") == "cello_v2"
    assert model_label("runs/cello/checkpoints/best.pt") == "cello"  # not "best"
    assert model_label("runs/cello/checkpoints/last.pt") == "cello-last"


def test_a_second_ctrl_c_while_stopping_exits_130_in_one_line(ckpt_path: Path, tmp_path: Path) -> None:
    """Ctrl-C twice stops as once does: status 130, "interrupted", the files removed. The second made
    uvicorn skip the application's shutdown, which then ran as the event loop closed, cancelled: a
    25-line traceback ("ERROR: Traceback … asyncio.exceptions.CancelledError") on the terminal."""
    import os
    import signal
    import subprocess
    import sys
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "TMPDIR": str(tmp_path), "OMP_NUM_THREADS": "1"}  # the job store's folder: here
    args = [sys.executable, "-m", "samplernn.cli", "serve", str(ckpt_path), "--port", str(port),
            "--device", "cpu"]  # fmt: skip
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None and time.monotonic() < deadline, "the server did not start"
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        assert [p.name.startswith("samplernn-serve-") for p in tmp_path.iterdir()] == [True]
        proc.send_signal(signal.SIGINT)
        time.sleep(0.05)  # within the shutdown (it waits 0.1 s for connections first)
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode in (130, -signal.SIGINT), output  # either way a shell's $? is 130
    assert "Traceback" not in output and output.strip().endswith("interrupted"), output
    assert list(tmp_path.iterdir()) == []
