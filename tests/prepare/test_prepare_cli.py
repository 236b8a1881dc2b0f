"""The `samplernn prepare`, `inspect` and `bench prepare` commands through typer's CliRunner."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

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
    result = runner.invoke(app, ["inspect", str(out), "--note", "n57-v110"])  # a typo: the nearest is named
    assert result.exit_code == 1 and "the nearest: n57_v110" in result.output, result.output
    # the recording's own name finds its note
    args = ["inspect", str(out), "--note", "n57_v110.wav", "-o", str(tmp_path / "y.png")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0 and (tmp_path / "y.png").exists(), result.output
    # the picture inside OUT does not stop a re-run
    assert runner.invoke(app, ["prepare", str(bank), str(out)]).exit_code == 0


def test_inspect_draws_a_note_named_in_a_script_the_font_lacks_without_warnings(tmp_path, note_pair):
    """A bank named in Japanese: inspect printed matplotlib's 'UserWarning: Glyph 12481 (…) missing
    from font(s) DejaVu Sans.' and its source line for every letter of the title."""
    import warnings

    from samplernn.prepare.inspect import inspect_dataset

    for stem, pitch in (("チェロ_C4", 60), ("チェロ_D4", 62)):
        note_pair(tmp_path / "src", stem, pitch=pitch)
    assert runner.invoke(app, ["prepare", str(tmp_path / "src"), str(tmp_path / "out")]).exit_code == 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = inspect_dataset(tmp_path / "out", "チェロ_C4", tmp_path / "x.png")
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert not [w for w in caught if "Glyph" in str(w.message)]


@pytest.fixture
def inspect_figures(monkeypatch) -> list:
    """The matplotlib figures `inspect` draws, kept open for the test to read."""
    from contextlib import contextmanager

    from samplernn.common import plots
    from samplernn.prepare import inspect

    figures: list = []

    @contextmanager
    def keep(path, **kw):
        with plots.figure(path, **kw) as fig:
            figures.append(fig)
            yield fig

    monkeypatch.setattr(inspect, "figure", keep)
    return figures


def test_inspect_labels_say_what_the_numbers_are(tmp_path, bank, inspect_figures):
    """The bank panel's title read "bank: 4 notes per pitch and velocity" (4 is the whole bank, each
    cell holds 1) and its colour bar had no label; the marks' legend gave bare numbers ("onset
    (4000)") without saying they are sample positions."""
    from samplernn.prepare import inspect

    figures = inspect_figures
    assert runner.invoke(app, ["prepare", str(bank), str(tmp_path / "out")]).exit_code == 0
    inspect.inspect_dataset(tmp_path / "out", "n57_v110", tmp_path / "x.png")
    axes = figures[0].axes
    titles = [ax.get_title() for ax in axes]
    assert "bank: 4 notes; notes per pitch and velocity" in titles
    assert "notes" in [ax.get_ylabel() for ax in axes]  # the colour bar's
    legend = [t.get_text() for t in axes[0].get_legend().get_texts()]
    assert any(t.startswith("onset (sample ") for t in legend), legend


def test_inspect_names_a_kits_pieces_not_pitches(tmp_path, inspect_figures):
    """A drum kit's picture titled its hit "A#2 (MIDI 46)" and labelled the bank's columns C2, D2 …
    as pitches; a kit's keys are pieces, so they are named as pieces ("key 38, acoustic snare")."""
    from support.drum_kit import write_drum_dataset

    from samplernn.data.dataset import load_dataset
    from samplernn.prepare import inspect
    from samplernn.prepare.sources.gm_drums import piece_name

    figures = inspect_figures
    kit = write_drum_dataset(tmp_path / "kit")
    note = load_dataset(kit).notes[0]
    inspect.inspect_dataset(kit, note.id, tmp_path / "x.png")
    axes = figures[0].axes
    assert f"key {note.pitch}, {piece_name(note.pitch)}" in axes[0].get_title(), axes[0].get_title()
    bank = next(ax for ax in axes if ax.get_title().startswith("bank:"))
    assert bank.get_xlabel() == "piece" and bank.get_title().endswith("notes per piece and velocity")
    assert piece_name(note.pitch) in [t.get_text() for t in bank.get_xticklabels()]


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


@pytest.mark.parametrize("args, fragment, status", [
    (["{src}", "{src}/out"], "OUT lies inside SRC", 1),
    (["{tmp}/missing", "{tmp}/out"], "missing: no such folder", 1),
    (["{src}/n55_v60.mid", "{tmp}/out"], "n55_v60.mid: not a folder", 1),
    # the lead silence is the layout's default, known once the layout is detected: still the option's
    (["{src}", "{tmp}/out", "--length", "0.1"], "must exceed the lead silence (0.25 s), the default of "
                                                "the pairs layout detected in", 2),
    (["{src}", "{tmp}/out", "--layout", "pairs", "--length", "0.1"], "must exceed the lead silence", 2),
    (["{src}", "{tmp}/out", "--seed", "-1"], "--seed must be >= 0, got -1", 2),  # as train's and synth's
    # a fade-out longer than the note after its lead would fade its attack
    (["{src}", "{tmp}/out", "--fade", "10", "--length", "2"], "fade 10 s is longer than the length 2 s", 2),
    (["{src}", "{tmp}/out", "--fade", "1.9", "--length", "2"],
     "fade 1.9 s is longer than what the length 2 s leaves after the lead silence (1.75 s)", 2),
    (["{src}", "{tmp}/out", "--tail-silence", "inf"], "tail silence must be a finite number", 2),
    (["{src}", "{tmp}/out", "--lead-silence", "nan"], "lead silence must be a finite number", 2),
    (["{src}", "{tmp}/out", "--tail-silence", "1e6"], "at most 60 s", 2),
    (["{src}", "{tmp}/out", "--length", "1e5"], "length must be within 0..3600 s", 2),
    (["{src}", "{tmp}/out", "--length", "0"], "length must be within 0..3600 s", 2),
    (["{src}", "{tmp}/out", "--pattern", "{nonsense"], "unbalanced or empty braces", 2),
    (["{src}", "{tmp}/out", "--pattern", ""], "pattern '' needs exactly one of", 2),  # was ignored
    (["", "{tmp}/out"], "SRC is empty", 2),  # typer read '' as '.': it prepared the current folder
    (["{src}", " "], "OUT is empty", 2),
    # a tiny chunk looped for ever in the cutting (t + 1e-16 == t), a small one made millions of files
    (["{src}", "{tmp}/out", "--layout", "audio", "--chunk-seconds", "1e-16"], "within 0.5..3600 s", 2),
])
def test_user_errors_are_one_line(tmp_path, bank, args, fragment, status):
    """Settings out of range are usage mistakes (exit status 2); what the bank holds, user errors (1)."""
    argv = [a.replace("{src}", str(bank)).replace("{tmp}", str(tmp_path)) for a in args]
    result = runner.invoke(app, ["prepare", *argv])
    assert result.exit_code == status
    assert error_lines(result.output) == [line for line in result.output.splitlines() if line.strip()]
    assert len(error_lines(result.output)) == 1 and fragment in result.output


@pytest.mark.parametrize("value, fragment, status", [
    ('{"X": 200}', 'prepare: --map: "X" maps to 200, not a MIDI key number 0..127', 2),
    # the name and its value as the map writes them (was "key True of 'redo super opaco'")
    ('{"redo super opaco": true}', '--map: "redo super opaco" maps to true, not a MIDI key number', 2),
    ('{"Cowbell": "56"}', '--map: "Cowbell" maps to "56", not a MIDI key number 0..127', 2),
    ("[38]", "prepare: --map: the drum map must be a JSON object of names to keys", 2),
    ("{oops", "prepare: --map: the drum map is not valid JSON", 2),
    ("{tmp}/none.json", "none.json: cannot read the drum map", 1),
    ("{tmp}/bad.json", 'bad.json: "X" maps to 200, not a MIDI key number 0..127', 1),
])
def test_a_map_the_option_cannot_take_exits_2_and_a_bad_map_file_1(tmp_path, value, fragment, status):
    """--map JSON on the command line that is no map of names to keys is a usage mistake (2); a map
    file that cannot be read or holds such a map, a mistake in a file (1), as for other file options."""
    from support.audio import tone, write_audio

    write_audio(tmp_path / "kit" / "kick.wav", tone(8000, 40, 0.01, 0.2), 8000)
    (tmp_path / "bad.json").write_text('{"X": 200}')
    argv = [str(tmp_path / "kit"), str(tmp_path / "out"), "--layout", "drumkit"]
    result = runner.invoke(app, ["prepare", *argv, "--map", value.replace("{tmp}", str(tmp_path))])
    assert result.exit_code == status, result.output
    assert len(error_lines(result.output)) == 1 and fragment in error_lines(result.output)[0], result.output
    assert ("prepare --help')" in result.output) == (status == 2)
    assert not (tmp_path / "out").exists()


def only_error_line(result) -> str:
    """The one line the command printed, an `error:` line; no traceback, no exception but the exit."""
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines == error_lines(result.output), result.output
    return lines[0]


def test_an_unwritable_out_is_one_line_before_any_work(tmp_path, bank, monkeypatch):
    (tmp_path / "file").write_text("x")
    line = only_error_line(runner.invoke(app, ["prepare", str(bank), str(tmp_path / "file" / "out")]))
    assert f"{tmp_path / 'file' / 'out'}: cannot be made, {tmp_path / 'file'} is a file" in line

    import samplernn.prepare.run

    def no_discovery(*args, **kwargs):
        raise AssertionError("the bank was read before OUT was checked")

    monkeypatch.setattr(samplernn.prepare.run, "discover_bank", no_discovery)
    real = os.statvfs

    def statvfs(path):  # tmp_path/ro looks like a read-only mount (chmod does not stop root)
        fields = list(real(path))
        if Path(path) == tmp_path / "ro":
            fields[8] |= os.ST_RDONLY
        return os.statvfs_result(fields)

    (tmp_path / "ro").mkdir()
    monkeypatch.setattr(os, "statvfs", statvfs)
    line = only_error_line(runner.invoke(app, ["prepare", str(bank), str(tmp_path / "ro" / "x")]))
    assert f"{tmp_path / 'ro' / 'x'}: cannot write in {tmp_path / 'ro'} (read-only file system)" in line


def test_a_full_disk_is_one_line_and_leaves_nothing(tmp_path, bank, monkeypatch):
    import samplernn.data.manifest

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(samplernn.data.manifest.csv, "writer", full)
    out = tmp_path / "new" / "out"
    line = only_error_line(runner.invoke(app, ["prepare", str(bank), str(out)]))
    assert f"{out}/manifest.csv: cannot write (no space left on device)" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]  # no OUT, staging or parent folder


def test_inspect_to_an_unusable_png_is_one_line(tmp_path, bank):
    out = tmp_path / "out"
    assert runner.invoke(app, ["prepare", str(bank), str(out), "--sample-rate", "8000"]).exit_code == 0
    (tmp_path / "file").write_text("x")
    line = only_error_line(runner.invoke(app, ["inspect", str(out), "-o", str(tmp_path / "file" / "a.png")]))
    assert f"{tmp_path / 'file' / 'a.png'}: cannot be made" in line
    line = only_error_line(runner.invoke(app, ["inspect", str(out), "-o", str(tmp_path)]))
    assert f"{tmp_path}: is a folder" in line
    assert not list(tmp_path.glob(".*"))  # no temporary picture left
    before = (out / "dataset.json").read_bytes()
    result = runner.invoke(app, ["inspect", str(out), "-o", str(out / "dataset.json")])
    assert result.exit_code == 2 and "dataset.json: give a .png file name" in result.output  # a usage error
    assert (out / "dataset.json").read_bytes() == before  # the dataset is not replaced by a picture


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


def test_named_samples_are_detected_and_a_mislabelled_one_fails_unless_trusted(tmp_path):
    from support.audio import tone, write_audio

    src = tmp_path / "cello"
    for name, pitch in (("C3", 48), ("D3", 50), ("A3", 60)):  # the A3 file sounds C4
        write_audio(src / f"cello_{name}_1_forte_arco-normal.wav", tone(8000, pitch, 0.01, 0.4), 8000)
    out = tmp_path / "out"
    result = runner.invoke(app, ["prepare", str(src), str(out), "--sample-rate", "8000"])
    assert result.exit_code == 1 and "(layout named)" in result.output
    assert "named A3 but sounds C4" in result.output and len(error_lines(result.output)) == 1
    assert "pitch check   names against the tracker: 1 off, 2 ok" in result.output
    result = runner.invoke(app, ["prepare", str(src), str(out), "--sample-rate", "8000", "--trust-names",
                                 "--chunk-seconds", "4", "--as-recorded", "--fade", "0.5"])
    assert result.exit_code == 0 and "prepared 3 notes" in result.output
    assert "--fade applies with --length only" in result.output
    assert "kept (--trust-names)" in result.output
    assert "--chunk-seconds applies to the audio layout" in result.output
    assert "--as-recorded applies to the sfz and drumkit layouts only; ignored for named" in result.output
    assert runner.invoke(app, ["inspect", str(out)]).exit_code == 0


def test_audio_layout_prepares_chunks_and_inspect_draws_them(tmp_path):
    import numpy as np
    from support.audio import write_audio

    t = np.arange(3 * 8000) / 8000
    x = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    write_audio(tmp_path / "album" / "01 Track.flac", x, 8000)
    out = tmp_path / "out"
    result = runner.invoke(app, ["prepare", str(tmp_path / "album"), str(out), "--sample-rate", "8000",
                                 "--chunk-seconds", "1", "--val", "0.34", "--test", "0.33"])
    assert result.exit_code == 0, result.output
    assert "prepared 3 chunks" in result.output and "(layout audio)" in result.output
    assert "train with --no-conditioning" in result.output and "chunks 1.00–1.00 s" in result.output
    png = tmp_path / "chunk.png"
    result = runner.invoke(app, ["inspect", str(out), "-o", str(png)])
    assert result.exit_code == 0 and png.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("args, fragment", [
    (["--layout", "drumkit", "--map", "{oops"], "the drum map is not valid JSON"),
    (["--layout", "nsynth"], "not an NSynth folder"),
    (["--middle-c", "C9"], "'C9' is not one of"),
    ([], "cannot tell the layout"),
])
def test_layout_errors_are_one_line(tmp_path, args, fragment):
    from support.audio import tone, write_audio

    src = tmp_path / "mixed"
    write_audio(src / "C4.wav", tone(8000, 60, 0.01, 0.2), 8000)
    write_audio(src / "kick.wav", tone(8000, 40, 0.01, 0.2), 8000)
    write_audio(src / "take.wav", tone(8000, 62, 0.01, 0.2), 8000)
    result = runner.invoke(app, ["prepare", str(src), str(tmp_path / "out"), *args])
    assert result.exit_code != 0
    assert fragment in result.output, result.output
    if fragment != "'C9' is not one of":  # typer's own usage error is a box, not ours
        assert len(error_lines(result.output)) == 1


def test_inspect_finds_a_note_by_its_source_as_the_manifest_or_prepare_writes_it(tmp_path):
    from types import SimpleNamespace

    from samplernn.common.errors import UserError
    from samplernn.prepare.inspect import find_note

    notes = [SimpleNamespace(id=f"take-{k:03d}", source=f"take.wav#{k}") for k in (1, 2, 3)]
    notes.append(SimpleNamespace(id="Cello_A3__ff_", source="A/Cello_A3_[ff].wav"))
    notes.append(SimpleNamespace(id="Viola_C_2_rr1", source="Viola_C#2_rr1.wav"))  # a '#' of its name
    notes.append(SimpleNamespace(id="Viola_C_3_rr1", source="Viola_C#3_rr1.wav"))
    ds = SimpleNamespace(root=tmp_path / "data", notes=notes)
    assert find_note(ds, "Viola_C#2_rr1").id == "Viola_C_2_rr1"  # its stem: was cut at the '#'
    assert find_note(ds, "take.wav#3").id == "take-003"  # the manifest's own source
    assert find_note(ds, "bank/A/Cello_A3_[ff].wav").id == "Cello_A3__ff_"  # the path prepare printed
    assert find_note(ds, "Cello_A3_[ff]").id == "Cello_A3__ff_"
    with pytest.raises(UserError, match=r"3 notes were prepared from 'take.wav' \(take.wav#1, take"):
        find_note(ds, "take.wav")  # a session's recording: which of its notes is not said


def test_a_pattern_reads_a_plain_folder_as_named_samples(tmp_path):
    from support.audio import tone, write_audio

    src = tmp_path / "src"
    for pitch in (48, 50):  # 'C_48': no note name the auto-detection knows: it saw plain recordings
        write_audio(src / f"C_{pitch}.wav", tone(8000, pitch, 0.01, 0.4), 8000)
    result = runner.invoke(app, ["prepare", str(src), str(tmp_path / "out"), "--sample-rate", "8000",
                                 "--pattern", "C_{midi}"])
    assert result.exit_code == 0 and "(layout named)" in result.output, result.output
    assert "prepared 2 notes" in result.output


def test_a_bank_of_one_pitch_names_it_once(tmp_path, note_pair):
    # the summary read 'pitches       1 (G3–G3)', as render's 'rendered 2 notes (D3–D3)'
    for velocity in (60, 110):
        note_pair(tmp_path / "src", f"n55_v{velocity}", pitch=55, velocity=velocity)
    result = runner.invoke(app, ["prepare", str(tmp_path / "src"), str(tmp_path / "out"), "--sample-rate",
                                 "8000"])  # fmt: skip
    assert result.exit_code == 0 and "pitches       1 (G3), velocities" in result.output, result.output


def _session(folder: Path, name: str, late: float) -> None:
    """A recording of 5 notes (0.6 s held, 0.4 s apart) and its MIDI file, `late` seconds behind it."""
    from support.audio import tone, write_audio, write_midi

    notes = [(p, 90, 0.3 + 1.0 * k, 0.9 + 1.0 * k) for k, p in enumerate((48, 50, 52, 53, 55))]
    write_audio(folder / f"{name}.wav", sum(tone(16000, p, a, b, total=5.5) for p, _, a, b in notes), 16000)
    write_midi(folder / f"{name}.mid", [(p, v, a + late, b + late) for p, v, a, b in notes])


def test_a_session_midi_shifted_as_a_whole_is_said_once_per_recording(tmp_path):
    """A MIDI file 300 ms late against its recording failed each of its notes with the same line,
    listed once per note; docs/layouts.md says one message: the listing (and the error, when no
    note was prepared) gives it once for the recording, while dataset.json keeps every note."""
    src = tmp_path / "src"
    _session(src, "good", 0.0)
    _session(src, "late", 0.3)
    out = tmp_path / "out"
    result = runner.invoke(app, ["prepare", str(src), str(out), "--layout", "session", "--skip-bad"])
    assert result.exit_code == 0, result.output
    said = [line for line in result.output.splitlines() if "late.mid is about" in line]
    assert len(said) == 1 and "late.wav (all 5 notes): late.mid is about 300 ms late" in said[0], said
    assert "failed        5" in result.output  # the notes are counted, as the other session failures
    result = runner.invoke(app, ["prepare", str(src), str(out), "--layout", "session"])
    assert result.exit_code == 1 and "error: 5 note(s) failed (listed above)" in result.output  # not file(s)
    failures = json.loads((out / "dataset.json").read_text())["failures"]
    assert len(failures) == 5 and all("late.mid is about 300 ms late" in f["reason"] for f in failures)
    (src / "good.wav").unlink()
    (src / "good.mid").unlink()
    result = runner.invoke(app, ["prepare", str(src), str(tmp_path / "none"), "--layout", "session"])
    assert result.exit_code == 1 and result.output.count("late.mid is about") == 1, result.output
