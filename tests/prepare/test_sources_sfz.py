"""The sfz layout: regions → notes (key centre, velocity layer), headers and inheritance,
default_path, #define and #include, SFZ's written-on-Windows paths, and what is skipped or fails."""

from __future__ import annotations

import pytest
from support.audio import tone, write_audio

from samplernn.common.errors import UserError
from samplernn.prepare.sources import sfz_notes, to_discovery
from samplernn.prepare.sources.sfz import sfz_files
from samplernn.prepare.sources.sfz_parser import parse_sfz

SR = 16000

INSTRUMENT = """\
// A tiny alto sax, written the way real instruments are
<control> default_path=../Samples/
#define $LOUD 64
<global> amp_veltrack=80 ampeg_release=0.3
<group> hivel=63 /* the soft layer */
<region> sample=alto\\db2_p.wav lokey=49 hikey=49 pitch_keycenter=49
<region> sample=alto/D2_P.WAV key=d3
<group> lovel=$LOUD
<region> sample=alto/db2_f.wav lokey=48 hikey=50 pitch_keycenter=c#3
<region> sample=alto/db2_f.wav lokey=51 hikey=51 pitch_keycenter=d3 lovel=120
<region> sample=alto/missing.wav key=52
<region> sample=alto/rel.wav key=49 trigger=release
<region> sample=*sine key=60
#include "more.sfz"
"""
MORE = """\
<group> xfin_lovel=20 xfout_hivel=60
<region> sample=alto/my sample.wav pitch_keycenter=55 lokey=53 hikey=57
"""


@pytest.fixture
def instrument(tmp_path):
    for name, pitch in (("db2_p", 49), ("d2_p", 50), ("db2_f", 49), ("rel", 49), ("my sample", 55)):
        write_audio(tmp_path / "Samples" / "alto" / f"{name}.wav", tone(SR, pitch, 0.01, 0.3), SR)
    programs = tmp_path / "Programs"
    programs.mkdir()
    (programs / "sax.sfz").write_text(INSTRUMENT)
    (programs / "more.sfz").write_text(MORE)
    return programs / "sax.sfz"


def test_regions_become_notes_at_their_key_centre_and_layer_middle(instrument, tmp_path):
    found = sfz_notes(instrument)
    got = [(n.source, n.pitch, n.velocity) for n in found.notes]
    assert got == [
        ("Samples/alto/db2_p.wav", 49, 32),  # hivel=63 → 1..63
        ("Samples/alto/d2_p.wav", 50, 32),  # case-blind path, key= note name
        ("Samples/alto/db2_f.wav", 49, 96),  # lovel=$LOUD → 64..127; its second region ignored
        ("Samples/alto/my sample.wav", 55, 40),  # crossfade layer 20..60, path with a space
    ]
    assert all(n.release is None and n.described_by.name in ("sax.sfz", "more.sfz") for n in found.notes)
    assert [f.message.split(": ", 1)[1] for f in found.failures] == [
        "sample 'alto/missing.wav' not found (looked in " + str(instrument.parent / "../Samples") + ")"]
    assert found.failures[0].source.endswith("sax.sfz:11")


def test_folder_takes_the_instruments_not_their_includes(instrument):
    assert [p.name for p in sfz_files(instrument.parent)] == ["sax.sfz"]
    assert len(sfz_notes(instrument.parent).notes) == 4


def test_parser_inheritance_and_tolerance(tmp_path):
    path = tmp_path / "x.sfz"
    path.write_text("A0 stray words\n<global> volume=-3 <master> pan=10\n<group> lovel=1\n"
                    "<region> sample=a.wav key=60 <region> sample=b.wav key=62 volume=0\n"
                    "<curve> curve_index=7\n<master>\n<region> sample=c.wav\n#include \"x.sfz\"\n")
    doc = parse_sfz(path)
    a, b, c = doc.regions
    assert a.opcodes == {"volume": "-3", "pan": "10", "lovel": "1", "sample": "a.wav", "key": "60"}
    assert b.opcodes["volume"] == "0" and b.opcodes["pan"] == "10"
    assert c.opcodes == {"volume": "-3", "sample": "c.wav"}  # a new <master> ends the group and master
    assert doc.problems[0].endswith(":1: ignored text 'A0 stray words'")
    assert "cycle" in doc.problems[1]


def test_ignored_text_is_a_warning_and_keycenter_defaults(tmp_path):
    write_audio(tmp_path / "w.wav", tone(SR, 60, 0.01, 0.2), SR)
    (tmp_path / "i.sfz").write_text("junk\n<region> sample=w.wav lokey=40 hikey=80\n")
    found = sfz_notes(tmp_path / "i.sfz")
    assert [(n.pitch, n.velocity) for n in found.notes] == [(60, 64)]  # SFZ's default key centre
    assert not found.failures and "ignored text 'junk'" in found.warnings[0]


def test_bad_key_values_fail_with_the_place(tmp_path):
    write_audio(tmp_path / "w.wav", tone(SR, 60, 0.01, 0.2), SR)
    (tmp_path / "k.sfz").write_text("<region> sample=w.wav pitch_keycenter=H9\n")
    found = sfz_notes(tmp_path / "k.sfz")
    assert not found.notes and "k.sfz:1" in found.failures[0].message
    assert "not a note name" in found.failures[0].message


def test_no_instrument_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="no .sfz instrument"):
        sfz_notes(tmp_path)


def test_sfz_notes_become_one_shot_jobs(instrument):
    out = to_discovery(sfz_notes(instrument))
    assert out.layout == "sfz" and len(out.jobs) == 4
    assert all(not j.synced and 0.2 < j.off - j.on < 0.35 for j in out.jobs)
