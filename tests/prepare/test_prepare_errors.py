"""Bad input: each bad file is named with its reason, good files still prepare, sources stay as they were."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from support.audio import tone, write_audio, write_midi

from samplernn.common.errors import UserError
from samplernn.data.dataset import load_dataset
from samplernn.prepare import PrepareSettings, prepare_bank

SR = 44100


def corrupt_audio(src: Path) -> str:
    write_midi(src / "bad.mid", [(60, 100, 0.05, 0.3)])
    (src / "bad.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt garbage" + bytes(range(200)))
    return "unreadable audio file"


def zero_byte_audio(src: Path) -> str:
    write_midi(src / "bad.mid", [(60, 100, 0.05, 0.3)])
    (src / "bad.wav").write_bytes(b"")
    return "empty file (0 bytes), not audio"


def empty_audio(src: Path) -> str:
    write_midi(src / "bad.mid", [(60, 100, 0.05, 0.3)])
    sf.write(src / "bad.wav", np.zeros(0, np.float32), SR)
    return "holds no samples"


def truncated_audio(src: Path) -> str:
    """A WAV cut short (an interrupted copy): its header promises more than the file holds."""
    write_midi(src / "bad.mid", [(60, 100, 0.2, 0.6)])
    write_audio(src / "bad.wav", tone(SR, 60, 0.2, 0.6, total=1.0), SR)
    data = (src / "bad.wav").read_bytes()
    (src / "bad.wav").write_bytes(data[: len(data) // 8])
    return "the file ends early: its header promises 1.000 s"


def unreadable_midi(src: Path) -> str:
    write_audio(src / "bad.wav", tone(SR, 60, 0.05, 0.3), SR)
    (src / "bad.mid").write_bytes(b"MThd\x00\x00\x00\x06 not really midi")
    return "unreadable MIDI"


def midi_without_notes(src: Path) -> str:
    write_audio(src / "bad.wav", tone(SR, 60, 0.05, 0.3), SR)
    write_midi(src / "bad.mid", [])
    return "holds no notes"


def audio_without_midi(src: Path) -> str:
    write_audio(src / "bad.wav", tone(SR, 60, 0.05, 0.3), SR)
    return "no matching MIDI file"


def silent_recording(src: Path) -> str:
    write_audio(src / "bad.wav", np.zeros(SR // 2, np.float32), SR)
    write_midi(src / "bad.mid", [(60, 100, 0.05, 0.3)])
    return "silent recording"


def cancelling_channels(src: Path) -> str:
    x = tone(SR, 60, 0.05, 0.3)
    write_audio(src / "bad.wav", np.stack([x, -x], axis=1), SR)  # loud channels, one phase-inverted
    write_midi(src / "bad.mid", [(60, 100, 0.05, 0.3)])
    return "its channels cancel in the mono mix-down (a channel peaks at -"


def midi_audio_disagree(src: Path) -> str:
    write_audio(src / "bad.wav", tone(SR, 60, 0.05, 0.3, total=1.2), SR)
    write_midi(src / "bad.mid", [(60, 100, 0.5, 0.75)])  # note-on 450 ms after the sound starts
    return "ms, tolerance ±100 ms"


CASES = [corrupt_audio, zero_byte_audio, empty_audio, truncated_audio, unreadable_midi, midi_without_notes,
         audio_without_midi, silent_recording, cancelling_channels, midi_audio_disagree]


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("normalize", ["bank", "per-file"])
@pytest.mark.parametrize("make_bad", CASES, ids=[c.__name__ for c in CASES])
def test_bad_file_is_named_and_good_files_prepare(tmp_path, note_pair, make_bad, normalize):
    src = tmp_path / "src"
    note_pair(src, "good1", pitch=60)
    note_pair(src, "good2", pitch=62)
    reason = make_bad(src)
    before = digest(src)
    result = prepare_bank(src, tmp_path / "out", PrepareSettings(normalize=normalize))
    assert [n.id for n in load_dataset(tmp_path / "out").notes] == ["good1", "good2"]
    assert len(result.failures) == 1, result.failures
    message = result.failures[0].message
    assert "bad." in message and reason in message and "\n" not in message
    assert digest(src) == before


def test_disagreement_reports_the_offset(tmp_path, note_pair):
    note_pair(tmp_path / "src", "good")
    midi_audio_disagree(tmp_path / "src")
    result = prepare_bank(tmp_path / "src", tmp_path / "out")
    message = result.failures[0].message
    assert "bad.wav" in message and "bad.mid" in message and "-45" in message  # -450 ms, ±1 ms of detection
    loose = prepare_bank(tmp_path / "src", tmp_path / "out", PrepareSettings(tolerance_ms=600))
    assert not loose.failures and loose.n_notes == 2


def test_overlapping_session_notes(tmp_path):
    notes = [(48, 90, 0.2, 0.6), (52, 90, 0.5, 0.9), (55, 90, 1.5, 1.8)]  # the first two overlap
    x = sum(tone(SR, p, a, b, total=2.2) for p, _, a, b in notes) * 0.5
    write_audio(tmp_path / "src" / "session.wav", x, SR)
    write_midi(tmp_path / "src" / "session.mid", notes)
    result = prepare_bank(tmp_path / "src", tmp_path / "out")
    assert [n.pitch for n in load_dataset(tmp_path / "out").notes] == [55]
    (failure,) = result.failures
    assert "session.wav" in failure.message and "overlap" in failure.message and "0.500 s" in failure.message
    assert "--legato" in failure.message
    legato = prepare_bank(tmp_path / "src", tmp_path / "legato", PrepareSettings(legato=True))
    assert not legato.failures
    ds = load_dataset(tmp_path / "legato")
    got = [(n.pitch, (n.release - n.onset) / ds.sample_rate) for n in ds.notes]
    assert [p for p, _ in got] == [48, 52, 55]
    assert abs(got[0][1] - 0.3) < 0.02  # held to the next note-on at 0.5 s, not its own off at 0.6
    assert not any("no release tail" in n.message for n in legato.notices)  # cut by the option, not short


def test_all_bad_is_an_error_and_writes_nothing(tmp_path):
    silent_recording(tmp_path / "src")
    with pytest.raises(UserError, match=r"no note could be prepared, read as the \w+ layout \(detected; "
                                        r"--layout to choose\).*silent recording"):
        prepare_bank(tmp_path / "src", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_short_unnamed_sounds_read_as_recordings_point_to_the_drumkit_layout(tmp_path):
    """Three 0.3 s hits with no piece in their names: detected as plain recordings, none long
    enough for a chunk; the error says what the folder probably holds and which layout reads it."""
    rng = np.random.default_rng(0)
    for i in range(3):
        hit = (0.3 * rng.standard_normal(round(0.3 * SR)) * np.exp(-np.arange(round(0.3 * SR)) / 2000))
        write_audio(tmp_path / "src" / f"hit{i}.wav", hit.astype(np.float32), SR)
    with pytest.raises(UserError, match=r"no stretch of sound lasts .*one-shots\? --layout drumkit reads"):
        prepare_bank(tmp_path / "src", tmp_path / "out")


def test_out_inside_src_or_src_inside_out(tmp_path, note_pair):
    note_pair(tmp_path / "bank" / "src", "a")
    before = digest(tmp_path / "bank")
    with pytest.raises(UserError, match="inside SRC"):
        prepare_bank(tmp_path / "bank" / "src", tmp_path / "bank" / "src" / "out")
    with pytest.raises(UserError, match="inside SRC"):
        prepare_bank(tmp_path / "bank" / "src", tmp_path / "bank" / "src")
    with pytest.raises(UserError, match="contains SRC"):
        prepare_bank(tmp_path / "bank" / "src", tmp_path / "bank")
    assert digest(tmp_path / "bank") == before


def test_out_is_not_the_current_folder(tmp_path, note_pair, monkeypatch):
    """An empty current folder is no OUT: replacing it would leave the shell in a deleted folder
    (and its staging folder, made beside OUT, would land inside it)."""
    note_pair(tmp_path / "src", "a")
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    for out in (".", str(tmp_path / "here")):
        with pytest.raises(UserError, match="current folder"):
            prepare_bank(tmp_path / "src", out)
    assert list((tmp_path / "here").iterdir()) == []


def test_out_holding_something_else(tmp_path, note_pair):
    note_pair(tmp_path / "src", "a")
    out = tmp_path / "out"
    out.mkdir()
    (out / "thesis.pdf").write_bytes(b"precious")
    with pytest.raises(UserError, match="not made by `samplernn prepare`"):
        prepare_bank(tmp_path / "src", out)
    assert [p.name for p in out.iterdir()] == ["thesis.pdf"]
    # an earlier output with someone's file added is not replaced either
    prepare_bank(tmp_path / "src", tmp_path / "out2")
    (tmp_path / "out2" / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match="out2"):
        prepare_bank(tmp_path / "src", tmp_path / "out2")
    assert (tmp_path / "out2" / "notes.txt").read_text() == "mine"


def test_an_earlier_output_holding_files_prepare_did_not_write_is_refused_naming_them(tmp_path, note_pair):
    for p in (60, 62, 64):
        note_pair(tmp_path / "src", f"n{p}", pitch=p)
    out = tmp_path / "out"
    prepare_bank(tmp_path / "src", out)
    (out / "audio" / "mine.txt").write_text("mine")  # inside audio/: used to go without a word
    before = digest(out)
    with pytest.raises(UserError) as err:
        prepare_bank(tmp_path / "src", out)
    assert str(err.value) == (
        f"{out}: an earlier `samplernn prepare` output that also holds files prepare did not write "
        "(audio/mine.txt), which a new prepare there would delete; move them or choose another folder")
    for extra in ("NOTES.md", "zz1.txt", "zz2.txt"):
        (out / extra).write_text("mine")
    (out / "myrun").mkdir()
    (out / "myrun" / "run.json").write_text("{}")
    with pytest.raises(UserError, match=r"did not write \(NOTES\.md, audio/mine\.txt, myrun/ and 2 more\), "
                                        "which a new prepare there would delete"):
        prepare_bank(tmp_path / "src", out)
    assert {k: v for k, v in digest(out).items() if k in before} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "src"]  # no staging folder left


def test_a_rerun_replaces_what_prepare_wrote_and_keeps_inspect_pictures(tmp_path, note_pair):
    from samplernn.prepare.inspect import inspect_dataset

    for p in (60, 62, 64, 65):
        note_pair(tmp_path / "src", f"n{p}", pitch=p)
    out = tmp_path / "out"
    prepare_bank(tmp_path / "src", out)
    png = inspect_dataset(out)  # its default place: inside the dataset folder
    assert png.parent == out
    (out / "overview.PNG").write_bytes(b"another picture")
    (out / ".DS_Store").write_bytes(b"finder")
    (out / "audio" / ".DS_Store").write_bytes(b"finder")
    picture = png.read_bytes()
    for suffix in (".wav", ".mid"):
        (tmp_path / "src" / f"n65{suffix}").unlink()  # a note gone from the bank goes from OUT too
    result = prepare_bank(tmp_path / "src", out)
    assert result.n_notes == 3
    assert sorted(p.name for p in (out / "audio").iterdir()) == ["n60.wav", "n62.wav", "n64.wav"]
    assert png.read_bytes() == picture and (out / "overview.PNG").read_bytes() == b"another picture"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "src"]


def test_a_file_added_to_out_during_the_run_stops_the_swap(tmp_path, note_pair, monkeypatch):
    import samplernn.prepare.run as run

    for p in (60, 62, 64):
        note_pair(tmp_path / "src", f"n{p}", pitch=p)
    out = tmp_path / "out"
    prepare_bank(tmp_path / "src", out)
    manifest = (out / "manifest.csv").read_text()
    real = run.write_manifest

    def meanwhile(*args, **kwargs):
        (out / "added.txt").write_text("written while prepare ran")
        return real(*args, **kwargs)

    monkeypatch.setattr(run, "write_manifest", meanwhile)
    with pytest.raises(UserError, match=r"did not write \(added\.txt\), which a new prepare there"):
        prepare_bank(tmp_path / "src", out, PrepareSettings(sample_rate=8000))
    assert (out / "added.txt").exists() and (out / "manifest.csv").read_text() == manifest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "src"]


def test_missing_src_or_no_recordings(tmp_path):
    with pytest.raises(UserError, match="nowhere: no such folder$"):
        prepare_bank(tmp_path / "nowhere", tmp_path / "out")
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(UserError, match="a.txt: not a folder"):
        prepare_bank(tmp_path / "a.txt", tmp_path / "out")
    write_midi(tmp_path / "only_midi" / "a.mid", [(60, 100, 0.0, 0.5)])
    with pytest.raises(UserError, match="no .wav or .flac"):
        prepare_bank(tmp_path / "only_midi", tmp_path / "out")


def test_folder_midi_take_without_midi_and_bad_midi_named_once(tmp_path):
    src = tmp_path / "src"
    write_midi(src / "C3" / "C3.mid", [(48, 90, 0.0, 0.3)])
    write_midi(src / "D3" / "D3.mid", [(50, 90, 0.0, 0.3), (52, 90, 0.4, 0.6)])  # two notes: unusable
    for folder, pitch in (("C3", 48), ("D3", 50), ("E3", 52)):  # E3 has no MIDI file at all
        for k in (1, 2):
            write_audio(src / folder / f"take{k}.wav", tone(SR, pitch, 0.1, 0.4), SR)
    result = prepare_bank(src, tmp_path / "out")
    assert result.layout == "folder-midi" and result.n_notes == 2
    messages = [f.message for f in result.failures]
    assert len(messages) == 3
    assert sum("D3.mid: holds 2 notes" in m for m in messages) == 1
    assert all("no matching MIDI" in m for m in messages if "E3" in m)


def test_when_nothing_is_prepared_every_failure_is_listed(tmp_path):
    """A kit none of whose instruments has a General MIDI key: every name a --map needs is listed
    before the one-line error (only the first was shown), with no "listed in dataset.json" (none is
    written)."""
    from typer.testing import CliRunner

    from samplernn.cli import app

    kit = tmp_path / "African"
    names = [f"Djembe{k} Slap" for k in range(3)]
    instruments = "".join(f"<instrument><id>{k}</id><filename>d{k}.wav</filename><name>{n}</name>"
                          "</instrument>" for k, n in enumerate(names))
    kit.mkdir()
    (kit / "drumkit.xml").write_text(f"<drumkit_info><name>A</name><instrumentList>{instruments}"
                                     "</instrumentList></drumkit_info>")
    for k in range(3):
        write_audio(kit / f"d{k}.wav", tone(16000, 60, 0.05, 0.2, total=0.5), 16000)
    result = CliRunner().invoke(app, ["prepare", str(kit), str(tmp_path / "out"), "--layout", "drumkit"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "failed        3" and all(any(n in line for line in lines[1:4]) for n in names)
    assert lines[-1].startswith("error: ") and "no note could be prepared" in lines[-1]
    assert "dataset.json" not in result.output and not (tmp_path / "out").exists()


def unzipped_on_a_mac(src: Path) -> None:
    """What a bank from someone else's computer holds beside its samples."""
    (src / "._C4_ff.wav").write_bytes(b"\x00\x05\x16\x07" + bytes(4092))  # AppleDouble, named as audio
    (src / "__MACOSX").mkdir()
    (src / "__MACOSX" / "._D4_ff.wav").write_bytes(b"\x00\x05\x16\x07" + bytes(4092))
    (src / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (src / ".git").mkdir()  # a hidden folder is not looked into
    (src / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (src / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0")
    (src / "README.txt").write_text("my cello\n")
    (src / "Cello.nki").write_bytes(b"\x12\x90\xa8\x7f")
    (src / "sub").mkdir()
    sf.write(src / "sub" / "E4_ff.opus", tone(48000, 64, 0.05, 0.5), 48000, format="OGG", subtype="OPUS")


@pytest.mark.parametrize("layout", ["pairs", "named"])
def test_files_not_read_are_skipped_and_said_once(tmp_path, note_pair, layout):
    """They vanished unsaid: a sample in a format the layout does not read looked like a missing
    note. Now one notice names them, and they fail nothing."""
    src = tmp_path / "src"
    if layout == "pairs":
        note_pair(src, "good1", pitch=60)
        note_pair(src, "good2", pitch=62)
        kinds = "WAV, FLAC or MIDI"
    else:
        for name, pitch in (("C4_ff", 60), ("D4_ff", 62)):
            write_audio(src / f"{name}.wav", tone(SR, pitch, 0.05, 0.5), SR)
        kinds = "WAV, AIFF, FLAC, OGG or MP3"
    unzipped_on_a_mac(src)
    before = digest(src)
    result = prepare_bank(src, tmp_path / "out", PrepareSettings(layout=layout))
    assert not result.failures and result.n_notes == 2
    (notice,) = [n.message for n in result.notices if "skipped" in n.message]
    assert notice == (f"skipped 3 files that are not {kinds}: Cello.nki, README.txt, sub/E4_ff.opus; "
                      "and 4 hidden or system files (.DS_Store, ._C4_ff.wav, Thumbs.db and 1 more)")
    assert digest(src) == before
