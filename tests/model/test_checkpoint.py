"""Checkpoint files: a round trip, and one clear line for a file that is not a samplernn checkpoint."""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from support.audio import write_midi
from support.eval_data import write_eval_dataset
from support.tiny import tiny_checkpoint
from typer.testing import CliRunner

from samplernn.common.errors import UserError
from samplernn.model.checkpoint import load_checkpoint

RAN = "ran.txt"  # a file the hostile pickle would create if loading ran its code


def _leave_a_mark(path: str) -> None:
    Path(path).write_text("loading ran code")


class _Hostile:
    """Pickles as a call of _leave_a_mark: loading it without weights_only would run that call."""

    def __init__(self, folder: Path) -> None:
        self.mark = str(folder / RAN)

    def __reduce__(self) -> tuple[Callable[[str], None], tuple[str]]:
        return _leave_a_mark, (self.mark,)


def random_bytes(path: Path) -> None:
    path.write_bytes(os.urandom(4096))


def code_in_torch_file(path: Path) -> None:
    torch.save({"state_dict": {"w": torch.zeros(2)}, "extra": _Hostile(path.parent)}, path)


def code_in_plain_pickle(path: Path) -> None:
    with path.open("wb") as fh:
        pickle.dump(_Hostile(path.parent), fh)


def torch_file_without_our_keys(path: Path) -> None:
    torch.save({"weights": torch.zeros(3), "epoch": 7}, path)


BAD_FILES = [random_bytes, code_in_torch_file, code_in_plain_pickle, torch_file_without_our_keys]


def _assert_one_clear_line(message: str, path: Path) -> None:
    assert len(message.strip().splitlines()) == 1, message
    assert str(path) in message and "not a samplernn checkpoint" in message
    assert "weights_only" not in message  # never the advice to load it unsafely
    assert not (path.parent / RAN).exists()


def test_round_trip(tmp_path: Path) -> None:
    ckpt = load_checkpoint(tiny_checkpoint(tmp_path / "m.pt", sample_rate=8000))
    assert ckpt.sample_rate == 8000 and ckpt.step == 0 and not ckpt.model.training


@pytest.mark.parametrize("make", BAD_FILES, ids=lambda f: f.__name__)
def test_foreign_file_is_one_line(tmp_path: Path, make: Callable[[Path], None]) -> None:
    path = tmp_path / "bad.pt"
    make(path)
    with pytest.raises(UserError) as info:
        load_checkpoint(path)
    _assert_one_clear_line(str(info.value), path)


def test_code_is_named_as_the_reason(tmp_path: Path) -> None:
    code_in_torch_file(tmp_path / "bad.pt")
    with pytest.raises(UserError, match="Python objects"):
        load_checkpoint(tmp_path / "bad.pt")


def test_a_midi_file_given_first_says_the_checkpoint_comes_first(tmp_path: Path) -> None:
    """`samplernn render song.mid CKPT` (the arguments the other way round) said only "not a
    file written by torch.save"."""
    from samplernn.cli import app

    midi = write_midi(tmp_path / "song.mid", [(48, 100, 0.0, 0.2)])
    ckpt = tiny_checkpoint(tmp_path / "m.pt")
    result = CliRunner().invoke(app, ["render", str(midi), str(ckpt), "-o", str(tmp_path / "x.wav")])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1, result.output
    _assert_one_clear_line(result.output, midi)
    assert "a MIDI file; the checkpoint comes first: samplernn render CKPT FILE.mid" in result.output


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_eval_dataset(tmp_path_factory.mktemp("eval_ds"))


@pytest.mark.parametrize("make", BAD_FILES, ids=lambda f: f.__name__)
def test_cli_foreign_file_exits_1_with_one_line(
    tmp_path: Path, dataset: Path, make: Callable[[Path], None]
) -> None:
    from samplernn.cli import app

    path = tmp_path / "bad.pt"
    make(path)
    result = CliRunner().invoke(app, ["evaluate", str(path), str(dataset), "--device", "cpu"])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ")
    _assert_one_clear_line(lines[0], path)


def _edited(path: Path, edit: Callable[[dict], None]) -> Path:
    payload = torch.load(path, weights_only=True)
    edit(payload)
    torch.save(payload, path)
    return path


def _nan_weight(payload: dict) -> None:
    name = next(k for k, v in payload["state_dict"].items() if v.is_floating_point())
    payload["state_dict"][name][..., 0] = float("nan")


@pytest.mark.parametrize(("edit", "why"), [
    (lambda p: p.update(sample_rate=0), "sample rate 0 Hz is out of range (1000..384000)"),
    (lambda p: p.update(sample_rate=10**9), "sample rate 1000000000 Hz is out of range"),
    (lambda p: p.update(sample_rate=16000.5), "sample rate 16000.5 is not a whole number of Hz"),
    (lambda p: p.update(sample_rate="16000"), "sample rate '16000' is not a whole number of Hz"),
    (_nan_weight, "1 weight tensor(s) hold NaN or infinity"),
    (lambda p: p.update(generation={"temperature": -1.0}), "its generation.temperature -1.0 is not"),
    (lambda p: p.update(generation={"attack_temperature": 0.0}), "its generation.attack_temperature 0.0"),
    (lambda p: p.update(generation={"attack_temperature": "hot"}), "its generation.attack_temperature 'hot'"),
    (lambda p: p.update(generation={"attack_temperature": [1]}), "its generation.attack_temperature [1]"),
    (lambda p: p.update(generation="x"), "its generation record is str"),
])
def test_a_damaged_checkpoint_is_refused_in_one_line(tmp_path: Path, edit, why: str) -> None:
    """A hand-edited or diverged file: sample rate 0 failed in libsndfile naming a temporary file
    after all the generation, NaN weights played DC."""
    path = _edited(tiny_checkpoint(tmp_path / "m.pt"), edit)
    with pytest.raises(UserError) as info:
        load_checkpoint(path)
    assert str(info.value).startswith(f"{path}: {why}"), info.value
