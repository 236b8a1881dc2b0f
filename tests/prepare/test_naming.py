"""Notes from file names: library schemes with no configuration, octave conventions, dynamics,
velocity layers, the --pattern template language, and a one-line reason for every bad name."""

from __future__ import annotations

import pytest

from samplernn.prepare.naming import (
    DEFAULT_VELOCITY,
    DYNAMICS,
    NamingError,
    ParsedName,
    compile_pattern,
    layer_velocity,
    names_a_note,
    note_number,
    parse_name,
    resolve_velocities,
    tokens_of,
    velocity_marks,
)


@pytest.mark.parametrize(("stem", "pitch", "velocity"), [
    ("trumpet_A4_1_forte_normal", 69, 96),  # Philharmonia: instrument_NOTE_duration_dynamic_articulation
    ("violin_As3_025_mezzo-piano_arco-normal", 58, 64),  # 's' for sharp, hyphenated dynamic
    ("cello_Gs2_15_fortissimo_arco-normal", 44, 112),
    ("Horn.ff.C4.stereo", 60, 112),  # Iowa MIS: Instrument.dynamic.NOTE.stereo
    ("Violin.arco.pp.sulG.Db4.stereo", 61, 33),  # sulG is a string, not a note
    ("Piano.mf.Bb1", 34, 80),  # 'Piano' first is the instrument, 'mf' the dynamic
    ("C4_100", 60, 100),  # NOTE_velocity
    ("F#2_64", 42, 64),
    ("C4_12", 60, 12),
    ("Piano_C4_1", 60, None),  # a take or round-robin number, not velocity 1
    ("Piano_D4_01", 62, None),
    ("trumpet_A4_1_normal", 69, None),  # Philharmonia's duration (1 s) without a dynamic
    ("048", 48, None),  # a MIDI number alone
    ("048_100", 48, 100),  # MIDI number, then velocity
    ("030-F#", 30, None),  # GrandOrgue: key number with its pitch class
    ("kick_0.25s_C2_stereo", 36, None),  # a duration with a decimal point stays one token
    ("C-1", 0, None),
    ("G9", 127, None),
    ("bass_E1_pianissimo", 28, 33),
    ("guitar_d#3_vel90", 51, 90),
    ("Cello_C3_Vel_50", 48, 50),  # the velocity word as its own token: the number after it
    ("Cello_C3_Vel_110", 48, 110),
    ("Cello_C3_vel-100", 48, 100),
    ("Cello C3 Velocity 64", 48, 64),
    ("Cello_C3_Vel_5", 48, 5),  # said to be a velocity: not a take, unlike Piano_C4_1
    ("Cello D4 (ff)", 62, 112),  # a dynamic in brackets
    ("Cello_D4_[ff]", 62, 112),
    ("Cello_D4_(mezzo-forte)", 62, 80),
    ("Cello_D4_ff2", 62, 112),  # a take number glued on the dynamic
    ("Cello_D4_pp10", 62, 33),
    ("Cello_D4_soft1", 62, 49),
    ("Cello_D4_(ff2)", 62, 112),
    ("Cello_D4_quiet", 62, 49),  # like soft
    # the Black Pearl's and Gimme A Hand's five layers, Softest … Hardest: the superlatives played at
    # mf, the softest layer above the soft one and the hardest under the hard one
    ("Vibes_C4_Softest", 60, 33), ("Vibes_C4_Soft", 60, 49), ("Vibes_C4_Med", 60, 80),
    ("Vibes_C4_Hard", 60, 96), ("Vibes_C4_Hardest", 60, 112), ("Vibes_C4_Quietest", 60, 33),
    ("Vibes_C4_Loudest", 60, 112),
    ('cello, E3, "ff"', 52, 112),  # commas and quotes part words as spaces do: 'E3,' was no note
    ("cello 'F3' pp", 53, 33),
    ("cello;A3;ff", 57, 112),
    ("cello (G3) mf", 55, 80),  # a note in brackets, as a mark
    ("Cello [C#3] (ff)", 49, 112),
])
def test_library_schemes_need_no_configuration(stem, pitch, velocity):
    parsed = parse_name(stem)
    assert (parsed.pitch, parsed.velocity) == (pitch, velocity)


def test_take_digits_glued_on_are_stripped_only_from_dynamics():
    # 'f2' is the note F2, not forte take 2; 'p3' a word; 'Piano2' an instrument; 'mp3' a format
    assert parse_name("Cello_f2") == ParsedName(41)
    assert parse_name("Cello_f2_ff2") == ParsedName(41, 112, None, "ff")
    assert parse_name("Cello_C4_p3").velocity is None
    assert parse_name("Grand_Piano2_C4_ff") == ParsedName(60, 112, None, "ff")
    assert parse_name("Cello_C4_ff.mp3") == ParsedName(60, 112, None, "ff")
    assert parse_name("Cello_C4_rr2").velocity is None  # a round-robin tag stays ignored
    assert parse_name("Piano_C4_v2").layer == 2  # a layer, not a dynamic


def test_only_marks_are_read_in_brackets():
    # '(12)' is a copy or take number, not velocity 12; '(rr2)' a word
    assert parse_name("Piano_C4 (12)").velocity is None and parse_name("Piano_C4 (2)").velocity is None
    assert parse_name("Piano_C4_(rr2)").velocity is None
    assert parse_name("Piano_C4_[v3]").layer == 3 and parse_name("Piano_C4_(vel90)").velocity == 90


def test_a_lone_capital_p_or_f_beside_a_note_name_is_the_dynamic():
    # 'viola_a3_P.flac' played at mf (80), unsaid: a lone capital P was read as a word
    assert parse_name("viola_a3_P").velocity == 49 and parse_name("VLA A3 F").velocity == 96
    assert parse_name("Viola_Sus_C#3_P_rr2").velocity == 49
    assert parse_name("Viola_A3_P_ff").velocity == 112  # another dynamic: P is a word
    assert parse_name("P_A3").velocity is None  # the first word: an instrument's letter
    assert parse_name("029-F") == ParsedName(29)  # a pitch class beside a MIDI number


def test_octave_conventions():
    assert note_number("C4") == 60 and note_number("C3", middle_c="C3") == 60
    assert note_number("A4") == 69 and note_number("A3", middle_c="C3") == 69
    assert note_number("C5", middle_c="C5") == 60
    assert parse_name("Piano_C3_v2", middle_c="C3").pitch == 60
    with pytest.raises(ValueError, match="middle_c"):
        note_number("C4", middle_c="C7")


def test_sharps_and_flats_spell_the_same_key():
    assert {note_number(t) for t in ("C#3", "Db3", "Cs3", "C♯3", "D♭3", "c#3", "db3")} == {49}
    assert note_number("B#3") == 60 and note_number("Cb4") == 59


def test_the_dynamics_table_rises_and_spelled_names_match_the_marks():
    marks = ["ppp", "pp", "p", "mp", "mf", "f", "ff", "fff"]
    values = [DYNAMICS[m] for m in marks]
    assert values == sorted(values) and len(set(values)) == len(values)
    assert values == [16, 33, 49, 64, 80, 96, 112, 126]  # MuseScore's default dynamic velocities
    spelled = ["pianississimo", "pianissimo", "piano", "mezzopiano", "mezzoforte", "forte", "fortissimo",
               "fortississimo"]
    assert [DYNAMICS[w] for w in spelled] == values
    assert parse_name("x_C4_mezzo-forte").velocity == DYNAMICS["mf"]
    assert DEFAULT_VELOCITY == DYNAMICS["mf"]


def test_extra_tokens_are_ignored():
    assert parse_name("Marimba_roll_normal_arco_stereo_0.5s_rr2_E5").pitch == 76
    assert tokens_of("Horn.ff.C4.stereo") == ["Horn", "ff", "C4", "stereo"]
    assert tokens_of("x_0.25s y") == ["x", "0.25s", "y"]


def test_numbers_are_durations_when_a_dynamic_is_named():
    # Philharmonia's duration follows the note; with a dynamic present it is not a velocity
    assert parse_name("flute_A5_05_piano_normal") == ParsedName(81, 49, None, "piano")


def test_velocity_layer_tags_become_the_middle_of_equal_ranges():
    names = [parse_name(s) for s in ("Piano_C4_v1", "Piano_C4_v2", "Piano_C4_v3", "Piano_C4_v4")]
    assert [n.layer for n in names] == [1, 2, 3, 4] and all(n.velocity is None for n in names)
    assert resolve_velocities(names) == [16, 48, 79, 111]
    zero_based = [parse_name(s) for s in ("x_C4_L0", "x_C4_L1")]
    assert resolve_velocities(zero_based) == [32, 95]
    assert resolve_velocities([ParsedName(60)]) == [DEFAULT_VELOCITY]
    assert layer_velocity(1, 1) == 64
    with pytest.raises(ValueError):
        layer_velocity(5, 4)


def test_velocity_marks_without_a_pitch():
    assert velocity_marks("snare-hard") == (DYNAMICS["hard"], None)
    assert velocity_marks("kick_v3") == (None, 3)
    assert velocity_marks("hat_closed_2") == (None, None)
    # 'v' + a number above any layer count is a velocity: Kick_v50 was layer 50 of 50 (velocity 126,
    # above Kick_v110's 80: v110 was ignored), the soft hits trained as the hardest
    assert velocity_marks("Kick_v50") == (50, None) and velocity_marks("Kick_v110") == (110, None)
    assert velocity_marks("Snare_v16") == (None, 16)  # the most layers a tag counts
    assert parse_name("Piano_C4_v100").velocity == 100


@pytest.mark.parametrize(("stem", "reason"), [
    ("A4_B4", "two note names (A4, B4)"),
    ("Horn.ff.pp.C4", "two dynamics (ff, pp)"),
    ("violin_A4_long_cresc-decresc_arco-normal", "changing dynamic (cresc)"),
    ("Violin.arco.ff.sulG.G3B3", "G3B3 names a range of notes"),
    ("kick_hard", "no note name or MIDI number"),
    ("1_2_3", "several numbers (1, 2, 3) and no note name"),
    ("048_ff_100", "several numbers"),
    ("030-G", "MIDI number 30 is F#1 but the name also says G"),
    ("200", "MIDI number 200 is outside 0..127"),
    ("G#9", "outside the MIDI range"),
    ("C4_vel200", "velocity 200 is outside 1..127"),
    ("C4_vel90_vel100", "two velocities"),
    ("Cello_C3_Vel_90_vel100", "two velocities"),
    ("Cello_C3_Vel_200", "velocity 200 is outside 1..127"),
    ("Cello_D4_(ff)_pp", "two dynamics (ff, pp)"),
    ("Cello_D4_ff2_pp1", "two dynamics (ff, pp)"),
    ("Cello_D4_quiet_loud", "two dynamics (quiet, loud)"),
    ("Cello_D4_(cresc)", "changing dynamic (cresc)"),
    ("Vel_100_048_2", "several numbers (48, 2)"),
    ("take 7 final", "7 read as a MIDI number would be G-1, below any instrument's note"),  # read as G-1
])
def test_bad_names_fail_with_a_one_line_reason(stem, reason):
    with pytest.raises(NamingError) as exc:
        parse_name(stem)
    assert reason in str(exc.value) and "\n" not in str(exc.value)


def test_a_pattern_reads_what_the_heuristics_cannot():
    pattern = compile_pattern("{instrument}_{midi}_{velocity}_{_}")
    assert pattern.parse("organ_048_100_take2") == ParsedName(48, 100, None, None)
    with pytest.raises(NamingError):
        parse_name("organ_048_100_2")  # three numbers: ambiguous without the pattern
    phil = compile_pattern("{instrument}_{note}_{_}_{dynamic}_{articulation}")
    assert phil.parse("trumpet_A4_1_forte_normal") == ParsedName(69, 96, None, "forte")
    assert phil.parse("violin_As3_025_mezzo-piano_arco-normal").velocity == 64
    layered = compile_pattern("{note}-{layer}")
    assert layered.parse("C3-v4", middle_c="C3") == ParsedName(60, None, 4, None)


@pytest.mark.parametrize(("template", "reason"), [
    ("{instrument}_{dynamic}", "exactly one of {note} and {midi}"),
    ("{note}_{midi}", "exactly one of {note} and {midi}"),
    ("{note}_{note}", "appears twice"),
    ("{note}_{velocity}_{dynamic}", "one of {velocity}, {dynamic} and {layer}"),
    ("{note}_{velocity", "unbalanced"),
    ("{note}_{}x}", "unbalanced"),
])
def test_malformed_patterns_are_rejected(template, reason):
    with pytest.raises(ValueError, match="pattern") as exc:
        compile_pattern(template)
    assert reason in str(exc.value)


def test_a_name_that_does_not_fit_the_pattern_says_so():
    pattern = compile_pattern("{note}_{dynamic}")
    with pytest.raises(NamingError, match="does not fit the pattern"):
        pattern.parse("C4-ff")
    with pytest.raises(NamingError, match="unknown dynamic 'noisy'"):
        pattern.parse("C4_noisy")


@pytest.mark.parametrize(("stem", "named"), [
    ("trumpet_A4_1_forte_normal", True), ("Horn.ff.C4.stereo", True), ("C4_100", True), ("030-F#", True),
    ("048", True),
    ("01 - Intro", False), ("Track 5", False), ("kick_01", False), ("snare-hard", False), ("untitled", False),
])
def test_a_name_names_a_note_through_a_note_name_or_a_three_digit_number(stem, named):
    assert names_a_note(stem) is named


def test_a_number_after_the_note_above_127_is_no_velocity_and_says_so():
    # Piano_C4_128 was read as a take and played at the default velocity, unsaid
    with pytest.raises(NamingError, match="128 after the note is no MIDI velocity"):
        parse_name("Piano_C4_128")
    assert parse_name("Piano_C4_127").velocity == 127
