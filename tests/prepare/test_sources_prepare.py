"""Every layout without MIDI end to end: `prepare_bank` detects it, writes a dataset that loads (the
audio layout's trains unconditioned), reports mislabelled names, and `bank_layout` refuses to guess."""

from __future__ import annotations

import json

import numpy as np
import pytest
from support.audio import tone, write_audio, write_midi
from support.tiny import tiny_train_config

from samplernn.common.errors import UserError
from samplernn.data.dataset import load_dataset
from samplernn.prepare import PrepareSettings, prepare_bank
from samplernn.prepare.inspect import inspect_dataset
from samplernn.prepare.sources.detect import MIDI, bank_layout, discover_bank

SR = 8000
NAMES = {48: "C3", 50: "D3", 52: "E3"}
FAST = dict(sample_rate=SR, lead_silence=0.02, tail_silence=0.02)


def sample(path, pitch, amplitude=0.5, length=0.3, sr=SR):
    return write_audio(path, tone(sr, pitch, 0.01, 0.01 + length, tail=0.1, amplitude=amplitude), sr)


def hit(path, tau=0.05, sr=SR):
    t = np.arange(int(0.4 * sr)) / sr
    return write_audio(path, (0.7 * np.exp(-t / tau) * np.sin(2 * np.pi * 180 * t)).astype(np.float32), sr)


def named_library(src):
    """Iowa-style names, two dynamics on three pitches, and one file whose sound is not its name."""
    for pitch, name in NAMES.items():
        sample(src / f"Flute.pp.{name}.stereo.wav", pitch, 0.15)
        sample(src / f"Flute.ff.{name}.stereo.wav", pitch, 0.6)
    sample(src / "Flute.ff.A3.stereo.wav", 60, 0.6)  # labelled A3, sounds C4
    return src


def test_named_bank_prepares_and_mislabelled_names_fail_unless_trusted(tmp_path):
    src = named_library(tmp_path / "flute")
    result = prepare_bank(src, tmp_path / "out", PrepareSettings(**FAST))
    assert result.layout == "named" and result.n_notes == 6
    assert result.pitches == [48, 50, 52] and result.velocities == [33, 112]
    assert [f.source for f in result.failures] == ["Flute.ff.A3.stereo.wav"]
    message = result.failures[0].message
    assert "named A3 but sounds C4" in message and "--trust-names" in message
    assert result.pitch_checks == {"ok": 6, "off": 1}
    info = json.loads((tmp_path / "out" / "dataset.json").read_text())
    assert info["layout"] == "named" and info["pitch_checks"] == {"ok": 6, "off": 1}

    trusted = prepare_bank(src, tmp_path / "out", PrepareSettings(**FAST, trust_names=True))
    assert trusted.n_notes == 7 and not trusted.failures
    assert [n.message for n in trusted.notices if "kept (--trust-names)" in n.message] != []
    ds = load_dataset(tmp_path / "out")
    note = next(n for n in ds.notes if n.source == "Flute.ff.A3.stereo.wav")
    assert note.pitch == 57  # the name is kept
    assert inspect_dataset(tmp_path / "out").is_file()


def test_pattern_and_middle_c_read_names_no_scheme_covers(tmp_path):
    src = tmp_path / "organ"
    for pitch, name in NAMES.items():
        sample(src / f"{name.replace('3', '2')}~loud.wav", pitch)  # middle C written C3
    settings = PrepareSettings(**FAST, layout="named", pattern="{note}~{_}", middle_c="C3")
    result = prepare_bank(src, tmp_path / "out", settings)
    assert result.pitches == [48, 50, 52] and not result.failures


def test_nsynth_bank_is_released_at_its_fixed_note_off(tmp_path):
    root = tmp_path / "nsynth-test"
    notes = {}
    for k, (instrument, family, pitch) in enumerate([("flute_acoustic_002", "flute", 60),
                                                     ("flute_acoustic_002", "flute", 62),
                                                     ("bass_synthetic_009", "bass", 40)]):
        key = f"{instrument}-{pitch:03d}-{50 + k}"
        notes[key] = {"pitch": pitch, "velocity": 50 + k, "instrument_str": instrument,
                      "instrument_family_str": family, "instrument_source_str": "acoustic"}
        write_audio(root / "audio" / f"{key}.wav", tone(SR, pitch, 0.0, 3.0, tail=0.2, total=3.3), SR)
    (root / "examples.json").write_text(json.dumps(notes))
    result = prepare_bank(root, tmp_path / "out", PrepareSettings(**FAST, family="flute"))
    assert result.layout == "nsynth" and result.n_notes == 2 and result.pitches == [60, 62]
    for n in load_dataset(tmp_path / "out").notes:
        assert abs((n.release - n.onset) - 3.0 * SR) <= 2
    with pytest.raises(UserError, match="not an NSynth family"):
        prepare_bank(root, tmp_path / "out", PrepareSettings(**FAST, family="kazoo"))


def test_sfz_instrument_as_file_or_folder(tmp_path):
    for pitch, name in NAMES.items():
        sample(tmp_path / "inst" / "samples" / f"cello_{name}_f.wav", pitch)
    regions = "\n".join(f"<region> sample=samples\\cello_{name}_f.wav pitch_keycenter={pitch}"
                        for pitch, name in NAMES.items())
    (tmp_path / "inst" / "cello.sfz").write_text(f"<group> lovel=64 hivel=127\n{regions}\nstray words\n")
    for src in (tmp_path / "inst", tmp_path / "inst" / "cello.sfz"):
        result = prepare_bank(src, tmp_path / "out", PrepareSettings(**FAST))
        assert result.layout == "sfz" and result.pitches == [48, 50, 52] and result.velocities == [96]
        assert any("stray words" in n.message for n in result.notices)  # the reader's warning is reported


KIT = """<drumkit_info><name>Tiny</name><instrumentList>
  <instrument><name>Kick</name>
    <layer><filename>kick_hard.wav</filename><min>0.5</min><max>1</max></layer>
    <layer><filename>kick_soft.wav</filename><min>0</min><max>0.5</max></layer></instrument>
  <instrument><name>Snare</name><layer><filename>snare.wav</filename><min>0</min><max>1</max></layer></instrument>
  <instrument><name>Thing</name><layer><filename>thing.wav</filename><min>0</min><max>1</max></layer></instrument>
</instrumentList></drumkit_info>"""


def test_drumkit_hits_ring_out_after_their_release(tmp_path):
    kit = tmp_path / "kit"
    for name in ("kick_hard", "kick_soft", "snare", "thing"):
        hit(kit / f"{name}.wav")
    (kit / "drumkit.xml").write_text(KIT)
    result = prepare_bank(kit, tmp_path / "out", PrepareSettings(**FAST, skip_bad=True))
    assert result.layout == "drumkit" and result.pitches == [36, 38] and result.velocities == [32, 64, 95]
    assert [f.source for f in result.failures] == ["drumkit.xml#Thing"]
    # percussive: released at the end of the attack, the decay is the release tail
    assert result.release_tail_ms["min"] > 150
    mapped = prepare_bank(kit, tmp_path / "out", PrepareSettings(**FAST, drum_map='{"thing": 56}'))
    assert mapped.pitches == [36, 38, 56] and not mapped.failures
    with pytest.raises(UserError, match="not a MIDI key number"):
        prepare_bank(kit, tmp_path / "out", PrepareSettings(**FAST, drum_map='{"thing": 300}'))


def test_drum_one_shots_without_a_kit_file(tmp_path):
    for name in ("kick_01", "kick_02", "snare-hard", "hats/closed_1"):
        hit(tmp_path / "shots" / f"{name}.wav")
    result = prepare_bank(tmp_path / "shots", tmp_path / "out", PrepareSettings(**FAST))
    assert result.layout == "drumkit" and result.pitches == [36, 38, 42]


def test_audio_bank_is_chunks_as_they_are_and_trains_unconditioned(tmp_path):
    from samplernn.train.loop import train

    rng = np.random.default_rng(0)
    t = np.arange(5 * SR) / SR
    for k in range(2):
        x = 0.4 * np.sin(2 * np.pi * (110 + 55 * k) * t) + 0.02 * rng.standard_normal(t.size)
        write_audio(tmp_path / "album" / f"0{k + 1} - Song.flac", x.astype(np.float32), SR)
    result = prepare_bank(tmp_path / "album", tmp_path / "out", PrepareSettings(**FAST, chunk_seconds=1.0))
    assert result.layout == "audio" and result.n_notes == 10 and not result.failures
    ds = load_dataset(tmp_path / "out")
    assert {(n.pitch, n.velocity, n.onset) for n in ds.notes} == {(0, 0, 0)}
    assert all(n.release == n.end == n.n_samples == SR for n in ds.notes)  # no silence added
    assert ds.split("val") and ds.split("test")
    assert inspect_dataset(tmp_path / "out").is_file()

    cfg = tiny_train_config(conditioning=False, steps=2, batch_size=2, val_every=2, eval_batch_size=4,
                            choose_by="nll", sound_notes=0)  # chunks have no notes to score
    summary = train(tmp_path / "out", tmp_path / "run", cfg)
    assert summary.status == "completed" and summary.step == 2


def test_bank_layout_decides_only_when_unambiguous(tmp_path):
    named = named_library(tmp_path / "named")
    assert bank_layout(named) == "named"
    write_audio(tmp_path / "album" / "01 - Intro.wav", np.zeros(SR, np.float32), SR)
    write_audio(tmp_path / "album" / "02 - Outro.wav", np.zeros(SR, np.float32), SR)
    assert bank_layout(tmp_path / "album") == "audio"
    write_midi(tmp_path / "pairs" / "a.mid", [(60, 100, 0.0, 0.2)])
    sample(tmp_path / "pairs" / "a.wav", 60)
    assert bank_layout(tmp_path / "pairs") == MIDI
    (tmp_path / "pairs" / "x.sfz").write_text("<region> sample=a.wav")
    with pytest.raises(UserError, match="several"):
        bank_layout(tmp_path / "pairs")
    # half the files name a note, half do not: no guess
    for k in range(2):
        sample(tmp_path / "mixed" / f"C{k + 3}.wav", 48 + 12 * k)
        sample(tmp_path / "mixed" / f"take {k}.wav", 60)
    with pytest.raises(UserError, match="--layout named, drumkit or audio"):
        bank_layout(tmp_path / "mixed")
    with pytest.raises(UserError, match="nothing: no such folder"):
        bank_layout(tmp_path / "nothing")


def test_a_folder_of_midi_grooves_beside_one_shots_marks_no_midi_layout(tmp_path):
    """A producer's drum folder with its pack's MIDI grooves in a folder of their own ('MIDI/Groove
    01.mid'): any MIDI file made it the pairs layout, and every one-shot failed with "no matching MIDI
    file". MIDI files in no folder of recordings describe none: the names decide (drumkit), and the
    grooves are named among the files skipped. A MIDI file beside recordings still marks a MIDI layout."""
    kit = tmp_path / "Drums"
    for name in ("Kicks/Kick 1", "Kicks/Kick 2", "Snares/Snare", "Hats/Closed", "Crash"):
        hit(kit / f"{name}.wav")
    write_midi(kit / "MIDI" / "Groove 01.mid", [(36, 100, 0.0, 0.1), (38, 100, 0.5, 0.6)])
    assert bank_layout(kit) == "drumkit"
    found = discover_bank(kit, PrepareSettings(**FAST))
    assert found.layout == "drumkit" and len(found.jobs) == 5 and not found.failures
    assert any("Groove 01.mid" in w for w in found.warnings), found.warnings
    write_midi(kit / "Kicks" / "Kick 1.mid", [(36, 100, 0.0, 0.1)])
    assert bank_layout(kit) == MIDI


def test_a_groove_beside_one_shots_that_prepares_nothing_names_the_layout_of_their_names(tmp_path):
    """A drum pack's 'Beat 01.mid' at the top of its folder of one-shots: read as folder-midi, every
    take failed, and the error said only "(detected; --layout to choose)". It now says that the
    recordings' names read as the drumkit layout, and `--layout drumkit` prepares them."""
    from samplernn.prepare.run import NothingPrepared

    kit = tmp_path / "Drums"
    for name in ("Kick 1", "Kick 2", "Snare", "Hat", "Crash"):
        hit(kit / f"{name}.wav")
    write_midi(kit / "Beat 01.mid", [(36, 100, 0.0, 0.1), (38, 100, 0.5, 0.6)])
    with pytest.raises(NothingPrepared) as caught:
        prepare_bank(kit, tmp_path / "out", PrepareSettings(**FAST))
    assert str(caught.value).endswith(": the recordings' names read as the drumkit layout; --layout drumkit "
                                      "reads them so, without the MIDI files")
    result = prepare_bank(kit, tmp_path / "out", PrepareSettings(**FAST, layout="drumkit"))
    assert sum(result.counts[s] for s in ("train", "val", "test")) == 5


def test_a_drum_folder_with_tuned_hits_is_a_drum_kit(tmp_path):
    """'808 Kick C1.wav' … beside 'Snare.wav' and 'Hat.wav': four of six name a note, but each of those
    names a drum piece too (it was read as a named bank, the snare and hat failing for want of a
    note); a bank whose every name names a note and a drum piece stays named."""
    for name in ("808 Kick C1", "808 Kick D1", "808 Kick E1", "808 Kick F1", "Snare", "Hat"):
        hit(tmp_path / "kit" / f"{name}.wav")
    assert bank_layout(tmp_path / "kit") == "drumkit"
    for name in ("Tom C3", "Tom D3", "Tom E3"):
        hit(tmp_path / "toms" / f"{name}.wav")
    assert bank_layout(tmp_path / "toms") == "named"
    hit(tmp_path / "kit" / "Piano C4.wav")  # a name naming a note and no drum piece: named, as before
    assert bank_layout(tmp_path / "kit") == "named"
