"""Settings of `samplernn prepare`: every default and option help is stated once, here."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from conditioning import DEFAULT_THRESHOLD
from samplernn.common.audio import SAMPLE_RATES
from samplernn.data.drum_bank import DRUM_LAYOUT
from samplernn.prepare.naming import DEFAULT_MIDDLE_C, MIDDLE_C, compile_pattern

#: With MIDI files: pairs, folder-midi, session; without: named, nsynth, sfz, drumkit, audio.
LAYOUTS = ("auto", "pairs", "folder-midi", "session", "named", "nsynth", "sfz", "drumkit", "audio")
#: Length of the audio layout's training chunks (s).
CHUNK_SECONDS = 8.0
NORMALIZE_MODES = ("bank", "per-file")
AUDIO_SUFFIXES = (".wav", ".flac")
MIDI_SUFFIXES = (".mid", ".midi")
#: Seconds of silence put before and after each note, unless --lead-silence / --tail-silence say.
#: Generation starts every note after 0.25 s of silence (the engines' lead), as training does.
LEAD_SILENCE = 0.25
# Without silence after each note the model never sees a note decay into lasting silence and,
# left to run on past an end (gaps in a melody), drifts into noise.
TAIL_SILENCE = 0.25
#: Layouts of one-shots (drum kits, folders of one-shots): a hit lasts well under a second, so the
#: silence above would be a third of the audio. Their own defaults, below.
#: Longest lead or tail silence, seconds: more is a typo (a silence of 1e6 s would be gigabytes
#: of zeros per note).
MAX_SILENCE = 60.0
#: Longest note, seconds: prepare's --length and --chunk-seconds, synth's --duration. An hour of
#: 16 kHz float32 is 230 MB a note (its conditioning more); more is a typo.
MAX_NOTE_SECONDS = 3600.0
#: Shortest --chunk-seconds: a chunk holds a few training windows (1,024 samples, 64 ms at 16 kHz)
#: with their frame-tier context; below it the cutting loop would make millions of files.
MIN_CHUNK_SECONDS = 0.5
#: The linear fade-out at the end of a --length note, seconds, unless --fade or a short --length says.
FADE_SECONDS = 1.0
ONE_SHOT_LAYOUTS = (DRUM_LAYOUT,)
# A model's state at a note-on depends on how long it has sat in silence since h0; after 0.15 s it is
# within ~10 % of its state after the engines' 0.25 s (measured on the shipped and a drum model),
# about the drift from 0.25 s to 0.5 s.
ONE_SHOT_LEAD_SILENCE = 0.15
ONE_SHOT_TAIL_SILENCE = 0.1  # what generation runs past a hit's end (render, synth, pack)


def _setting(default: Any, help_text: str) -> Any:
    """A settings field with its default and the one-line help `samplernn prepare --help` shows."""
    return field(default=default, metadata={"help": help_text})


@dataclass(frozen=True)
class PrepareSettings:
    """How a bank is prepared. Positions `pre`/`post` are in source-rate samples, as in the thesis.

    Each field's metadata["help"] is the help of its `samplernn prepare` option.
    """

    layout: str = _setting(
        "auto", "How the bank is laid out. With MIDI files: pairs (name.wav beside name.mid), folder-midi "
        "(one MIDI file per folder of takes) or session (a long recording and its MIDI file). Without: "
        "named (the note in each file name), nsynth, sfz, drumkit (Hydrogen kits or one-shots) or audio "
        "(any recordings, cut into chunks). auto detects it where unambiguous.")
    sample_rate: int = _setting(16000, "Sample rate of the prepared audio (Hz).")
    normalize: str = _setting(
        "bank",
        "'bank': one gain for all notes (velocity differences survive); 'per-file': each note to --peak.",
    )
    peak: float = _setting(0.9, "Peak of the loudest recording, or of each note.")
    threshold: float = _setting(DEFAULT_THRESHOLD, "Envelope start/end at this share of the note's peak.")
    pre: int = _setting(100, "Samples (source rate) kept before the detected start.")
    post: int = _setting(400, "Samples (source rate) kept after the detected end.")
    lead_silence: float | None = _setting(
        None, f"Seconds of silence before each note (default {LEAD_SILENCE:g}; "
        f"{ONE_SHOT_LEAD_SILENCE:g} for a drum kit's one-shots).")
    tail_silence: float | None = _setting(
        None, f"Seconds of silence after each note, which teaches the model to stay quiet between notes "
        f"(default {TAIL_SILENCE:g}; {ONE_SHOT_TAIL_SILENCE:g} for a drum kit's one-shots).")
    length: float | None = _setting(
        None, f"Fixed note length in seconds (at most {MAX_NOTE_SECONDS:g}), cut or padded, with a fade-out "
        "(thesis: 4.0).")
    fade: float | None = _setting(
        None, f"Seconds of linear fade-out at the end (with --length) [default: {FADE_SECONDS:g}, or half "
        "of what --length leaves after the lead silence when that is less].")
    tolerance_ms: float = _setting(
        100.0, "Largest distance between MIDI note-on and the detected start (ms).")
    silence_peak: float = _setting(1e-4, "A recording whose peak is below this (-80 dBFS) counts as silent.")
    val_fraction: float = _setting(0.1, "Share of each pitch's notes for validation.")
    test_fraction: float = _setting(0.1, "Share of each pitch's notes for test.")
    seed: int = _setting(0, "Seed of the split assignment.")
    skip_bad: bool = _setting(
        False, "Exit 0 even if some files failed (the rest of the bank is prepared either way; each "
        "failure is listed with its reason).")
    pattern: str | None = _setting(
        None, "named: file-name template, e.g. `{instrument}_{note}_{_}_{dynamic}`: {note} or {midi} once, "
        "at most one of {velocity}, {dynamic} and {layer}; any other {name} matches anything.")
    middle_c: str = _setting(DEFAULT_MIDDLE_C, "named: how the names write middle C (MIDI 60).")
    trust_names: bool = _setting(
        False, "named, sfz: keep files whose tracked pitch is over a semitone from their name or their SFZ "
        "region's pitch (warned).")
    legato: bool = _setting(
        False, "session: a note that overlaps the next (a legato line played from a keyboard) ends at the "
        "next note-on, as a monophonic synth plays it, instead of failing both.")
    as_recorded: bool = _setting(
        False, "sfz, drumkit: take the samples as recorded, not as the instrument's player plays them "
        "(the velocity scaling, gains and pitch shift of the .sfz or drumkit.xml).")
    drum_map: str | None = _setting(
        None, "drumkit: JSON object (or .json file) of instrument or file names to General MIDI keys, "
        "e.g. '{\"Cowbell\": 56}'.")
    instrument: str | None = _setting(
        None, "nsynth: keep only these instruments (comma-separated; patterns like `guitar_acoustic_*`).")
    family: str | None = _setting(None, "nsynth: keep only these instrument families (comma-separated).")
    chunk_seconds: float = _setting(
        CHUNK_SECONDS,
        f"audio: length of the training chunks (s, {MIN_CHUNK_SECONDS:g}..{MAX_NOTE_SECONDS:g}).")

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, got {self.layout!r}")
        if self.middle_c not in MIDDLE_C:
            raise ValueError(f"middle C must be one of {', '.join(MIDDLE_C)}, got {self.middle_c!r}")
        times = ("pre", "post", "lead_silence", "tail_silence", "length", "fade", "tolerance_ms")
        for name in (*times, "chunk_seconds"):
            value = getattr(self, name)
            if value is not None and not math.isfinite(value):
                raise ValueError(f"{name.replace('_', ' ')} must be a finite number, got {value}")
        if max(self.lead_silence or 0, self.tail_silence or 0) > MAX_SILENCE:
            raise ValueError(f"lead and tail silence must be at most {MAX_SILENCE:g} s")
        if not MIN_CHUNK_SECONDS <= self.chunk_seconds <= MAX_NOTE_SECONDS:
            raise ValueError(f"chunk length must be within {MIN_CHUNK_SECONDS:g}..{MAX_NOTE_SECONDS:g} s, "
                             f"got {self.chunk_seconds:g}")
        if self.length is not None and not 0 < self.length <= MAX_NOTE_SECONDS:
            raise ValueError(f"length must be within 0..{MAX_NOTE_SECONDS:g} s (0 excluded), "
                             f"got {self.length:g}")
        if self.pattern is not None:
            compile_pattern(self.pattern)  # a malformed template is the option's mistake, not a file's
        if self.normalize not in NORMALIZE_MODES:
            raise ValueError(f"normalize must be 'bank' or 'per-file', got {self.normalize!r}")
        if not SAMPLE_RATES[0] <= self.sample_rate <= SAMPLE_RATES[1]:
            raise ValueError(f"sample rate {self.sample_rate} Hz is out of range "
                             f"({SAMPLE_RATES[0]}..{SAMPLE_RATES[1]})")
        if not 0.0 < self.peak <= 1.0:
            raise ValueError(f"peak must be in (0, 1], got {self.peak}")
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"threshold must be in (0, 1), got {self.threshold}")
        if (self.pre < 0 or self.post < 0 or (self.lead_silence or 0) < 0 or (self.tail_silence or 0) < 0
                or self.tolerance_ms < 0):
            raise ValueError("pre, post, lead/tail silence and tolerance must not be negative")
        if self.layout != "auto":  # the layout's own defaults fill what was left unset
            lead, tail = self.silence()
            object.__setattr__(self, "lead_silence", lead)
            object.__setattr__(self, "tail_silence", tail)
        if self.length is not None and self.lead_silence is not None and self.length <= self.lead_silence:
            raise ValueError(f"length {self.length} s must exceed the lead silence ({self.lead_silence} s)")
        if self.fade is not None and self.fade < 0:
            raise ValueError(f"fade must not be negative, got {self.fade}")
        if self.length is not None and self.fade is not None:
            room = self.length - (self.lead_silence or 0.0)
            what = (f"the length {self.length:g} s" if self.lead_silence is None else
                    f"what the length {self.length:g} s leaves after the lead silence ({room:g} s)")
            if self.fade > room:
                raise ValueError(f"fade {self.fade:g} s is longer than {what}: the fade-out would reach the "
                                 "note's attack")
        if not (0 <= self.val_fraction < 1 and 0 <= self.test_fraction < 1
                and self.val_fraction + self.test_fraction < 1):
            raise ValueError("val and test fractions must be >= 0 and leave a share for train")
        if self.seed < 0:  # as train's and evaluate's --seed
            raise ValueError(f"--seed must be >= 0, got {self.seed}")

    def fade_seconds(self) -> float:
        """The fade-out of a --length note, seconds: --fade, else FADE_SECONDS or half of what the
        length leaves after the lead silence, whichever is less (a short one-shot is not faded from
        its attack)."""
        if self.fade is not None:
            return self.fade
        if self.length is None:
            return FADE_SECONDS
        return min(FADE_SECONDS, (self.length - (self.lead_silence or 0.0)) / 2)

    def for_layout(self, layout: str) -> PrepareSettings:
        """These settings for a bank found to be in `layout` (what 'auto' detected): a lead or tail
        silence left unset takes that layout's default. Raises ValueError as the constructor does
        (a --length no longer than that lead)."""
        lead, tail = self.silence(layout)
        return replace(self, lead_silence=lead, tail_silence=tail)

    def silence(self, layout: str | None = None) -> tuple[float, float]:
        """(lead, tail) silence in seconds: as set, else `silence_defaults` of `layout` (default: the
        settings' own; while that is 'auto', the general defaults: `prepare_bank` settles the layout
        with `for_layout` before any note is prepared)."""
        lead, tail = silence_defaults(layout or self.layout)
        return (lead if self.lead_silence is None else self.lead_silence,
                tail if self.tail_silence is None else self.tail_silence)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def silence_defaults(layout: str) -> tuple[float, float]:
    """The default (lead, tail) silence in seconds of a layout: ONE_SHOT_LEAD_SILENCE and
    ONE_SHOT_TAIL_SILENCE for ONE_SHOT_LAYOUTS, else LEAD_SILENCE and TAIL_SILENCE."""
    if layout in ONE_SHOT_LAYOUTS:
        return ONE_SHOT_LEAD_SILENCE, ONE_SHOT_TAIL_SILENCE
    return LEAD_SILENCE, TAIL_SILENCE
