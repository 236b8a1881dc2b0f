"""The default recipe's fit to the bank: which training settings apply to which data.

The defaults in TrainConfig are the recipe for a bank of pitched notes (docs/training.md,
"The default recipe"). Three settings (input_gain on by default, hidden_countdown and
note_interpolation when asked for) only mean something there:

* hidden_countdown — a held flag for live play, where a key's release is unknown until note-off.
  A drum kit's one-shots play out whole whatever the note-off (their length is the kit's), a
  model with no conditioning has no countdown and chunks of recordings have no notes: 0 there.
* input_gain — the input samples of half the rows are scaled so that the loudness has to come
  from the level column; a model with no conditioning has no level column to take it from: 0.
* note_interpolation — rows read their notes as the line between neighbouring pitches; a drum
  kit's keys are pieces, not a scale, and a model with no conditioning has no notes: 0.
* fill_pitches — resampled copies of neighbouring pitches stand in for the pitches a bank lacks;
  a kit's missing keys are pieces it does not have, and without conditioning there are no pitches: 0.
* new_pitch_draws — a fine-tune draws the notes on pitches its init model never played more often;
  a kit's keys are pieces, not pitches, and without conditioning there are no pitches: 1.
* short_notes — long notes cut short and spliced to their release teach short note-ons; a drum
  kit's hits have no held part to cut, and without conditioning there are no notes: 0.
* input_gain_tiers — unset, the input gain scales the frame tiers' input alone for a bank of
  pitched notes (measured on the trombone: the loudest low notes stay in tune, docs/training.md
  "The input gain on the frame tiers") and every tier's for a drum kit, whose models were measured so.
* scheduled_sampling — unset, half the input samples of a bank of pitched notes are the model's own
  draws (docs/training.md, "Scheduled sampling": no bursts on quiet notes); 0 for a drum kit (on
  the held-out kit it raised the takes' band floor 2.5 dB and cut their likeness from 60–64 to
  43 %: docs/drums.md "Scheduled sampling on a kit") and an unconditioned model (never measured).
* kit_retune — retuned copies of a drum kit's hits, their piece kept; a pitched note retuned
  would no longer be the pitch it is labelled: 0 for every bank but a kit.
* balance_pieces — a drum kit's short pieces drawn more often; a pitched bank's notes are not
  pieces: off for every bank but a kit.
* piece_brightness, piece_tuning — the pitch column and the oscillator read a drum piece's
  measured brightness and resonance; a pitched note's pitch is its own: off for every bank but a kit.

The presets pre-emphasise (0.7) for every bank: measured on a trombone, a cello and two drum kits
(docs/training.md, "Pre-emphasis").

A chunk dataset (the audio layout: recordings with no notes) also has no notes to generate and
score, so best.pt follows the validation NLL there (choose_by nll, no sound check).

A drum kit's checkpoints carry a sampling temperature of KIT_TEMPERATURE (playing_temperature),
which synth, render, pack and evaluate use unless told otherwise, and the kit's sound check
listens at it; every other bank's play at 1.0. A kit's checkpoints also carry its pieces' sound
(`playing_hints`: the centroids the hit search reads likeness by).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from samplernn.common.errors import UserError
from samplernn.data.dataset import PreparedDataset
from samplernn.data.drum_bank import is_drum_bank
from samplernn.generate.options import HIT_PIECE_SECONDS
from samplernn.measures.oneshot import PieceCentroids
from samplernn.prepare.sources.plain_audio import LAYOUT as CHUNK_LAYOUT
from samplernn.train.config import (
    KIT_ATTACK_WEIGHT,
    KIT_PATIENCE,
    KIT_PRE_EMPHASIS,
    KIT_SOUND_DRAWS,
    MAX_SOUND_DRAWS,
    PATIENCE,
    SCHEDULED_SAMPLING,
    TrainConfig,
)
from samplernn.train.plateau import SCORE_TIE_BAND

#: Sampling temperature of a drum model (docs/drums.md, "Temperature"): on two Hydrogen kits, a
#: 3,356-step model, chosen on generation seed 100 among 1.0 / 0.9 / 0.8 / 0.7: 0.9 assigned 62 %
#: of the takes to their own piece (46 % at 1.0) and got 52 % of the decays right (41 %), for an
#: attack in time 72 % of the time (78 %). At 1.0 a hit's tail is sampled into a bed of noise.
KIT_TEMPERATURE = 0.9


def playing_temperature(dataset: PreparedDataset) -> float:
    """The sampling temperature a model of `dataset` is played at (the checkpoint's
    `generation.temperature`): KIT_TEMPERATURE for a drum kit, else 1.0."""
    return KIT_TEMPERATURE if is_drum_bank(dataset.info.get("layout"), dataset.stats) else 1.0


def playing_hints(dataset: PreparedDataset) -> dict[str, Any]:
    """A checkpoint's `generation` record for a model of `dataset`: `temperature`
    (playing_temperature) and, for a drum kit, `pieces`: measures.oneshot.PieceCentroids of its
    train split's hits over HIT_PIECE_SECONDS, which samplernn.generate.onset_search scores a hit
    candidate's likeness by (Checkpoint.hit_pieces). Reads the train hits' audio once."""
    hints: dict[str, Any] = {"temperature": playing_temperature(dataset)}
    train = dataset.split("train")
    if train and is_drum_bank(dataset.info.get("layout"), dataset.stats):
        hits = [(r.pitch, dataset.load_audio(r), r.onset) for r in train]
        hints["pieces"] = PieceCentroids.of_hits(hits, dataset.sample_rate, HIT_PIECE_SECONDS).to_payload()
    return hints


def _kit_settings_off(cfg: TrainConfig, dataset: PreparedDataset, log: Callable[[str], None]) -> TrainConfig:
    """`cfg` with the settings for a drum kit alone (kit_retune, balance_pieces, piece_brightness,
    piece_tuning) off, each said."""
    if cfg.kit_retune:
        log(f"--kit-retune off: {dataset.root} is not a drum kit (a retuned note would not be its pitch)")
        cfg = replace(cfg, kit_retune=0.0)
    if cfg.balance_pieces:
        log(f"--balance-pieces off: {dataset.root} is not a drum kit (its notes are pitches, not pieces)")
        cfg = replace(cfg, balance_pieces=False)
    if cfg.piece_brightness:
        log(f"--piece-brightness off: {dataset.root} is not a drum kit (its pitch column reads its pitches)")
        cfg = replace(cfg, piece_brightness=False)
    if cfg.piece_tuning:
        log(f"--piece-tuning off: {dataset.root} is not a drum kit (its oscillator, if any, runs at "
            "its pitches)")
        cfg = replace(cfg, piece_tuning=False)
    return cfg


def fit_to_bank(
    cfg: TrainConfig, dataset: PreparedDataset, log: Callable[[str], None], *, resumed: bool = False
) -> TrainConfig:
    """`cfg` with the settings that do not apply to `dataset` (or to an unconditioned model) turned
    off, each change said once through `log`, and an unset --score-tie, --sound-draws, --patience,
    --input-gain-tiers, --scheduled-sampling and --attack-weight set for the bank (SCORE_TIE_BAND, or
    0 for a drum kit; sound_draws_for the val split's notes, or KIT_SOUND_DRAWS for a drum kit;
    PATIENCE, or KIT_PATIENCE for a drum kit; frames, or all for a drum kit; SCHEDULED_SAMPLING, or
    0 for a drum kit and an unconditioned model; 1, or KIT_ATTACK_WEIGHT for a drum kit). A new
    drum kit run (not `resumed`, no --init) without --pre-emphasis gets KIT_PRE_EMPHASIS: a resumed
    run keeps the model it was trained as, a fine-tune its init's.

    An unconditioned model has no sound check (it cannot be told which note to play): its best.pt
    is chosen by validation NLL. Raises UserError for a conditioned model on chunks of recordings
    with no notes.
    """
    layout = dataset.info.get("layout")
    if layout == CHUNK_LAYOUT:
        if cfg.conditioning:
            raise UserError(f"{dataset.root}: chunks of recordings with no notes (layout {CHUNK_LAYOUT}) "
                            "have nothing to condition on: train with --no-conditioning")
    if not cfg.conditioning and (cfg.choose_by != "nll" or cfg.sound_notes):
        why = ("chunks with no notes" if layout == CHUNK_LAYOUT
               else "a model without conditioning cannot be told which note to play")
        log(f"{why}, so no sound score: best.pt is chosen by validation NLL")
        cfg = replace(cfg, choose_by="nll", sound_notes=0)
    kit_bank = is_drum_bank(layout, dataset.stats)
    no_scale = not cfg.conditioning or kit_bank  # no notes, or notes that are pieces
    off: dict[str, float | int] = {}
    if cfg.hidden_countdown and no_scale:
        off["hidden_countdown"] = 0.0
    if cfg.input_gain and not cfg.conditioning:
        off["input_gain"] = 0.0
    if cfg.note_interpolation and no_scale:
        off["note_interpolation"] = 0.0
    if cfg.fill_pitches and no_scale:
        off["fill_pitches"] = 0
    if cfg.short_notes and no_scale:
        off["short_notes"] = 0
    if cfg.new_pitch_draws > 1 and no_scale and cfg.init:
        off["new_pitch_draws"] = 1
    if not kit_bank:
        cfg = _kit_settings_off(cfg, dataset, log)
    if off:
        kit = "a drum kit's one-shots play out whole and its keys are pieces, not a scale"
        why = kit if cfg.conditioning else "the model has no conditioning"
        log(f"{', '.join('--' + k.replace('_', '-') for k in off)} off: {why}")
        cfg = replace(cfg, **off)
    if cfg.score_tie is None:
        if kit_bank:
            log(f"--score-tie 0: {dataset.root} is a drum kit, whose NLL falls as it learns its hits by "
                "heart; its sound score alone picks best.pt and tells a plateau")
        cfg = replace(cfg, score_tie=0.0 if kit_bank else SCORE_TIE_BAND)
    if cfg.sound_draws is None:
        cfg = replace(cfg, sound_draws=_sound_draws(cfg, dataset, kit_bank, log))
    if cfg.patience is None:
        if kit_bank:
            log(f"--patience {KIT_PATIENCE}: {dataset.root} is a drum kit, whose hits sound their best at "
                "the annealed end of the schedule: the run goes on to --steps (or --max-minutes)")
        cfg = replace(cfg, patience=KIT_PATIENCE if kit_bank else PATIENCE)
    if cfg.input_gain_tiers is None:
        if kit_bank and cfg.input_gain:
            log("--input-gain-tiers all: a drum kit's models were measured with the input gain on "
                "every tier's input")
        cfg = replace(cfg, input_gain_tiers="all" if kit_bank else "frames")
    if cfg.scheduled_sampling is None:
        if kit_bank and cfg.conditioning:
            log("--scheduled-sampling 0: with it a held-out kit's takes were less like their pieces")
        own = cfg.conditioning and not kit_bank
        cfg = replace(cfg, scheduled_sampling=SCHEDULED_SAMPLING if own else 0.0)
    if cfg.attack_weight is None:
        if kit_bank:
            log(f"--attack-weight {KIT_ATTACK_WEIGHT:g}: the loss on the first {cfg.attack_seconds:g} s of "
                "every hit counts that much (a drum kit's hits start in time and come out more alike)")
        cfg = replace(cfg, attack_weight=KIT_ATTACK_WEIGHT if kit_bank else 1.0)
    if kit_bank and not resumed and not cfg.init:
        cfg = _kit_pre_emphasis(cfg, log)
    return cfg


def _kit_pre_emphasis(cfg: TrainConfig, log: Callable[[str], None]) -> TrainConfig:
    """`cfg` with KIT_PRE_EMPHASIS in its model overrides when --pre-emphasis was not given and
    its preset's differs, said through `log`; stored in the run's config, so a resume keeps it."""
    own = cfg.model_config().pre_emphasis
    if "pre_emphasis" in cfg.model_overrides or own == KIT_PRE_EMPHASIS:
        return cfg
    log(f"--pre-emphasis {KIT_PRE_EMPHASIS:g}: without the preset's {own:g} a drum kit's takes came out "
        "more like their pieces (a held-out kit 75-83 % over two seeds against 58-61 %)")
    return replace(cfg, model_overrides={**cfg.model_overrides, "pre_emphasis": KIT_PRE_EMPHASIS})


def sound_draws_for(sound_notes: int, val_notes: int) -> int:
    """--sound-draws of a pitched bank when it is unset: ceil(sound_notes / val_notes) when the val
    split has fewer notes than the sound check asks for (at most MAX_SOUND_DRAWS), else 1, so the
    sound score is always of about `sound_notes` generated notes.

    Measured on the cello bank's 8 val notes (docs/training.md, "Few val notes"): a 30-minute
    fine-tune's best.pt and last.pt rescored with seeds 0-3 spread 0.17 / 0.07 in score with one
    draw (best.pt's 0.92 at the run's seed was its luckiest: 0.54-0.66 at the others), 0.07 / 0.06
    with three."""
    if sound_notes <= 0 or val_notes <= 0 or val_notes >= sound_notes:
        return 1
    return min(MAX_SOUND_DRAWS, math.ceil(sound_notes / val_notes))


def _sound_draws(
    cfg: TrainConfig, dataset: PreparedDataset, kit_bank: bool, log: Callable[[str], None]
) -> int:
    if kit_bank:
        if cfg.sound_notes:
            log(f"--sound-draws {KIT_SOUND_DRAWS}: the sound check generates each of a kit's validation "
                "hits that many times (one draw of a few hits is too noisy to choose best.pt by)")
        return KIT_SOUND_DRAWS
    val_notes = len(dataset.split("val"))
    draws = sound_draws_for(cfg.sound_notes, val_notes)
    if draws > 1:
        log(f"--sound-draws {draws}: the val split has {val_notes} notes, fewer than --sound-notes "
            f"{cfg.sound_notes}; the sound check generates each {draws} times")
    return draws
