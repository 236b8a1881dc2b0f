"""The `samplernn prepare`, `inspect` and `bench prepare` commands through typer's CliRunner."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from samplernn.bench.prepare import bench_prepare, make_copies
from samplernn.cli import app

runner = CliRunner()


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


@pytest.fixture
def bank(tmp_path, note_pair):
    for pitch in (55, 57):
        for velocity in (60, 110):
            note_pair(tmp_path / "src", f"n{pitch}_v{velocity}", pitch=pitch, velocity=velocity)
    return tmp_path / "src"


def test_prepare_prints_summary_and_inspect_draws(tmp_path, bank):
    out = tmp_path / "out"
    result = runner.invoke(app, ["prepare", str(bank), str(out), "--sample-rate", "8000"])
    assert result.exit_code == 0, result.output
    assert "prepared 4 notes" in result.output and "splits        train" in result.output
    assert "release tail" in result.output and str(out) in result.output
    assert json.loads((out / "dataset.json").read_text())["sample_rate"] == 8000

    result = runner.invoke(app, ["inspect", str(out), "--note", "n57_v110", "-o", str(tmp_path / "x.png")])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(tmp_path / "x.png")
    assert (tmp_path / "x.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    result = runner.invoke(app, ["inspect", str(out)])
    assert result.exit_code == 0 and result.output.strip().startswith(str(out / "inspect-"))
    result = runner.invoke(app, ["inspect", str(out), "--note", "nope"])
    assert result.exit_code == 1 and len(error_lines(result.output)) == 1 and "'nope'" in result.output
    # the picture inside OUT does not stop a re-run
    assert runner.invoke(app, ["prepare", str(bank), str(out)]).exit_code == 0


def test_bad_file_fails_the_run_unless_skip_bad(tmp_path, bank):
    (bank / "broken.wav").write_bytes(b"not audio at all")
    (bank / "broken.mid").write_bytes(b"nor midi")
    result = runner.invoke(app, ["prepare", str(bank), str(tmp_path / "out")])
    assert result.exit_code != 0
    assert "broken.mid: unreadable MIDI file" in result.output
    assert len(error_lines(result.output)) == 1 and "--skip-bad" in error_lines(result.output)[0]
    assert "prepared 4 notes" in result.output  # the good notes are there
    result = runner.invoke(app, ["prepare", str(bank), str(tmp_path / "out"), "--skip-bad"])
    assert result.exit_code == 0 and "failed        1" in result.output


@pytest.mark.parametrize("args, fragment", [
    (["{src}", "{src}/out"], "OUT lies inside SRC"),
    (["{tmp}/missing", "{tmp}/out"], "missing: not a folder"),
    (["{src}", "{tmp}/out", "--length", "0.1"], "must exceed the lead silence"),
])
def test_user_errors_are_one_line(tmp_path, bank, args, fragment):
    argv = [a.format(src=bank, tmp=tmp_path) for a in args]
    result = runner.invoke(app, ["prepare", *argv])
    assert result.exit_code == 1
    assert error_lines(result.output) == [line for line in result.output.splitlines() if line.strip()]
    assert len(error_lines(result.output)) == 1 and fragment in result.output


def test_bench_prepare(tmp_path, note_pair):
    note_pair(tmp_path / "src", "a")
    note_pair(tmp_path / "src", "b", pitch=62)
    copies = make_copies(tmp_path / "src", tmp_path / "x3", 3)
    assert len(list(copies.rglob("*.wav"))) == 6 and all(p.is_symlink() for p in copies.rglob("*.wav"))
    rows = bench_prepare(tmp_path / "src", (1, 2))
    assert [(r.copies, r.notes, r.failed) for r in rows] == [(1, 2, 0), (2, 4, 0)]
    assert all(r.notes_per_s > 0 and r.peak_rss_mb > 10 for r in rows)


def test_every_option_default_and_help_is_the_settings_field():
    from dataclasses import fields

    import typer.main

    from samplernn.prepare.settings import PrepareSettings

    settings = {f.name: f for f in fields(PrepareSettings)}
    renamed = {"val": "val_fraction", "test": "test_fraction"}
    params = typer.main.get_command(app).commands["prepare"].params
    options = [p for p in params if p.param_type_name == "option"]
    assert len(options) == len(settings) - 1  # all but silence_peak
    for param in options:
        field = settings[renamed.get(param.name, param.name)]
        assert param.default == field.default, param.name
        assert param.help == field.metadata["help"], param.name
