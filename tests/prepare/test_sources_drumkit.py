"""The drumkit layout: Hydrogen kits (layered and old single-file instruments), General MIDI keys
from piece names, the user's map, and folders of one-shots named by piece."""

from __future__ import annotations

import json

import numpy as np
import pytest
from support.audio import write_audio

from samplernn.common.errors import UsageError, UserError
from samplernn.prepare.sources import drumkit_notes, one_shot_notes, to_discovery
from samplernn.prepare.sources.drumkit import layer_velocity
from samplernn.prepare.sources.gm_drums import gm_drum_key, parse_drum_map

SR = 16000

KIT = """<?xml version="1.0" encoding="UTF-8"?>
<drumkit_info xmlns="http://www.hydrogen-music.org/drumkit">
  <name>Tiny</name>
  <instrumentList>
    <instrument><id>0</id><name>Kick (22")</name>
      <instrumentComponent><layer><filename>kick_hard.wav</filename><min>0.5</min><max>1</max></layer>
        <layer><filename>kick_soft.wav</filename><min>0</min><max>0.5</max></layer></instrumentComponent>
    </instrument>
    <instrument><id>1</id><name>Hi-Hat Pedal</name>
      <layer><filename>hh_pedal.wav</filename><min>0</min><max>1</max></layer></instrument>
    <instrument><id>2</id><name>Cajon Slap</name>
      <layer><filename>cajon.wav</filename><min>0</min><max>1</max></layer></instrument>
    <instrument><id>3</id><name>Snare</name>
      <layer><filename>gone.wav</filename><min>0</min><max>1</max></layer></instrument>
    <instrument><id>4</id><name>17</name><filename>emptySample.wav</filename></instrument>
    <instrument><id>5</id><name>Empty slot</name></instrument>
  </instrumentList>
</drumkit_info>
"""
OLD_KIT = """<drumkit_info><name>Old</name><instrumentList>
  <instrument><id>0</id><filename>clap.wav</filename><name>Clap 1</name></instrument>
</instrumentList></drumkit_info>"""


def hit(path, tau=0.08):
    t = np.arange(int(0.5 * SR)) / SR
    return write_audio(path, (0.7 * np.exp(-t / tau) * np.sin(2 * np.pi * 150 * t)).astype(np.float32), SR)


@pytest.mark.parametrize(("name", "key"), [
    ("Kick", 36), ("BassDrum", 36), ("c3 - bass drum 1", 36), ("Stick", 37), ("Rim Click", 37),
    ("Snare Rimshot (Pearl)", 40), ("Snare Jazz", 38), ("Snare1", 38), ("Hand Clap", 39),
    ("Closed HH", 42), ("Hi-Hat Closed (Paiste 14\")", 42), ("Pedal HH", 44), ("VariBreaks Hat 1 Pd", 44),
    ("Open HH", 46), ("Sabian Hat Semi-Open", 46), ("Side OHH", 46), ("Floor Tom", 41), ("Tom Low", 45),
    ("Tom Mid", 47), ("Tom", 48), ("Tom Hi", 50), ("tomhi2", 50), ("Pearl Tom 1", 50), ("Crash", 49),
    ("Crash Right", 57), ("Ride", 51), ("Ride 2", 59), ("Ride Bell", 53), ("ride-cup", 53), ("China", 52),
    ("Splash (Paiste 10\")", 55), ("Cowbell", 56), ("Tambourine", 54), ("Bongo Lo", 61), ("Agogo High", 67),
    ("Maraca", 70), ("Clave", 75), ("Woodblock Hi", 76),
    # ElectricEmpireKit: a ringing hat is open; a numbered pair of congas counts down (were 42, 63, 63)
    ("Hat Ring 1", 46), ("Conga 1", 63), ("Conga 2", 64), ("Bongo 2", 61), ("Kick Ring", 36),
    # as producers and kits name them: 'OH' beside a piece is the overhead mic, not an open hat;
    # run-together hats ('hhclosed', Millo's own names; 'ClosedHH'); numbered toms with zeros
    ("Kick OH", 36), ("Snare OH", 38), ("SnareOH", 38), ("OH", 46), ("HH OH", 46), ("hhclosed_01", 42),
    ("hhopen_00", 46), ("hhpedal_01", 44), ("ClosedHH", 42), ("Tom 01", 50), ("Tom 02", 47), ("Tom 03", 45),
    ("Tom 4", 43), ("Tom 5", 41), ("Phat Kick", 36), ("high floor tom", 43),
    # the Debian kits: BJA_Pacific's free-ringing hat; ForzeeStereo's crash/ride, played three ways
    ("Hi Hat Free", 46), ("Loose Hat", 46), ("Snare (Pearl Free Floating Maple)", 38),
    ("Crash/Ride Bow (Paiste Rude Crash/Ride 18\")", 51), ("Crash/Ride Bell", 53), ("Crash/Ride", 49),
    ("Ride Bow", 51), ("Cymbal Bow", 51),
    # TR-808/909 sample packs' panel abbreviations (failed as naming no piece); a piece's own word wins
    ("808 CH", 42), ("909 CP 02", 39), ("TR-808 RS", 37), ("808_CB", 56), ("909 CY", 49), ("808 LT", 45),
    ("808 MT", 47), ("808 HT", 50), ("808 LC", 64), ("808 MC", 63), ("808 HC", 62), ("808 MA", 70),
    ("808 CL", 75), ("808 BD", 36), ("909 SD", 38), ("808 OH", 46), ("Kick CH1", 36), ("Snare RS", 38),
])
def test_general_midi_keys_from_piece_names(name, key):
    assert gm_drum_key(name) == key


def test_names_no_rule_knows_and_the_user_map():
    assert gm_drum_key("Cajon Thump") is None and gm_drum_key("Zap 1") is None
    assert gm_drum_key("cajon thump", {"Cajon Thump": 35}) == 35
    assert gm_drum_key("Kick", {"Snare": 38}) == 36


def test_the_map_names_a_kit_instrument_by_its_file_and_says_what_it_did_not_use(tmp_path):
    """--map keys may be a Hydrogen instrument's sample files (docs: "instrument or file names");
    an entry naming nothing of the kit (a typo) and a key no drum MIDI file reaches are said."""
    kit = tmp_path / "Tiny"
    for name in ("kick_hard", "kick_soft", "hh_pedal", "cajon"):
        hit(kit / f"{name}.wav")
    (kit / "drumkit.xml").write_text(KIT)
    found = drumkit_notes(kit, {"cajon.wav": 20, "Cajon Slp": 38})
    assert ("cajon.wav", 20) in [(n.source, n.pitch) for n in found.notes]
    assert any("'Cajon Slp' names no instrument or file of the kit (a typo?)" in w for w in found.warnings)
    assert any("'cajon.wav' → 20 is not a General MIDI drum key (35–81)" in w for w in found.warnings)
    both = drumkit_notes(kit, {"Cajon Slap": 54, "cajon.wav": 56})  # two entries for one sample
    assert ("cajon.wav", 54) in [(n.source, n.pitch) for n in both.notes]
    assert any("'cajon.wav' → 56 and 'Cajon Slap' → 54 name the same sample; 54 is used" in w
               for w in both.warnings), both.warnings
    shots = tmp_path / "shots"
    hit(shots / "Perc 2.wav")
    found = one_shot_notes(shots, {"Perc 2.wav": 56, "Perc 3": 56})
    assert [(n.source, n.pitch) for n in found.notes] == [("Perc 2.wav", 56)]
    assert [w.split(" names")[0] for w in found.warnings] == ["--map: 'Perc 3'"]


def test_a_hydrogen_kit(tmp_path):
    kit = tmp_path / "Tiny"
    for name in ("kick_hard", "kick_soft", "hh_pedal", "cajon", "emptySample"):
        hit(kit / f"{name}.wav")
    (kit / "drumkit.xml").write_text(KIT)
    found = drumkit_notes(kit)
    assert [(n.source, n.pitch, n.velocity) for n in found.notes] == [
        ("kick_hard.wav", 36, 95), ("kick_soft.wav", 36, 32), ("hh_pedal.wav", 44, 64)]
    assert all(n.release is None and n.described_by.name == "drumkit.xml" for n in found.notes)
    reasons = {f.source: f.message for f in found.failures}
    assert set(reasons) == {"drumkit.xml#Cajon Slap", "drumkit.xml#Snare"}
    assert """--map '{"Cajon Slap": KEY}', KEY its General MIDI drum key (36 kick""" in reasons[
        "drumkit.xml#Cajon Slap"
    ]  # one argument to a shell, and no key suggested as if it were the right one
    assert "sample 'gone.wav' of 'Snare' not found" in reasons["drumkit.xml#Snare"]
    mapped = drumkit_notes(kit / "drumkit.xml", {"Cajon Slap": 35})
    assert [n.pitch for n in mapped.notes] == [36, 36, 44, 35]


def test_an_instrument_named_by_no_piece_takes_its_samples_piece(tmp_path):
    """ColomboAcousticDrumkit's 'redo super opaco' (Italian: a very muted snare) failed for want of
    a key, though its sample is snare-opaque-2mics_normal-shot1.flac. Samples that name no piece, or
    different ones, still leave the instrument to --map."""
    kit = tmp_path / "Colombo"
    for name in ("snare-opaque-shot1", "snare-opaque-shot2", "zap_1", "kick_1", "snare_1"):
        hit(kit / f"{name}.wav")
    (kit / "drumkit.xml").write_text("""<drumkit_info><name>Colombo</name><instrumentList>
      <instrument><name>redo super opaco</name>
        <layer><filename>snare-opaque-shot1.wav</filename></layer>
        <layer><filename>snare-opaque-shot2.wav</filename></layer></instrument>
      <instrument><name>Zap</name><layer><filename>zap_1.wav</filename></layer></instrument>
      <instrument><name>Thing</name><layer><filename>kick_1.wav</filename></layer>
        <layer><filename>snare_1.wav</filename></layer></instrument>
    </instrumentList></drumkit_info>""")
    found = drumkit_notes(kit)
    assert [(n.source, n.pitch) for n in found.notes] == [("snare-opaque-shot1.wav", 38),
                                                           ("snare-opaque-shot2.wav", 38)]
    assert [f.source for f in found.failures] == ["drumkit.xml#Zap", "drumkit.xml#Thing"]
    (said,) = found.warnings
    assert said.endswith("instrument 'redo super opaco' names no drum piece; its samples' names say "
                         "38 (acoustic snare)")


def test_a_kits_adsr_sustain_is_played_and_what_is_not_applied_is_said(tmp_path):
    """ForzeeStereo's "Stick" has <Sustain>0.5</Sustain> with attack and decay 0: Hydrogen's ADSR
    holds it at half level from its second sample on (ADSR::get_value); it was prepared at full
    level. An attack/decay envelope, a random pitch and an active filter are not applied: said."""
    kit = tmp_path / "K"
    for name in ("stick", "kick", "snare", "hat"):
        hit(kit / f"{name}.wav")
    (kit / "drumkit.xml").write_text("""<drumkit_info><name>K</name><instrumentList>
      <instrument><name>Stick</name><Attack>0</Attack><Decay>0</Decay><Sustain>0.5</Sustain>
        <filterActive>false</filterActive><filterCutoff>0.3</filterCutoff>
        <layer><filename>stick.wav</filename></layer></instrument>
      <instrument><name>Kick</name><Attack>400</Attack><Decay>0</Decay><Sustain>0.5</Sustain>
        <layer><filename>kick.wav</filename></layer></instrument>
      <instrument><name>Snare</name><randomPitchFactor>0.42</randomPitchFactor>
        <layer><filename>snare.wav</filename></layer></instrument>
      <instrument><name>Hat</name><filterActive>true</filterActive><filterCutoff>0.95</filterCutoff>
        <layer><filename>hat.wav</filename></layer></instrument>
    </instrumentList></drumkit_info>""")
    found = drumkit_notes(kit)
    level = 64 / 127  # the middle of a whole-range layer
    assert [n.level for n in found.notes] == pytest.approx([0.5 * level, level, level, level])
    said = [w.split(": ", 1)[1].removesuffix("; prepare takes its samples without") for w in found.warnings]
    assert said == ["Hydrogen plays 'Kick' with its ADSR attack/decay envelope",
                    "Hydrogen plays 'Snare' with a random pitch per hit (randomPitchFactor 0.42)",
                    "Hydrogen plays 'Hat' with a low-pass filter (cutoff 0.95)"]


def test_a_kit_is_prepared_as_hydrogen_plays_it(tmp_path):
    """Hydrogen plays a layer × the note's velocity × the layer's gain × the instrument's gain and
    volume, resampled by the layer's pitch (Sampler::renderNote). Kits normalise their layers, so
    taken as recorded a soft kick was as loud as a hard one; Gimme A Hand's 'Woodblock Lo' (its 'Hi'
    sample at -3 semitones) and Colombo's tomhi2..4 (one tom at +0.96..+4.8) were one sound under
    several keys."""
    import soundfile as sf

    from samplernn.data.dataset import load_dataset
    from samplernn.prepare import prepare_bank

    kit = tmp_path / "Hand"
    hit(kit / "kick.wav")
    hit(kit / "block.wav", tau=0.2)
    (kit / "drumkit.xml").write_text("""<drumkit_info><name>Hand</name><instrumentList>
      <instrument><name>Kick</name><volume>0.5</volume>
        <layer><filename>kick.wav</filename><min>0</min><max>0.5</max></layer>
        <layer><filename>kick.wav</filename><min>0.5</min><max>1</max><gain>1.5</gain></layer></instrument>
      <instrument><name>Woodblock Hi</name><gain>0.8</gain><applyVelocity>false</applyVelocity>
        <layer><filename>block.wav</filename><pitch>0</pitch></layer></instrument>
      <instrument><name>Woodblock Lo</name><gain>0.8</gain><applyVelocity>false</applyVelocity>
        <layer><filename>block.wav</filename><pitch>12</pitch></layer></instrument>
    </instrumentList></drumkit_info>""")
    found = drumkit_notes(kit)
    assert [(n.pitch, n.velocity) for n in found.notes] == [(36, 32), (36, 95), (76, 64), (77, 64)]
    levels = [32 / 127 * 0.5, 95 / 127 * 1.5 * 0.5, 0.8, 0.8]  # velocity × gains × volume
    assert [n.level for n in found.notes] == pytest.approx(levels)
    assert [n.rate for n in found.notes] == [1.0, 1.0, 1.0, 2.0]
    assert found.warnings == []
    prepare_bank(kit, tmp_path / "out")
    ds = load_dataset(tmp_path / "out")
    audio = {(n.pitch, n.velocity): sf.read(tmp_path / "out" / n.audio, dtype="float32")[0] for n in ds.notes}
    peaks = {k: float(np.abs(y).max()) for k, y in audio.items()}
    assert peaks[36, 32] / peaks[36, 95] == pytest.approx((32 / 127) / (95 / 127 * 1.5), rel=0.02)
    assert peaks[76, 64] / peaks[36, 95] == pytest.approx(0.8 / (95 / 127 * 1.5 * 0.5), rel=0.02)
    assert max(peaks.values()) == pytest.approx(peaks[76, 64])  # the bank's one gain: loudest as before

    def hz(y):
        spectrum = np.abs(np.fft.rfft(y))
        return np.argmax(spectrum) * ds.sample_rate / y.size

    assert hz(audio[77, 64]) == pytest.approx(2 * hz(audio[76, 64]), rel=0.05)  # an octave up
    lo, hi = (next(n for n in ds.notes if n.pitch == p) for p in (76, 77))
    assert (hi.end - hi.onset) / (lo.end - lo.onset) == pytest.approx(0.5, abs=0.1)  # and twice as fast

    from samplernn.prepare import PrepareSettings

    prepare_bank(kit, tmp_path / "raw", PrepareSettings(as_recorded=True))  # --as-recorded
    raw = load_dataset(tmp_path / "raw")
    peaks = {(n.pitch, n.velocity): float(np.abs(sf.read(tmp_path / "raw" / n.audio)[0]).max())
             for n in raw.notes}
    assert peaks[36, 32] == pytest.approx(peaks[36, 95], rel=0.01)  # the kick's layers as recorded
    assert peaks[77, 64] == pytest.approx(peaks[76, 64], rel=0.05)
    lo, hi = (next(n for n in raw.notes if n.pitch == p) for p in (76, 77))
    assert (hi.end - hi.onset) == pytest.approx(lo.end - lo.onset, rel=0.05)


def test_old_kits_and_folders_of_kits(tmp_path):
    old = tmp_path / "kits" / "Old"
    hit(old / "clap.wav")
    (old / "drumkit.xml").write_text(OLD_KIT)
    found = drumkit_notes(tmp_path / "kits")
    assert [(n.source, n.pitch, n.velocity) for n in found.notes] == [("Old/clap.wav", 39, 64)]
    deeper = drumkit_notes(tmp_path)  # a kit two folders down is found too (it was skipped unsaid)
    assert [(n.source, n.pitch) for n in deeper.notes] == [("kits/Old/clap.wav", 39)]
    with pytest.raises(UserError, match="not a Hydrogen drum kit"):
        drumkit_notes(_empty(tmp_path))
    (old / "drumkit.xml").write_text("<drumkit_info><name>broken")
    (found,) = drumkit_notes(old).failures
    assert "unreadable Hydrogen drum kit" in found.message


def _empty(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    return folder


def test_a_broken_kit_among_several_and_loose_files_are_said(tmp_path):
    """One corrupt drumkit.xml among kits is a failure, the other kits are prepared (it aborted the
    whole folder, --skip-bad or not); loose audio beside the kits is named as not read."""
    good, bad = tmp_path / "kits" / "Good", tmp_path / "kits" / "deep" / "Bad"
    hit(good / "clap.wav")
    (good / "drumkit.xml").write_text(OLD_KIT)
    hit(bad / "clap.wav")
    (bad / "drumkit.xml").write_text("<drumkit_info><name>broken")
    hit(tmp_path / "kits" / "Kick 01.wav")
    found = drumkit_notes(tmp_path / "kits")
    assert [n.source for n in found.notes] == ["Good/clap.wav"]
    assert [f.source for f in found.failures] == ["deep/Bad/drumkit.xml"]
    assert "unreadable Hydrogen drum kit" in found.failures[0].message
    (loose,) = found.warnings
    assert loose.startswith("1 audio file(s) outside the kits' folders were not read (Kick 01.wav)")


def test_layer_velocity_is_the_middle_of_the_range():
    assert layer_velocity(0.875, 1.0) == 119 and layer_velocity(0.0, 0.125) == 8
    assert layer_velocity(0.0, 0.0) == 1


def test_a_folder_of_one_shots_named_by_piece(tmp_path):
    src = tmp_path / "shots"
    for rel in ("kick_01.wav", "snare-hard.wav", "snare-soft.wav", "hat_closed_2.wav", "toms/low.wav",
                "fx/whoosh.wav", "kick_ff_pp.wav"):
        hit(src / rel)
    found = one_shot_notes(src)
    assert [(n.source, n.pitch, n.velocity) for n in found.notes] == [
        ("hat_closed_2.wav", 42, 80), ("kick_01.wav", 36, 80), ("snare-hard.wav", 38, 96),
        ("snare-soft.wav", 38, 49), ("toms/low.wav", 45, 80)]
    reasons = {f.source: f.message for f in found.failures}
    assert "no drum piece in its name" in reasons["fx/whoosh.wav"] and "--map" in reasons["fx/whoosh.wav"]
    assert "two dynamics" in reasons["kick_ff_pp.wav"]
    assert [n.pitch for n in one_shot_notes(src, {"whoosh": 49}).notes if "whoosh" in n.source] == [49]


def test_one_shot_layer_tags_count_within_their_own_piece(tmp_path):
    """kick_v2 of two kick layers is the hard kick, whatever the snare's 8 layers (it was read as
    layer 2 of 8: velocity 24, its hardest kick softer than the snare's layer 3)."""
    src = tmp_path / "shots"
    for name in ("kick_v1", "kick_v2", *(f"snare_v{k}" for k in range(1, 9))):
        hit(src / f"{name}.wav")
    velocities = {n.source: n.velocity for n in one_shot_notes(src).notes}
    assert velocities["kick_v1.wav"] == 32 and velocities["kick_v2.wav"] == 95
    assert velocities["snare_v1.wav"] == 8 and velocities["snare_v8.wav"] == 119


def test_one_shot_layers_numbered_1_to_n_are_layers_whatever_their_tag(tmp_path):
    """snare_v1 … snare_v20: v17-v20 were read as velocities 17-20, the four hardest layers under
    v16's 123; Vel1 … Vel4 were velocities 1-4 (near silence). A piece's gapless run from 1 is its
    layers; velocities that are no such run stay velocities."""
    src = tmp_path / "shots"
    for name in (*(f"snare_v{k}" for k in range(1, 21)), *(f"Kick_Vel{k}" for k in range(1, 5)),
                 "hat_vel100", "hat_vel120"):
        hit(src / f"{name}.wav")
    velocities = {n.source: n.velocity for n in one_shot_notes(src).notes}
    snare = [velocities[f"snare_v{k}.wav"] for k in range(1, 21)]
    assert snare == sorted(snare) and snare[0] == 3 and snare[-1] == 124
    assert [velocities[f"Kick_Vel{k}.wav"] for k in range(1, 5)] == [16, 48, 79, 111]
    assert (velocities["hat_vel100.wav"], velocities["hat_vel120.wav"]) == (100, 120)


def test_a_ghost_note_is_soft(tmp_path):
    """'Snare Ghost 3' was an unmarked hit (mf, 80) like the full snares; a dynamic in the name still wins."""
    src = tmp_path / "shots"
    for name in ("Snare Ghost 3", "Snare (Ghost)", "snare_ghost_mf", "snare"):
        hit(src / f"{name}.wav")
    velocities = {n.source: n.velocity for n in one_shot_notes(src).notes}
    assert velocities == {"Snare Ghost 3.wav": 33, "Snare (Ghost).wav": 33, "snare_ghost_mf.wav": 80,
                          "snare.wav": 80}


def test_one_shots_numbered_as_takes_of_one_piece_stay_one_piece(tmp_path):
    """Crash_1 … Crash_4 are round robins of one crash (their numbers made Crash_2 alone crash
    cymbal 2); Ride/1 … Ride/3 likewise; a numbered pair and toms 1-5 still name pieces, and the
    user's map still decides."""
    src = tmp_path / "shots"
    names = [*(f"Cymbals/Crash_{k}" for k in range(1, 5)), *(f"Ride/{k}" for k in range(1, 4)),
             "Pair/Crash 1", "Pair/Crash 2", *(f"Toms/Tom {k}" for k in range(1, 6))]
    for name in names:
        hit(src / f"{name}.wav")
    found = one_shot_notes(src)
    keys = {n.source: n.pitch for n in found.notes}
    assert [keys[f"Cymbals/Crash_{k}.wav"] for k in range(1, 5)] == [49] * 4
    assert [keys[f"Ride/{k}.wav"] for k in range(1, 4)] == [51] * 3
    assert (keys["Pair/Crash 1.wav"], keys["Pair/Crash 2.wav"]) == (49, 57)
    assert [keys[f"Toms/Tom {k}.wav"] for k in range(1, 6)] == [50, 47, 45, 43, 41]
    said = [w for w in found.warnings if "takes of one piece" in w]
    assert len(said) == 2 and "Crash_1.wav … Crash_4.wav: numbered 1–4" in said[0]
    mapped = {n.source: n.pitch for n in one_shot_notes(src, {"Crash_2": 57}).notes}
    assert [mapped[f"Cymbals/Crash_{k}.wav"] for k in range(1, 5)] == [49, 57, 49, 49]


def test_a_linked_folder_of_one_shots_is_read(tmp_path):
    """A pack linked into the kit's folder ('Snares' → elsewhere) was left out without a word, and a
    folder of links alone was "no recordings found"; a link back up the tree is walked once."""
    from samplernn.prepare.sources.detect import bank_layout

    hit(tmp_path / "packs" / "Snares" / "01.wav")
    hit(tmp_path / "packs" / "Snares" / "02.wav")
    src = tmp_path / "shots"
    hit(src / "kick.wav")
    (src / "Snares").symlink_to(tmp_path / "packs" / "Snares", target_is_directory=True)
    (tmp_path / "packs" / "Snares" / "up").symlink_to(src, target_is_directory=True)
    assert sorted((n.source, n.pitch) for n in one_shot_notes(src).notes) == [
        ("Snares/01.wav", 38), ("Snares/02.wav", 38), ("kick.wav", 36)]
    links = tmp_path / "links"
    links.mkdir()
    (links / "Snares").symlink_to(tmp_path / "packs" / "Snares", target_is_directory=True)
    assert bank_layout(links) == "drumkit"


def test_a_folder_names_the_piece_a_file_names_only_the_kind_of(tmp_path):
    """'Hats/Open/Hat 1.wav' was a closed hat, 'Toms/Floor/Tom.wav' a hi-mid tom and
    'Cymbals/Ride/Cymbal.wav' a crash: the file's name of the kind alone won over the folder's piece.
    A file naming its piece keeps it ('HH Closed' in 'Open/'), and a folder of another kind changes
    nothing ('Kicks/Tom.wav')."""
    src = tmp_path / "shots"
    names = {"Hats/Open/Hat 1": 46, "Hats/Pedal/Hat": 44, "Hats/Open/HH Closed": 42, "Toms/Floor/Tom": 41,
             "Toms/Rack/Tom Hi": 50, "Cymbals/Ride/Cymbal": 51, "Cymbals/China/Cymbal": 52,
             "Cymbals/Crash/Cymbal": 49, "Kicks/Tom": 48}
    for name in names:
        hit(src / f"{name}.wav")
    assert {n.source: n.pitch for n in one_shot_notes(src).notes} == {f"{k}.wav": v for k, v in names.items()}


def test_toms_named_by_their_size_count_down_from_the_high_tom(tmp_path):
    """'Tom 10in', 'Tom 12in' and 'Tom 14"' were all 48 (a tom no rule places): three drums trained
    as one piece, unsaid. Ranked by size they count down as numbered toms do (50, 47, 45), a notice
    says so; a floor tom and a mapped tom keep their keys, and one size alone changes nothing."""
    src = tmp_path / "shots"
    for name in ("Toms/Tom 10in hard", "Toms/Tom 10in soft", "Toms/Tom 12in", "Toms/Tom 14\"",
                 "Toms/Floor Tom 16in", "Rack 13in Tom"):
        hit(src / f"{name}.wav")
    found = one_shot_notes(src, {"Rack 13in Tom": 48})
    keys = {n.source: n.pitch for n in found.notes}
    assert keys == {"Toms/Tom 10in hard.wav": 50, "Toms/Tom 10in soft.wav": 50, "Toms/Tom 12in.wav": 47,
                    "Toms/Tom 14\".wav": 45, "Toms/Floor Tom 16in.wav": 41, "Rack 13in Tom.wav": 48}
    assert [w for w in found.warnings if "size" in w] == [
        "toms named by their size, read as numbered toms are, the smallest the high tom: 10 in 50 (high "
        "tom), 12 in 47 (low-mid tom), 14 in 45 (low tom); --map gives a file its own key"]
    for name in ("Toms/Tom 12in", "Toms/Tom 14\"", "Rack 13in Tom"):
        (src / f"{name}.wav").unlink()
    found = one_shot_notes(src)
    assert {n.pitch for n in found.notes if "10in" in n.source} == {48}
    assert not [w for w in found.warnings if "size" in w]


def test_toms_sized_in_names_written_with_underscores_are_ranked(tmp_path):
    """'Tom_12in_hard' and 'Tom_14inch_soft': '_' is a word character, so a size rule ending in \\b
    missed both and the two toms stayed one piece (48)."""
    src = tmp_path / "shots"
    for name in ("Tom_12in_hard", "Tom_14inch_soft"):
        hit(src / f"{name}.wav")
    keys = {n.source: n.pitch for n in one_shot_notes(src).notes}
    assert keys == {"Tom_12in_hard.wav": 50, "Tom_14inch_soft.wav": 47}


def test_a_note_names_octave_names_no_numbered_piece(tmp_path):
    """Tuned hits named by their note ('Tom G2', 'Tom D3', 'Crash C2'): the note's octave was read as
    the tom's or crash's number ('Tom G2' the low-mid tom 47 above 'Tom D3', the low tom 45; 'Crash C2'
    crash cymbal 2). The note names no number; toms told apart by their notes alone are ranked by
    them, the highest the high tom, as toms named by size are."""
    assert [gm_drum_key(n) for n in ("Tom G2", "Crash C2", "Ride D2", "Conga E2", "808 Tom Bb1", "CB2_01",
                                     "Tom 2", "Crash 2", "Kick C1")] == [48, 49, 51, 63, 48, 56, 47, 57, 36]
    src = tmp_path / "shots"
    for name in ("Toms/Tom C2", "Toms/Tom G2", "Toms/Tom D3", "Crash C2"):
        hit(src / f"{name}.wav")
    found = one_shot_notes(src)
    assert {n.source: n.pitch for n in found.notes} == {"Toms/Tom C2.wav": 45, "Toms/Tom G2.wav": 47,
                                                         "Toms/Tom D3.wav": 50, "Crash C2.wav": 49}
    assert [w for w in found.warnings if "toms named" in w] == [
        "toms named by their notes, read as numbered toms are, the highest the high tom: D3 50 (high tom), "
        "G2 47 (low-mid tom), C2 45 (low tom); --map gives a file its own key"]


def test_one_shots_named_softest_to_hardest_keep_their_order(tmp_path):
    """'Kick-Softest' … 'Kick-Hardest', as the Black Pearl's samples are named, played Softest and
    Hardest at mf (80): the hardest hit under 'Kick-Hard' (96), the softest over 'Kick-Soft' (49)."""
    src = tmp_path / "shots"
    for level in ("Softest", "Soft", "Med", "Hard", "Hardest"):
        hit(src / f"Kick-{level}.wav")
    velocities = {n.source: n.velocity for n in one_shot_notes(src).notes}
    assert [velocities[f"Kick-{level}.wav"] for level in ("Softest", "Soft", "Med", "Hard", "Hardest")] == [
        33, 49, 80, 96, 112]


def test_the_folder_given_as_src_names_the_piece_of_its_one_shots(tmp_path):
    """`prepare Samples/Kicks OUT` (new kicks from a folder of kicks): 'Deep.wav' and 'Punchy.wav'
    failed as naming no piece, the layout could not be told, and `--map '{"Kicks": 36}'` was said
    to name nothing. SRC's own name now names its one-shots' piece as a subfolder's would, last."""
    from samplernn.prepare.sources.detect import bank_layout

    src = tmp_path / "Samples" / "Kicks"
    for name in ("Deep", "Punchy", "Sub 02", "Snare"):
        hit(src / f"{name}.wav")
    found = one_shot_notes(src)
    assert not found.failures
    assert {n.source: n.pitch for n in found.notes} == {"Deep.wav": 36, "Punchy.wav": 36, "Sub 02.wav": 36,
                                                         "Snare.wav": 38}
    assert bank_layout(src) == "drumkit"
    perc = tmp_path / "Perc"
    hit(perc / "Thing.wav")
    found = one_shot_notes(perc, {"Perc": 56})
    assert [n.pitch for n in found.notes] == [56] and not found.warnings
    found = one_shot_notes(tmp_path / "Samples" / "Kicks" / ".")  # SRC given as '.' from inside it
    assert {n.pitch for n in found.notes} == {36, 38}


def test_a_running_number_before_a_name_names_no_piece(tmp_path):
    """'02 Crash.wav' was crash cymbal 2 and '03 Tom.wav', '04 Tom.wav' a low and a high floor tom by
    the folder's running numbers; 'Crash 2' still names crash cymbal 2, and --map takes the name as
    written."""
    src = tmp_path / "shots"
    for name in ("01 Kick", "02 Crash", "03 - Tom", "04_Tom", "05 Crash 2", "06 Toms/1", "808 Kick"):
        hit(src / f"{name}.wav")
    keys = {n.source: n.pitch for n in one_shot_notes(src).notes}
    assert keys == {"01 Kick.wav": 36, "02 Crash.wav": 49, "03 - Tom.wav": 48, "04_Tom.wav": 48,
                    "05 Crash 2.wav": 57, "06 Toms/1.wav": 50, "808 Kick.wav": 36}
    assert {n.source: n.pitch for n in one_shot_notes(src, {"02 Crash": 57}).notes}["02 Crash.wav"] == 57


def test_a_folder_named_in_the_plural_names_its_piece(tmp_path):
    """'Cymbals/01.wav', 'Shakers/a.wav', 'Splashes/…' failed as naming no piece ('Kicks' and
    'Snares' were read, split off as a piece word's prefix)."""
    src = tmp_path / "shots"
    names = {"Cymbals/01": 49, "Shakers/a": 70, "Splashes/b": 55, "Cowbells/c": 56, "Rimshots/d": 40,
             "Tambourines/e": 54, "Ride Bells/f": 53, "Kicks/g": 36}
    for name in names:
        hit(src / f"{name}.wav")
    found = one_shot_notes(src)
    assert not found.failures
    assert {n.source: n.pitch for n in found.notes} == {f"{k}.wav": v for k, v in names.items()}
    assert gm_drum_key("Bass") is None and gm_drum_key("Bells") is None


def test_drum_hits_are_released_at_their_attack(tmp_path):
    kit = tmp_path / "Tiny"
    for name in ("kick_hard", "kick_soft", "hh_pedal"):
        hit(kit / f"{name}.wav")
    (kit / "drumkit.xml").write_text(KIT.replace("Cajon Slap", "Crash").replace("gone.wav", "kick_hard.wav")
                                     .replace("cajon.wav", "hh_pedal.wav"))
    out = to_discovery(drumkit_notes(kit))
    assert len(out.jobs) == 5 and not out.failures
    assert all(j.off - j.on < 0.1 for j in out.jobs)
    json.dumps([j.source for j in out.jobs])


def test_the_user_map_is_json_text_or_a_file(tmp_path):
    assert parse_drum_map('{"Cowbell": 56}') == {"Cowbell": 56}
    (tmp_path / "map.json").write_text('{"Paiste Bell": 53}')
    assert parse_drum_map(str(tmp_path / "map.json")) == {"Paiste Bell": 53}
    for text, reason in (("{oops", "not valid JSON"), ("[1]", "must be a JSON object"),
                         ('{"a": 128}', '"a" maps to 128, not a MIDI key number'),
                         ('{"a": true}', '"a" maps to true, not a MIDI key number')):
        with pytest.raises(UsageError, match=f"^--map: .*{reason}"):  # a value on the command line
            parse_drum_map(text)
    (tmp_path / "bad.json").write_text('{"a": 128}')
    files = ((tmp_path / "none.json", "cannot read"), (tmp_path / "bad.json", "not a MIDI key number"))
    for path, reason in files:  # a mistake in a file, as for other file-valued options
        with pytest.raises(UserError, match=reason) as err:
            parse_drum_map(str(path))
        assert not isinstance(err.value, UsageError) and str(err.value).startswith(str(path))


def test_the_summary_lists_each_piece_and_its_samples(tmp_path):
    """prepare's summary of a kit names the piece each sample became (a misread name shows there)."""
    from samplernn.prepare.report import pieces_line, summary_lines
    from samplernn.prepare.run import prepare_bank
    from samplernn.prepare.settings import PrepareSettings

    assert pieces_line({35: 1, 38: 2, 46: 1}) == "35 ×1, 38 acoustic snare ×2, 46 open hi-hat ×1"
    for name in ("Kick 01.wav", "Kick 02.wav", "SNR_Tight.wav", "hh_closed_03.wav"):
        hit(tmp_path / "shots" / name)
    result = prepare_bank(tmp_path / "shots", tmp_path / "out", PrepareSettings(layout="drumkit"))
    lines = summary_lines(result)
    assert "  pieces        36 bass drum ×2, 38 acoustic snare ×1, 42 closed hi-hat ×1" in lines
    assert not any(line.startswith("  pitches") for line in lines)


def test_pieces_that_never_reach_train_are_said(tmp_path):
    """A kit of one sample per piece gives one piece to val and one to test: the model never
    learns them and the checkpoint's kit leaves them out, while the summary listed them as pieces."""
    from samplernn.prepare.report import summary_lines
    from samplernn.prepare.run import prepare_bank
    from samplernn.prepare.settings import PrepareSettings

    for name in ("kick", "snare", "hat", "crash"):
        hit(tmp_path / "shots" / f"{name}.wav", tau=0.05 + 0.01 * len(name))
    result = prepare_bank(tmp_path / "shots", tmp_path / "out", PrepareSettings(layout="drumkit"))
    untrained = [n.message for n in result.notices if "will not learn" in n.message]
    assert len(untrained) == 1 and "every sample of these pieces went to val or test" in untrained[0]
    assert untrained[0] in "\n".join(summary_lines(result))
    for name in ("kick", "snare", "hat", "crash"):
        hit(tmp_path / "shots" / f"{name}_2.wav", tau=0.03 + 0.01 * len(name))
    result = prepare_bank(tmp_path / "shots", tmp_path / "out", PrepareSettings(layout="drumkit"))
    assert not [n for n in result.notices if "will not learn" in n.message]


def test_a_drumkit_xml_given_as_src_is_read_as_a_kit(tmp_path):
    from samplernn.prepare.sources.detect import bank_layout

    kit = tmp_path / "Old"
    hit(kit / "clap.wav")
    (kit / "drumkit.xml").write_text(OLD_KIT)
    assert bank_layout(kit / "drumkit.xml") == "drumkit"  # was "not a folder (… or an .sfz file)"
    (tmp_path / "hx.xml").symlink_to(kit / "drumkit.xml")  # a link to one, under another name
    assert bank_layout(tmp_path / "hx.xml") == "drumkit"
    assert [n.pitch for n in drumkit_notes(tmp_path / "hx.xml").notes] == [39]
    with pytest.raises(UserError, match="an .sfz file or a drumkit.xml"):
        bank_layout(kit / "clap.wav")


def test_a_loop_among_one_shots_is_noticed(tmp_path):
    """An 8-s hat loop was prepared as one closed hat held 7.5 s without a word."""
    from samplernn.prepare.sources import to_discovery

    t = np.arange(int(0.25 * SR)) / SR
    beat = (0.6 * np.exp(-t / 0.03) * np.sin(2 * np.pi * 3000 * t)).astype(np.float32)
    write_audio(tmp_path / "shots" / "Hats 120bpm.wav", np.tile(beat, 24), SR)  # 6 s of hits
    hit(tmp_path / "shots" / "kick_01.wav")
    discovery = to_discovery(one_shot_notes(tmp_path / "shots"))
    (line,) = [w for w in discovery.warnings if "attacks in one sound" in w]
    # the first hit, at sample 0, has no frames before it and counts none
    assert "Hats 120bpm.wav: 23 attacks in one sound (held" in line and "a roll or a loop?" in line


def test_a_short_roll_among_one_shots_is_noticed(tmp_path):
    """A roll of 0.5 s held less than 2.5 s, so it was prepared as one snare hit without a word
    (BJA_Pacific's SN3_03/SN3_04: 3 and 4 attacks, held 0.5 and 1.2 s)."""
    from samplernn.prepare.sources import to_discovery

    t = np.arange(int(0.12 * SR)) / SR
    stroke = (0.6 * np.exp(-t / 0.02) * np.sin(2 * np.pi * 900 * t)).astype(np.float32)
    lead = np.zeros(SR // 20, np.float32)
    write_audio(tmp_path / "shots" / "snare_07.wav", np.concatenate([lead, *[stroke] * 4]), SR)
    hit(tmp_path / "shots" / "kick_01.wav")
    discovery = to_discovery(one_shot_notes(tmp_path / "shots"))
    (line,) = [w for w in discovery.warnings if "attacks in one sound" in w]
    assert line.startswith(f"{tmp_path / 'shots' / 'snare_07.wav'}: 4 attacks in one sound (held 0.")
    assert len(discovery.jobs) == 2  # said, not left out: a notice, the user decides


def test_a_sound_named_a_roll_or_a_loop_is_left_out(tmp_path):
    """BJA_Pacific's "Snare Roll" (rolls of 3-7 strokes) was prepared as four snare hits; a file
    named as a loop likewise. Left out with a notice giving the --map that takes it back."""
    kit = tmp_path / "Kit"
    hit(kit / "sn.wav")
    hit(kit / "roll.wav")
    (kit / "drumkit.xml").write_text("""<drumkit_info><name>K</name><instrumentList>
      <instrument><name>Snare</name><layer><filename>sn.wav</filename></layer></instrument>
      <instrument><name>Snare Roll</name><layer><filename>roll.wav</filename></layer></instrument>
    </instrumentList></drumkit_info>""")
    found = drumkit_notes(kit)
    assert [n.audio.name for n in found.notes] == ["sn.wav"] and not found.failures
    (line,) = [w for w in found.warnings if "run of hits" in w]
    assert "instrument 'Snare Roll' is a run of hits (a roll or a loop), not a one-shot: left out" in line
    assert """--map '{"Snare Roll": 38}'""" in line
    mapped = drumkit_notes(kit, {"Snare Roll": 38})
    assert sorted(n.audio.name for n in mapped.notes) == ["roll.wav", "sn.wav"]
    assert not [w for w in mapped.warnings if "run of hits" in w]

    shots = tmp_path / "shots"
    hit(shots / "kick_01.wav")
    hit(shots / "hat_loop_120.wav")
    found = one_shot_notes(shots)
    assert [n.audio.name for n in found.notes] == ["kick_01.wav"] and not found.failures
    assert any("hat_loop_120.wav is a run of hits" in w for w in found.warnings)
    assert len(one_shot_notes(shots, {"hat_loop_120": 42}).notes) == 2


def test_a_long_ringing_cymbal_is_no_loop(tmp_path):
    """ForzeeStereo's 18-22" rides and crashes ring near their peak for 3-8 s, one hit each: all 13
    were noticed as "a loop or several hits?". A ring that beats (the level swaying a few dB) is
    still one hit; a roll's or a loop's hits each rise from a dip."""
    from samplernn.prepare.sources import to_discovery
    from samplernn.prepare.sources.release import hit_count

    t = np.arange(int(6.0 * SR)) / SR
    sway = 10 ** ((-3.0 * t + 2.5 * np.sin(2 * np.pi * 2.0 * t)) / 20)  # -3 dB/s, beating ±2.5 dB
    ride = 0.5 * sway * np.random.default_rng(0).standard_normal(t.size)
    ride = np.concatenate([np.zeros(SR // 10), ride]).astype(np.float32)
    write_audio(tmp_path / "shots" / "ride_22.wav", ride, SR)
    discovery = to_discovery(one_shot_notes(tmp_path / "shots"))
    (job,) = discovery.jobs
    assert job.off - job.on > 2.5  # held long
    assert not [w for w in discovery.warnings if "attacks in one sound" in w]
    assert hit_count(ride, SR) == 1
    beat = ride[SR // 10:][: SR // 4] * np.exp(-np.arange(SR // 4) / (0.03 * SR)).astype(np.float32)
    assert hit_count(np.concatenate([np.zeros(SR // 10, np.float32), *[beat] * 8]), SR) == 8  # a roll


def test_a_file_that_is_no_drumkit_xml_is_told_what_to_give(tmp_path):
    """A .flac or a .h2drumkit archive as SRC read as XML: "unreadable Hydrogen drum kit (not
    well-formed (invalid token))" said nothing useful."""
    flac = hit(tmp_path / "kick.wav")
    with pytest.raises(UserError, match="kick.wav: not a drumkit.xml: give a kit's folder"):
        drumkit_notes(flac)
    archive = tmp_path / "Kit.h2drumkit"
    archive.write_bytes(b"\x1f\x8b")
    with pytest.raises(UserError, match="a Hydrogen kit archive: unpack it"):
        drumkit_notes(archive)


def test_the_map_hint_spells_a_name_as_written() -> None:
    from samplernn.prepare.sources.drumkit import map_example

    assert map_example("Becken Größe").startswith("""'{"Becken Größe": KEY}', KEY its General MIDI""")


def test_a_one_shot_whose_channels_cancel_says_so(tmp_path):
    from samplernn.prepare import PrepareSettings, prepare_bank

    src = tmp_path / "shots"
    rng = np.random.default_rng(0)
    shot = (rng.standard_normal(8000) * np.exp(-np.arange(8000) / 800)).astype(np.float32) * 0.5
    write_audio(src / "kick.wav", shot, 16000)
    write_audio(src / "snare.wav", np.stack([shot, -shot], axis=1), 16000)  # one channel phase-inverted
    result = prepare_bank(src, tmp_path / "out", PrepareSettings(layout="drumkit"))
    [failure] = result.failures
    assert "snare.wav: its channels cancel in the mono mix-down" in failure.message


def test_a_map_entry_on_a_folder_maps_the_one_shots_in_it(tmp_path):
    """--map '{"Perc": 56}' for 'Perc/Thing.wav' said the entry named nothing and the file failed as
    naming no piece: a folder's entry now keys every one-shot in it (by name or path from the
    source), a file's own entry still wins, and files elsewhere keep their rules."""
    src = tmp_path / "shots"
    for name in ("Perc/Thing", "Perc/Other", "Kits/FX/Zap", "Kick"):
        hit(src / f"{name}.wav")
    assert [n.source for n in one_shot_notes(src).notes] == ["Kick.wav"]
    found = one_shot_notes(src, {"Perc": 56, "Other": 75, "Kits/FX": 54})
    assert {n.source: n.pitch for n in found.notes} == {
        "Perc/Thing.wav": 56, "Perc/Other.wav": 75, "Kits/FX/Zap.wav": 54, "Kick.wav": 36}
    assert not found.failures and not any("names no instrument" in w for w in found.warnings)
