"""`samplernn demo` with user mistakes: one error line naming the file, exit code 1, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.audio import write_midi
from support.tiny import tiny_checkpoint
from typer.testing import CliRunner

from conditioning import BankStats
from samplernn.cli import app


def one_line_error(args: list[str], names: str) -> None:
    result = CliRunner().invoke(app, ["demo", *args])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # a clean exit, not an escaped exception
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and names in lines[0], result.output


@pytest.fixture()
def model(tmp_path: Path) -> Path:
    """A tiny checkpoint trained (by its bank statistics) on C3–G3."""
    stats = BankStats.from_notes(16000, [(p, 100, 400) for p in (48, 50, 52, 55)])
    return tiny_checkpoint(tmp_path / "tiny.pt", stats=stats)


def test_missing_model(tmp_path: Path) -> None:
    one_line_error(["--model", str(tmp_path / "nope.pt"), "--out", str(tmp_path / "o")], "nope.pt")


def test_corrupt_model(tmp_path: Path) -> None:
    bad = tmp_path / "corrupt.pt"
    bad.write_bytes(b"not a checkpoint")
    one_line_error(["--model", str(bad), "--out", str(tmp_path / "o")], "corrupt.pt")


def test_missing_midi(tmp_path: Path, model: Path) -> None:
    args = ["--model", str(model), "--midi", str(tmp_path / "none.mid"), "--out", str(tmp_path / "o")]
    one_line_error(args, "none.mid")


def test_corrupt_midi(tmp_path: Path, model: Path) -> None:
    bad = tmp_path / "garbage.mid"
    bad.write_bytes(b"MThd garbage")
    one_line_error(["--model", str(model), "--midi", str(bad), "--out", str(tmp_path / "o")], "garbage.mid")


@pytest.mark.parametrize("train", [False, True])
def test_an_output_in_the_way_is_said_before_any_work(tmp_path: Path, model: Path, train: bool) -> None:
    """A folder where the PNG goes was found after the melody was rendered (and with --train, after
    preparing and training), leaving the WAV behind: now one line, before anything is written."""
    out = tmp_path / "o"
    (out / "melody.png").mkdir(parents=True)
    one_line_error(["--out", str(out), *(["--train"] if train else ["--model", str(model)])],
                   "melody.png: is a folder")
    assert [p.name for p in out.iterdir()] == ["melody.png"]


def test_a_melody_outside_the_model_range_is_moved_into_it(tmp_path: Path, model: Path) -> None:
    """`demo` has no --transpose or --clamp (render's): a model of another range (demo --train
    --bank) plays the melody moved into its range, and says so."""
    high = write_midi(tmp_path / "high.mid", [(100, 90, 0.0, 0.1)])
    args = ["--model", str(model), "--midi", str(high), "--out", str(tmp_path / "o")]
    result = CliRunner().invoke(app, ["demo", *args])
    assert result.exit_code == 0, result.output
    assert "rendered 1 note" in result.output and "moved -48 semitones toward its range" in result.output
    assert "clamped" not in result.output  # four octaves down, it lies in the range
    assert (tmp_path / "o" / "high.wav").is_file()


def test_an_endless_training_time_is_refused_before_any_work(tmp_path: Path) -> None:
    """--minutes inf prepared the whole bank, then failed naming train's --max-minutes."""
    result = CliRunner().invoke(app, ["demo", "--train", "--minutes", "inf", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "--minutes must be a finite number, got inf" in result.output
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("args", "said"),
    [(["--bank", "BANK"], "--bank only counts with --train"),
     (["--minutes", "1", "--scratch"], "--minutes and --scratch only count with --train"),
     (["--train", "--model", "MODEL"], "--model and --train: --train plays the model it trains")],
)
def test_options_the_run_would_ignore_are_refused(tmp_path: Path, model: Path, args: list[str],
                                                  said: str) -> None:
    """`demo --bank mybank` rendered the shipped model's melody, the bank silently unused (it needs
    --train); `demo --train --model X` trained and played another model than X."""
    args = [str(tmp_path) if a == "BANK" else str(model) if a == "MODEL" else a for a in args]
    result = CliRunner().invoke(app, ["demo", *args, "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and said in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1 and not (tmp_path / "o").exists()


def test_a_drum_model_and_a_tune_point_to_a_drum_part_and_its_hits_are_hits(tmp_path: Path) -> None:
    from support.drum_kit import drum_checkpoint, drum_stats, write_drum_dataset

    kit = write_drum_dataset(tmp_path / "kit")
    drums = drum_checkpoint(tmp_path / "drums.pt", drum_stats(kit))
    tune = write_midi(tmp_path / "tune.mid", [(60, 100, 0.0, 0.2)])
    args = ["--model", str(drums), "--midi", str(tune), "--out", str(tmp_path / "o")]
    one_line_error(args, "give --midi a file with a drum part on channel 10")
    beat = write_midi(tmp_path / "beat.mid", [(36, 100, 0.0, 0.1)], channel=9)
    result = CliRunner().invoke(app, ["demo", "--model", str(drums), "--out", str(tmp_path / "o"), "--midi",
                                      str(beat)])
    assert result.exit_code == 0 and "rendered 1 hit (" in result.output, result.output
