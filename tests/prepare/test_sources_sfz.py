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


def test_a_macs_appledouble_files_are_no_instruments(instrument):
    """A zip made on a Mac holds, per file, `._name` beside it or under `__MACOSX/`: binary metadata
    that was read as an instrument whose every '<' was a malformed header (28 failures, exit 1)."""
    junk = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        <o<5\n<\n<region> key=60"
    folder = instrument.parent
    (folder / "._sax.sfz").write_bytes(junk)
    (folder / "__MACOSX" / "Programs").mkdir(parents=True)
    (folder / "__MACOSX" / "Programs" / "._sax.sfz").write_bytes(junk)
    (folder / ".hidden").mkdir()
    (folder / ".hidden" / "old.sfz").write_text("<region> sample=alto/rel.wav key=60\n")
    assert [p.name for p in sfz_files(folder)] == ["sax.sfz"]
    found = sfz_notes(folder)
    assert len(found.notes) == 4 and not found.warnings
    assert len(found.failures) == 1  # the missing sample only


def test_parser_inheritance_and_tolerance(tmp_path):
    path = tmp_path / "x.sfz"
    path.write_text("A0 stray words\n<global> volume=-3 <master> pan=10\n<group> lovel=1\n"
                    "<region> sample=a.wav key=60 <region> sample=b.wav key=62 volume=0\n"
                    "<curve> curve_index=7\n<master>\n<region> sample=c.wav\n#include \"x.sfz\"\n")
    doc = parse_sfz(path)
    a, b, c = doc.regions
    assert a.opcodes == {"volume": "-3", "pan": "10", "lovel": "1", "sample": "a.wav", "key": "60",
                         "lokey": "60", "hikey": "60", "pitch_keycenter": "60"}  # what `key` sets
    assert b.opcodes["volume"] == "0" and b.opcodes["pan"] == "10"
    assert c.opcodes == {"volume": "-3", "sample": "c.wav"}  # a new <master> ends the group and master
    assert doc.problems[0].endswith(":1: ignored text 'A0 stray words'")
    assert "cycle" in doc.problems[1]


def test_a_regions_key_overrides_its_groups_key_centre(tmp_path):
    path = tmp_path / "g.sfz"
    path.write_text("<group> pitch_keycenter=40 lokey=30 hikey=45\n<region> sample=a.wav key=50\n"
                    "<region> sample=b.wav\n<group> key=40\n<region> sample=c.wav pitch_keycenter=52\n")
    a, b, c = parse_sfz(path).regions
    assert (a.opcodes["pitch_keycenter"], a.opcodes["lokey"], a.opcodes["hikey"]) == ("50", "50", "50")
    assert (b.opcodes["pitch_keycenter"], b.opcodes["lokey"]) == ("40", "30")  # the group's, inherited
    assert (c.opcodes["pitch_keycenter"], c.opcodes["lokey"]) == ("52", "40")  # its own centre wins


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
    100 %) (v/127)² (sfzformat amp_veltrack), and resampled by transpose + tune/100 semitones: a
    note is labelled with the pitch it then sounds (transpose=12 at key 57: 69).
    Libraries normalise their layers, so taken as recorded a pp layer was as loud as an ff one."""
    _layers(tmp_path, ("pp.wav", "ff.wav", "up.wav"))
    (tmp_path / "i.sfz").write_text("<group> key=57\n<region> sample=pp.wav hivel=63 volume=-6\n"
                                    "<region> sample=ff.wav lovel=64\n"
                                    "<group> key=57 lovel=64 transpose=12 tune=-50 pitch_keytrack=0\n"
                                    "<region> sample=up.wav tune=0\n")
    found = sfz_notes(tmp_path / "i.sfz")
    assert [(n.pitch, n.velocity) for n in found.notes] == [(57, 32), (57, 96), (69, 96)]
    pp, ff = 10 ** (-6 / 20) * (32 / 127) ** 2, (96 / 127) ** 2
    assert [n.level for n in found.notes] == pytest.approx([pp, ff, ff])
    assert [n.rate for n in found.notes] == [1.0, 1.0, 2.0]  # the region's tune=0 overrides its group's
    audio, ds = _prepared_peaks(tmp_path / "i.sfz", tmp_path / "out")
    peaks = {k: float(np.abs(y).max()) for k, y in audio.items()}
    assert peaks[57, 32] / peaks[57, 96] == pytest.approx(pp / ff, rel=0.02)  # -25 dB, was 0 dB
    assert peaks[69, 96] == pytest.approx(peaks[57, 96], rel=0.02)

    def hz(y):
        return np.argmax(np.abs(np.fft.rfft(y))) * ds.sample_rate / y.size

    assert hz(audio[69, 96]) == pytest.approx(2 * hz(audio[57, 96]), rel=0.03)  # an octave up


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


def test_a_region_no_key_plays_is_skipped_with_a_notice(tmp_path):
    """lokey above hikey: no key plays the region (docs/layouts.md), so it is skipped, and said
    (a typo); hikey=-1, SFZ's way of writing a region only CC triggers play, is skipped quietly."""
    write_audio(tmp_path / "c3.wav", tone(SR, 48, 0.01, 0.2), SR)
    write_audio(tmp_path / "g3.wav", tone(SR, 55, 0.01, 0.2), SR)
    (tmp_path / "a.sfz").write_text("<region> sample=g3.wav key=55\n"
                                    "<region> sample=c3.wav lokey=60 hikey=50\n"
                                    "<region> sample=c3.wav lokey=c4 hikey=a3\n"
                                    "<region> sample=c3.wav hikey=-1\n")
    found = sfz_notes(tmp_path / "a.sfz")
    assert [(n.source, n.pitch) for n in found.notes] == [("g3.wav", 55)]
    assert not found.failures
    assert found.warnings == [f"{tmp_path / 'a.sfz'}:2: region skipped: no key plays it (lokey 60 is above "
                              "hikey 50), sample 'c3.wav' (and 1 more such regions)"]


@pytest.mark.parametrize(("opcodes", "pitch", "rate"), [
    ("key=48 transpose=12", 60, 2.0),  # key C3 sounds C4: labelled C4
    ("key=48 transpose=-12 tune=30", 36, 2 ** (-11.7 / 12)),  # to the nearest key
    ("key=48 tune=-60", 47, 2 ** (-0.6 / 12)),
    ("pitch_keycenter=48 lokey=40 hikey=60 transpose=7", 55, 2 ** (7 / 12)),
    ("lokey=48 hikey=48", 48, 0.5),  # played at its one key, 60 its centre: an octave down
    ("lokey=48 hikey=48 pitch_keytrack=0 transpose=2", 62, 2 ** (2 / 12)),  # every key sounds 60 + 2
])
def test_a_note_is_labelled_with_the_pitch_the_player_sounds(tmp_path, opcodes, pitch, rate):
    """A player plays key k of a region as its sample shifted by transpose + tune/100 +
    pitch_keytrack/100 × (k − key centre) semitones (sfzformat transpose, tune, pitch_keytrack), the
    sample sounding at its key centre unshifted: the note is labelled centre + that shift."""
    write_audio(tmp_path / "w.wav", tone(SR, 48, 0.01, 0.2), SR)
    (tmp_path / "r.sfz").write_text(f"<region> sample=w.wav {opcodes}\n")
    (note,) = sfz_notes(tmp_path / "r.sfz").notes
    assert (note.pitch, note.rate) == (pitch, pytest.approx(rate))


def test_as_recorded_a_note_is_labelled_with_its_key_centre(tmp_path):
    write_audio(tmp_path / "w.wav", tone(SR, 48, 0.01, 0.2), SR)
    (tmp_path / "r.sfz").write_text("<region> sample=w.wav key=48 transpose=12 volume=-6\n"
                                    "<region> sample=*sine key=120 transpose=12\n")
    (note,) = sfz_notes(tmp_path / "r.sfz", as_recorded=True).notes
    assert (note.pitch, note.rate, note.level) == (48, 1.0, 1.0)


def test_a_shift_past_midi_127_fails_with_the_place(tmp_path):
    write_audio(tmp_path / "w.wav", tone(SR, 48, 0.01, 0.2), SR)
    (tmp_path / "r.sfz").write_text("<region> sample=w.wav key=120 transpose=12\n")
    found = sfz_notes(tmp_path / "r.sfz")
    assert not found.notes
    assert found.failures[0].message == (
        f"{tmp_path / 'r.sfz'}:1: key 120 sounds at MIDI 132 (key centre 120 shifted +12 semitones by "
        "transpose/tune/pitch_keytrack), outside 0..127")


def test_a_transposed_region_is_prepared_at_the_pitch_it_sounds(tmp_path):
    """key=48 transpose=12 on a C3 recording: the player sounds C4, and so does the prepared note,
    labelled C4; the pitch check (of the note as prepared) agrees."""
    from samplernn.prepare import PrepareSettings, prepare_bank

    write_audio(tmp_path / "c3.wav", tone(SR, 48, 0.01, 0.4), SR)
    (tmp_path / "t.sfz").write_text("<region> sample=c3.wav key=48 transpose=12\n")
    result = prepare_bank(tmp_path / "t.sfz", tmp_path / "out", PrepareSettings(sample_rate=SR))
    assert result.pitches == [60] and result.pitch_checks == {"ok": 1} and not result.failures


def test_a_wrong_key_centre_fails_the_pitch_check(tmp_path):
    """pitch_keycenter=67 on a G3 (55) recording: an octave off, found by the pitch check the named
    layout runs, and listed with the region's place; --trust-names keeps it, with a warning."""
    from samplernn.prepare import PrepareSettings, prepare_bank
    from samplernn.prepare.report import summary_lines

    write_audio(tmp_path / "g3.wav", tone(SR, 55, 0.01, 0.4), SR)
    write_audio(tmp_path / "c3.wav", tone(SR, 48, 0.01, 0.4), SR)
    (tmp_path / "o.sfz").write_text("<region> sample=c3.wav key=48\n"
                                    "<region> sample=g3.wav pitch_keycenter=67\n")
    result = prepare_bank(tmp_path / "o.sfz", tmp_path / "out", PrepareSettings(sample_rate=SR))
    assert result.pitches == [48] and result.pitch_checks == {"octave": 1, "ok": 1}
    (failure,) = result.failures
    assert failure.source == "g3.wav"
    assert failure.message.startswith(f"{tmp_path / 'o.sfz'}:2: g3.wav labelled G4 but sounds G3 (")
    assert "an octave below" in failure.message and failure.message.endswith("--trust-names keeps the name")
    assert any("pitch check   region pitches against the tracker: 1 octave, 1 ok" in line
               for line in summary_lines(result))
    trusted = prepare_bank(tmp_path / "o.sfz", tmp_path / "out2",
                           PrepareSettings(sample_rate=SR, trust_names=True))
    assert trusted.pitches == [48, 67] and not trusted.failures
    assert any("labelled G4 but sounds G3" in n.message and "kept (--trust-names)" in n.message
               for n in trusted.notices)


def test_a_malformed_header_fails_and_keeps_its_opcodes_off_the_region_before(tmp_path):
    """`<region sample=g3.wav` (no '>') used to be ignored text while its opcodes replaced the
    region before's sample: now that region stays as written and the broken header is a failure."""
    write_audio(tmp_path / "c3.wav", tone(SR, 48, 0.01, 0.2), SR)
    write_audio(tmp_path / "g3.wav", tone(SR, 55, 0.01, 0.2), SR)
    (tmp_path / "a.sfz").write_text("<region> sample=c3.wav key=48\n<region sample=g3.wav key=55\n"
                                    "region> sample=g3.wav key=55\n<region> sample=g3.wav key=55\n")
    found = sfz_notes(tmp_path / "a.sfz")
    assert [(n.source, n.pitch) for n in found.notes] == [("c3.wav", 48), ("g3.wav", 55)]
    assert [f.source for f in found.failures] == ["a.sfz:2", "a.sfz:3"]
    assert found.failures[0].message == (f"{tmp_path / 'a.sfz'}:2: malformed header '<region' (a header is "
                                         "written <region>, <group>, …): its opcodes up to the next header "
                                         "are skipped")
    assert "malformed header 'region>'" in found.failures[1].message
    assert not found.warnings


def test_parser_a_malformed_header_ends_the_region_and_its_value(tmp_path):
    path = tmp_path / "x.sfz"
    path.write_text("<group> lovel=64\n<region> sample=a b.wav key=60 <regio sample=b.wav\n<region> key=62\n")
    doc = parse_sfz(path)
    a, b = doc.regions
    assert a.opcodes["sample"] == "a b.wav" and a.opcodes["key"] == "60"  # the value stops at '<'
    assert (b.opcodes["lovel"], b.opcodes["key"]) == ("64", "62")  # the broken header did not end the group
    assert [(line, message.split(" (")[0]) for _, line, message in doc.errors] == [
        (2, "malformed header '<regio'")]


def test_a_missing_sample_is_named_as_the_sfz_writes_it(tmp_path):
    # a Windows path was shown as Python writes it: sample 'sus\\vla.wav' not found
    (tmp_path / "i.sfz").write_text("<region> sample=sus\\vla_61.wav key=61\n")
    found = sfz_notes(tmp_path / "i.sfz")
    assert "sample 'sus\\vla_61.wav' not found" in found.failures[0].message
