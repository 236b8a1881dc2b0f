"""The console entry point (`samplernn` = samplernn.cli:main): what a user sees on a mistake."""

from __future__ import annotations

import importlib.metadata
import sys

import pytest

from samplernn.cli import main


def run_main(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of `samplernn ARGS` through the real entry point."""
    monkeypatch.setattr(sys, "argv", ["samplernn", *args])
    with pytest.raises(SystemExit) as stop:
        main()
    out, err = capsys.readouterr()
    return stop.value.code, out, err


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["render"], "samplernn render: Missing argument"),
        (["render", "a.pt", "b.mid", "--onset-candidates", "0"], "'--onset-candidates'"),
        (["render", "a.pt", "b.mid", "-o", "c.wav", "--transpose", "200"], "Invalid value for '--transpose'"),
        (["play", "a.pt", "--transpose", "-49"], "play: Invalid value for '--transpose'"),
        (["render", "--no-such-option"], "No such option: --no-such-option"),
        (["no-such-command"], "No such command 'no-such-command'"),
        (["render", "a.pt", "b.mid", "-o"], "samplernn render: Option '-o' requires an argument"),
        (["bench", "train", "--batch-size", "many"], "bench train: Invalid value for '--batch-size'"),
        # nan / inf in a ranged option: said as such, not "Input should be less than or equal to 60"
        (["render", "a.pt", "b.mid", "-o", "c.wav", "--lead", "nan"], "'--lead': nan is not a finite number"),
        (["synth", "a.pt", "--duration=-inf", "-o", "c.wav"], "'--duration': -inf is not a finite number"),
        (["synth", "a.pt", "--duration", "1e9", "-o", "c.wav"], "less than or equal to 3600"),
        # inf passes a range with no maximum: refused in the same words as nan, before any work
        (["evaluate", "a.pt", "data", "--temperature", "inf"], "'--temperature': inf is not a finite number"),
        (["synth", "a.pt", "--temperature", "nan", "-o", "c.wav"], "'--temperature': nan is not a finite"),
        (["render", "a.pt", "b.mid", "--attack-temperature=nan"], "'--attack-temperature': nan is not"),
        # a min-p of 1 or more would leave only the most likely value: refused by the parser
        (["pack", "a.pt", "-o", "p", "--min-p", "1"], "pack: Invalid value for '--min-p': 1.0 is not"),
        (["evaluate", "a.pt", "data", "--min-p", "1.5"], "'--min-p': 1.5 is not below 1"),
        # values only our code can check: a UsageError, printed the same way
        (["render", "a.pt", "b.mid", "-o", "c.wav", "--bit-depth", "12"], "render: --bit-depth 12: use 16"),
        (["render", "a.pt", "b.mid", "-o", "c.wav", "--channel", "17"], "--channel 17: must be 1..16"),
        (["synth", "a.pt", "--note", "H9", "-o", "c.wav"], "samplernn synth: --note"),
        (["train", "data", "-o", "run", "--steps", "0"], "samplernn train: --steps must be >= 1"),
        (["train", "data", "-o", "run", "--resume", "--init", "x.pt"], "--init starts a new run"),
        (["prepare", "src", "out", "--sample-rate", "0"], "samplernn prepare: sample rate 0 Hz"),
        # a choice: in the commands' own words, not typer's "Value error, 'bogus' is not one of 'auto', …"
        (["prepare", "src", "out", "--layout", "bogus"], "samplernn prepare: --layout must be one of auto, "
                                                          "pairs, folder-midi, session, named, nsynth, sfz, "
                                                          "drumkit, audio, got 'bogus' (see"),
        (["prepare", "src", "out", "--middle-c=C9"], "--middle-c must be one of C3, C4, C5, got 'C9'"),
        (["prepare", "src", "out", "--normalize", "peak"], "--normalize must be one of bank, per-file, got"),
        (["evaluate", "a.pt", "data", "--split", "banana"], "samplernn evaluate: unknown split 'banana'"),
    ],
)
def test_a_usage_mistake_is_one_line_with_exit_status_2(monkeypatch, capsys, args, fragment) -> None:
    code, out, err = run_main(monkeypatch, capsys, *args)
    assert code == 2 and out == "", out
    assert err.count("\n") == 1 and err.startswith("error: ") and fragment in err, err
    assert "--help" in err  # where to read on


def test_a_user_error_is_one_line_with_exit_status_1(monkeypatch, capsys, tmp_path) -> None:
    missing = [str(tmp_path / "none.pt"), str(tmp_path / "a.mid"), "-o", str(tmp_path / "a.wav")]
    code, _, err = run_main(monkeypatch, capsys, "render", *missing)
    assert code == 1 and err.count("\n") == 1 and "none.pt" in err, err


def test_help_exits_0_and_no_arguments_print_the_usage(monkeypatch, capsys) -> None:
    code, out, err = run_main(monkeypatch, capsys, "render", "--help")
    assert code == 0 and "Usage" in out and err == ""
    code, out, _ = run_main(monkeypatch, capsys)
    assert code == 2 and "Usage" in out and "render" in out


def test_a_flag_shows_no_value_type_in_help(monkeypatch, capsys) -> None:
    """Flags take no value: typer's "--version <bool>" read as if they did."""
    code, out, _ = run_main(monkeypatch, capsys, "--help")
    version = next(line for line in out.splitlines() if "--version" in line)
    assert code == 0 and "Print the version" in version and "<bool>" not in out, out
    code, out, _ = run_main(monkeypatch, capsys, "prepare", "--help")
    assert code == 0 and "--skip-bad" in out and "<bool>" not in out, out
    assert "<int>" in out  # an option that takes a value still shows its type


def test_no_help_points_to_a_file_a_pip_install_lacks() -> None:
    """docs/ is not installed with the package: a help text says what it means rather than where to
    read it (the --layout help pointed to docs/layouts.md)."""
    import typer.main

    from samplernn.cli import app

    def texts(command):  # noqa: ANN001, ANN202 — click commands
        yield command.name, command.help or ""
        for param in command.params:
            yield f"{command.name} {param.name}", getattr(param, "help", None) or ""
        for sub in getattr(command, "commands", {}).values():
            yield from texts(sub)

    every = texts(typer.main.get_command(app))
    pointing = [where for where, text in every if "docs/" in text or ".md" in text]
    assert not pointing, pointing


def test_train_refuses_before_its_progress_bar_opens(monkeypatch, capsys, tmp_path) -> None:
    for args, status in (([str(tmp_path / "none"), "-o", str(tmp_path / "run")], 1),
                         ([str(tmp_path), "-o", str(tmp_path / "run"), "--steps", "0"], 2),
                         ([str(tmp_path), "-o", str(tmp_path / "run"), "--window", "100"], 2),
                         ([str(tmp_path), "-o", str(tmp_path / "run"), "--device", "tpu"], 2)):  # fmt: skip
        code, out, err = run_main(monkeypatch, capsys, "train", *args)
        assert code == status and out == "" and err.count("\n") == 1 and err.startswith("error: "), err
    assert not (tmp_path / "run").exists()


def test_a_ctrl_c_a_library_wrapped_is_interrupted_not_a_traceback(monkeypatch, capsys, tmp_path) -> None:
    import samplernn.prepare

    def numba_pyin(*args, **kwargs):  # what numba makes of a Ctrl-C inside librosa's pYIN
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            raise SystemError("CPUDispatcher(<function _viterbi>) returned a result with an exception set") \
                from exc

    monkeypatch.setattr(samplernn.prepare, "prepare_bank", numba_pyin)
    (tmp_path / "src").mkdir()
    code, _, err = run_main(monkeypatch, capsys, "prepare", str(tmp_path / "src"), str(tmp_path / "out"))
    assert code == 130 and err == "interrupted\n", err


def test_a_plain_ctrl_c_in_a_command_says_interrupted(monkeypatch, capsys, tmp_path) -> None:
    """typer turns a KeyboardInterrupt inside a command into exit status 130 with nothing printed
    (synth, render, play …): the CLI says "interrupted", once."""
    import samplernn.prepare

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(samplernn.prepare, "prepare_bank", interrupted)
    (tmp_path / "src").mkdir()
    code, _, err = run_main(monkeypatch, capsys, "prepare", str(tmp_path / "src"), str(tmp_path / "out"))
    assert code == 130 and err.strip() == "interrupted", err


def test_the_top_level_help_speaks_to_a_user(monkeypatch, capsys) -> None:
    code, out, _ = run_main(monkeypatch, capsys, "--help")
    assert code == 0 and "A conditional SampleRNN synthesizer" in out and "typer" not in out


def test_version(monkeypatch, capsys) -> None:
    code, out, _ = run_main(monkeypatch, capsys, "--version")
    assert code == 0 and out.strip() == f"samplernn {importlib.metadata.version('samplernn')}"


def test_the_command_starts_without_torch_or_scipy() -> None:
    """`samplernn --help` (and every command's parsing) loads no heavy library: `demo` once pulled in
    torch and scipy through the training config, ~6 s before any help appeared."""
    import subprocess

    code = ("import sys, samplernn.cli; "
            "print(sorted(m for m in ('torch', 'scipy', 'librosa') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out


def test_ctrl_c_while_the_cli_imports_is_one_line(monkeypatch, capsys) -> None:
    """A Ctrl-C in the second the command-line modules take to import: "interrupted", status 130,
    not the import's traceback (samplernn.__main__.run is the console entry point)."""
    import builtins

    from samplernn.__main__ import run

    real_import = builtins.__import__

    def interrupted_import(name, *args, **kwargs):
        if name == "samplernn.cli":
            raise KeyboardInterrupt
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", interrupted_import)
    monkeypatch.setattr(sys, "argv", ["samplernn", "--help"])
    with pytest.raises(SystemExit) as stop:
        run()
    assert stop.value.code == 130
    assert capsys.readouterr().err.strip() == "interrupted"


def test_python_dash_m_runs_the_cli() -> None:
    """`python -m samplernn`: the package runs as a module, through the same entry point."""
    import subprocess

    done = subprocess.run([sys.executable, "-m", "samplernn", "--help"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "prepare" in done.stdout and "render" in done.stdout
