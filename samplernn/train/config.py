"""TrainConfig: every training setting, stated once with its default and its help text.

The `samplernn train` options take their defaults and help from these fields, and every
checkpoint stores the config (`to_dict`), so a resumed run and a fine-tune start from it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

from samplernn.common.errors import UsageError
from samplernn.common.shipped import shipped_models
from samplernn.common.threads import MAX_THREADS
from samplernn.model.config import PRESETS, ModelConfig, preset
from samplernn.train.plateau import SCORE_TIE_BAND
from samplernn.train.schedule import learning_rate, run_progress

#: What picks best.pt: the sound score of generated validation notes, or validation NLL.
CHOOSE_BY = ("sound", "nll")


def _setting(default: Any, help: str) -> Any:
    """A dataclass field with its help text (what `samplernn train --help` shows)."""
    return field(default=default, metadata={"help": help})


#: Batch rows when --batch-size is not given, on every device and for every bank (16 on a CPU from
#: 2026-12-02 to 12-05). On a CPU 16 made twice the steps of 32 and better notes at 45 minutes, but
#: at the default run's 120 minutes 32 played the held-out melodies better in every comparison: on
#: a 2-core Intel Xeon with AMX, two training seeds of 32 against one of 16, the two held-out melody
#: sets 95.9 / 93.6 % against 91.2 / 86.7 % in tune, isolated test notes equal (90.4 %); on a 2-core
#: AMD EPYC +2 to +4 points; the H200's five minutes (docs/training.md, "Batch size"). A drum kit
#: was better at 32 by sound (docs/drums.md, "Batch size").
DEFAULT_BATCH = 32
#: The budget of a run given neither --steps nor --max-minutes: whichever of DEFAULT_STEPS and
#: DEFAULT_MINUTES comes first (train.init.resolve_train_config: either one given alone is the whole
#: budget). 20,000 steps at batch 32 took 116 minutes on a 2-core Intel Xeon with AMX and would take
#: ~4.5 hours on a 2-core AMD EPYC; the minutes keep the default run within the 120 the targets
#: allow (docs/training.md, "The budget").
DEFAULT_STEPS = 20000
DEFAULT_MINUTES = 120.0

#: Times a drum kit's sound check generates each validation hit when --sound-draws is unset
#: (train.recipe.fit_to_bank; a pitched bank: 1). One draw of 24 hits moved a five-kit model's score
#: by ±0.05 (std over 8 seeds, two checkpoints, docs/drums.md "The sound check's draws"), as much as
#: 500 steps did; four draws halve that (4.6 → 23.5 s a validation on a busy 2-core CPU: 3-5 %).
KIT_SOUND_DRAWS = 4

#: --attack-weight of a drum kit when it is unset (train.recipe.fit_to_bank; a pitched bank: 1,
#: where 4 gave no gain). Against 1, on two kits as Hydrogen plays them (two training seeds) and on
#: a held-out kit, 3,356 steps each: likeness +8.1 / +2.5 / +5.0 points, attack +5.0 / +7.5 / +1.5,
#: decay +2.2 / -7.9 / +0.5 (docs/drums.md, "The attack weight on a kit").
KIT_ATTACK_WEIGHT = 4.0
#: --pre-emphasis of a new drum kit run when it is not given (train.recipe.fit_to_bank; a pitched
#: bank keeps its preset's 0.7, a fine-tune its --init model's). On the held-out BJA_Pacific at
#: 12,377 steps the kit's takes were like their piece in 83.3 / 80.3 % (generation seeds 6 / 7; a
#: second training seed 75.0 / 75.8 %) against 57.6 / 61.4 % pre-emphasised at 0.7, the real
#: ceiling 83.3 %; on the two tuning kits, 70 minutes each side by side, 80.9 / 79.6 against
#: 75.7 / 75.0 %, decay 64.5 / 57.9 against 56.6 / 56.6 % (docs/drums.md, "Pre-emphasis off on a kit").
KIT_PRE_EMPHASIS = 0.0
#: --patience when it is unset: a pitched bank stops after this many validations without progress
#: (train.plateau), a drum kit never (KIT_PATIENCE; train.recipe.fit_to_bank). A kit's sound score
#: is noisy and its hits get their attack with the annealed end of the schedule: the default run
#: of a held-out kit stopped at step 10,000 of 20,000 (learning rate still 55 % of its peak),
#: keeping a best.pt of step 5,000 whose takes started within 10 ms in 78 % against 89 % for a
#: run annealed over 12,000 steps (docs/drums.md, "The plateau rule on a kit").
PATIENCE = 10
KIT_PATIENCE = 0
#: --scheduled-sampling when not given, for a bank of pitched notes. On the bundled trombone from
#: scratch, 50 minutes, seed 1 (2-core AMD EPYC, one thread a run): 0.5 took the bursts on quiet
#: notes (D3 v40, 8 takes) from 8 of 8 to 0 and the test split's from 2 notes to 0, held-out
#: melodies 92.9 → 97.6 %; 0.2 left 3 of 8 (docs/training.md, "Scheduled sampling").
SCHEDULED_SAMPLING = 0.5
#: --steps of a new run given --max-minutes and no --steps (train.init.resolve_train_config): a bound
#: no run reaches, so that the minutes are the budget and the schedule anneals over them. With the
#: 20,000-step default, `--max-minutes 120` on a CPU twice as fast as the one it was set on (an
#: Intel Xeon with AMX against a 2-core AMD EPYC) would stop at step 20,000 after ~50 minutes (the
#: pace measured, 114,300 against ~50,000 samples/s; docs/training.md, "The budget").
MINUTES_BOUND_STEPS = 10**9
#: The most --sound-draws: every draw of every note is a row of one generation batch.
MAX_SOUND_DRAWS = 64

#: --new-pitch-draws when not given: a fine-tune (--init) draws every train note once an epoch.
#: Tried at 3 on the cello (C2-C5) fine-tuned from the shipped trombone (E2-F4) for 30 minutes, two
#: seeds: the cello's notes below E2 in tune in 35 of 48 takes against 25 of 48, but the test
#: split's C2 at velocity 33 off as before, and on seed 0 (both ends drawn three times) melodies
#: 97.7 -> 88.4 % and left-out semitones 11 -> 9 of 12 (docs/training.md, "Fine-tuning from the
#: shipped model").
NEW_PITCH_DRAWS = 1
#: The most --new-pitch-draws: every draw is a note of an epoch's order held in memory.
MAX_NEW_PITCH_DRAWS = 16
#: Oscillator harmonics of a --piece-tuning run when --oscillator is unset: the fundamental alone,
#: as a drum's membrane and a bell ring at partials that are not its harmonics.
TUNING_HARMONICS = 1
#: The most draws an epoch --balance-pieces gives a drum kit's hit (train.data.piece_balance_draws).
MAX_PIECE_DRAWS = 16
#: The most short copies of a note --short-notes makes (each is a training note held in memory).
MAX_SHORT_NOTES = 8
#: What --precision takes: bf16 autocast where it pays (see train.step.autocast), else float32.
PRECISIONS = ("auto", "fp32", "bf16")
#: What --input-gain-tiers takes: every tier's input samples, or the frame tiers' alone.
INPUT_GAIN_TIERS = ("all", "frames")

@dataclass
class TrainConfig:
    """Everything that defines a training run besides the data. Stored in every checkpoint.

    The defaults are the default recipe (docs/training.md, "The default recipe": what was measured
    for each); samplernn.train.recipe.fit_to_bank turns off what does not apply to a bank."""

    preset: str = _setting("small", f"Model preset: {', '.join(PRESETS)}.")
    model_overrides: dict[str, Any] = field(
        default_factory=dict, metadata={"help": "ModelConfig fields over the preset's, e.g. {'dim': 16}."}
    )
    conditioning: bool = _setting(
        True, "Train the unconditional baseline (no notes, no velocity, no countdown) instead of the "
        "conditioned model."
    )
    steps: int = _setting(
        DEFAULT_STEPS,
        "Optimiser steps in total (a resumed run continues to this). A new run given --max-minutes "
        "and no --steps has no step bound: the minutes are its budget.",
    )
    batch_size: int = _setting(DEFAULT_BATCH, "Batch rows (split across processes under torchrun).")
    window: int = _setting(1024, "TBPTT window in samples (a multiple of the model's lookback).")
    lr: float = _setting(1e-3, "Adam learning rate.")
    lr_final: float | None = _setting(
        1e-4,
        "Anneal the learning rate along a half cosine from --lr to this (at most --lr) at the end "
        "of the run, --steps or --max-minutes, whichever comes first (as high as --lr: constant).",
    )
    warmup_steps: int = _setting(
        200,
        "Raise the learning rate linearly from --lr/this to --lr over this many first steps, or over "
        "the first quarter of the run's budget if that comes sooner (0 = none).",
    )
    grad_clip: float = _setting(1.0, "Largest global gradient norm; larger ones are scaled down to it.")
    ema: float = _setting(
        0.0,
        "Validate, save and play an exponential moving average of the weights, this decay a step "
        "(0.999: a memory of ~1,000 steps; Polyak averaging, as WaveNet); 0 = off, the weights as trained. "
        "Tried from scratch at 0.999: within the seeds' spread.",
    )
    # Against exposure bias, as LPCNet does: the model learns to continue from a history that
    # is slightly off, as its own output is in generation.
    input_noise: int = _setting(
        0,
        "Noise of ± this many quantisation levels on the input samples (not the targets), LPCNet's "
        "remedy for exposure bias; tried at 1 from scratch: worse melodies, so off (scheduled "
        "sampling is the remedy used).",
    )
    scheduled_sampling: float | None = _setting(
        None,
        "Share of the input samples replaced by the model's own draws (parallel scheduled sampling, "
        "Duckworth et al. 2019: a first pass without gradient draws them from the model's output "
        "on the real history; targets clean), so that it learns to continue from a history like "
        "the one it makes in generation: no bursts on quiet notes. A step costs that pass (the "
        "frame tiers, and the sample-level MLP at the replaced samples only). Unset: "
        f"{SCHEDULED_SAMPLING:g} for a bank of pitched notes, 0 for a drum kit (measured: "
        "worse likeness) and a model without conditioning (unmeasured); with --init, the init "
        "run's own (the shipped model's: 0.5).",
    )
    input_gain: float = _setting(
        0.7,
        "Half the rows see their input samples scaled by a gain in [this, 1/this], targets clean, "
        "from --input-gain-from of the run on: with level conditioning, notes that drift come back "
        "to the level (0 = off).",
    )
    input_gain_from: float = _setting(
        0.0,
        "Share of the run's budget (its progress as the learning-rate schedule counts it: steps or "
        "minutes) after which --input-gain applies; before it every row reads its history as "
        "recorded, no plateau stops the run and best.pt is chosen among the validations after it. "
        "Tried at 0.5 from scratch on the trombone: the gain still undid the loudest low notes the "
        "first half had learnt.",
    )
    input_gain_tiers: str | None = _setting(
        None,
        "Whose input samples --input-gain scales: frames (the frame tiers' alone: the sample-level "
        "MLP reads its last samples as recorded, so the waveform's continuation stays exact while "
        "the frame tiers take the loudness from the level column) or all (every tier's, as the "
        "shipped model was trained; on the trombone it turned the loudest notes of the two lowest "
        "sample zones into noise). Unset: frames for a bank of pitched notes, all for a drum kit "
        "(its models were measured so).",
    )
    attack_weight: float | None = _setting(
        None,
        "Weight of the loss on the first --attack-seconds of every note against 1 elsewhere (the "
        "per-target mean is taken over the weights): a drum hit's transient, a note's onset. 1 = "
        f"even. Unset: {KIT_ATTACK_WEIGHT:g} for a drum kit (its hits start in time, more alike), 1 "
        "for a pitched bank (4 gave no gain).",
    )
    attack_seconds: float = _setting(
        0.1, "Length of a note's attack for --attack-weight and --attack-noise, from note-on."
    )
    attack_noise: float = _setting(
        0.0,
        "White noise on the input samples of every note's first --attack-seconds (targets clean), "
        "its RMS this share of the window's RMS: the model has to take the onset's pitch from "
        "the note rather than from its history, as in generation, where that history is its own "
        "uncertain attack; tried at 0.5 and 1.5, worse: noisy onsets. 0 = off.",
    )
    hidden_countdown: float = _setting(
        0.0,
        "Share of training notes whose countdown is hidden (the remaining column reads -1) from "
        "note-on to note-off, as when played live, and revealed at note-off; > 0 gives the model "
        "a held flag (an --init model without one is widened).",
    )
    note_interpolation: float = _setting(
        0.0,
        "Share of batch rows whose notes read the interpolation of their nearest trained neighbours' "
        "embeddings instead of their own (as a pitch the bank lacks is played); 0 = off.",
    )
    fill_pitches: int = _setting(
        2,
        "Train the pitches the bank lacks within its range on resampled copies of the notes of "
        "the nearest pitch it has, at most this many semitones away (0 = off).",
    )
    kit_retune: float = _setting(
        0.0,
        "Drum kits: every train hit also trains as two copies resampled this many semitones down "
        "and up, piece and velocity kept (0 = off).",
    )
    balance_pieces: bool = _setting(
        False,
        "Drum kits: draw the train hits of a piece with less audio than the kit's mean piece more "
        f"often an epoch (up to {MAX_PIECE_DRAWS} times), so each piece trains on about as much "
        "audio as the mean piece; a piece at or above the mean is drawn once. Tried on three kits: "
        "less like their pieces (2-13 points).",
    )
    piece_brightness: bool = _setting(
        False,
        "Drum kits: the pitch column reads each piece's spectral centroid (its brightness, measured "
        "on its train hits, in MIDI pitch units) instead of its General MIDI key number, which orders "
        "a kit's pieces by nothing they sound like; stored in the model. Tried on two kits: likeness "
        "-7 to +10 points, the second judge 0-4 lower.",
    )
    piece_tuning: bool = _setting(
        False,
        "Drum kits: measure each piece's resonance on its train hits (a tom's, an agogo's: the "
        "strongest peak of its body, kept where it holds a quarter of the body's power) and feed "
        "the model an oscillator at it (the sin and cos of its phase from the note-on; "
        f"--oscillator harmonics, {TUNING_HARMONICS} when unset); pieces without one (snares, "
        "hats, cymbals) get none; stored in the model. Tried on two kits: likeness -8 to +7.5 points, "
        "the second judge 1-4 lower.",
    )
    fit_min_p: bool = _setting(
        True,
        "Drum kits: when the run ends, fit a min-p truncation per piece on the kit's train hits and "
        "write it into best.pt (samplernn.train.min_p_fit: ~2 CPU-minutes for an 11-piece kit).",
    )
    short_notes: int = _setting(
        0,
        "Short copies of every long train note (its held part cut to 0.1-0.4 s and spliced to its "
        "release), so that the model learns note-ons of short notes; held in memory beside the "
        "bank (one copy a note: +35 % samples on a bank of 2-s notes). 0 = off.",
    )
    seed: int = _setting(0, "Seed of initialisation and data order.")
    val_every: int = _setting(500, "Steps between validations (NLL, sound score) and checkpoints.")
    patience: int | None = _setting(
        None,
        "Validations in a row that bring neither a higher sound score nor a lower val NLL (with "
        f"--choose-by nll: no lower val NLL) before stopping early; 0 = never. Unset: {PATIENCE} for a "
        "pitched bank, never for a drum kit (its hits sound their best at the annealed end).",
    )
    choose_by: str = _setting(
        "sound",
        "What picks best.pt and tells a plateau: sound (the sound score of short generated "
        "validation notes, --score-tie) or nll (validation NLL).",
    )
    score_tie: float | None = _setting(
        None,
        "Sound scores within this of the highest seen are ties that val NLL decides, and a falling "
        "val NLL counts as progress against --patience (the score's noise between validations); 0: "
        f"the sound score alone decides both. Unset: {SCORE_TIE_BAND:g} for a pitched bank, 0 for a "
        "drum kit (its NLL falls as it learns its hits by heart).",
    )
    sound_notes: int = _setting(
        24,
        "Validation notes generated and scored for the sound score at every validation (0 = none, "
        "with --choose-by nll).",
    )
    sound_draws: int | None = _setting(
        None,
        "Times the sound check generates each validation note, each with its own random numbers "
        f"(one batch); the score is the mean. Unset: {KIT_SOUND_DRAWS} for a drum kit; for a pitched bank 1, "
        "or as many as make --sound-notes notes of a val split that has fewer.",
    )
    sound_seconds: float = _setting(
        0.5,
        "Longest validation note the sound score generates, seconds (a drum kit's hits are cut "
        "there: raise it for cymbals that ring longer).",
    )
    max_minutes: float | None = _setting(
        DEFAULT_MINUTES,
        "Stop (after a final validation) when the run has trained this many minutes in all "
        "(a resumed run counts its earlier time). A new run given --steps and no --max-minutes has "
        "no time bound: the steps are its budget. A drum kit's run then fits its min-p per piece "
        "(--fit-min-p), which takes 1-2 minutes more.",
    )
    snapshot_minutes: float | None = _setting(
        None,
        "Also keep a copy of the checkpoint at the first validation after every this many minutes "
        "of training (counted over resumes): checkpoints/minute_MMM.pt (the minutes, 3 digits; a "
        "fraction as minute_000.250.pt), for a quality-over-time curve.",
    )
    device: str = _setting("auto", "auto, cpu or cuda.")
    compile: bool = _setting(False, "Use torch.compile.")
    precision: str = _setting(
        "auto", "auto (bf16 autocast on CUDA and on CPUs with native bf16: AVX512-BF16 or AMX; else fp32), "
        "fp32 or bf16."
    )
    threads: int = _setting(0, "CPU threads for torch; 0 = torch's choice.")
    eval_batch_size: int = _setting(32, "Rows per batch when scoring the validation and test notes.")
    log_every: int = _setting(10, "Steps between 'train' records in metrics.jsonl.")
    preview: bool | None = _setting(
        None, "Generate a short clip per validation (unset: on for CUDA only)."
    )
    preview_seconds: float = _setting(1.0, "Length of each preview clip, seconds.")
    init: str | None = _setting(
        None,
        "Start a new run from this checkpoint's weights (fine-tuning): a path, or the name of a "
        f"shipped model ({', '.join(shipped_models()) or 'none installed'}).",
    )
    new_pitch_draws: int = _setting(
        NEW_PITCH_DRAWS,
        "With --init: times an epoch each train note is drawn whose pitch lies outside the range the "
        "--init model was trained on (pitches new to it), against once for the others (1 = evenly; "
        "a drum kit and a model without conditioning: 1). Tried at 3: no gain.",
    )

    #: Fields a resumed run must share with the stored one (they fix the model, the train bank's
    #: notes and their order).
    LOCKED: ClassVar[tuple[str, ...]] = (
        "preset", "model_overrides", "conditioning", "batch_size", "window", "seed", "hidden_countdown",
        "short_notes", "fill_pitches", "kit_retune", "new_pitch_draws",
        "balance_pieces", "piece_brightness", "piece_tuning",
    )

    def model_config(self) -> ModelConfig:
        """The preset with this run's overrides (and a held flag when countdowns are hidden).
        Raises UserError for bad model settings."""
        held = self.hidden_countdown > 0 and self.conditioning
        overrides = {**self.model_overrides, **({"held_flag": True} if held else {})}
        try:
            return preset(self.preset, conditioning=self.conditioning, **overrides)
        except (TypeError, ValueError) as exc:
            raise UsageError(f"bad model settings: {exc}") from None

    def validate(self) -> None:
        """Raise UserError naming the first setting out of its range (NaN and infinity included)."""
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and not math.isfinite(value):
                raise UsageError(f"--{f.name.replace('_', '-')} must be a finite number, got {value}")
        if not 0.0 <= self.ema < 1.0:
            raise UsageError(f"--ema must be in [0, 1) (0 = off), got {self.ema:g}")
        if self.input_noise < 0:
            raise UsageError(f"--input-noise must be >= 0, got {self.input_noise}")
        if self.scheduled_sampling is not None and not 0.0 <= self.scheduled_sampling < 1.0:
            raise UsageError(f"--scheduled-sampling must be in [0, 1), got {self.scheduled_sampling:g}")
        if not 0.0 <= self.input_gain < 1.0:
            raise UsageError(f"--input-gain must be in [0, 1), got {self.input_gain}")
        if not 0.0 <= self.input_gain_from < 1.0:
            raise UsageError(f"--input-gain-from must be in [0, 1), got {self.input_gain_from:g}")
        if self.input_gain_tiers is not None and self.input_gain_tiers not in INPUT_GAIN_TIERS:
            choices = ", ".join(INPUT_GAIN_TIERS)
            raise UsageError(f"--input-gain-tiers must be one of {choices}, got {self.input_gain_tiers!r}")
        if self.attack_weight is not None and self.attack_weight < 1.0:
            raise UsageError(f"--attack-weight must be >= 1, got {self.attack_weight:g}")
        if self.attack_noise < 0.0:
            raise UsageError(f"--attack-noise must be >= 0, got {self.attack_noise:g}")
        if self.attack_seconds <= 0.0:
            raise UsageError(f"--attack-seconds must be > 0, got {self.attack_seconds:g}")
        if not 0.0 <= self.hidden_countdown <= 1.0:
            raise UsageError(f"--hidden-countdown must be in [0, 1], got {self.hidden_countdown}")
        if not 0.0 <= self.note_interpolation <= 1.0:
            raise UsageError(f"--note-interpolation must be in [0, 1], got {self.note_interpolation}")
        if self.kit_retune < 0 or self.kit_retune > 12:
            raise UsageError(f"--kit-retune must be within 0..12 semitones, got {self.kit_retune:g}")
        if not 0 <= self.short_notes <= MAX_SHORT_NOTES:
            raise UsageError(f"--short-notes must be within 0..{MAX_SHORT_NOTES}, got {self.short_notes}")
        if self.fill_pitches < 0:
            raise UsageError(f"--fill-pitches must be >= 0, got {self.fill_pitches}")
        if not 1 <= self.new_pitch_draws <= MAX_NEW_PITCH_DRAWS:
            raise UsageError(
                f"--new-pitch-draws must be within 1..{MAX_NEW_PITCH_DRAWS}, got {self.new_pitch_draws}"
            )
        for name in ("steps", "batch_size", "window", "val_every", "eval_batch_size", "log_every"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise UsageError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(self, name)}")
        check_precision_and_threads(self.precision, self.threads)
        if self.max_minutes is not None and not self.max_minutes > 0:
            raise UsageError(f"--max-minutes must be > 0, got {self.max_minutes}")
        if self.seed < 0:
            raise UsageError(f"--seed must be >= 0, got {self.seed}")
        if self.patience is not None and self.patience < 0:
            raise UsageError(f"--patience must be >= 0 (0 = never stop early), got {self.patience}")
        if self.snapshot_minutes is not None and not self.snapshot_minutes > 0:
            raise UsageError(f"--snapshot-minutes must be > 0, got {self.snapshot_minutes}")
        if not self.lr > 0:
            raise UsageError(f"--lr must be > 0, got {self.lr}")
        if self.lr_final is not None and not self.lr_final > 0:
            raise UsageError(f"--lr-final must be > 0, got {self.lr_final}")
        self._validate_selection()

    def _validate_selection(self) -> None:
        """Raise UserError for a bad warm-up or sound-score setting."""
        if self.warmup_steps < 0:
            raise UsageError(f"--warmup-steps must be >= 0, got {self.warmup_steps}")
        if self.choose_by not in CHOOSE_BY:
            raise UsageError(f"--choose-by must be {' or '.join(CHOOSE_BY)}, got {self.choose_by!r}")
        if self.sound_notes < 0:
            raise UsageError(f"--sound-notes must be >= 0, got {self.sound_notes}")
        if self.sound_draws is not None and not 1 <= self.sound_draws <= MAX_SOUND_DRAWS:
            raise UsageError(f"--sound-draws must be within 1..{MAX_SOUND_DRAWS}, got {self.sound_draws}")
        if not self.sound_seconds > 0:
            raise UsageError(f"--sound-seconds must be > 0, got {self.sound_seconds:g}")
        if self.score_tie is not None and not 0 <= self.score_tie <= 1:
            raise UsageError(f"--score-tie must be within 0..1, got {self.score_tie:g}")
        if self.choose_by == "sound" and self.sound_notes == 0:
            raise UsageError("--choose-by sound needs --sound-notes >= 1 (or --choose-by nll)")
        lookback = self.model_config().lookback
        if self.window % lookback:
            raise UsageError(f"--window {self.window} must be a multiple of the model's lookback {lookback}")

    def lr_at(self, step: int, elapsed_s: float = 0.0) -> float:
        """Learning rate of the optimiser step that follows `step` completed steps and `elapsed_s`
        seconds of training (samplernn.train.schedule: warm-up, then a cosine over the budget)."""
        return learning_rate(
            step, lr=self.lr, lr_final=self.lr_final, warmup_steps=self.warmup_steps,
            steps=self.steps, elapsed_s=elapsed_s, max_minutes=self.max_minutes,
        )  # fmt: skip

    def input_gain_at(self, step: int, elapsed_s: float = 0.0) -> float:
        """The --input-gain of the optimiser step that follows `step` completed steps and
        `elapsed_s` seconds of training: 0 until the run's progress (schedule.run_progress)
        reaches --input-gain-from (0: from the start), input_gain from then on."""
        start = self.input_gain_from
        if not self.input_gain or run_progress(step, self.steps, elapsed_s, self.max_minutes) < start:
            return 0.0
        return self.input_gain

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        """The config of `d`, ignoring keys it does not know (settings of other versions)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


def check_locked(path: Path, stored: dict[str, Any], given: dict[str, Any]) -> None:
    """Raise UserError if `given` contradicts a LOCKED setting `stored` in the checkpoint at `path`."""
    clash = [k for k in TrainConfig.LOCKED if k in given and k in stored and given[k] != stored[k]]
    if clash:
        desc = ", ".join(f"{k}={stored[k]!r} (asked {given[k]!r})" for k in clash)
        raise UsageError(
            f"{path}: incompatible with this run's settings: {desc}; resume with the same "
            "settings or start a new --out"
        )


def check_precision_and_threads(precision: str, threads: int) -> None:
    """Raises UsageError for a precision not in PRECISIONS or threads outside 0..MAX_THREADS (0 =
    torch's choice): the checks `train` (TrainConfig.validate) and `bench train` share."""
    if precision not in PRECISIONS:
        raise UsageError(f"--precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    if not 0 <= threads <= MAX_THREADS:
        raise UsageError(f"--threads must be within 0..{MAX_THREADS} (0 = torch's choice), got {threads}")
