"""The named layout: a folder of one file per note, names in any common scheme; root keys; pitch
checks against a tracker."""

from __future__ import annotations

import struct

import numpy as np
import pytest
import soundfile as sf
from support.audio import tone, write_audio

from samplernn.common.errors import UserError
from samplernn.prepare.sources import NamedOptions, named_notes, to_discovery, verify_pitches
from samplernn.prepare.sources.pitch_check import analysis_rate, check_pitch, judge
from samplernn.prepare.sources.root_key import RootKey, read_root_key

SR = 16000


def note_file(path, pitch, fmt=None, length=0.5):
    x = tone(SR, pitch, 0.02, 0.02 + length, tail=0.1)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, x, SR, format=fmt)
    return path


def test_every_scheme_in_one_library(tmp_path):
    src = tmp_path / "lib"
    note_file(src / "phil" / "trumpet_A4_1_forte_normal.wav", 69)
    note_file(src / "iowa" / "Horn.ff.C4.stereo.aif", 60, fmt="AIFF")
    note_file(src / "iowa" / "Horn.pp.C4.stereo.aiff", 60, fmt="AIFF")
    note_file(src / "iowa" / "Horn.mf.C4.stereo.aifc", 60, fmt="AIFF")  # AIFF-C: was skipped as not AIFF
    note_file(src / "plain" / "C4_100.flac", 60)
    note_file(src / "plain" / "Db3_64.ogg", 49)
    note_file(src / "layers" / "Piano_C3_v1.wav", 48)
    note_file(src / "layers" / "Piano_C3_v2.wav", 48)
    found = named_notes(src)
    assert not found.failures
    got = {n.source: (n.pitch, n.velocity) for n in found.notes}
    assert got == {
        "iowa/Horn.ff.C4.stereo.aif": (60, 112), "iowa/Horn.pp.C4.stereo.aiff": (60, 33),
        "iowa/Horn.mf.C4.stereo.aifc": (60, 80),
        "layers/Piano_C3_v1.wav": (48, 32), "layers/Piano_C3_v2.wav": (48, 95),
        "phil/trumpet_A4_1_forte_normal.wav": (69, 96),
        "plain/C4_100.flac": (60, 100), "plain/Db3_64.ogg": (49, 64),
    }
    assert all(n.release is None and n.described_by == n.audio for n in found.notes)  # one-shots


def test_velocity_layers_sorted_into_folders(tmp_path):
    src = tmp_path / "lib"
    note_file(src / "soft" / "Piano_C4.wav", 60)
    note_file(src / "loud" / "Piano_C4.wav", 60)
    note_file(src / "ff" / "takes" / "Piano_D4.wav", 62)  # the nearest folder with a mark
    note_file(src / "soft" / "Piano_E4_fff.wav", 64)  # the name's own dynamic wins
    note_file(src / "Piano" / "Piano_F4.wav", 65)  # an instrument's folder, not the dynamic
    note_file(src / "Grand Piano" / "Piano_G4.wav", 67)  # a folder is a mark only by its mark alone
    note_file(src / "Lib v2" / "Piano_A4.wav", 69)
    found = named_notes(src)
    got = {n.source: n.velocity for n in found.notes}
    # the name's dynamic winning over its folder's is said (it was silent); so are the files at mf
    # among marked ones
    assert found.warnings == ["1 file(s) name a dynamic other than their folder's (soft/Piano_E4_fff.wav): "
                              "the name's is used",
                              "3 file(s) name no dynamic where the others do (Grand Piano/Piano_G4.wav, "
                              "Lib v2/Piano_A4.wav, Piano/Piano_F4.wav): played at mf (80); where that is "
                              "not a file's dynamic, put its own in its name (Grand Piano/Piano_G4_pp.wav)"]
    assert got == {"soft/Piano_C4.wav": 49, "loud/Piano_C4.wav": 96, "ff/takes/Piano_D4.wav": 112,
                   "soft/Piano_E4_fff.wav": 126, "Piano/Piano_F4.wav": 80, "Grand Piano/Piano_G4.wav": 80,
                   "Lib v2/Piano_A4.wav": 80}
    patterned = named_notes(src, NamedOptions(pattern="{instrument}_{note}"))  # a pattern keeps folders
    assert {n.source: n.velocity for n in patterned.notes}["soft/Piano_C4.wav"] == 49


def test_middle_c_option_and_pattern(tmp_path):
    src = tmp_path / "lib"
    note_file(src / "Organ_C3.wav", 60)
    assert named_notes(src, NamedOptions(middle_c="C3")).notes[0].pitch == 60
    assert named_notes(src, NamedOptions(middle_c="C3")).warnings == []
    assert named_notes(src).notes[0].pitch == 48
    note_file(src / "Organ_C3.wav", 60).rename(src / "organ-060-take2.wav")
    numbered = named_notes(src, NamedOptions(middle_c="C3"))  # a MIDI number has no octave to move
    assert [n.pitch for n in numbered.notes] == [60]
    assert numbered.warnings == ["--middle-c C3 changes nothing here: no name gives a note name with an "
                                 "octave (MIDI numbers or root keys say the pitch)"]
    found = named_notes(src, NamedOptions(pattern="{instrument}-{midi}-{_}"))
    assert [(n.pitch, n.velocity) for n in found.notes] == [(60, 80)]
    with pytest.raises(UserError, match="exactly one of"):
        named_notes(src, NamedOptions(pattern="{instrument}"))
    with pytest.raises(ValueError, match="middle C"):
        NamedOptions(middle_c="C9")


def test_bad_names_are_failures_and_the_rest_prepares(tmp_path):
    src = tmp_path / "lib"
    note_file(src / "good_C4_ff.wav", 60)
    note_file(src / "A4_B4.wav", 69)
    note_file(src / "cello_A2_long_cresc-decresc.wav", 45)
    note_file(src / "untitled.wav", 60)
    (src / "043-G.wav").write_bytes(b"wvpk" + b"\0" * 60)
    found = named_notes(src)
    assert [n.source for n in found.notes] == ["good_C4_ff.wav"]
    reasons = {f.source: f.message for f in found.failures}
    assert set(reasons) == {"043-G.wav", "A4_B4.wav", "cello_A2_long_cresc-decresc.wav", "untitled.wav"}
    assert "two note names" in reasons["A4_B4.wav"] and "WavPack" in reasons["043-G.wav"]
    assert "changing dynamic" in reasons["cello_A2_long_cresc-decresc.wav"]
    assert "no note name or MIDI number" in reasons["untitled.wav"]
    assert all(str(src) in m and "\n" not in m for m in reasons.values())


def test_a_root_key_in_the_file_wins_over_the_name(tmp_path):
    src = tmp_path / "Octavin2"
    path = note_file(src / "055-G.wav", 79)
    data = path.read_bytes()
    body = struct.pack("<9I", 0, 0, 62500, 79, 0, 0, 0, 0, 0)
    out = data[:12] + b"smpl" + struct.pack("<I", len(body)) + body + data[12:]
    path.write_bytes(out[:4] + struct.pack("<I", len(out) - 8) + out[8:])
    assert [n.pitch for n in named_notes(src).notes] == [79]
    assert [n.pitch for n in named_notes(src, NamedOptions(root_key=False)).notes] == [55]


def test_a_root_key_after_the_audio_data_is_read(tmp_path):
    # editors append smpl after the data chunk as often as before it; it was never read there (the
    # name's pitch was taken); an odd-sized chunk before it is padded; AIFF's INST after SSND too
    src = tmp_path / "Octavin2"
    path = note_file(src / "055-G.wav", 79)
    data = path.read_bytes()
    odd = b"junk" + struct.pack("<I", 3) + b"abc\0"
    body = struct.pack("<9I", 0, 0, 62500, 79, 0, 0, 0, 0, 0)
    out = data + odd + b"smpl" + struct.pack("<I", len(body)) + body
    path.write_bytes(out[:4] + struct.pack("<I", len(out) - 8) + out[8:])
    assert [n.pitch for n in named_notes(src).notes] == [79]
    aiff = src / "aiff" / "055-G.aif"
    aiff.parent.mkdir()
    sf.write(aiff, tone(SR, 79, 0.02, 0.5), SR, format="AIFF")
    raw = aiff.read_bytes() + b"INST" + struct.pack(">I", 20) + bytes([79, 0]) + bytes(18)
    aiff.write_bytes(raw[:4] + struct.pack(">I", len(raw) - 8) + raw[8:])
    assert read_root_key(aiff) == RootKey(79, 0.0, "INST")


def _with_root_key(path, note: int):
    data = path.read_bytes()
    body = struct.pack("<9I", 0, 0, 62500, note, 0, 0, 0, 0, 0)
    out = data[:12] + b"smpl" + struct.pack("<I", len(body)) + body + data[12:]
    path.write_bytes(out[:4] + struct.pack("<I", len(out) - 8) + out[8:])


def test_a_wrong_root_key_is_said_as_such_and_a_name_the_sound_agrees_with_wins(tmp_path):
    # an editor's default root key C4 on an A3: failed as "named C4 but sounds A3", for a file named A3
    src = tmp_path / "lib"
    _with_root_key(note_file(src / "Viola_A3_mf.wav", 57), 60)
    _with_root_key(note_file(src / "Viola_E3_mf.wav", 57), 60)  # neither the key nor the name
    found = named_notes(src)
    checks = verify_pitches(found)
    assert [(n.source, n.pitch) for n in found.notes] == [("Viola_A3_mf.wav", 57)]
    assert [c.verdict for c in checks] == ["ok", "off"]
    assert "root key says C4 but it sounds A3, as its name says: labelled A3" in found.warnings[0]
    message = found.failures[0].message
    assert "Viola_E3_mf.wav: its smpl chunk's root key says C4 but sounds A3" in message
    assert message.endswith("--trust-names keeps the root key")


def test_no_folder_or_no_audio_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="missing: no such folder"):
        named_notes(tmp_path / "missing")
    (tmp_path / "a.wav").write_bytes(b"")
    with pytest.raises(UserError, match="a.wav: not a folder"):
        named_notes(tmp_path / "a.wav")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="no audio files"):
        named_notes(tmp_path / "empty")


def test_the_tracker_reports_mislabelled_files(tmp_path):
    src = tmp_path / "lib"
    note_file(src / "flute_A4_ff.wav", 69)
    note_file(src / "flute_A4_pp.wav", 72)  # sounds C5: three semitones off
    note_file(src / "flute_C4_pp.wav", 72)  # sounds C5: an octave off
    found = named_notes(src)
    checks = verify_pitches(found)
    assert [c.verdict for c in checks] == ["ok", "off", "octave"]
    assert checks[0].measured == pytest.approx(69, abs=0.3)
    assert [n.source for n in found.notes] == ["flute_A4_ff.wav"]
    messages = {f.source: f.message for f in found.failures}
    assert "an octave above" in messages["flute_C4_pp.wav"]
    assert "named A4 but sounds C5 (+30" in messages["flute_A4_pp.wav"]
    trusted = named_notes(src)
    verify_pitches(trusted, trust_names=True)
    assert len(trusted.notes) == 3 and not trusted.failures


def test_a_bank_named_an_octave_off_is_told_its_middle_c(tmp_path):
    src = tmp_path / "keys"
    for name, sounds in (("C3", 60), ("E3", 64), ("G3", 67), ("C4", 72)):  # middle C written C3
        note_file(src / f"Keys {name}.wav", sounds)
    with pytest.raises(UserError, match=r"^4 of 4 notes sound an octave above their names .*--middle-c C3$"):
        verify_pitches(named_notes(src))
    found = named_notes(src, NamedOptions(middle_c="C3"))
    assert [c.verdict for c in verify_pitches(found)] == ["ok"] * 4 and len(found.notes) == 4
    trusted = named_notes(src)
    verify_pitches(trusted, trust_names=True)  # told to keep the names: kept, warned, and told why
    assert len(trusted.notes) == 4 and len(trusted.warnings) == 5
    assert trusted.warnings[-1].endswith("--middle-c C3 (names kept: --trust-names)")


def test_octave_convention_needs_most_of_the_bank(tmp_path):
    from samplernn.prepare.sources.named import octave_convention
    from samplernn.prepare.sources.pitch_check import PitchCheck

    up = PitchCheck(60, 72.1, "octave")
    ok = PitchCheck(62, 62.0, "ok")
    assert octave_convention([up] * 4 + [ok], "C4") is not None  # 80 %
    assert octave_convention([up] * 3 + [ok] * 2, "C4") is None
    assert octave_convention([up] * 2, "C4") is None  # too few to say
    assert octave_convention([up] * 4, "C3") is None  # no convention lower than C3
    down = PitchCheck(60, 48.0, "octave", "x.wav: named C4 …")
    assert octave_convention([down] * 3, "C4").endswith("--middle-c C5")
    # names with middle C as C3 read with --middle-c C5: every note two octaves above its name
    two_up = PitchCheck(60, 84.0, "octave", "x.wav: named C4 …")
    said = octave_convention([two_up] * 3, "C5")
    assert said is not None and "sound 2 octaves above" in said and said.endswith("--middle-c C3")


def test_verdicts_and_unpitched_sounds(tmp_path):
    assert judge("x", 60, 60.9).verdict == "ok" and judge("x", 60, 61.2).verdict == "off"
    assert judge("x", 60, 47.8).verdict == "octave" and judge("x", 60, 84.3).verdict == "octave"
    assert "2 octaves above" in judge("x", 60, 84.3).message
    noise = np.random.default_rng(0).standard_normal(SR).astype(np.float32) * 0.3
    check = check_pitch(write_audio(tmp_path / "snare.wav", noise, SR), 38)
    assert check.verdict == "unpitched" and not check.wrong


def test_a_name_below_what_the_tracker_hears_fails_in_one_line(tmp_path):
    """'VP Kick 1.flac' read as MIDI note 1 (8.7 Hz): pYIN has no band left to search there (it
    raised librosa's ParameterError, a traceback); now the file fails with a line that asks
    whether the number is a note. The lowest notes it can search still run."""
    kick = write_audio(tmp_path / "VP Kick 1.wav", tone(SR, 40, 0.05, 0.4, total=0.6), SR)
    check = check_pitch(kick, 1)
    assert check.wrong and check.measured is None
    assert "MIDI 1, 8.7 Hz" in check.message and "is the number in its name a note?" in check.message
    assert check_pitch(kick, 10).wrong  # pYIN's error just above the threshold: the same line
    assert check_pitch(kick, 16).verdict == "octave"  # searched as before


def test_named_notes_become_note_jobs(tmp_path):
    src = tmp_path / "lib"
    note_file(src / "sax_D4_mf.wav", 62, length=0.6)
    out = to_discovery(named_notes(src))
    assert out.layout == "named" and not out.failures
    job = out.jobs[0]
    assert (job.id, job.pitch, job.velocity, job.synced) == ("sax_D4_mf", 62, 80, False)
    assert job.off - job.on == pytest.approx(0.6, abs=0.04)


def test_high_pitches_are_tracked_at_a_higher_rate():
    # pYIN at 16 kHz slips an octave down near 3 kHz (GrandOrgue's top pipes); the rate follows the pitch
    assert analysis_rate(60, 44100) == 16000 and analysis_rate(90, 44100) == 16000
    assert analysis_rate(102, 44100) == 44100 and analysis_rate(102, 22050) == 22050
    assert analysis_rate(120, 96000) == 48000


def test_numbers_counting_takes_are_not_velocities(tmp_path):
    src = tmp_path / "rr"
    for name, pitch in (("A3", 57), ("C4", 60)):
        for k in range(1, 13):  # twelve round robins: 10, 11 and 12 must not become velocities
            note_file(src / f"Piano_{name}_{k}.wav", pitch)
    found = named_notes(src)
    assert {n.velocity for n in found.notes} == {80}
    assert any("read as takes, not velocities" in w for w in found.warnings)
    layers = tmp_path / "vel"
    for v in (40, 80, 120):
        note_file(layers / f"Piano_C4_{v}.wav", 60)
    found = named_notes(layers)
    assert sorted(n.velocity for n in found.notes) == [40, 80, 120] and not found.warnings


def test_the_velocity_spellings_of_a_new_users_bank(tmp_path):
    # Vel_50, (ff), ff2 and quiet all played at mf, silently: the bank's dynamics were lost
    src = tmp_path / "cello"
    for name in ("Cello_C3_Vel_50", "Cello_C3_Vel_110", "Cello_C3_vel-100", "Cello D4 (ff)", "Cello_E4_[pp]",
                 "Cello_F4_ff2", "Cello_F4_ff3", "Cello_G4_quiet"):
        note_file(src / f"{name}.wav", 60)
    found = named_notes(src)
    assert {n.source: n.velocity for n in found.notes} == {
        "Cello_C3_Vel_50.wav": 50, "Cello_C3_Vel_110.wav": 110, "Cello_C3_vel-100.wav": 100,
        "Cello D4 (ff).wav": 112, "Cello_E4_[pp].wav": 33, "Cello_F4_ff2.wav": 112, "Cello_F4_ff3.wav": 112,
        "Cello_G4_quiet.wav": 49,
    }
    assert not found.warnings and not found.failures


def test_files_of_one_pitch_at_mf_that_differ_in_ignored_parts_are_noticed(tmp_path):
    src = tmp_path / "cello"
    note_file(src / "Cello_C3_Expr_50.wav", 48)  # a velocity spelling not understood: both at mf
    note_file(src / "Cello_C3_Expr_110.wav", 48)
    note_file(src / "Cello_D3.wav", 50)  # one file of its pitch at mf loses nothing
    found = named_notes(src)
    assert {n.velocity for n in found.notes} == {80}
    assert found.warnings == [
        "1 pitch(es) have several files with no dynamic in their names that differ only in parts that were "
        "ignored (Cello_C3_Expr_50.wav and Cello_C3_Expr_110.wav: 50 / 110): all play at mf (80); if those "
        "parts are dynamics or velocity layers, say so with --pattern ({velocity}, {dynamic} or {layer})"]
    # a pattern has said what each part means: nothing to notice
    assert not named_notes(src, NamedOptions(pattern="{instrument}_{note}{_}")).warnings
    folders = tmp_path / "layers"  # folders named by more than their mark are ignored parts too
    note_file(folders / "Soft Layer" / "C4.wav", 60)
    note_file(folders / "Hard Layer" / "C4.wav", 60)
    note_file(folders / "x_C#4.wav", 61)  # one pitch spelled twice: no layers
    note_file(folders / "x_Db4.wav", 61)
    assert [w.split(": all play")[0] for w in named_notes(folders).warnings] == [
        "1 pitch(es) have several files with no dynamic in their names that differ only in parts that were "
        "ignored (Hard Layer/C4.wav and Soft Layer/C4.wav: Hard / Soft)"]
    robins = tmp_path / "robins"  # round robins say what they are: takes of one dynamic
    for tag in ("rr1", "rr2", "RR3"):
        note_file(robins / f"Cello_C3_{tag}.wav", 48)
    assert not named_notes(robins).warnings


def test_a_file_with_no_dynamic_among_files_with_dynamics_is_noticed(tmp_path):
    """viola_A3.wav beside viola_A3_ff.wav and viola_A3_pp.wav was prepared at mf without a word:
    its dynamic is a guess, and a notice says so, naming it."""
    src = tmp_path / "viola"
    for name in ("viola_A3_ff", "viola_A3_pp", "viola_A3", "viola_C4_ff", "viola_C4_pp"):
        note_file(src / f"{name}.wav", 57 if "A3" in name else 60)
    found = named_notes(src)
    assert {n.source: n.velocity for n in found.notes}["viola_A3.wav"] == 80
    assert found.warnings == [
        "1 file(s) name no dynamic where the others do (viola_A3.wav): played at mf (80); where that is "
        "not a file's dynamic, put its own in its name (viola_A3_pp.wav)"]
    for name in ("viola_A3_ff", "viola_A3_pp", "viola_C4_ff", "viola_C4_pp"):
        (src / f"{name}.wav").unlink()
    assert not named_notes(src).warnings  # none names a dynamic: mf throughout, nothing guessed apart


def test_a_named_sample_whose_channels_cancel_says_so(tmp_path):
    src = tmp_path / "lib"
    note_file(src / "flute_A4_ff.wav", 69)
    x = tone(SR, 72, 0.02, 0.52, tail=0.1)
    write_audio(src / "flute_C5_ff.wav", np.stack([x, -x], axis=1), SR)  # one channel phase-inverted
    found = named_notes(src)
    verify_pitches(found)
    [failure] = found.failures
    assert failure.source == "flute_C5_ff.wav"
    assert "its channels cancel in the mono mix-down" in failure.message


def test_velocity_numbers_that_count_layers_are_noticed(tmp_path):
    src = tmp_path / "cello"
    for v in (1, 2, 3, 4):  # Vel_1 … Vel_4: layers by the look of them, velocities by the name
        note_file(src / f"Cello_C3_Vel_{v}.wav", 48)
    found = named_notes(src)
    assert sorted(n.velocity for n in found.notes) == [1, 2, 3, 4]
    assert found.warnings == ["4 file(s) name a velocity below 10 (Cello_C3_Vel_1.wav: 1), which the model "
                              "learns as near-silence; if those numbers count velocity layers, say so with "
                              "--pattern ({layer})"]
    layered = named_notes(src, NamedOptions(pattern="Cello_{note}_Vel_{layer}"))
    assert sorted(n.velocity for n in layered.notes)[0] > 10 and not layered.warnings
