"""prepare.copies: one recording at other gains counts as one recording (a kit's fake velocity
layers), a layer that differs as little as a SoundFont's velocity layers do does not."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soxr
from support.audio import tone, write_audio, write_midi

from samplernn.data.dataset import load_dataset
from samplernn.prepare import prepare_bank
from samplernn.prepare.copies import (
    GAIN_COPY_DEFICIT,
    align,
    correlation_deficit,
    is_gain_copy,
    recording_keys,
)

SR = 16000
ONSET = 800


def hit(seed: int = 0, n: int = 8000, brighten: float = 0.0) -> np.ndarray:
    """A noise hit from ONSET, decaying 40 dB over its length; `brighten` adds that share of its
    first difference (a slightly brighter layer)."""
    rng = np.random.default_rng(seed)
    body = rng.standard_normal(n) * 10 ** (-2 * np.arange(n) / n)
    body = body + brighten * np.diff(body, prepend=0.0)
    x = np.zeros(ONSET + n)
    x[ONSET:] = 0.5 * body / np.abs(body).max()
    return x


@dataclass
class Note:
    id: str
    pitch: int
    onset: int
    n_samples: int
    digest: str


def notes_of(audio: dict[str, tuple[int, np.ndarray, int]]) -> list[Note]:
    """Notes of {id: (pitch, audio, onset)}, their digests as prepare makes them."""
    return [Note(k, p, on, x.size, hashlib.sha1(x.astype(np.float32).tobytes()).hexdigest())
            for k, (p, x, on) in audio.items()]


def groups(keys: dict[str, str]) -> set[frozenset[str]]:
    """The notes that share a key, as sets (keys are digests: their values do not matter)."""
    by_key: dict[str, set[str]] = {}
    for note_id, key in keys.items():
        by_key.setdefault(key, set()).add(note_id)
    return {frozenset(ids) for ids in by_key.values()}


def deficit(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    return correlation_deficit(a, ONSET, b, ONSET, align(a, ONSET, b, ONSET))


def test_layers_of_one_waveform_share_a_key_and_a_brighter_layer_does_not():
    base = hit()
    brighter = hit(brighten=0.01)
    near = deficit(base, brighter)
    assert GAIN_COPY_DEFICIT < near[0] < 1e-3 and not is_gain_copy(*near)  # as a SoundFont's layers
    late = np.concatenate([np.zeros(7), 0.3 * base[:-7]])  # its start found 7 samples early
    source = np.repeat(hit(n=24000), 3)[:-1] * 0.5  # at 48 kHz; a copy 1 sample later, both to 16 kHz
    moved = soxr.resample(np.concatenate([[0.0], source]), 48000, SR)[:base.size]
    audio = {
        "hard": (38, base, ONSET), "med": (38, late, ONSET), "copy": (38, base.copy(), ONSET),
        "bright": (38, brighter, ONSET), "other": (38, hit(seed=1), ONSET),
        "kick": (36, 0.2 * base, ONSET),  # another piece: not compared
        "src": (40, soxr.resample(source, 48000, SR)[:base.size], ONSET), "moved": (40, moved, ONSET),
    }
    keys = recording_keys(notes_of(audio), lambda k: audio[k][1])
    assert groups(keys) == {frozenset({"hard", "med", "copy"}), frozenset({"bright"}), frozenset({"other"}),
                            frozenset({"kick"}), frozenset({"src", "moved"})}
    backwards = recording_keys(notes_of(audio)[::-1], lambda k: audio[k][1])
    assert groups(backwards) == groups(keys)


def test_a_quiet_copy_is_one_though_its_quantisation_noise_lowers_its_correlation():
    base = hit()
    quiet = np.round(0.01 * base * 32767) / 32767  # 40 dB down, through 16-bit
    noisy = deficit(base, quiet)
    assert noisy[0] > GAIN_COPY_DEFICIT and is_gain_copy(*noisy)
    two_bits = np.round(base * 2) / 2  # far more noise than a 16-bit file's: not a copy
    assert not is_gain_copy(*deficit(base, two_bits))


def test_lengths_far_apart_are_not_one_recording():
    base = hit()
    audio = {"a": (40, base, ONSET), "b": (40, np.concatenate([0.5 * base, np.zeros(2 * base.size)]), ONSET)}
    keys = recording_keys(notes_of(audio), lambda k: audio[k][1])
    assert keys["a"] != keys["b"]


def test_a_kit_with_one_snare_at_three_gains_keeps_them_in_one_split(tmp_path: Path):
    """A folder of one-shots at 44.1 kHz, prepared at 16 kHz: 8 snares of their own and one snare
    at three gains, whose detected starts differ by several samples at the source rate."""
    src = tmp_path / "kit"
    for k in range(8):
        write_audio(src / f"snare_{k + 1:02d}.wav", hit(seed=10 + k).astype(np.float32), 44100)
    layer = np.repeat(hit(seed=99, n=3000), 3)[: 3 * 3000] * 0.5
    for name, gain in (("soft", 0.05), ("med", 0.4), ("hard", 1.0)):
        write_audio(src / f"snare-layer-{name}.wav", (gain * layer).astype(np.float32), 44100)
    result = prepare_bank(src, tmp_path / "out")
    splits = {n.source: n.split for n in load_dataset(tmp_path / "out").notes}
    assert {splits[f"snare-layer-{name}.wav"] for name in ("soft", "med", "hard")} == {"train"}
    (notice,) = [n.message for n in result.notices if "more than once" in n.message]
    assert notice.startswith("1 recording appears more than once, as identical audio or at other gains (")
    assert all(f"snare-layer-{name}.wav" in notice for name in ("soft", "med", "hard"))
    assert {"val", "test"} <= set(splits.values())


def test_a_tone_and_its_copy_align_where_they_are_alike_not_where_the_correlation_peaks():
    # a's attack window is cut square and b is not: the cross-correlation of a tone peaks 0.1
    # sample off, which costs a 165-Hz tone a deficit of 3e-5 (a higher pitch, more)
    for pitch in (48, 55, 67, 76):
        x = tone(SR, pitch, 0.05, 0.6, tail=0.3).astype(np.float64)
        lag = align(x, ONSET, x.copy(), ONSET)
        assert abs(lag) < 0.01 and is_gain_copy(*correlation_deficit(x, ONSET, x, ONSET, lag)), pitch


def test_a_take_and_its_copy_padded_with_silence_share_a_split(tmp_path: Path):
    """fm/nNN/{note.mid, take1.wav, take2.wav}, take2 being take1 after 0.5 s of digital silence
    (`sox take1.wav take2.wav pad 0.5 0`): their cuts end a few samples apart (the envelope's FFT
    length differs), so only the gain-copy rule can find them, and it missed the higher pitches."""
    src = tmp_path / "fm"
    pitches = (48, 50, 52, 55, 60, 67)
    for k, pitch in enumerate(pitches):
        length = (0.5, 0.9)[k % 2]
        take = tone(44100, pitch, 0.2, 0.2 + length, tail=0.3)
        folder = src / f"n{pitch}"
        write_audio(folder / "take1.wav", take, 44100)
        write_audio(folder / "take2.wav", np.concatenate([np.zeros(22050, np.float32), take]), 44100)
        write_midi(folder / "note.mid", [(pitch, 90, 0.0, length)])
    result = prepare_bank(src, tmp_path / "out")
    splits = {n.source: n.split for n in load_dataset(tmp_path / "out").notes}
    assert all(splits[f"n{p}/take1.wav"] == splits[f"n{p}/take2.wav"] for p in pitches), splits
    (notice,) = [n.message for n in result.notices if "more than once" in n.message]
    assert notice.startswith(f"{len(pitches)} recordings appear more than once"), notice


def decaying_tone(f0: float, seconds: float = 2.0, decay_db_s: float = 20.0, seed: int = 0) -> np.ndarray:
    """A tone of five partials at f0 Hz (random phases from `seed`) from ONSET, 20 ms attack, fading
    `decay_db_s` dB a second (a soft bowed or plucked note's release), peak 0.5."""
    t = np.arange(round(seconds * SR)) / SR
    phases = np.random.default_rng(seed).uniform(0, 2 * np.pi, 5)
    body = sum(np.sin(2 * np.pi * f0 * k * t + phases[k - 1]) / k for k in range(1, 6))
    body = body * np.minimum(t / 0.02, 1.0) * 10 ** (-decay_db_s * t / 20)
    return np.concatenate([np.zeros(ONSET), 0.5 * body / np.abs(body).max()])


def test_a_padded_copy_whose_end_was_found_earlier_is_one_recording():
    """A take and its copy padded with digital silence: prepare's onset lands a few samples apart
    on their content (the attack window's spectrum, cut square on the held tone, moved past
    SPECTRUM_SIMILARITY) and the copy's end 70 ms earlier (zeros there where the take still
    sounds). Measured on FluidSynth cello notes at velocity 50: 4 of 16 such pairs split apart."""
    for f0, shift in ((123.5, 8), (130.8, 5), (293.7, 5), (392.0, 2)):
        take = decaying_tone(f0)
        end = take.size - round(0.07 * SR)  # the copy's cut: 70 ms earlier, then zeros
        copy = np.concatenate([np.zeros(shift), take[:end - shift], np.zeros(4000)])
        take = np.concatenate([take, np.zeros(4000)])
        other = np.concatenate([decaying_tone(f0, seed=1), np.zeros(4000)])  # another take: phases differ
        audio = {"take": (50, take, ONSET), "copy": (50, copy, ONSET), "other": (50, other, ONSET)}
        keys = recording_keys(notes_of(audio), lambda k, audio=audio: audio[k][1])
        assert groups(keys) == {frozenset({"take", "copy"}), frozenset({"other"})}, f0
