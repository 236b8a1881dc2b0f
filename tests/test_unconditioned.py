"""A model trained with `train --no-conditioning` plays no notes: every command that plays notes with
a checkpoint refuses it up front in one line (it used to read as a model of the one note C-1), while
loading it for what it is good for (a --baseline's NLL, resuming) still works."""

from __future__ import annotations

import socket
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile as sf
from support.audio import write_midi
from support.eval_data import write_eval_dataset
from support.tiny import tiny_checkpoint
from typer.testing import CliRunner

from conditioning import BankStats
from samplernn.cli import app
from samplernn.common.errors import UserError
from samplernn.model.checkpoint import load_checkpoint

SR = 16000


@pytest.fixture
def unconditioned(tmp_path: Path) -> Path:
    """A tiny unconditioned checkpoint with the statistics training on chunks records: pitch 0,
    velocity 0 (what read as a trained range of C-1–C-1)."""
    stats = BankStats.from_notes(SR, [(0, 0, 0)])
    return tiny_checkpoint(tmp_path / "free.pt", SR, stats, conditioning=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _commands(tmp_path: Path, ckpt: Path) -> dict[str, list[str]]:
    """The argv of every command that plays notes with `ckpt`, each otherwise fit to run."""
    midi = write_midi(tmp_path / "song.mid", [(48, 100, 0.0, 0.2)])
    out = tmp_path / "out.wav"
    return {
        "synth": ["synth", str(ckpt), "--note", "C3", "-o", str(out)],
        "render": ["render", str(ckpt), str(midi), "-o", str(out), "--clamp"],
        "pack": ["pack", str(ckpt), "-o", str(tmp_path / "pack")],
        "play": ["play", str(ckpt), "--midi-file", str(midi), "-o", str(out)],
        "serve": ["serve", str(ckpt), "--port", str(_free_port())],
        "evaluate": ["evaluate", str(ckpt), str(write_eval_dataset(tmp_path / "ds"))],
        "demo": ["demo", "--model", str(ckpt), "-o", str(tmp_path / "demo")],
    }


@pytest.mark.parametrize("command", ["synth", "render", "pack", "play", "serve", "evaluate", "demo"])
def test_every_note_command_refuses_an_unconditioned_model_in_one_line(tmp_path, unconditioned, command,
                                                                       monkeypatch):
    # a serve that got past the check would return at once, not serve until Ctrl-C
    never_serving = SimpleNamespace(run=lambda: None)
    monkeypatch.setattr("samplernn.serve.server.make_server", lambda *a, **k: never_serving)
    result = CliRunner().invoke(app, _commands(tmp_path, unconditioned)[command])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [f"error: {unconditioned}: an unconditioned model (trained with --no-conditioning) "
                     f"plays no notes; {command} needs a model trained on notes (`samplernn synth CKPT "
                     "-o OUT.wav` without --note lets this one run free)"], result.output
    assert "C-1" not in result.output  # no warning, no clamping to a range it never had
    assert not (tmp_path / "out.wav").exists() and not (tmp_path / "pack").exists()
    assert not (tmp_path / "demo").exists()


def test_loading_an_unconditioned_model_without_notes_to_play_still_works(unconditioned, tmp_path):
    """evaluate's --baseline (an unconditional model's NLL) and resuming load it as before; a model
    trained on notes passes the check."""
    assert load_checkpoint(unconditioned).config.conditioning is False
    with pytest.raises(UserError, match="plays no notes; render needs a model trained on notes"):
        load_checkpoint(unconditioned, needs_notes="render")
    stats = BankStats.from_notes(SR, [(48, 100, 400)])
    notes = tiny_checkpoint(tmp_path / "notes.pt", SR, stats)
    assert load_checkpoint(notes, needs_notes="render").config.conditioning


def test_an_unconditioned_baseline_is_still_evaluated(unconditioned, tmp_path):
    from samplernn.evaluate.checkpoint import evaluate_checkpoint
    from samplernn.evaluate.options import EvaluateOptions

    pytest.importorskip("samplernn.generate.engine")
    notes = tiny_checkpoint(tmp_path / "notes.pt", SR, q_levels=16)
    baseline = tiny_checkpoint(tmp_path / "free16.pt", SR, BankStats.from_notes(SR, [(0, 0, 0)]),
                               conditioning=False, q_levels=16)
    options = EvaluateOptions(max_notes=1, device="cpu", baseline=baseline, velocity_sweep=False,
                              missing_pitches=False, onset_candidates=1)
    report = evaluate_checkpoint(notes, write_eval_dataset(tmp_path / "ds"), options).report
    assert report["nll"]["baseline"]["overall"] > 0


def test_synth_without_a_note_lets_an_unconditioned_model_run_free(tmp_path, unconditioned):
    out = tmp_path / "free.wav"
    args = ["synth", str(unconditioned), "-o", str(out), "--duration", "0.05", "--takes", "2", "--seed", "1"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "free-running (an unconditioned model): 0.05 s a take" in result.output
    takes = [sf.read(tmp_path / f"free-{k}.wav") for k in (1, 2)]
    assert all(sr == SR and len(y) == round(0.05 * SR) for y, sr in takes)
    assert not np.array_equal(takes[0][0], takes[1][0])  # two takes, two streams
    assert "--attack-temperature has no effect" not in result.output
    again = CliRunner().invoke(app, [*args, "--attack-temperature", "1.2", "-o", str(tmp_path / "a.wav")])
    assert again.exit_code == 0 and "note: --attack-temperature has no effect here" in again.output
    # a model that plays notes still needs one
    notes = tiny_checkpoint(tmp_path / "notes.pt", SR, BankStats.from_notes(SR, [(48, 100, 400)]))
    refused = CliRunner().invoke(app, ["synth", str(notes), "-o", str(tmp_path / "n.wav")])
    assert refused.exit_code == 2 and "--note is missing: this model plays notes" in refused.output
