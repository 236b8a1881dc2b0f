"""The sfz layout: regions → notes (key centre, velocity layer), headers and inheritance,
default_path, #define and #include, SFZ's written-on-Windows paths, and what is skipped or fails."""

from __future__ import annotations

import numpy as np
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


def _layers(folder, names, pitch=57):
    """The same normalised sample (a sine at `pitch`, peak 0.9) under each name, as libraries ship
    their velocity layers."""
    for name in names:
        write_audio(folder / name, tone(SR, pitch, 0.01, 0.4, tail=0.2, amplitude=0.9), SR)


def _prepared_peaks(src, out):
    """{(pitch, velocity): prepared audio} and the dataset, after `prepare_bank`."""
    import soundfile as sf

    from samplernn.data.dataset import load_dataset
    from samplernn.prepare import prepare_bank

    prepare_bank(src, out)
    ds = load_dataset(out)
    return {(n.pitch, n.velocity): sf.read(out / n.audio, dtype="float32")[0] for n in ds.notes}, ds


def test_an_instrument_is_prepared_as_an_sfz_player_plays_it(tmp_path):
    """An SFZ player plays a region × 10^(volume/20) × its velocity gain, by default (amp_veltrack
    100 %) (v/127)² (sfzformat amp_veltrack), and resampled by transpose + tune/100 semitones.
    Libraries normalise their layers, so taken as recorded a pp layer was as loud as an ff one."""
    _layers(tmp_path, ("pp.wav", "ff.wav", "up.wav"))
    (tmp_path / "i.sfz").write_text("<group> key=57\n<region> sample=pp.wav hivel=63 volume=-6\n"
                                    "<region> sample=ff.wav lovel=64\n"
                                    "<group> key=59 lovel=64 transpose=12 tune=-50 pitch_keytrack=0\n"
                                    "<region> sample=up.wav tune=0\n")
    found = sfz_notes(tmp_path / "i.sfz")
    assert [(n.pitch, n.velocity) for n in found.notes] == [(57, 32), (57, 96), (59, 96)]
    pp, ff = 10 ** (-6 / 20) * (32 / 127) ** 2, (96 / 127) ** 2
    assert [n.level for n in found.notes] == pytest.approx([pp, ff, ff])
    assert [n.rate for n in found.notes] == [1.0, 1.0, 2.0]  # the region's tune=0 overrides its group's
    audio, ds = _prepared_peaks(tmp_path / "i.sfz", tmp_path / "out")
    peaks = {k: float(np.abs(y).max()) for k, y in audio.items()}
    assert peaks[57, 32] / peaks[57, 96] == pytest.approx(pp / ff, rel=0.02)  # -25 dB, was 0 dB
    assert peaks[59, 96] == pytest.approx(peaks[57, 96], rel=0.02)

    def hz(y):
        return np.argmax(np.abs(np.fft.rfft(y))) * ds.sample_rate / y.size

    assert hz(audio[59, 96]) == pytest.approx(2 * hz(audio[57, 96]), rel=0.03)  # an octave up


def test_amp_veltrack_0_leaves_the_velocity_out(tmp_path):
    """amp_veltrack=0: every layer at full level whatever its velocity; its volume still counts."""
    _layers(tmp_path, ("pp.wav", "ff.wav"))
    (tmp_path / "i.sfz").write_text("<global> amp_veltrack=0 <group> key=57\n"
                                    "<region> sample=pp.wav hivel=63 volume=-6\n"
                                    "<region> sample=ff.wav lovel=64\n")
    found = sfz_notes(tmp_path / "i.sfz")
    assert [n.level for n in found.notes] == pytest.approx([10 ** (-6 / 20), 1.0])
    audio, _ = _prepared_peaks(tmp_path / "i.sfz", tmp_path / "out")
    peaks = {k: float(np.abs(y).max()) for k, y in audio.items()}
    assert peaks[57, 32] / peaks[57, 96] == pytest.approx(10 ** (-6 / 20), rel=0.02)


@pytest.mark.parametrize(("opcodes", "level", "rate"), [
    ("", (64 / 127) ** 2, 1.0),  # velocity 1..127 → 64, SFZ's default curve
    ("amp_veltrack=50", 1 - 0.5 * (1 - (64 / 127) ** 2), 1.0),  # sfizz velocityCurve
    ("amp_veltrack=-100", 1 - (64 / 127) ** 2, 1.0),
    ("amp_velcurve_127=1 amp_velcurve_32=0.5", 0.5 + 0.5 * 32 / 95, 1.0),  # linear between points
    ("amplitude=50 global_amplitude=50 amp_veltrack=0", 0.25, 1.0),
    ("volume=-3 group_volume=-3 amp_veltrack=0", 10 ** (-6 / 20), 1.0),
    ("volume=100 amp_veltrack=0", 10 ** (24 / 20), 1.0),  # clamped to +24 dB
    ("amp_keytrack=-1 amp_keycenter=c4 key=62 amp_veltrack=0", 10 ** (-2 / 20), 1.0),
    ("transpose=-12 pitch=100", (64 / 127) ** 2, 2 ** (-11 / 12)),  # ARIA's `pitch` = tune
    ("transpose=500", (64 / 127) ** 2, 2.0 ** 4),  # clamped to 4 octaves
    ("lokey=48 hikey=48", (64 / 127) ** 2, 2 ** (-12 / 12)),  # no key centre: 60, keytracked
    ("lokey=48 hikey=48 pitch_keytrack=0", (64 / 127) ** 2, 1.0),
])
def test_level_and_rate_of_a_region(tmp_path, opcodes, level, rate):
    write_audio(tmp_path / "w.wav", tone(SR, 60, 0.01, 0.2), SR)
    (tmp_path / "r.sfz").write_text(f"<region> sample=w.wav {opcodes}\n")
    (note,) = sfz_notes(tmp_path / "r.sfz").notes
    assert (note.level, note.rate) == (pytest.approx(level), pytest.approx(rate))


def test_a_region_that_plays_silent_is_a_failure_and_the_next_takes_its_sample(tmp_path):
    write_audio(tmp_path / "w.wav", tone(SR, 60, 0.01, 0.2), SR)
    (tmp_path / "s.sfz").write_text("<region> sample=w.wav key=60 amplitude=0\n"
                                    "<region> sample=w.wav key=62\n")
    found = sfz_notes(tmp_path / "s.sfz")
    assert [n.pitch for n in found.notes] == [62]
    assert "plays silent at velocity 64" in found.failures[0].message
