"""`prepare_bank`: positions and conditioning, resampling, gain, fixed length, output, re-runs (splits:
test_splits.py; real-world faults: test_real_world.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from support.audio import tone, write_audio, write_midi

from conditioning import DEFAULT_THRESHOLD, LEVEL_INDEX, REMAINING_INDEX, find_extent, level_column_db
from samplernn.data.dataset import MANIFEST_COLUMNS, load_dataset
from samplernn.prepare import PrepareSettings, prepare_bank


def small_bank(folder: Path, note_pair, pitches=(48, 60), velocities=(50, 110), lengths=(0.2, 0.3, 0.4)):
    """Tones at every pitch × velocity × length; louder layers are brighter (an octave partial
    rising with velocity), as a real instrument's are, so that no layer is another at a new gain
    (prepare.copies would count those as one recording)."""
    sr, on = 44100, 0.05
    for p in pitches:
        for v in velocities:
            for length in lengths:
                stem, amp = f"n{p}_v{v}_{length:.1f}s", 0.7 * v / 127
                x = tone(sr, p, on, on + length, amplitude=amp) + tone(sr, p + 12, on, on + length,
                                                                      amplitude=0.2 * amp * v / 127)
                write_audio(folder / f"{stem}.wav", x, sr)
                write_midi(folder / f"{stem}.mid", [(p, v, on, on + length)])
    return folder


def test_positions_and_conditioning_by_hand(tmp_path):
    sr, on, off, tail = 16000, 0.1, 0.3, 0.05  # no resampling: every position is exact
    x = tone(sr, 69, on, off, tail=tail, total=0.5)
    write_audio(tmp_path / "src" / "a.wav", x, sr)
    write_midi(tmp_path / "src" / "a.mid", [(69, 90, on, off)])
    settings = PrepareSettings(sample_rate=sr, lead_silence=0.25, tail_silence=0.1, pre=100, post=400)
    prepare_bank(tmp_path / "src", tmp_path / "out", settings)
    ds = load_dataset(tmp_path / "out")
    note = ds.notes[0]

    start, stop = find_extent(sf.read(tmp_path / "src" / "a.wav", dtype="float32")[0], DEFAULT_THRESHOLD)
    cut = start - 100  # first source sample kept
    assert abs(start - 1600) <= 16  # sound starts at the note-on (±1 ms of Hilbert leakage)
    assert note.onset == 4000 + 1600 - cut
    assert note.release == 4000 + 4800 - cut
    assert note.n_samples == 4000 + (stop + 400) - cut + 1600  # lead, kept span, tail silence
    audio = ds.load_audio(note)
    assert not audio[:4000].any() and not audio[-1600:].any()
    # the tone decays to 0.8 % of its peak `tail` seconds after the note-off
    assert abs(note.end - (4000 + round((off + tail) * sr) - cut)) <= 16
    assert (note.pitch, note.velocity) == (69, 90)

    cond = note.conditioning()
    expected = np.zeros((note.n_samples, 5), dtype=np.int64)
    for t in range(note.onset, note.end):
        expected[t] = (69, 90, note.end - 1 - t, t - note.onset, 0)
    np.testing.assert_array_equal(cond, expected)
    remaining = cond[:, REMAINING_INDEX]
    assert remaining[note.onset] == note.end - note.onset - 1 and remaining[note.end - 1] == 0

    # The level column from the bank's envelope (here this one note's): its held RMS level.
    level = note.conditioning(ds.stats)[:, LEVEL_INDEX]
    assert (level[: note.onset] == 0).all() and (level[note.end :] == 0).all()
    mid = (note.onset + note.release) // 2
    held_db = 20 * np.log10(np.sqrt(np.mean(audio[mid - 800 : mid + 800] ** 2)))
    assert level_column_db(level[mid]) == pytest.approx(held_db, abs=0.5)
    assert level[note.end - 1] < level[note.release] - 100  # decayed by > 10 dB after release


@pytest.mark.parametrize("sr_in", [44100, 48000, 22050])
def test_resampling_keeps_pitch(tmp_path, sr_in):
    pitch = 69
    write_audio(tmp_path / "src" / "a.wav", tone(sr_in, pitch, 0.05, 0.65, amplitude=0.5), sr_in)
    write_midi(tmp_path / "src" / "a.mid", [(pitch, 100, 0.05, 0.65)])
    prepare_bank(tmp_path / "src", tmp_path / "out")
    ds = load_dataset(tmp_path / "out")
    note = ds.notes[0]
    y = ds.load_audio(note)[note.onset + 800: note.release - 800]
    spectrum = np.abs(np.fft.rfft(y * np.hanning(y.size), n=1 << 18))
    k = int(spectrum.argmax())
    a, b, c = np.log(spectrum[k - 1: k + 2])
    f0 = (k + 0.5 * (a - c) / (a - 2 * b + c)) * ds.sample_rate / (1 << 18)
    assert abs(1200 * np.log2(f0 / 440.0)) < 2.0  # cents
    assert abs(note.release - note.onset - 0.6 * 16000) <= 1


def test_output_contract(tmp_path, note_pair):
    src = small_bank(tmp_path / "src", note_pair)
    result = prepare_bank(src, tmp_path / "out")
    ds = load_dataset(tmp_path / "out")
    assert len(ds.notes) == result.n_notes == 12 and not result.failures
    assert ds.sample_rate == 16000 and ds.stats.sample_rate == 16000
    header = (tmp_path / "out" / "manifest.csv").read_text().splitlines()[0]
    assert tuple(header.split(",")) == MANIFEST_COLUMNS
    info = json.loads((tmp_path / "out" / "dataset.json").read_text())
    assert info["settings"]["sample_rate"] == 16000 and info["counts"]["notes"] == 12
    assert {(r["pitch"], r["velocity"]) for r in info["bank_stats"]["release_tail"]} == {
        (p, v) for p in (48, 60) for v in (50, 110)}
    for note in ds.notes:
        meta = sf.info(str(tmp_path / "out" / note.audio))
        assert (meta.samplerate, meta.channels, meta.subtype) == (16000, 1, "PCM_16")
        assert meta.frames == note.n_samples
        assert 0 < note.onset < note.release < note.end <= note.n_samples
        assert abs((note.end - note.release) / 16000 - 0.1) < 0.01  # the tones' 0.1 s release tail
        ds.load_audio(note)
    assert [n.id for n in ds.notes][:3] == ["n48_v50_0.2s", "n48_v50_0.3s", "n48_v50_0.4s"]


def test_progress_reports_peaks_then_notes(tmp_path, note_pair):
    note_pair(tmp_path / "src", "a")
    note_pair(tmp_path / "src", "b", pitch=62)
    calls = []
    prepare_bank(tmp_path / "src", tmp_path / "out",
                 progress=lambda done, total=None, stage="": calls.append((stage, done, total)))
    assert calls == [("reading peaks", 1, 2), ("reading peaks", 2, 2),
                     ("preparing notes", 1, 2), ("preparing notes", 2, 2)]


def test_bank_gain_keeps_velocity_differences(tmp_path, note_pair):
    note_pair(tmp_path / "src", "soft", velocity=40, amplitude=0.1)
    note_pair(tmp_path / "src", "loud", velocity=120, amplitude=0.3)
    prepare_bank(tmp_path / "src", tmp_path / "bank")
    prepare_bank(tmp_path / "src", tmp_path / "each", PrepareSettings(normalize="per-file"))
    for out, expected_ratio in (("bank", 3.0), ("each", 1.0)):
        ds = load_dataset(tmp_path / out)
        peaks = {n.id: float(np.abs(ds.load_audio(n)).max()) for n in ds.notes}
        assert peaks["loud"] == pytest.approx(0.9, abs=0.01)
        assert peaks["loud"] / peaks["soft"] == pytest.approx(expected_ratio, rel=0.02)


def test_fixed_length_with_fade(tmp_path, note_pair):
    note_pair(tmp_path / "src", "long", length=1.5)
    note_pair(tmp_path / "src", "short", length=0.2)
    settings = PrepareSettings(length=1.0, fade=0.5, lead_silence=0.1)
    prepare_bank(tmp_path / "src", tmp_path / "out", settings)
    ds = load_dataset(tmp_path / "out")
    for note in ds.notes:
        y = ds.load_audio(note)
        assert note.n_samples == y.size == 16000 and note.end <= 16000
    long = next(n for n in ds.notes if n.id == "long")
    y = ds.load_audio(long)
    assert (long.release, long.end) == (16000, 16000)  # the note-off lies past the cut
    tail = np.abs(y[-8000:]).reshape(-1, 400).max(axis=1)  # the sustained tone under a linear fade
    assert np.all(np.diff(tail) < 0) and tail[-1] < 0.05 * tail[0]


def test_rerun_is_identical_and_keeps_sources(tmp_path, note_pair):
    src = small_bank(tmp_path / "src", note_pair, pitches=(60,), velocities=(100,))
    before = {p: p.read_bytes() for p in src.iterdir()}
    out = tmp_path / "out"
    prepare_bank(src, out)
    first = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    picture = b"picture from `samplernn inspect`"
    (out / "inspect-x.png").write_bytes(picture)
    prepare_bank(src, out)
    second = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert second == {**first, Path("inspect-x.png"): picture}  # inspect's picture is kept
    assert before == {p: p.read_bytes() for p in src.iterdir()}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "src"]  # no staging folders left


def test_interrupted_run_keeps_previous_output(tmp_path, note_pair, monkeypatch):
    src = small_bank(tmp_path / "src", note_pair, pitches=(60,), velocities=(100,))
    out = tmp_path / "out"
    prepare_bank(src, out)
    manifest = (out / "manifest.csv").read_text()
    import samplernn.prepare.run as run

    calls = []

    def interrupted(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    real = run.write_wav
    monkeypatch.setattr(run, "write_wav", interrupted)
    with pytest.raises(KeyboardInterrupt):
        prepare_bank(src, out, PrepareSettings(sample_rate=8000))
    assert (out / "manifest.csv").read_text() == manifest
    assert load_dataset(out).sample_rate == 16000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "src"]


def test_a_bank_too_small_to_train_on_says_so(tmp_path, note_pair):
    note_pair(tmp_path / "two", "a", pitch=60)
    note_pair(tmp_path / "two", "b", pitch=62)
    from samplernn.prepare.report import summary_lines

    result = prepare_bank(tmp_path / "two", tmp_path / "out")
    assert result.n_notes == 2
    lines = summary_lines(result)
    assert lines[0].startswith("prepared 2 notes (layout pairs)")
    note_pair(tmp_path / "one", "a", pitch=60)
    one = summary_lines(prepare_bank(tmp_path / "one", tmp_path / "out1"))
    assert one[0].startswith("prepared 1 note (layout pairs)"), one[0]  # it said "1 notes"
    assert any("needs notes in both (at least 3 different recordings)" in line for line in lines)
    full = prepare_bank(small_bank(tmp_path / "src", note_pair), tmp_path / "full")
    assert not any("too few" in line for line in summary_lines(full))


def test_copies_of_one_recording_share_a_split(tmp_path, note_pair):
    src = small_bank(tmp_path / "src", note_pair, lengths=(0.2, 0.3, 0.4, 0.5, 0.6))
    for k in range(1, 4):  # the same file three more times: without the rule they land in train and val
        for suffix in (".wav", ".mid"):
            (src / f"copy{k}{suffix}").write_bytes((src / f"n48_v50_0.2s{suffix}").read_bytes())
    result = prepare_bank(src, tmp_path / "out")
    splits = {n.id: n.split for n in load_dataset(tmp_path / "out").notes}
    copies = {splits[i] for i in ("n48_v50_0.2s", "copy1", "copy2", "copy3")}
    assert copies == {"train"}
    (notice,) = [n.message for n in result.notices if "more than once" in n.message]
    assert notice.startswith("1 recording appears more than once, as identical audio (")
    assert "put in train" in notice
    assert notice.count(" = ") == 2 and " …)" in notice  # three of the four names, and more
    assert set(splits.values()) == {"train", "val", "test"}  # the others split as before


def test_copies_on_the_fullest_pitches_do_not_empty_val_and_test(tmp_path, note_pair):
    """13 notes, 10 different recordings: the copies sit on the pitches with the most notes, which
    used to be held out and then moved back to train with their copies, leaving val and test empty."""
    from samplernn.prepare.report import summary_lines

    src = tmp_path / "src"
    for p in range(60, 70):
        note_pair(src, f"n{p}", pitch=p, length=0.2 + 0.01 * (p - 60))
    for name, original in (("n60_copy", "n60"), ("n60_copy2", "n60"), ("n61_copy", "n61")):
        for suffix in (".wav", ".mid"):
            (src / f"{name}{suffix}").write_bytes((src / f"{original}{suffix}").read_bytes())
    result = prepare_bank(src, tmp_path / "out")
    assert (result.counts["train"], result.counts["val"], result.counts["test"]) == (11, 1, 1)
    splits = {n.id: n.split for n in load_dataset(tmp_path / "out").notes}
    assert {splits[i] for i in ("n60", "n60_copy", "n60_copy2", "n61", "n61_copy")} == {"train"}
    assert not any("too few" in line for line in summary_lines(result))
    (notice,) = [n.message for n in result.notices if "more than once" in n.message]
    assert notice.startswith("2 recordings appear more than once, as identical audio (")
    assert "put in train" in notice


def test_a_sound_cut_off_by_the_end_of_its_file_is_noticed(tmp_path):
    from support.audio import tone, write_audio

    sr = 16000
    write_audio(tmp_path / "lib" / "Flute_C4.wav", tone(sr, 60, 0.05, 1.0, total=0.8), sr)  # still sounding
    write_audio(tmp_path / "lib" / "Flute_D4.wav", tone(sr, 62, 0.05, 0.5, tail=0.1, total=0.8), sr)
    write_audio(tmp_path / "lib" / "Flute_E4.wav", tone(sr, 64, 0.05, 0.5, tail=0.1, total=0.8), sr)
    result = prepare_bank(tmp_path / "lib", tmp_path / "out")
    cut = [n.source for n in result.notices if "no release tail" in n.message]
    assert cut == ["Flute_C4.wav"], [n.message for n in result.notices]


def noisy_cello(pre: float, seed: int, amplitude: float = 0.5, noise: float = 0.002) -> np.ndarray:
    """A named one-shot at 48 kHz as a library ships it: held 1.5 s, released over 0.3 s, then 3 s of
    steady hiss (`noise` RMS, -54 dBFS) under the whole file, `pre` s of it before the attack."""
    sr = 48000
    x = tone(sr, 48, pre, pre + 1.5, tail=0.3, total=pre + 4.8, amplitude=amplitude)
    return x + (np.random.default_rng(seed).standard_normal(x.size) * noise).astype(np.float32)


def tails_ms(out: Path) -> list[float]:
    ds = load_dataset(out)
    return [(n.end - n.release) / ds.sample_rate * 1000 for n in ds.notes]


def test_a_sample_trimmed_at_its_attack_ends_above_the_noise_after_it(tmp_path):
    """The trimmed file's floor is read from its tail: the same tail and notice as with 0.3 s of
    the hiss before the attack (before the fix: a tail of all 3 s of hiss, and no notice)."""
    for pre, folder in ((0.0, "trimmed"), (0.3, "pre-roll")):
        (tmp_path / folder).mkdir()
        sf.write(tmp_path / folder / "cello_048_ff.wav", noisy_cello(pre, 1), 48000, subtype="PCM_24")
    trimmed = prepare_bank(tmp_path / "trimmed", tmp_path / "out_trimmed")
    preroll = prepare_bank(tmp_path / "pre-roll", tmp_path / "out_preroll")
    for result in (trimmed, preroll):
        (notice,) = [n.message for n in result.notices]
        assert "cello_048_ff.wav: noise floor at -54 dBFS; start and end found 16 dB above it" in notice
    (tail,), (reference,) = tails_ms(tmp_path / "out_trimmed"), tails_ms(tmp_path / "out_preroll")
    assert 100 < tail < 400 and abs(tail - reference) < 30


def test_a_decay_running_to_the_files_end_keeps_its_tail(tmp_path):
    """A trimmed 24-bit struck note decaying at 21 dB/s to the file's end (31 dB down there), no
    hiss: no floor, so the tail is the whole decay."""
    sr = 48000
    (tmp_path / "lib").mkdir()
    x = tone(sr, 48, 0.0, 0.01, tail=2.0, total=1.5)
    sf.write(tmp_path / "lib" / "piano_048_ff.wav", x, sr, subtype="PCM_24")
    result = prepare_bank(tmp_path / "lib", tmp_path / "out")
    assert not [n.message for n in result.notices if "noise floor at" in n.message]
    (tail,) = tails_ms(tmp_path / "out")
    assert tail > 1400


def test_a_tail_lost_under_a_noise_floor_is_noticed(tmp_path):
    """An 8-bit file (dithered, as `sox -b 8` writes it: floor -48 dBFS) of a note peaking at
    -18 dBFS: start and end are found 16 dB over the floor, the whole decay lies under that, so
    the release lands on the end: a 0 ms tail, noticed as a file cut short is."""
    x = noisy_cello(0.3, 2, amplitude=0.1, noise=0.0)
    dither = np.random.default_rng(3).triangular(-1.0, 0.0, 1.0, x.size)
    x8 = np.clip(np.round(x * 128 + dither), -128, 127) / 128
    (tmp_path / "lib").mkdir()
    sf.write(tmp_path / "lib" / "cello_048_ff.wav", x8, 48000, subtype="PCM_U8")
    result = prepare_bank(tmp_path / "lib", tmp_path / "out")
    assert tails_ms(tmp_path / "out") == [0.0]
    (notice,) = [n.message for n in result.notices if "no release tail" in n.message]
    assert "cello_048_ff.wav: the note has no release tail (0 ms from its note-off to its end" in notice
    assert "over a noise floor or hum" in notice and notice.endswith("stop dead at the note-off")
