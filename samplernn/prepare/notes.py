"""One note: detect its extent, cut, scale, resample, place it after the lead silence, map positions.

Follows the thesis recipe with its constants made settings: Hilbert envelope start/end at a share
of the note's own peak (`threshold`, 0.8 %), `pre`/`post` samples kept around them, leading and
trailing silence, resampling, optional fixed length with a linear fade-out. The cut is decided on
the recording; the `end` written to the manifest is the same rule applied to the prepared audio
(what the model and the evaluation see), never before the release.

Every recording of a note is first seen by `detect`, the one path for all layouts (one-shots
analysed for their release and pitch check too): non-finite samples fail the note, a DC offset is
removed before detection, and over a noise floor the share is raised to a margin above the floor
(`conditioning.noise`). A MIDI note-off after the recording's end fails the note while it still
sounds there. What was changed is returned as notices, one line each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from conditioning import envelope, find_extent, note_name
from conditioning.noise import DC_REPORT, NOISE_MARGIN_DB, NOISE_NOTICE_DBFS, extent_threshold, remove_dc
from samplernn.common.audio import resample
from samplernn.prepare.layouts import NoteJob
from samplernn.prepare.settings import PrepareSettings


class NoteError(Exception):
    """A note that cannot be prepared; the message names the file and the reason."""


#: A note still sounds at the end of its recording when its envelope is above the threshold this
#: close to the last sample (seconds).
STILL_SOUNDING_S = 0.01


@dataclass(frozen=True)
class Notice:
    """Something `prepare_note` changed or noticed in a usable recording. kind: 'dc' (offset
    removed), 'noise' (threshold raised over a noise floor), 'note-off' (after the recording),
    'clip' (flat tops at full scale), 'no-tail' (no release tail), 'long' (held over
    LONG_NOTE_SECONDS)."""

    kind: str
    message: str  # one line naming the file


@dataclass(frozen=True)
class PreparedNote:
    """A prepared note: audio at the dataset rate and its positions (samples, end exclusive)."""

    audio: np.ndarray  # (n,) float32
    onset: int
    release: int
    end: int
    lag_ms: float  # detected start − MIDI note-on (0 where the MIDI is not time-aligned)
    notices: tuple[Notice, ...] = ()

    @property
    def tail(self) -> int:
        """Release tail: end − release, in samples."""
        return self.end - self.release


def describe(job: NoteJob) -> str:
    """The file (and, for a session note, which note) for messages."""
    if job.window is None:
        return str(job.audio)
    index = job.source.rsplit("#", 1)[-1]
    return f"{job.audio} (note {index}, {note_name(job.pitch)} at {job.on:.3f} s)"


def prepare_note(
    x: np.ndarray,
    sr: int,
    job: NoteJob,
    settings: PrepareSettings,
    gain: float | None = None,
    offset: int = 0,
    channels: np.ndarray | None = None,
) -> PreparedNote:
    """Prepare the mono recording `x` (sample rate `sr`; x[0] is frame `offset` of the recording;
    `channels` (n, c): the channels it mixes down, for the clipping check).

    `gain` scales the bank as a whole; None scales this note to `settings.peak` (per-file mode).
    Raises NoteError for non-finite samples, silence, a MIDI note-on too far from the detected start
    (with the --threshold to use when noise starts the note early), a session note whose attack lies
    before its cut (`past_carry_over`), or a note-off after the recording's end while the note still
    sounds there.
    """
    found = detect(x, sr, settings, describe(job), job.audio, offset, channels, job.level)
    found = past_carry_over(found, sr, job, offset, settings)
    x, env, peak, share, (start, stop) = found.x, found.env, found.peak, found.share, found.extent
    notices = list(found.notices)
    on, off, lag_ms = _align(job, start, sr, offset, settings, env)
    off = _off_in_recording(job, off, stop, x.size, sr, offset, notices)

    a = max(0, start - settings.pre)
    b = min(x.size, max(stop, math.ceil(off)) + settings.post)
    scale = gain if gain is not None else settings.peak / peak
    sr_out = settings.sample_rate
    lead_s, tail_s = settings.silence()
    lead, trail = round(lead_s * sr_out), round(tail_s * sr_out)
    cut = x[a:b] * np.float32(scale)
    if job.window is not None:  # a session note: its cut's edges may lie on sound
        cut_short = job.window[1] is not None and b == x.size  # at the next note: after its note-off
        cut = fade_cut_edges(cut, start - a, min(settings.post, b - math.ceil(off)) if cut_short else 0)
    body = resample(cut, sr, sr_out)
    y = np.concatenate([np.zeros(lead, np.float32), body, np.zeros(trail, np.float32)])
    # The audible end is measured again on the prepared audio (before any fade), so that `end` agrees
    # with the same envelope rule applied at the dataset rate later (evaluation, `inspect`).
    audible = find_extent(y, share)
    audible_end = audible[1] if audible is not None else y.size
    n = y.size
    if settings.length is not None:
        n = round(settings.length * sr_out)
        y = _fit(y, n, round(settings.fade_seconds() * sr_out))

    ratio = sr_out / sr

    def pos(p: float) -> int:
        return lead + round((p - a) * ratio)

    onset = max(pos(on), 0)
    if onset >= n:
        raise NoteError(f"{describe(job)}: the note starts after the fixed length of {settings.length} s")
    release = min(max(pos(off), onset), n)
    end = min(max(audible_end, release, onset + 1), n)
    whole = job.window is None or job.window[1] is None  # x ends where the recording ends
    sounding = stop >= off - round(STILL_SOUNDING_S * sr)  # at its note-off (not died away before it)
    if settings.length is None and whole and sounding and end - release < NO_TAIL_SECONDS * sr_out:
        notices.append(_no_tail(describe(job), (end - release) / sr_out, stop >= x.size - 1, share, settings))
    held_s = (release - onset) / sr_out
    if held_s > LONG_NOTE_SECONDS:
        notices.append(Notice("long", (
            f"{describe(job)}: held for {held_s:.0f} s, more than a note is held ({LONG_NOTE_SECONDS:g} s): "
            "a whole performance read as one note? With a MIDI file of its notes, --layout session cuts it "
            "into notes; without one, --layout audio into training chunks")))
    return PreparedNote(y, onset, release, end, lag_ms, tuple(notices))


#: A note held longer than this (s) gets a notice: longer than the sustained notes of sample
#: libraries (organ and string pads ring 10-30 s), and a recording read whole as one note costs
#: ~4.5 GB of memory per 15 minutes at 44.1 kHz (measured: 180 s took 0.8 GB).
LONG_NOTE_SECONDS = 60.0


#: A release tail shorter than this (s) of a note still sounding at its note-off gets a notice,
#: whatever made it so (well above the release placement's steps of ~20 ms; sustained instruments
#: ring longer).
NO_TAIL_SECONDS = 0.05


def _no_tail(where: str, tail_s: float, to_the_end: bool, share: float, settings: PrepareSettings) -> Notice:
    """The notice for a note still sounding at its note-off whose release tail (`tail_s` s) is under
    NO_TAIL_SECONDS (one that died away before its note-off has nothing to release): its sound
    lasts to the recording's end (`to_the_end`: cut short, or hiss the noise-floor rule could not
    measure), or it ends at its note-off, found at `share` of its peak (a noise floor raises that
    above --threshold until the decay is all below it: `sox -b 8`'s dithered floor at -48 dBFS
    under a held note peaking at -18 dBFS made its tail 0 ms)."""
    if to_the_end:
        why = ("the sound lasts to the end of the recording, so the note has no release tail (cut short, "
               "or a noise floor within 20 dB of its peak?)")
    else:
        over = (f", found at {share:.3f} of its peak over a noise floor or hum; threshold "
                f"{settings.threshold:g}" if share > settings.threshold else "")
        why = f"the note has no release tail ({tail_s * 1000:.0f} ms from its note-off to its end{over})"
    return Notice("no-tail", f"{where}: {why}: its renders will stop dead at the note-off")


@dataclass(frozen=True)
class Detection:
    """A recording as detection sees it (`detect`): samples (n,) float32 without their DC offset,
    their Hilbert envelope (n,), |sample| peak, the share of the envelope's peak where the sound
    starts and ends, the sound's extent (start, stop exclusive, samples) and what was noticed."""

    x: np.ndarray
    env: np.ndarray
    peak: float
    share: float
    extent: tuple[int, int]
    notices: tuple[Notice, ...] = ()


#: A flat top: at least CLIP_RUN consecutive samples exactly at a peak of at least CLIP_LEVEL
#: (a 20-Hz sine at full scale in 16 bits holds its peak value for 4-5 samples; a clipped wave for
#: as long as it is over the limit); MIN_CLIPS of them make a recording clipped.
CLIP_LEVEL = 0.98
CLIP_RUN = 8
MIN_CLIPS = 3


def clipped_runs(x: np.ndarray) -> int:
    """How many flat tops the audio `x` (n,) or (n, channels) holds: runs of CLIP_RUN or more
    samples at a channel's largest value or at its smallest, where that is at least CLIP_LEVEL of
    full scale; 0 below MIN_CLIPS of them in all. Each side and each channel is read apart: a
    clipped 16-bit file tops out at +32767/32768 and −1.0, and the mean of two clipped channels
    is not flat where they clip at different times."""
    if x.size == 0 or not np.isfinite(x).all():
        return 0
    runs = 0
    for channel in x.reshape(x.shape[0], -1).T:
        for top in (channel, -channel):
            peak = float(top.max())
            if peak < CLIP_LEVEL:
                continue
            at = np.concatenate([[False], top == peak, [False]])
            edges = np.flatnonzero(np.diff(at.astype(np.int8)))
            runs += int(np.count_nonzero(edges[1::2] - edges[::2] >= CLIP_RUN))
    return runs if runs >= MIN_CLIPS else 0


def detect(
    x: np.ndarray, sr: int, settings: PrepareSettings, where: str, recording: str | Path | None = None,
    offset: int = 0, channels: np.ndarray | None = None, level: float = 1.0,
) -> Detection:
    """Check the mono recording `x` (n,) at `sr` Hz and find its sound, by the rules every note of
    every layout goes through: non-finite samples fail it, its DC offset is removed (noticed when
    large), silence fails it (peak below `settings.silence_peak`, or nothing above the share), and
    the extent is where the envelope passes `settings.threshold` of its peak, or a margin above the
    noise floor when the floor reaches that (`conditioning.noise.extent_threshold`; noticed when the
    floor is at or above NOISE_NOTICE_DBFS).

    `where` names the note in messages, `recording` the file in the DC notice (one per recording;
    default `where`); x[0] is frame `offset` of the file (for the time of a non-finite sample).
    `channels` (n, c), the recording's channels that `x` mixes down, are what the clipping check
    reads (default `x`). `level`: × amplitude `x` was scaled by from the recording (`NoteJob.level`);
    the DC and noise-floor notices tell the levels the file holds.

    Raises:
        NoteError: non-finite samples, or a silent recording.
    """
    check_finite(x, sr, where, offset)
    notices: list[Notice] = []
    tops = clipped_runs(x if channels is None else channels)
    if tops:
        notices.append(Notice("clip", f"{where}: clipped ({tops} flat tops of {CLIP_RUN}+ samples at full "
                                      "scale): the model learns them as part of the sound"))
    x, dc = remove_dc(x)
    peak = float(np.abs(x).max()) if x.size else 0.0
    held = dc / level  # the offset in the file
    if abs(held) >= DC_REPORT or (dc and abs(dc) > settings.threshold * peak):
        said = f"{held:+.3g}, {20 * math.log10(abs(held)):.0f} dBFS"
        notices.append(Notice("dc", f"{recording or where}: DC offset ({said}) removed before detection"))
    # the channels' own peak only for a silent mix-down (they may cancel), not for every note
    several = channels is not None and channels.ndim == 2 and channels.shape[1] > 1 and channels.size > 0
    loudest = float(np.abs(channels).max()) if several and peak < settings.silence_peak else 0.0
    message = silence_message(where, peak, settings, dc, loudest)
    if message is not None:
        raise NoteError(message)
    env = envelope(x)
    env_peak = float(env.max())
    share, floor = extent_threshold(x, sr, settings.threshold, env_peak)
    if floor is not None and 20 * math.log10(floor / level) >= NOISE_NOTICE_DBFS:  # the file's floor
        notices.append(Notice("noise", (
            f"{where}: noise floor at {20 * math.log10(floor / level):.0f} dBFS; start and end found "
            f"{NOISE_MARGIN_DB:.0f} dB above it (threshold {share:.3f} of the note's peak instead of "
            f"{settings.threshold:g})")))
    extent = find_extent(x, share, env)
    if extent is None:
        raise NoteError(f"{where}: silent recording")
    extent = _past_the_skirt(x, sr, extent, share * env_peak)
    return Detection(x, env, peak, share, extent, tuple(notices))


#: How far (s) the envelope may pass the threshold before the waveform itself does and still place
#: a sound's start (`_past_the_skirt`); further ahead it is the envelope's skirt before the sound.
SKIRT_S = 0.001


def _past_the_skirt(x: np.ndarray, sr: int, extent: tuple[int, int], level: float) -> tuple[int, int]:
    """`extent` with its start moved to the first sample of `x` (at `sr` Hz) whose magnitude passes
    `level` (the threshold find_extent took, in sample units) where the envelope passes it more
    than SKIRT_S earlier. The Hilbert envelope is not local: before a sound after silence it falls
    off as area / (π · t), the sound's net area over the time to its onset, so a kick's envelope
    passed 0.8 % of its peak 65 ms before the kick did (`Kick late.wav`, 3 s of silence first: its
    note-on placed in the silence and its release 70 ms after it, against 10 ms for the same kick
    without the silence). Within SKIRT_S the envelope's start stands (a sine from phase 0 passes
    the level a sample or two after its envelope does); the envelope is never below |x|, so the
    start only ever moves later."""
    start, stop = extent
    above = np.flatnonzero(np.abs(x[start:stop]) > level)
    if not above.size or above[0] <= SKIRT_S * sr:
        return extent
    return start + int(above[0]), stop


#: A session note's window that is already sounding over its first CARRY_SECONDS carries the
#: previous note's tail; its start is looked for CARRY_MARGIN × that level higher (6 dB).
CARRY_SECONDS = 0.005
CARRY_MARGIN = 2.0
#: Frames in which `attack_rises` reads the envelope (s): a period of 40 Hz, below any tuned note.
ATTACK_FRAME_SECONDS = 0.025
#: The rise (× in amplitude, 3 dB) that `attack_rises` takes for an attack: a soft note rising
#: out of a loud one's tail makes it, a sustained note's vibrato (±1 dB) does not.
ATTACK_RISE = 2.0**0.5


def past_carry_over(
    found: Detection, sr: int, job: NoteJob, offset: int, settings: PrepareSettings
) -> Detection:
    """`found` with its start looked for past the previous note's tail, for a note cut out of a
    session recording (`job.window`; x[0] is frame `offset`) whose cut opens while the note before
    still sounds: at the threshold its start would be the cut's first samples, and the prepared
    note would begin with the other's tail (the cut opens up to twice --tolerance-ms before the
    note-on: layouts.SESSION_LOOKBACK). Its start is looked for at
    CARRY_MARGIN × the level carried over (as the noise-floor rule raises it over a noise floor),
    and is never later than the MIDI note-on: a soft attack rising under the tail keeps its first
    milliseconds. When the tail is half the note's peak or more (a legato join) the MIDI note-on
    is the start. Its end stays where `found` has it.

    What sounds at the cut's start is taken for a tail only where a tail can be: after a note
    (`job.after`) that was held to within --tolerance-ms of this note-on (a legato join), or where
    an attack rises out of it (`attack_rises`) by --tolerance-ms after the note-on. Otherwise the
    note's own attack lies before its cut (the MIDI file is late against the recording) and it
    fails (NoteError) rather than be cut without its attack; so does a note that rises less than
    3 dB out of the ring of a note released earlier (the message gives the --tolerance-ms that
    makes that a legato join), and the first note of a session whose cut opens on sound, as no
    tail can be there (a late MIDI file). A sound under the whole cut that never dies away (hum: a
    tone the noise-floor rule leaves alone) is no tail either: start and end are found 6 dB above
    it, with a notice (`_over_a_steady_floor`). A tail that hovers at the threshold, crossing it
    only after the first CARRY_SECONDS, is taken for one too (`_quiet_tail`): a beating release
    dying away 0.4 s after its note-off failed its next note with a lag of −194 ms.
    """
    head = max(1, round(CARRY_SECONDS * sr))
    if job.window is None or job.window[0] <= 0:
        return found
    on = min(max(0, round(job.on * sr) - offset), found.extent[1] - 1)
    tolerance = settings.tolerance_ms / 1000.0
    frame = round(ATTACK_FRAME_SECONDS * sr)
    if found.extent[0] < head:
        carried = float(found.env[:head].max()) / float(found.env.max())
    elif job.after is None:
        return found
    else:
        carried = _quiet_tail(found, on - round(tolerance * sr), frame)
        if carried is None:
            return found
    rising = attack_rises(found.env[: on + round(tolerance * sr)], frame)
    opened = (f"the recording already sounds where the cut opens ({job.window[0]:.3f} s, "
              f"{(job.on - job.window[0]) * 1000:.0f} ms before the MIDI note-on)")
    late = f"is {job.midi.name} late against this recording?"
    gap_ms = math.inf if job.after is None else (job.on - job.after) * 1000.0
    if gap_ms > settings.tolerance_ms + 1e-3 and carried < 0.5:
        floored = _over_a_steady_floor(found, carried, frame, describe(job))
        if floored is not None:
            return floored
    if job.after is None:
        hint = (f"another sound under it at {carried:.3f} of the note's peak (--threshold {2 * carried:.2g} "
                f"would ignore it), or {late}" if rising and carried < 0.5 else late)
        raise NoteError(f"{describe(job)}: {opened}, and no note comes before it: {hint}")
    if gap_ms > settings.tolerance_ms + 1e-3 and not rising:
        no_rise = f"{opened}, and no attack rises 3 dB out of it by {settings.tolerance_ms:g} ms after"
        if job.aligned:
            raise NoteError(
                f"{describe(job)}: {no_rise}: the note before, released {gap_ms:.0f} ms before this note-on, "
                "rings over this one (the recording's other notes start on their note-ons, so the MIDI "
                f"file is not late); --tolerance-ms {math.ceil(gap_ms)} takes that for its tail")
        raise NoteError(
            f"{describe(job)}: {no_rise}: the note's attack lies before its cut ({late} If the note before, "
            f"released {gap_ms:.0f} ms before this note-on, rings over this one, --tolerance-ms "
            f"{math.ceil(gap_ms)} takes that for its tail)")
    share = CARRY_MARGIN * carried
    extent = find_extent(found.x, max(share, found.share), found.env) if share < 0.5 else None
    start = min(extent[0], on) if extent is not None and extent[0] > 0 else on
    return replace(found, extent=(start, found.extent[1]))


def _quiet_tail(found: Detection, early: int, frame: int) -> float | None:
    """The level (share of the note's peak) of a tail that hovers at the threshold where the cut
    opens, below it over the first CARRY_SECONDS and above it a little later (a beating or
    quantised release crosses it back and forth), so that the sound was found to start more than
    --tolerance-ms (`early`, samples) before the note-on; None where what sounds before `early`
    is no such tail. A tail: it stays within CARRY_MARGIN (6 dB) of the threshold up to `early`
    and does not rise there (its last `frame`-sample frame is not ATTACK_RISE, 3 dB, above its
    first): the note's own attack, early against a late MIDI file, rises out of silence to the
    note's level and is no tail."""
    if found.extent[0] >= early or early < frame:
        return None
    before = found.env[:early]
    level = float(before.max()) / float(found.env.max())
    frames = _frame_maxima(before, frame)
    if level > CARRY_MARGIN * found.share or frames[-1] >= ATTACK_RISE * frames[0]:
        return None
    return level


def _over_a_steady_floor(found: Detection, carried: float, frame: int, where: str) -> Detection | None:
    """`found` with its start and end found CARRY_MARGIN × (6 dB) above what sounds where its cut
    opens, when that sound is a steady floor (hum, a tonal noise the noise-floor rule leaves to the
    threshold) rather than a tail: no frame of the whole cut (`frame`-sample maxima of the envelope)
    falls 3 dB (ATTACK_RISE) below it, where a tail dies away. A notice says so. None otherwise."""
    frames = _frame_maxima(found.env, frame)
    opening = carried * float(found.env.max())
    if frames.size < 2 or opening > ATTACK_RISE * float(frames.min()):
        return None
    share = max(found.share, CARRY_MARGIN * carried)
    extent = find_extent(found.x, share, found.env)
    if extent is None:
        return None
    notice = Notice("noise", (
        f"{where}: a steady sound under the whole cut at {carried:.3f} of the note's peak "
        f"({20 * math.log10(opening):.0f} dBFS: hum?); start and end found 6 dB above it (threshold "
        f"{share:.3f} of the note's peak)"))
    return replace(found, share=share, extent=extent, notices=(*found.notices, notice))


def _frame_maxima(env: np.ndarray, frame: int) -> np.ndarray:
    """The maxima of the envelope `env` (n,) over whole `frame`-sample frames."""
    return env[: env.size // frame * frame].reshape(-1, frame).max(axis=1)


def attack_rises(env: np.ndarray, frame: int) -> bool:
    """Whether the envelope `env` (n,) rises ATTACK_RISE × (3 dB) above its lowest level so far
    somewhere, read as the maxima of `frame`-sample frames (ATTACK_FRAME_SECONDS: a frame spans a
    cycle of any pitch above 40 Hz, so the Hilbert envelope's ripple within a cycle is not taken
    for a rise): a new attack out of a decaying tail rises; a note already sounding (sustained, or
    dying away) does not."""
    frames = _frame_maxima(env, frame)
    if frames.size < 2:
        return False
    lowest = np.minimum.accumulate(frames)[:-1]
    return bool(np.any(frames[1:] >= ATTACK_RISE * lowest))


def fade_cut_edges(y: np.ndarray, fade_in: int, fade_out: int) -> np.ndarray:
    """`y` (n,) with linear fades over its first `fade_in` and last `fade_out` samples: a note cut
    out of a session recording may open on the note before's tail and end on the next note's
    start, and a cut edge on sound is a click the model would learn (the fades lie in the pre-
    and post-roll, outside the note's detected extent)."""
    y = y.copy()
    if fade_in > 0:
        k = min(fade_in, y.size)
        y[:k] *= np.linspace(0.0, 1.0, k, endpoint=False, dtype=np.float32)
    if fade_out > 0:
        k = min(fade_out, y.size)
        y[y.size - k :] *= np.linspace(1.0, 0.0, k, dtype=np.float32)
    return y


def nonfinite_message(where: str, count: int, first_s: float) -> str:
    """The reason a recording with `count` NaN/±inf samples (the first at `first_s` s) is skipped."""
    return (f"{where}: {count} non-finite sample(s) (NaN or ±inf), the first at {first_s:.3f} s; "
            "skipped (a damaged float recording)")


def check_finite(x: np.ndarray, sr: int, where: str, offset: int = 0) -> None:
    """Raise NoteError (`nonfinite_message`) when the audio `x` (n,), whose x[0] is frame `offset`
    of a recording at `sr` Hz, holds NaN or ±inf samples."""
    bad = ~np.isfinite(x)
    if bad.any():
        first = int(np.argmax(bad))
        raise NoteError(nonfinite_message(where, int(bad.sum()), (first + offset) / sr))


def _off_in_recording(
    job: NoteJob, off: float, stop: int, n: int, sr: int, offset: int, notices: list[Notice]
) -> float:
    """The note-off `off` (samples of the n-sample `x`) when it lies in the recording. After the
    recording's end: NoteError while the note still sounds there (its release was never recorded);
    otherwise (it had died away) the note is held to the recording's end, and that is noticed."""
    if off <= n + 0.5:  # times in seconds come back a rounding error past the last sample
        return min(off, float(n))
    off_s, end_s = (off + offset) / sr, (n + offset) / sr
    if stop >= n - round(STILL_SOUNDING_S * sr):
        raise NoteError(
            f"{describe(job)}: MIDI note-off at {off_s:.3f} s is after the recording ends ({end_s:.3f} s) "
            "and the note still sounds there: its release is not in the recording")
    notices.append(Notice("note-off", (
        f"{describe(job)}: MIDI note-off at {off_s:.3f} s is after the recording ends ({end_s:.3f} s); "
        f"the note had died away at {(stop + offset) / sr:.3f} s, so it is held to the recording's end")))
    return float(n)


def silence_message(where: str, peak: float, settings: PrepareSettings, dc: float = 0.0,
                    channel_peak: float = 0.0) -> str | None:
    """The reason a recording with this peak (after its DC offset `dc` was removed) counts as
    silent, or None if it does not. `channel_peak`: the loudest single channel's peak of a
    recording of several channels (0: unknown or one channel); loud channels in a silent mix-down
    cancel, and are said to (one channel phase-inverted) rather than called silent."""
    if peak >= settings.silence_peak:
        return None
    level = f"{20 * math.log10(peak):.0f} dBFS" if peak > 0 else "all zeros"
    if channel_peak >= settings.silence_peak:
        return (f"{where}: its channels cancel in the mono mix-down (a channel peaks at "
                f"{20 * math.log10(channel_peak):.0f} dBFS, their mean at {level}): is one channel "
                "phase-inverted? Keep one channel, or fix its phase")
    if abs(dc) >= settings.silence_peak:  # a constant (or near-constant) level: no sound in it
        return f"{where}: no sound, only a constant offset of {dc:+.3g} (peak {level} without it)"
    return f"{where}: silent recording (peak {level})"


def _align(
    job: NoteJob, start: int, sr: int, offset: int, settings: PrepareSettings, env: np.ndarray
) -> tuple[float, float, float]:
    """(note-on, note-off, lag ms) in samples of `x` (envelope `env`); NoteError if MIDI and sound
    are too far apart.

    A folder-midi take is not time-aligned with its MIDI file: the note-on is put at the detected
    start and the MIDI only gives the duration (and pitch and velocity).
    """
    if not job.synced:
        return float(start), start + (job.off - job.on) * sr, 0.0
    on, off = job.on * sr - offset, job.off * sr - offset
    lag_ms = (start - on) / sr * 1000.0
    if abs(lag_ms) > settings.tolerance_ms:
        hint = _threshold_hint(env, on, start, sr, settings)
        raise NoteError(
            f"{describe(job)}: MIDI note-on at {job.on:.3f} s but the sound starts at "
            f"{(start + offset) / sr:.3f} s ({lag_ms:+.0f} ms, tolerance ±{settings.tolerance_ms:g} ms); "
            f"do {job.midi.name} and this recording belong together?{hint}")
    return on, off, lag_ms


#: Hum is above the threshold within its first cycle (20 ms at 50 Hz) of a recording's start.
HUM_CYCLE_SECONDS = 0.02


def _threshold_hint(env: np.ndarray, on: float, start: int, sr: int, settings: PrepareSettings) -> str:
    """When the recording is above the threshold well before the MIDI note-on (hum, noise, another
    sound), what that means for the threshold; '' otherwise. Where the sound was found to start
    (`start`, samples) later than a hum's first cycle (HUM_CYCLE_SECONDS) into the recording,
    only what lies before it is read: the note's own attack, early against a late MIDI file, is no
    hum."""
    edge = math.floor(on - settings.tolerance_ms / 1000.0 * sr)
    before = env[: max(0, min(edge, start) if start > HUM_CYCLE_SECONDS * sr else edge)]
    if before.size == 0:
        return ""
    level = float(before.max()) / float(env.max())
    if level <= settings.threshold:
        return ""
    if level >= 0.5:
        return (f" (before the note-on the recording already reaches {level:.2f} of the note's peak: "
                "the note can hardly be told from what lies under it)")
    return (f" (before the note-on the recording already reaches {level:.3f} of the note's peak: "
            f"hum or noise? --threshold {2 * level:.2g} would ignore it)")


def _fit(y: np.ndarray, n: int, fade: int) -> np.ndarray:
    """Cut or zero-pad to n samples, then fade out linearly over the last `fade` samples."""
    out = np.zeros(n, np.float32)
    out[: min(n, y.size)] = y[:n]
    fade = min(fade, n)
    if fade > 0:
        out[n - fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    return out
