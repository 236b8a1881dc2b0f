"""The state a run starts from: fresh, from another run's checkpoint (--init), or where it stopped."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import torch

from conditioning.pitch import note_name
from samplernn.common.errors import UsageError
from samplernn.data.batching import WindowStream
from samplernn.data.dataset import PreparedDataset, load_dataset
from samplernn.data.drum_bank import is_drum_bank
from samplernn.data.piece_brightness import piece_brightness
from samplernn.data.piece_tuning import piece_tuning
from samplernn.data.short_notes import SHORT_HELD_SECONDS
from samplernn.model.config import ModelConfig
from samplernn.model.network import build_model
from samplernn.train.checkpointing import resume
from samplernn.train.config import MAX_PIECE_DRAWS, TUNING_HARMONICS, TrainConfig
from samplernn.train.data import (
    TrainData,
    load_train_data,
    new_pitch_draws,
    outside_range,
    piece_balance_draws,
)
from samplernn.train.distributed import DistInfo, barrier
from samplernn.train.ema import WeightEMA
from samplernn.train.init import init_from, init_pitch_range
from samplernn.train.memory import check_step_memory
from samplernn.train.recipe import fit_to_bank, playing_hints
from samplernn.train.run_dir import RunDir, check_outside_dataset, check_run_dir
from samplernn.train.state import TrainState
from samplernn.train.step import make_optimizer


def start_run(
    dataset_dir: Path,
    run: RunDir,
    cfg: TrainConfig,
    device: torch.device,
    info: DistInfo,
    *,
    resume_run: bool,
) -> TrainState:
    """Check the run dir, load the data and build the state of step 0, or of the run's last
    checkpoint with `resume_run`. A new run writes run.json.

    Raises UserError for a run dir that holds a run already (or nothing to resume), bad settings
    (a batch whose training step would not fit in the device's free memory among them),
    a bad dataset (or chunks without notes for a conditioned model), or an --init / resume
    checkpoint that does not fit. Settings that do not apply to the bank are turned off first
    (samplernn.train.recipe.fit_to_bank, said in the log).
    """
    check_run_dir(run.paths, resume_run)
    barrier(info)  # every rank has looked at the run dir before rank 0 writes to it
    dataset = load_dataset(dataset_dir)
    check_outside_dataset(run.paths.root, dataset_dir)
    kit = is_drum_bank(dataset.info.get("layout"), dataset.stats)
    cfg = fit_to_bank(cfg, dataset, run.log, resumed=resume_run)
    mcfg = cfg.model_config()
    if cfg.batch_size < info.world_size:
        raise UsageError(f"--batch-size {cfg.batch_size} is smaller than the {info.world_size} processes")
    check_step_memory(mcfg, cfg.batch_size, cfg.window, device, info.world_size)
    data = load_train_data(dataset_dir, mcfg, dataset, cfg.fill_pitches, cfg.kit_retune,
                           cfg.short_notes, cfg.seed)
    if data.filled:
        names = ", ".join(note_name(p) for p in data.filled)
        copies = len(data.train) - len(dataset.split("train")) - data.shortened
        run.log(f"{len(data.filled)} pitches the bank lacks ({names}) trained on resampled copies "
                f"of their nearest pitches: {copies} notes")
    if data.retuned:
        run.log(f"{data.retuned} retuned copies of the kit's train hits (± {cfg.kit_retune:g} semitones) "
                "beside them")
    if data.shortened:
        run.log(f"{data.shortened} short copies of the long train notes (held part cut to "
                f"{SHORT_HELD_SECONDS[0]:g}-{SHORT_HELD_SECONDS[1]:g} s, spliced to the release) beside them")
    if mcfg.oscillator:  # the oscillator runs at the data's rate
        mcfg = replace(mcfg, sample_rate=data.sample_rate)
    if kit and cfg.piece_brightness:
        mcfg = replace(mcfg, piece_brightness=_piece_brightness(dataset, run, say=not resume_run))
    if kit and cfg.piece_tuning:
        mcfg = _with_piece_tuning(mcfg, dataset, data.sample_rate, run, say=not resume_run)
    pitched_fine_tune = cfg.init and cfg.conditioning and not kit and not resume_run
    draws = _new_pitch_draws(cfg, data, run) if pitched_fine_tune else None
    if kit and cfg.balance_pieces and not resume_run:  # a resumed stream keeps its epoch's draws
        draws = _piece_balance_draws(data, run)
    if kit and cfg.fit_min_p and not resume_run:
        run.log(min_p_fit_notice(len({int(p) for p in data.train.pitches})))
    if cfg.new_pitch_draws > 1 and not cfg.init and not resume_run:
        run.log(f"--new-pitch-draws {cfg.new_pitch_draws} changes nothing: it draws the notes new to an "
                "--init model more often, and this run has no --init")
    state = fresh_state(cfg, mcfg, data, device, info, draws)
    if resume_run:
        state.ema = WeightEMA(state.model, cfg.ema) if cfg.ema else None
        resume(state, run)
        return state
    init_step = init_from(cfg.init, state, kit, run.log) if cfg.init else 0
    state.ema = WeightEMA(state.model, cfg.ema) if cfg.ema else None  # from the --init weights
    if state.ema is not None:
        run.log(f"validating, saving and playing a moving average of the weights (--ema {cfg.ema:g})")
    run.forget_records()
    run.describe(
        {
            "dataset": str(dataset_dir),
            **({"init": {"checkpoint": cfg.init, "step": init_step}} if cfg.init else {}),
            "train_config": cfg.to_dict(),
            "model_config": mcfg.to_dict(),
            "world_size": info.world_size,
        }
    )
    return state


def _piece_brightness(dataset: PreparedDataset, run: RunDir, say: bool) -> tuple[tuple[int, float], ...]:
    """The kit's pieces' spectral centroids as MIDI pitches (samplernn.data.piece_brightness), said
    in the log with `say`: the same train split gives the same table when the run is resumed."""
    table = piece_brightness(dataset)
    if say:
        shown = ", ".join(f"{key}: {pitch:.1f}" for key, pitch in table.items())
        run.log(f"the pitch column reads each piece's brightness (spectral centroid, MIDI pitch units): "
                f"{shown}")
    return tuple(table.items())


def _with_piece_tuning(
    mcfg: ModelConfig, dataset: PreparedDataset, sample_rate: int, run: RunDir, say: bool
) -> ModelConfig:
    """`mcfg` with the kit's tonal pieces' resonances (samplernn.data.piece_tuning) and an
    oscillator (--oscillator harmonics, TUNING_HARMONICS when unset) at the data's rate, said in
    the log with `say`; unchanged, with a line, for a kit without a tonal piece (an oscillator at
    its GM keys' equal-tempered frequencies would be no piece's)."""
    table = piece_tuning(dataset)
    if not table:
        if say:
            run.log("--piece-tuning changes nothing: no piece of this kit rings at one frequency")
        return mcfg
    harmonics = mcfg.oscillator or TUNING_HARMONICS
    if say:
        shown = ", ".join(f"{key}: {hz:g}" for key, hz in table.items())
        run.log(f"an oscillator ({harmonics} harmonic{'s' * (harmonics > 1)}) at each tonal piece's "
                f"resonance, Hz: {shown}; the other pieces none")
    return replace(mcfg, piece_tuning=tuple(table.items()), oscillator=harmonics, sample_rate=sample_rate)


def _new_pitch_draws(cfg: TrainConfig, data: TrainData, run: RunDir) -> torch.Tensor | None:
    """A pitched fine-tune's draws of its train notes an epoch (train.data.new_pitch_draws). The
    log names the train pitches outside the --init model's range, drawn more often or not: past
    the shipped trombone's E2, a 30-minute cello fine-tune missed its test notes there (C2, D2) where
    the same 30 minutes from scratch played them (docs/benchmarks.md, *Time to quality*)."""
    assert cfg.init is not None
    known = init_pitch_range(cfg.init)
    nothing = f"--new-pitch-draws {cfg.new_pitch_draws} changes nothing: "
    if known is None:
        if cfg.new_pitch_draws > 1:
            run.log(nothing + "the --init model records no range of pitches it was trained on")
        return None
    outside = outside_range(data.train.pitches, known)
    if not bool(outside.any()):
        if cfg.new_pitch_draws > 1:
            run.log(nothing + "every train note lies within the --init model's range "
                    f"({note_name(known[0])}-{note_name(known[1])})")
        return None
    new = ", ".join(note_name(p) for p in sorted({int(p) for p in data.train.pitches[outside]}))
    said = (f"{int(outside.sum())} train notes on pitches the --init model was not trained on ({new}; "
            f"it knows {note_name(known[0])}-{note_name(known[1])})")
    draws = new_pitch_draws(data.train.pitches, known, cfg.new_pitch_draws)
    if draws is not None:
        run.log(f"{said} drawn {cfg.new_pitch_draws} times an epoch")
    else:
        run.log(f"{said}: a fine-tune plays those less surely than the init's own range; from "
                "scratch a bank reaching past it trained as well in the same minutes")
    return draws


def min_p_fit_notice(pieces: int) -> str:
    """The line a new kit run starts with about the work after its last step (measured: 11 pieces
    in 133 s, 18 in 254 s on one thread of a 2-core AMD EPYC, docs/drums.md "A min-p per piece")."""
    return (f"after the last step a min-p per piece is fitted on best.pt: {pieces} pieces, ~10-15 s each "
            "on one CPU thread, beyond --max-minutes (--no-fit-min-p leaves it out)")


def _piece_balance_draws(data: TrainData, run: RunDir) -> torch.Tensor | None:
    """A drum kit's draws of its train hits an epoch by --balance-pieces (train.data.
    piece_balance_draws), said in the log: which pieces are drawn more often, and the epoch's audio."""
    bank = data.train
    draws = piece_balance_draws(bank.pitches, bank.lengths, MAX_PIECE_DRAWS)
    if draws is None:
        run.log("--balance-pieces changes nothing: no piece of the kit holds less audio than the mean piece")
        return None
    times = sorted({(int(p), int(d)) for p, d in zip(bank.pitches, draws, strict=True) if d > 1})
    seconds = [float((bank.lengths * k).sum()) / data.sample_rate for k in (torch.ones_like(draws), draws)]
    pieces = "1 piece's hits" if len(times) == 1 else f"{len(times)} pieces' hits"
    run.log(f"--balance-pieces: {pieces} drawn more often an epoch ("
            + ", ".join(f"{p} ×{d}" for p, d in times)
            + f"): {seconds[1]:.0f} s of audio an epoch instead of {seconds[0]:.0f} s")
    return draws


def fresh_state(
    cfg: TrainConfig, mcfg: ModelConfig, data: TrainData, device: torch.device, info: DistInfo,
    draws: torch.Tensor | None = None,
) -> TrainState:
    """Step 0 of a run: the model initialised from cfg.seed, Adam, the data's first windows (each
    train note drawn `draws` times an epoch: data.batching.WindowStream; None: once)."""
    torch.manual_seed(cfg.seed)
    model = build_model(mcfg).to(device)
    if cfg.note_interpolation and model.cond_features is not None:
        model.cond_features.interpolate_notes(data.train.pitches.tolist(), cfg.note_interpolation)
    optimizer = make_optimizer(model, cfg.lr, device)
    stream = WindowStream(data.train, cfg.batch_size, mcfg.lookback, cfg.window, seed=cfg.seed,
                          hidden_countdown=cfg.hidden_countdown, draws=draws)  # fmt: skip
    return TrainState(cfg, data, model, optimizer, stream, device, info,
                      generation=playing_hints(data.dataset))
