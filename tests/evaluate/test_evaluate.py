"""`samplernn evaluate`: the pipeline with fake generators, the report, the CLI's bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from support.eval_data import oracle_generate, write_eval_dataset
from support.tiny import tiny_checkpoint
from typer.testing import CliRunner

from samplernn.data.dataset import load_dataset
from samplernn.evaluate.run import evaluate_model, select_notes
from samplernn.evaluate.view import pick_plot_notes, plot_spectrograms, render_tables
from samplernn.generate.options import GenerationOptions
from samplernn.generate.temperature import AttackTemperature


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory):
    return load_dataset(write_eval_dataset(tmp_path_factory.mktemp("eval_ds")))


@pytest.fixture(scope="module")
def oracle(dataset):
    """A sine that follows the conditioning: right pitch, end and dynamics, but not the sawtooth's timbre."""
    return evaluate_model(None, dataset, "test", generate=oracle_generate())


def test_oracle_passes_pitch_duration_dynamics(oracle) -> None:
    r = oracle.report
    assert r["n_notes"] == 6 and r["nll"] is None
    for source in ("real", "generated"):
        s = r[source]
        assert s["pitch"]["accuracy"] == 1.0 and s["pitch"]["median_abs_cents"] < 6  # pYIN bins are 10 cents
        assert s["duration"]["median_ms"] < 6 and s["duration"]["p90_ms"] < 6
        assert s["dynamics"]["rising_share"] == 1.0
        # in tune from note-on: settled by the second 32-ms frame (the tone's 10-ms attack ramp)
        assert s["settle"]["median_ms"] <= 24 and s["settle"]["n_unsettled"] == 0
        assert s["clipping"]["share"] == 0.0 and s["dc"]["max_abs"] < 1e-3
    # The real notes are sawtooths, so the sawtooth baseline beats a sine generator.
    assert r["timbre"]["sawtooth_vs_real"] < 3.0 < r["timbre"]["generated_vs_real"]
    bars = {b["name"]: b["passed"] for b in r["bars"]}
    assert bars == {
        "pitch accuracy": True,
        "clipping": True,
        "bursts": True,
        "median duration error": True,
        "RMS rising with velocity": True,
        "timbre distance": False,
        "melody pitch": None,  # no melodies given
        "melody octave errors": None,
        "missing-pitch accuracy": True,  # 49 … 54 lie between the bank's 48 and 55
        "in-between velocities": True,
    }
    assert r["passed"] is False


def test_sawtooth_oracle_passes_all(dataset) -> None:
    r = evaluate_model(None, dataset, "test", generate=oracle_generate(wave="sawtooth")).report
    assert r["timbre"]["generated_vs_real"] < r["timbre"]["sawtooth_vs_real"]
    assert r["passed"] is True


def test_detuned_loud_generator_fails(dataset) -> None:
    r = evaluate_model(None, dataset, "test", generate=oracle_generate(detune=1.0, gain=5.0),
                       missing_pitches=False).report
    g = r["generated"]
    # within one pYIN bin (librosa's resolution: 0.1 semitone) of the 100-cent detune: clipped
    # notes read 100 cents on one CPU and 105 on another
    assert g["pitch"]["accuracy"] == 0.0 and g["pitch"]["median_abs_cents"] == pytest.approx(100, abs=10)
    assert g["clipping"]["share"] > 0.01 and g["clipping"]["n_notes_clipped"] == 6
    assert g["settle"] == {"median_ms": None, "p90_ms": None, "n_unsettled": 6}
    assert r["real"]["pitch"]["accuracy"] == 1.0  # the ceiling does not depend on the generator


def test_a_burst_under_full_scale_is_counted(dataset) -> None:
    """20 ms of a loud low square wave in one note's middle, far under full scale: no clipping,
    but that note's loudest 10 ms sits far over the real note's, so the bursts bar fails."""
    oracle = oracle_generate()

    def generate(conds):
        out = [np.array(y, dtype=np.float64) for y in oracle(conds)]
        out[0][3000:3320] += 0.5 * np.sign(np.sin(np.arange(320) * 2 * np.pi / 40))
        return out

    r = evaluate_model(None, dataset, "test", generate=generate, missing_pitches=False).report
    g = r["generated"]
    assert g["clipping"]["share"] == 0.0
    assert g["bursts"]["n_notes"] == 1 and g["bursts"]["share"] == pytest.approx(1 / 6)
    assert g["bursts"]["max_over_db"] > 10
    assert r["real"]["bursts"]["n_notes"] is None  # the recordings are the reference
    assert {b["name"]: b["passed"] for b in r["bars"]}["bursts"] is False


def test_silent_and_flat_generator(dataset) -> None:
    r = evaluate_model(None, dataset, "test", generate=lambda conds: [np.zeros(len(c)) for c in conds],
                       missing_pitches=False).report
    g = r["generated"]
    assert g["pitch"]["n_unvoiced"] == 6 and g["duration"]["n_silent"] == 6
    assert g["settle"]["n_unsettled"] == 6
    assert g["duration"]["median_ms"] == pytest.approx((5600 - 800) / 16)
    assert g["dynamics"]["rising_share"] == 0.0


def test_note_that_does_not_stop(dataset) -> None:
    r = evaluate_model(None, dataset, "test", generate=oracle_generate(stops=False),
                       missing_pitches=False).report
    # Generation runs 0.5 s past the file (6400 samples), so the note overruns its end (5600) by 550 ms.
    assert r["generated"]["duration"]["median_ms"] == pytest.approx((6400 + 8000 - 5600) / 16, abs=1)
    assert {b["name"]: b["passed"] for b in r["bars"]}["median duration error"] is False


def test_report_structure(oracle, tmp_path: Path) -> None:
    from samplernn.common.files import write_json

    write_json(tmp_path / "r.json", oracle.report)
    r = json.loads((tmp_path / "r.json").read_text())
    assert set(r) >= {
        "split",
        "sample_rate",
        "n_notes",
        "nll",
        "real",
        "generated",
        "timbre",
        "per_pitch",
        "notes",
        "bars",
        "passed",
        "definitions",
        "settings",
        "melodies",
        "missing_pitches",
        "between_velocities",
        "noise_floor",
        "test_split_scored",
    }
    assert r["melodies"] is None and r["missing_pitches"]["pitches"] == [49, 50, 51, 52, 53, 54]
    assert set(r["definitions"]) >= {"melodies", "missing_pitches", "between_velocities", "noise_floor"}
    assert set(r["per_pitch"]) == {"48", "55"}
    p = r["per_pitch"]["48"]
    assert p["name"] == "C3" and p["n_notes"] == 3 and p["velocities"] == [40, 80, 120]
    assert p["real"]["dynamics"]["rising"] is True and list(p["real"]["dynamics"]["rms_db"]) == [
        "40",
        "80",
        "120",
    ]
    note = r["notes"][0]
    assert set(note) == {"id", "pitch", "velocity", "onset", "release", "end", "real", "generated", "timbre",
                         "noise_floor"}
    # 16-bit sawtooth files, their 8-bit mu-law copies, float sines: each floor far below the last.
    floors = note["noise_floor"]
    assert floors["generated"] < floors["real"] - 20 < floors["real_quantized"] - 40
    assert set(note["generated"]) >= {
        "f0_hz",
        "cents",
        "pitch_ok",
        "audible_end",
        "end_error_ms",
        "rms",
        "rms_db",
        "clip_share",
        "dc",
    }
    assert all(set(b) == {"name", "value", "target", "passed"} for b in r["bars"])


def test_tables_and_plot(oracle, tmp_path: Path) -> None:
    from rich.console import Console

    console = Console(record=True, width=160)
    render_tables(oracle.report, console)
    text = console.export_text()
    assert "pitch within ±50 c" in text and "C3 48" in text
    assert "failed" in text  # timbre bar
    png = plot_spectrograms(oracle, tmp_path / "plots" / "spectrograms.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [oracle.records[i].velocity for i in pick_plot_notes(oracle.records)] == [40, 120, 40, 120]
    assert "notes out of tune" not in text  # the oracle plays every note in tune


def test_a_drum_models_spectrograms_name_the_piece(oracle, tmp_path, monkeypatch) -> None:
    """A drum model's picture titled its rows by note name ("real: C2 vel 8 (BD_01)"): a drum key
    is a piece, so the rows now name it ("real: hi-mid tom vel 40 …")."""
    import copy
    from contextlib import contextmanager

    from samplernn.common import plots
    from samplernn.render.drums import piece_name

    figures = []
    real_figure = plots.figure

    @contextmanager
    def keep(path, **kw):
        with real_figure(path, **kw) as fig:
            figures.append(fig)
            yield fig

    monkeypatch.setattr(plots, "figure", keep)
    drums = copy.copy(oracle)
    drums.report = {**oracle.report, "oneshot": {"pieces": {}}}
    plot_spectrograms(drums, tmp_path / "spectrograms.png")
    titles = [ax.get_title() for ax in figures[0].axes if ax.get_title()]
    assert titles[0].startswith(f"real: {piece_name(oracle.records[0].pitch)} vel "), titles
    plot_spectrograms(oracle, tmp_path / "pitched.png")  # a pitched model's rows keep the note names
    assert [ax.get_title() for ax in figures[1].axes][0].startswith("real: C")


def test_the_view_names_the_notes_out_of_tune(oracle) -> None:
    import copy

    from rich.console import Console

    report = copy.deepcopy(oracle.report)
    first, second = report["notes"][0], report["notes"][1]
    first["generated"].update(cents=None, pitch_ok=False)
    second["generated"].update(cents=1203.0, pitch_ok=False)
    console = Console(record=True, width=160)
    render_tables(report, console)
    text = console.export_text()
    assert "notes out of tune: 2 of 6 (seed 0)" in text
    held = (first["release"] - first["onset"]) / report["sample_rate"]
    table = text.split("notes out of tune: 2 of 6 (seed 0)")[1].split("└")[0]
    rows = [line for line in table.splitlines() if " s " in line]
    assert len(rows) == 2 and f"{held:.2f} s" in rows[0] and str(first["velocity"]) in rows[0]
    assert rows[0].rstrip(" │").endswith("unvoiced") and "+1203 c (octave)" in rows[1]


def test_dynamics_velocity_sweep(dataset) -> None:
    ev = evaluate_model(None, dataset, "test", generate=oracle_generate(dynamics=False),
                        missing_pitches=False)
    assert [(r.pitch, r.velocity) for r in ev.sweep] == [(48, 80), (48, 120), (55, 80), (55, 120)]
    assert len(ev.sweep_audio) == 4
    assert [(r.pitch, r.velocity) for r in ev.between] == [(48, 60), (48, 100), (55, 60), (55, 100)]
    assert ev.report["between_velocities"]["share"] == 0.0  # one level for every velocity
    r = ev.report
    assert r["real"]["dynamics"]["rising_share"] == 1.0
    assert r["generated"]["dynamics"]["rising_share"] == 0.0 and r["generated"]["dynamics"]["n_pitches"] == 2
    assert {b["name"]: b["passed"] for b in r["bars"]}["RMS rising with velocity"] is False
    # Without the sweep the evaluated notes themselves are compared.
    r = evaluate_model(None, dataset, "test", generate=oracle_generate(), sweep_velocities=False,
                       missing_pitches=False).report
    assert r["generated"]["dynamics"]["rising_share"] == 1.0


def test_select_notes_spreads_over_groups(dataset) -> None:
    notes = dataset.split("test")
    assert [(r.pitch, r.velocity) for r in select_notes(notes, 2)] == [(48, 40), (55, 40)]
    assert [(r.pitch, r.velocity) for r in select_notes(notes, 3)] == [(48, 40), (48, 80), (55, 40)]
    assert [(r.pitch, r.velocity) for r in select_notes(notes, 5)] == [
        (48, 40),
        (48, 80),
        (48, 120),
        (55, 40),
        (55, 80),
    ]
    assert select_notes(notes, None) == sorted(notes, key=lambda r: (r.pitch, r.velocity, r.id))


def test_empty_split_is_a_user_error(dataset) -> None:
    from samplernn.common.errors import UserError

    with pytest.raises(UserError, match="no notes in split 'val'"):
        evaluate_model(None, dataset, "val", generate=oracle_generate())


# --- CLI --------------------------------------------------------------------------------------


def _cli(args: list[str]):
    from samplernn.cli import app

    return CliRunner().invoke(app, ["evaluate", *args])


def _error_lines(result) -> list[str]:
    return [line for line in result.output.splitlines() if line.strip()]


def test_cli_missing_checkpoint(dataset, tmp_path: Path) -> None:
    result = _cli([str(tmp_path / "nope.pt"), str(dataset.root)])
    assert result.exit_code != 0
    lines = _error_lines(result)
    assert len(lines) == 1 and "checkpoint not found" in lines[0]


def test_cli_a_folder_as_the_checkpoint_and_a_zero_attack_temperature(dataset, tmp_path: Path) -> None:
    """A folder given as the checkpoint read "no such checkpoint file or shipped model" although it
    exists; --attack-temperature 0 is refused in one line, before any work."""
    folder = tmp_path / "runs"
    folder.mkdir()
    result = _cli([str(folder), str(dataset.root)])
    lines = _error_lines(result)
    assert result.exit_code == 1 and len(lines) == 1 and "runs: a folder, not a checkpoint" in lines[0]
    ckpt = _tiny_checkpoint(tmp_path / "m.pt")
    # --temperature inf: the parser's own refusal (tests/test_cli_main.py), before any work
    result = _cli([str(ckpt), str(dataset.root), "--attack-temperature", "0"])
    lines = _error_lines(result)
    assert result.exit_code == 2 and len(lines) == 1, result.output
    assert "evaluate: --attack-temperature must be a finite number > 0, got 0" in lines[0]
    # --min-p 1: the parser's own refusal (tests/test_cli_main.py)


def test_cli_json_over_an_input_is_refused_before_evaluating(dataset, tmp_path: Path) -> None:
    """--json naming the checkpoint, a melody or a file of the dataset would replace an input with
    the report (a 30 MB model became 16 KB of JSON, exit 0): refused in one line, the input kept."""
    import shutil

    ckpt = _tiny_checkpoint(tmp_path / "m.pt")
    melodies = tmp_path / "mel"
    melodies.mkdir()
    (melodies / "a.mid").write_bytes(b"MThd")
    ds = tmp_path / "ds"
    shutil.copytree(dataset.root, ds)
    cases = [(ckpt, "this is an input"), (melodies / "a.mid", "is a file of the input"),
             (ds / "dataset.json", "is a file of the input")]
    for target, message in cases:
        before = target.read_bytes()
        result = _cli([str(ckpt), str(ds), "--melodies", str(melodies), "--json", str(target)])
        lines = _error_lines(result)
        assert result.exit_code == 1 and len(lines) == 1 and message in lines[0], result.output
        assert target.read_bytes() == before
    # the shipped melodies (--shipped-melodies reads them; --json named one and replaced it, exit 0)
    from samplernn.common.paths import DEMO_MELODY

    before = DEMO_MELODY.read_bytes()
    result = _cli([str(ckpt), str(ds), "--json", str(DEMO_MELODY)])
    assert result.exit_code == 1 and "is a file of the input" in result.output
    assert DEMO_MELODY.read_bytes() == before
    other = tmp_path / "song.mid"  # any existing file that is not a .json report
    other.write_bytes(b"MThd")
    result = _cli([str(ckpt), str(ds), "--json", str(other)])
    assert result.exit_code == 1 and "exists and is not a .json report" in result.output
    result = _cli([str(ckpt), str(ds), "--audio", str(ds / "audio")])  # generated notes among the real ones
    assert result.exit_code == 1 and "lies in the dataset" in result.output
    import json
    import re

    from samplernn.common.errors import UserError
    from samplernn.data.dataset import CREATED_BY
    from samplernn.evaluate.checkpoint import check_outputs

    other = tmp_path / "prepared"  # another dataset `prepare` made: refused as synth's -o is
    other.mkdir()
    (other / "dataset.json").write_text(json.dumps({"created_by": CREATED_BY}))
    with pytest.raises(UserError, match=re.escape(f"lies in the dataset {other.resolve()}; write")):
        check_outputs(plots=other / "plots", dataset=ds)
    assert not list((ds / "audio").glob("*.generated.wav"))


def test_cli_a_new_json_report_inside_a_dataset_is_refused(dataset, tmp_path: Path) -> None:
    """--json naming a new file inside the prepared dataset (the one evaluated, or another) was
    written there, exit 0, although --plots and --audio are refused there: the next `prepare` into
    that folder refused the report as a file it did not write. Refused in one line, nothing written."""
    import json
    import shutil

    from samplernn.data.dataset import CREATED_BY

    ckpt = _tiny_checkpoint(tmp_path / "m.pt")
    ds = tmp_path / "ds"
    shutil.copytree(dataset.root, ds)
    other = tmp_path / "prepared"
    other.mkdir()
    (other / "dataset.json").write_text(json.dumps({"created_by": CREATED_BY}))
    for target in (ds / "report.json", ds / "audio" / "report.json", other / "report.json"):
        result = _cli([str(ckpt), str(ds), "--json", str(target), "--max-notes", "1"])
        lines = _error_lines(result)
        assert result.exit_code == 1 and len(lines) == 1 and "lies in the dataset" in lines[0], result.output
        assert not target.exists()


def test_cli_not_a_dataset(tmp_path: Path) -> None:
    result = _cli([str(tmp_path / "nope.pt"), str(tmp_path)])
    assert result.exit_code != 0
    lines = _error_lines(result)
    assert len(lines) == 1 and "not a prepared dataset" in lines[0]


def test_cli_the_dataset_first_says_the_checkpoint_comes_first(dataset, tmp_path: Path) -> None:
    """`evaluate DATASET CKPT` (the other way round) said "CKPT: not a directory (expected a
    dataset …)", as if the checkpoint were a dataset gone missing."""
    ckpt = _tiny_checkpoint(tmp_path / "m.pt")
    for second in (str(ckpt), "trombone-small"):
        lines = _error_lines(result := _cli([str(dataset.root), second]))
        assert result.exit_code == 1 and len(lines) == 1, result.output
        assert lines[0] == (f"error: {dataset.root}: a prepared dataset, given where the checkpoint goes; "
                            "the checkpoint comes first: samplernn evaluate CKPT DATASET")


def test_every_option_default_is_the_options_field() -> None:
    from dataclasses import fields

    import typer.main

    from samplernn.cli import app
    from samplernn.evaluate.options import EvaluateOptions

    defaults = {f.name: f for f in fields(EvaluateOptions)}
    params = typer.main.get_command(app).commands["evaluate"].params
    options = {p.name: p for p in params if p.param_type_name == "option"}
    assert set(options) == set(defaults) | {"json_path", "plots", "audio", "quiet"}  # where to write; the bar
    for name, field in defaults.items():
        assert options[name].default == field.default, name
        if name not in ("temperature", "device"):  # their help is shared with the generation commands
            assert options[name].help == field.metadata["help"], name


def test_cli_bad_split_is_a_usage_error(dataset, tmp_path: Path) -> None:
    """A --split the option cannot take exits 2, as the parser's own errors, before any file is read."""
    for split in ("dev", "banana"):
        result = _cli([str(tmp_path / "nope.pt"), str(dataset.root), "--split", split])
        lines = _error_lines(result)
        assert result.exit_code == 2 and len(lines) == 1, result.output
        assert f"evaluate: unknown split '{split}' (choose from train, val, test)" in lines[0]
        assert "evaluate --help')" in lines[0]


def _tiny_checkpoint(path: Path, sample_rate: int = 16000) -> Path:
    # 16 levels: an untrained model's NLL stays well below the 8 bits the tests bound it by.
    return tiny_checkpoint(path, sample_rate, q_levels=16)


def test_cli_sample_rate_mismatch(dataset, tmp_path: Path) -> None:
    ckpt = _tiny_checkpoint(tmp_path / "m.pt", sample_rate=8000)
    result = _cli([str(ckpt), str(dataset.root), "--device", "cpu"])
    assert result.exit_code != 0
    lines = _error_lines(result)
    assert len(lines) == 1 and "8000 Hz" in lines[0]


def test_nll_block_with_tiny_model(dataset, tmp_path: Path) -> None:
    from samplernn.model.checkpoint import load_checkpoint

    model = load_checkpoint(_tiny_checkpoint(tmp_path / "m.pt")).model
    base = load_checkpoint(_tiny_checkpoint(tmp_path / "b.pt")).model
    r = evaluate_model(
        model, dataset, "test", max_notes=2, generate=oracle_generate(), baseline_model=base,
        generation=GenerationOptions(batch_size=4), missing_pitches=False,
    ).report
    nll = r["nll"]
    assert 0 < nll["overall"] < 8 and set(nll["per_pitch"]) == {"48", "55"}
    assert nll["n_samples"] == 2 * 6400 and nll["baseline"]["overall"] > 0
    assert r["per_pitch"]["48"]["nll"] == nll["per_pitch"]["48"]
    assert "test NLL" in {b["name"] for b in r["bars"]}


def test_cli_end_to_end_tiny_model(dataset, tmp_path: Path) -> None:
    pytest.importorskip("samplernn.generate.engine")
    ckpt = _tiny_checkpoint(tmp_path / "m.pt")
    out = tmp_path / "out"
    args = [str(ckpt), str(dataset.root), "--device", "cpu", "--max-notes", "2", "--batch-size", "8"]
    args += ["--json", str(out / "report.json"), "--plots", str(out / "plots"), "--audio", str(out / "wav")]
    result = _cli(args)
    assert result.exit_code == 0, result.output
    assert "pitch within ±50 c" in result.output and "the bars a model must pass to ship" in result.output
    r = json.loads((out / "report.json").read_text())
    assert r["n_notes"] == 2 and r["checkpoint"] == str(ckpt) and r["step"] == 0
    assert r["notices"] == []  # a model that records no range
    assert r["nll"]["overall"] > 0 and set(r["nll"]["per_pitch"]) == {"48", "55"}
    assert r["real"]["pitch"]["accuracy"] == 1.0 and r["passed"] is False  # an untrained model
    assert r["generated"]["dynamics"]["n_pitches"] == 2  # the velocity sweep ran
    assert (out / "plots" / "spectrograms.png").stat().st_size > 1000
    # notes + sweep copies + in-between copies (60 and 100 for each pitch)
    assert len(list((out / "wav").glob("*.generated.wav"))) == 2 + 4 + 4
    assert len(list((out / "wav").glob("missing_*.wav"))) == 6  # 49 … 54


def test_cli_scores_melodies(dataset, tmp_path: Path) -> None:
    pytest.importorskip("samplernn.generate.engine")
    from support.audio import write_midi

    ckpt = _tiny_checkpoint(tmp_path / "m.pt")
    melody = write_midi(tmp_path / "mel" / "up.mid", [(60, 90, 0.0, 0.2), (64, 60, 0.25, 0.5)])
    out = tmp_path / "out"
    args = [str(ckpt), str(dataset.root), "--device", "cpu", "--max-notes", "1", "--no-velocity-sweep",
            "--no-missing-pitches", "--melodies", str(melody.parent), "--json", str(out / "r.json"),
            "--audio", str(out / "wav")]
    result = _cli(args)
    assert result.exit_code == 0, result.output
    assert "melodies, each note on its own stream" in result.output and "noise floor" in result.output
    r = json.loads((out / "r.json").read_text())
    (mel,) = r["melodies"]["per_melody"]
    assert mel["name"] == "up" and [n["pitch"] for n in mel["notes"]] == [50, 54]  # −10: into 48 … 55
    assert r["missing_pitches"] is None and r["settings"]["melodies"] == [str(melody.parent)]
    assert "missing semitones" not in result.output  # not asked for: no row (it said "none missing")
    assert (out / "wav" / "melody_up.wav").stat().st_size > 1000


def test_cli_melody_options_errors(dataset, tmp_path: Path) -> None:
    ckpt = _tiny_checkpoint(tmp_path / "m.pt")
    pairs = (["--melodies", str(tmp_path), "--shipped-melodies"],
             ["--shipped-melodies", "--heldout-melodies"])
    for two in pairs:
        both = _cli([str(ckpt), str(dataset.root), *two])
        assert both.exit_code == 2 and "give one of" in both.output
    result = _cli([str(ckpt), str(dataset.root), "--device", "cpu", "--melodies", str(tmp_path / "none")])
    assert result.exit_code != 0
    lines = _error_lines(result)
    assert len(lines) == 1 and "no such melody file or folder" in lines[0]


def test_cli_seeds_tabulates_every_bar_per_seed(dataset, tmp_path: Path) -> None:
    pytest.importorskip("samplernn.generate.engine")
    ckpt = _tiny_checkpoint(tmp_path / "m.pt")
    report = tmp_path / "r.json"
    args = [str(ckpt), str(dataset.root), "--device", "cpu", "--max-notes", "2", "--no-velocity-sweep",
            "--no-missing-pitches"]
    result = _cli([*args, "--seed", "3", "--seeds", "2", "--json", str(report)])
    assert result.exit_code == 0, result.output
    assert "bars over 2 seeds" in result.output
    runs = json.loads(report.read_text())["seeds"]
    assert [r["seed"] for r in runs] == [3, 4]
    names = [b["name"] for b in runs[0]["bars"]]
    assert "pitch accuracy" in names and [b["name"] for b in runs[1]["bars"]] == names
    # seed 3's row is the main report's own
    assert runs[0]["bars"] == json.loads(report.read_text())["bars"]


def test_cli_seeds_table_written_to_a_file_cuts_no_figure(dataset, tmp_path: Path) -> None:
    """`--seeds 5 > report.txt` (80 columns) cut the per-seed figures ("0.00…", "10…"); the seeds
    table is printed whole off a terminal, as the other tables are."""
    pytest.importorskip("samplernn.generate.engine")
    ckpt = _tiny_checkpoint(tmp_path / "m.pt")
    args = [str(ckpt), str(dataset.root), "--device", "cpu", "--max-notes", "1", "--no-velocity-sweep",
            "--no-missing-pitches", "--onset-candidates", "1", "--seeds", "5"]
    result = _cli(args)
    assert result.exit_code == 0, result.output
    table = result.output[result.output.index("bars over 5 seeds"):]
    assert "seed 4" in table and "…" not in table, table


def test_the_seed_reaches_the_test_notes(dataset, tmp_path: Path) -> None:
    """Two seeds of one model once gave the same test-split figures (the same notes unvoiced): the
    notes themselves must differ by seed (the onset search included) and repeat with it."""
    ckpt = _tiny_checkpoint(tmp_path / "m.pt")
    args = [str(ckpt), str(dataset.root), "--device", "cpu", "--max-notes", "2", "--no-velocity-sweep",
            "--no-missing-pitches", "--onset-candidates", "4"]
    audio = {}
    for name, seed in (("a", 0), ("b", 0), ("c", 1)):
        result = _cli([*args, "--seed", str(seed), "--audio", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        audio[name] = {p.name: p.read_bytes() for p in sorted((tmp_path / name).glob("*.wav"))}
    assert audio["a"] and audio["a"] == audio["b"]
    assert audio["c"].keys() == audio["a"].keys()
    assert all(audio["c"][k] != audio["a"][k] for k in audio["a"]), sorted(audio["a"])


def test_progress_reports_generating_then_measuring(dataset, tmp_path: Path) -> None:
    from samplernn.model.checkpoint import load_checkpoint

    calls: list[tuple[str, int, int | None]] = []
    model = load_checkpoint(_tiny_checkpoint(tmp_path / "m.pt")).model
    evaluate_model(model, dataset, "test", max_notes=2, sweep_velocities=False, with_nll=False,
                   generation=GenerationOptions(seed=0, batch_size=2),
                   progress=lambda done, total=None, stage="": calls.append((stage, done, total)))
    stages = [stage for stage, _, _ in calls]
    assert stages[0] == "generating" and stages[-1] == "measuring"
    assert stages == sorted(stages, key=["generating", "measuring"].index)  # one stage after the other
    last = {stage: (done, total) for stage, done, total in calls}
    # measuring: the 2 notes, then the 6 missing semitones between 48 and 55
    assert last["generating"][0] == last["generating"][1] > 0 and last["measuring"] == (8, 8)


@pytest.mark.parametrize(("option", "kwarg", "values", "seen"), [
    ("onset_candidates", "onset_search", (3, 1), lambda s, sr: s and (s.candidates, s.sample_rate)),
    ("attack_temperature", "attack", (1.3, None), lambda a, sr: a),  # None: the checkpoint's (none)
])
def test_a_generation_setting_reaches_the_generation_and_the_report(
    dataset, tmp_path: Path, monkeypatch, option: str, kwarg: str, values: tuple, seen
) -> None:
    from samplernn.evaluate import checkpoint as evaluation
    from samplernn.evaluate.options import EvaluateOptions
    from samplernn.generate import engine

    given = []

    def spy(model, conds, options):
        given.append(getattr(options, kwarg))
        return oracle_generate()(conds)

    monkeypatch.setattr(engine, "synthesize", spy)
    ckpt = _tiny_checkpoint(tmp_path / "m.pt")
    for value in values:
        options = EvaluateOptions(max_notes=2, velocity_sweep=False, missing_pitches=False, **{option: value})
        report = evaluation.evaluate_checkpoint(ckpt, dataset.root, options).report
        assert report["settings"][option] == value
    sr = dataset.sample_rate
    expected = {"onset_search": [(3, sr), None],
                "attack": [AttackTemperature(1.3, round(0.01 * sr), round(0.02 * sr)), None]}[kwarg]
    assert [seen(g, sr) for g in given] == expected
    with pytest.raises(ValueError, match=option.replace("_", "[_-]")):
        EvaluateOptions(**{option: 0})


def test_threads_reach_the_generation_and_torch_for_the_evaluation_only(
    dataset, tmp_path: Path, monkeypatch
) -> None:
    import torch

    from samplernn.evaluate import checkpoint as evaluation
    from samplernn.evaluate.options import EvaluateOptions
    from samplernn.generate import engine

    seen = []

    def spy(model, conds, options):
        seen.append((options.threads, torch.get_num_threads()))
        return oracle_generate()(conds)

    monkeypatch.setattr(engine, "synthesize", spy)
    ckpt = _tiny_checkpoint(tmp_path / "m.pt")
    before = torch.get_num_threads()
    for threads in (3, None):
        options = EvaluateOptions(max_notes=2, velocity_sweep=False, missing_pitches=False, threads=threads)
        evaluation.evaluate_checkpoint(ckpt, dataset.root, options)
        assert torch.get_num_threads() == before  # set for the evaluation, then as it was
    assert seen == [(3, 3), (None, before)]  # None: the engine's default, torch left alone
    for bad in (0, 1025):
        with pytest.raises(ValueError, match="--threads must be within 1..1024"):
            EvaluateOptions(threads=bad)


# --- unusable outputs: said before the evaluation, one line, nothing left behind ---------------


@pytest.mark.parametrize("option, where, fragment", [
    ("--json", "{tmp}", "{tmp}: is a folder; give a file name"),
    ("--json", "{tmp}/file/r.json", "{tmp}/file/r.json: cannot be made, {tmp}/file is a file"),
    ("--plots", "{tmp}/file", "{tmp}/file: exists and is not a folder"),
    ("--audio", "{tmp}/file/wav", "{tmp}/file/wav: cannot be made, {tmp}/file is a file"),
])
def test_cli_unusable_output_fails_before_evaluating(dataset, tmp_path: Path, monkeypatch, option, where,
                                                     fragment) -> None:
    from samplernn.evaluate import checkpoint

    def evaluate_checkpoint(*args, **kwargs):
        raise AssertionError("evaluated before the outputs were checked")

    monkeypatch.setattr(checkpoint, "evaluate_checkpoint", evaluate_checkpoint)
    (tmp_path / "file").write_text("x")
    result = _cli([str(tmp_path / "m.pt"), str(dataset.root), option, where.format(tmp=tmp_path)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), repr(result.exception)
    lines = _error_lines(result)
    assert len(lines) == 1 and lines[0].startswith(f"error: {fragment.format(tmp=tmp_path)}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def _fake_result(n_notes: int):
    """A CheckpointEvaluation of `n_notes` generated notes, no sweep, melodies or missing pitches."""
    from types import SimpleNamespace

    from samplernn.evaluate.checkpoint import CheckpointEvaluation

    records = [SimpleNamespace(id=f"n{k}") for k in range(n_notes)]
    ev = SimpleNamespace(
        records=records, generated=[np.zeros(400, np.float32)] * n_notes, sweep=[], sweep_audio=[],
        between=[], between_audio=[], report={"passed": True},
        rendered=SimpleNamespace(melodies=[], missing=[], missing_audio=[]))
    return CheckpointEvaluation(ev, [], 8000)  # type: ignore[arg-type]


def test_a_failed_write_of_the_notes_removes_those_written(tmp_path: Path, monkeypatch) -> None:
    from samplernn.common.audio import AudioError, write_wav
    from samplernn.evaluate import checkpoint

    calls = []

    def disk_fills(path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 3:
            raise AudioError(f"{path}: cannot write audio file (no space left on device)")
        return write_wav(path, *args, **kwargs)

    monkeypatch.setattr(checkpoint, "write_wav", disk_fills)
    with pytest.raises(AudioError, match=r"n2\.generated\.wav: cannot write audio file"):
        checkpoint.write_generated(_fake_result(4), tmp_path / "out" / "wav")
    assert list(tmp_path.iterdir()) == []  # neither the two notes written nor the folders made
    monkeypatch.undo()
    assert len(list(checkpoint.write_generated(_fake_result(2), tmp_path / "wav").iterdir())) == 2


def test_writing_the_notes_again_leaves_no_stale_notes_of_an_earlier_evaluation(tmp_path: Path) -> None:
    from samplernn.evaluate import checkpoint

    folder = tmp_path / "wav"
    checkpoint.write_generated(_fake_result(3), folder)
    (folder / "melody_old.wav").write_bytes(b"RIFF")
    (folder / "notes.txt").write_text("mine")
    checkpoint.write_generated(_fake_result(2), folder)
    assert sorted(p.name for p in folder.iterdir()) == ["n0.generated.wav", "n1.generated.wav", "notes.txt"]


def test_write_report_where_it_cannot_is_a_user_error(tmp_path: Path) -> None:
    from samplernn.common.errors import UserError
    from samplernn.evaluate.checkpoint import write_report

    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match=r"/file/r\.json: cannot write \("):
        write_report(_fake_result(1), tmp_path / "file" / "r.json")
    with pytest.raises(UserError, match=r": cannot write \(is a directory\)"):
        write_report(_fake_result(1), tmp_path)


def test_notes_outside_the_models_range_are_named(dataset, tmp_path: Path) -> None:
    """A dataset reaching past the model's trained range (another instrument's bank): evaluate says
    how many of the split's notes lie outside it; none said for a model covering them all."""
    from conditioning.bankstats import BankStats
    from samplernn.evaluate.checkpoint import range_notice
    from samplernn.model.checkpoint import load_checkpoint

    narrow = BankStats(16000, tails={(48, 100): 800, (50, 100): 800})
    ckpt = load_checkpoint(tiny_checkpoint(tmp_path / "narrow.pt", stats=narrow))
    notice = range_notice(ckpt, dataset, "test")
    test_notes = dataset.split("test")
    outside = [n for n in test_notes if n.pitch > 50]
    assert outside and notice is not None
    assert f"{len(outside)} of {len(test_notes)} test notes" in notice and "C3–D3" in notice
    assert "(G3)" in notice  # the pitches outside, by name; those inside not listed
    # --max-notes: only the notes evaluated count (it had warned of the whole split's, none evaluated)
    inside = [n for n in test_notes if n.pitch <= 50]
    assert range_notice(ckpt, dataset, "test", inside[:2]) is None
    notice = range_notice(ckpt, dataset, "test", [inside[0], outside[0]])
    assert notice is not None and "1 of 2 evaluated test notes" in notice
    wide = BankStats(16000, tails={(40, 100): 800, (70, 100): 800})
    wide_ckpt = load_checkpoint(tiny_checkpoint(tmp_path / "wide.pt", stats=wide))
    assert range_notice(wide_ckpt, dataset, "test") is None


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"seed": -1}, "--seed must be >= 0, got -1"),  # a traceback from the generator's draw
        ({"temperature": float("inf")}, "--temperature must be a finite number >= 0, got inf"),
        ({"temperature": float("nan")}, "--temperature must be a finite number >= 0, got nan"),
    ],
)
def test_options_refuse_a_negative_seed_and_a_temperature_that_is_not_finite(given, message):
    from samplernn.evaluate.options import EvaluateOptions

    with pytest.raises(ValueError) as err:
        EvaluateOptions(**given)
    assert str(err.value) == message


def test_json_over_a_json_file_that_is_no_report_is_refused(tmp_path: Path) -> None:
    """`--json other_dataset/dataset.json` (a .json, but not of the input dataset) was replaced by
    the report, exit 0, leaving that dataset unreadable; an existing .json is now written over only
    when it is an earlier evaluate report."""
    from samplernn.common.errors import UserError
    from samplernn.evaluate.checkpoint import check_outputs

    other = tmp_path / "other_ds" / "dataset.json"
    other.parent.mkdir()
    other.write_text(json.dumps({"created_by": "samplernn prepare", "sample_rate": 16000}))
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    for target in (other, broken):
        with pytest.raises(UserError, match=r"\.json: exists and is not an evaluate report"):
            check_outputs(json_path=target)
    earlier = tmp_path / "report.json"  # an earlier report is written again
    earlier.write_text(json.dumps({"bars": [], "definitions": {}, "passed": True}))
    check_outputs(json_path=earlier)


def test_plots_whose_picture_cannot_be_written_is_refused_before_the_evaluation(tmp_path: Path) -> None:
    """`--plots DIR` with a folder named DIR/spectrograms.png ran the whole evaluation and failed
    only then ("cannot write (is a directory)"); it is now refused before."""
    from samplernn.common.errors import UserError
    from samplernn.evaluate.checkpoint import check_outputs

    (tmp_path / "plots" / "spectrograms.png").mkdir(parents=True)
    with pytest.raises(UserError, match=r"plots/spectrograms\.png: is a folder"):
        check_outputs(plots=tmp_path / "plots")
    check_outputs(plots=tmp_path / "new")  # a folder still to make is fine, and is not made
    assert not (tmp_path / "new").exists()


def test_audio_folder_in_the_banks_recordings_or_of_someones_files_is_refused(tmp_path: Path) -> None:
    """`--audio bank1` once wrote Trombone_D3_ff.generated.wav among the recordings the dataset
    was prepared from, and the next prepare took it for a real note."""
    from samplernn.common.errors import UserError
    from samplernn.evaluate.checkpoint import check_outputs

    bank, ds, melodies = tmp_path / "bank", tmp_path / "ds", tmp_path / "melodies"
    for folder in (bank / "ff", ds, melodies):
        folder.mkdir(parents=True)
    (bank / "ff" / "D3.wav").write_bytes(b"RIFF")
    (ds / "dataset.json").write_text(json.dumps({"source": str(bank)}))
    (melodies / "a.mid").write_bytes(b"MThd")
    for audio, fragment in [(bank, "lies in the recordings the dataset was prepared from"),
                            (bank / "new", "lies in the recordings the dataset was prepared from"),
                            (melodies / "wav", "lies in the melodies"),
                            (tmp_path / "bank", "lies in the recordings")]:
        with pytest.raises(UserError, match=fragment):
            check_outputs(audio=audio, dataset=ds, melodies=melodies)
    mine = tmp_path / "mine"
    (mine / "takes").mkdir(parents=True)
    (mine / "takes" / "kick.flac").write_bytes(b"fLaC")
    with pytest.raises(UserError, match=r"mine: holds recordings or MIDI files evaluate did not write \(tak"):
        check_outputs(audio=mine, dataset=ds)
    earlier = tmp_path / "earlier"  # an earlier evaluation's folder is written again
    earlier.mkdir()
    for name in ("n1.generated.wav", "melody_scale.wav", "missing_61.wav", "notes.txt"):
        (earlier / name).write_bytes(b"x")
    check_outputs(audio=earlier, dataset=ds, melodies=melodies)
    check_outputs(audio=tmp_path / "new", dataset=ds, melodies=melodies)
    assert (earlier / "melody_scale.wav").is_file() and not (tmp_path / "new").exists()


def test_a_dataset_other_than_the_one_trained_on_is_said(dataset) -> None:
    from types import SimpleNamespace

    from samplernn.evaluate.checkpoint import dataset_notice
    from samplernn.train.data import dataset_fingerprint

    own = dataset_fingerprint(dataset.split("train"))
    assert dataset_notice(SimpleNamespace(payload={"dataset": {"fingerprint": own}}), dataset) is None
    assert dataset_notice(SimpleNamespace(payload={}), dataset) is None  # a model that records none
    said = dataset_notice(SimpleNamespace(payload={"dataset": {"fingerprint": "0" * 16}}), dataset)
    assert said.startswith(f"{dataset.root}: not the dataset the model was trained on")


def test_help_says_every_outputs_name_and_the_default_of_max_notes() -> None:
    """`evaluate --help` gave --max-notes no default (it is every note of the split) and did not say
    which files --plots and --audio write into their folder."""
    from samplernn.cli import app

    out = " ".join(CliRunner().invoke(app, ["evaluate", "--help"], env={"COLUMNS": "300"}).output.split())
    assert "default: every note of the split" in out
    assert "spectrograms.png into this folder" in out and "<id>.generated.wav" in out


def test_seeds_table_says_n_a_for_a_bar_no_seed_measured() -> None:
    """`--seeds 2 --no-velocity-sweep` printed "0 / 2" under passed for the bars not measured (the
    JSON: passed null), as if both seeds had failed them; they now read "n/a", and a bar judged on
    some seeds only counts those."""
    from rich.console import Console

    from samplernn.evaluate.view import seeds_table

    def bar(name: str, value: float | None, passed: bool | None) -> dict:
        return {"name": name, "value": value, "target": ">= 80%", "passed": passed}

    runs = [{"seed": s, "passed": True, "bars": [bar("RMS rising with velocity", None, None),
                                                 bar("pitch accuracy", 1.0, True),
                                                 bar("melody pitch", p, ok)]}
            for s, p, ok in ((0, None, None), (1, 0.5, False))]
    console = Console(record=True, width=200)
    console.print(seeds_table(runs))
    rows = {line.split("│")[1].strip(): line.split("│")[-2].strip()
            for line in console.export_text().splitlines() if line.startswith("│")}
    assert rows == {"RMS rising with velocity": "n/a", "pitch accuracy": "2 / 2", "melody pitch": "0 / 1"}


def test_the_nll_row_says_it_is_of_the_real_notes(oracle) -> None:
    """The NLL (of the real notes under the model) sat in the "generated" column as "NLL
    bits/sample", read as the generated notes' likelihood; its label now says whose it is."""
    from rich.console import Console

    from samplernn.evaluate.view import summary_table

    report = {**oracle.report, "nll": {"overall": 1.5, "per_pitch": {}, "n_samples": 10}}
    console = Console(record=True, width=200)
    console.print(summary_table(report))
    assert "NLL of the real notes, bits/sample" in console.export_text()
