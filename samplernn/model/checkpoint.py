"""Self-contained checkpoints: one file holding weights, config, quantisation, sample rate,
bank statistics and (for resuming) optimiser, step and RNG states.

Loaded with `torch.load(..., weights_only=True)`: everything inside is tensors, numbers,
strings, lists and dicts.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from conditioning import BankStats
from conditioning.midi import begins_as_midi
from samplernn.common.audio import SAMPLE_RATES
from samplernn.common.errors import UserError
from samplernn.common.files import atomic_path
from samplernn.common.shipped import missing_checkpoint, resolve_checkpoint
from samplernn.common.truncation import valid_min_p, valid_piece_min_p
from samplernn.measures.oneshot import PieceCentroids
from samplernn.model.config import ModelConfig
from samplernn.model.network import SampleRNN, build_model

FORMAT = "samplernn-checkpoint"
VERSION = 1


@dataclass
class Checkpoint:
    """A loaded checkpoint: the model (eval mode, on the requested device) and its context."""

    model: SampleRNN
    config: ModelConfig
    sample_rate: int
    stats: BankStats
    step: int
    payload: dict[str, Any]

    @property
    def temperature(self) -> float:
        """The sampling temperature the model was shipped with (default for synth/render/evaluate)."""
        return float((self.payload.get("generation") or {}).get("temperature", 1.0))

    @property
    def attack_temperature(self) -> float | None:
        """The temperature of each note's attack (payload `generation.attack_temperature`, written
        by training: train.recipe.playing_hints; see samplernn.generate.temperature), or None to
        play every sample at `temperature` (pitched models, and kits trained before it)."""
        value = (self.payload.get("generation") or {}).get("attack_temperature")
        return None if value is None else float(value)

    @property
    def min_p(self) -> float:
        """The min-p truncation the model is played with (payload `generation.min_p`: see
        samplernn.generate.options.GenerationOptions), 0 (none) where the checkpoint has none, as
        training writes none (docs/drums.md, "Min-p truncation")."""
        return float((self.payload.get("generation") or {}).get("min_p", 0.0))

    @property
    def piece_min_p(self) -> dict[int, float] | None:
        """A drum model's min-p per piece ({GM key: P}; payload `generation.piece_min_p`, keys as
        strings, fitted at the end of training by samplernn.train.min_p_fit), which
        GenerationOptions.for_checkpoint plays each piece's notes at (samplernn.generate.min_p);
        None for a pitched model and for a kit checkpoint trained before it was fitted."""
        table = (self.payload.get("generation") or {}).get("piece_min_p")
        return {int(k): float(p) for k, p in table.items()} if table else None

    @property
    def hit_pieces(self) -> PieceCentroids | None:
        """A drum model's piece centroids (payload `generation.pieces`, written by training:
        train.recipe.playing_hints), which the hit search reads a candidate's likeness by; None for
        a pitched model and for a kit checkpoint trained before they were kept."""
        return PieceCentroids.from_payload((self.payload.get("generation") or {}).get("pieces"))

    @property
    def pitch_range(self) -> tuple[int, int] | None:
        """(lowest, highest) MIDI pitch the model was trained on (payload_pitch_range)."""
        return payload_pitch_range(self.payload)


def payload_pitch_range(payload: dict[str, Any]) -> tuple[int, int] | None:
    """(lowest, highest) MIDI pitch of the bank a checkpoint dict was trained on: its `pitch_range`,
    else (older checkpoints) its bank statistics'; None for a model of no notes."""
    r = payload.get("pitch_range")
    if r:
        return int(r[0]), int(r[1])
    stats = payload.get("bank_stats")
    return BankStats.from_dict(stats).pitch_range if stats else None


def make_payload(
    model: SampleRNN,
    sample_rate: int,
    stats: BankStats,
    step: int = 0,
    half: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """The checkpoint dict for `model`; `extra` adds e.g. optimizer, rng, train_config, metrics.

    half=True stores floating weights as float16 (for shipping); loading restores float32.
    """
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    if half:
        state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "model_config": model.cfg.to_dict(),
        "state_dict": state,
        "sample_rate": int(sample_rate),
        "quantization": {"levels": model.cfg.q_levels, "method": model.cfg.quantization},
        "bank_stats": stats.to_dict(),
        "pitch_range": list(stats.pitch_range) if stats.pitch_range else None,
        "step": int(step),
    }
    payload.update(extra)
    return payload


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> None:
    """Write atomically: a temp file beside `path`, then rename. UserError naming `path` when it
    cannot be written."""
    try:
        with atomic_path(path) as tmp:
            torch.save(payload, tmp)
    except RuntimeError as exc:  # torch's writer: a full disk reads "[enforce fail …] unexpected pos …"
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise UserError(f"{path}: cannot write the checkpoint (is the disk full? torch: {reason})") from None


def read_payload(path: str | Path) -> dict[str, Any]:
    """The raw checkpoint dict.

    Raises UserError, one line naming the file, for a missing file (with what was probably meant:
    common.shipped.missing_checkpoint) and for anything that is not a
    samplernn checkpoint: not a torch file, a pickle holding code (refused by weights_only=True),
    a torch file without our entries, or a newer checkpoint version.
    """
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{path}: a folder, not a checkpoint")
    if not path.is_file():
        raise UserError(missing_checkpoint(path))
    payload = _torch_load(path)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise UserError(f"{path}: not a samplernn checkpoint (a torch file without the samplernn entries)")
    if payload.get("version", 0) > VERSION:
        raise UserError(f"{path}: checkpoint version {payload['version']} is newer than this samplernn")
    return payload


def _torch_load(path: Path) -> Any:
    """torch.load with weights_only=True; a file it refuses becomes one UserError line.

    torch's own messages run to several paragraphs and suggest weights_only=False, which would run
    whatever code the file holds: they are replaced, not passed on.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns about pickles it did not write itself
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a foreign file
        if "GLOBAL" in str(exc):  # the weights-only unpickler met an object it may not build
            why = "it holds Python objects that loading would have to run; refused"
        elif begins_as_midi(path, unreadable=False):  # `render song.mid CKPT`: swapped arguments
            why = "a MIDI file; the checkpoint comes first: samplernn render CKPT FILE.mid"
        else:
            why = "not a file written by torch.save"
        raise UserError(f"{path}: not a samplernn checkpoint ({why})") from None


def float32_state(payload: dict[str, Any]) -> dict[str, torch.Tensor]:
    """The payload's weights with floating tensors in float32 (shipped checkpoints store float16)."""
    return {k: v.float() if v.is_floating_point() else v for k, v in payload["state_dict"].items()}


def load_checkpoint(
    path: str | Path, device: str | torch.device = "cpu", *, needs_notes: str | None = None
) -> Checkpoint:
    """Load a checkpoint into a ready model in eval mode, float32, on `device`; `path` may also
    name a shipped model (`trombone-small`, common.shipped.resolve_checkpoint).

    `needs_notes` names the command that will play notes with the model (synth, render …): an
    unconditioned model is then refused (check_plays_notes) before its weights are loaded.

    Raises UserError (one line naming the file) for a file that is not a samplernn checkpoint
    (see read_payload) or whose weights do not fit its model config, a bare name that is neither
    a file nor a shipped model, or an unconditioned model where `needs_notes` is given.
    """
    path = resolve_checkpoint(path)
    payload = read_payload(path)
    try:
        cfg = ModelConfig.from_dict(payload["model_config"])
        if needs_notes is not None:
            check_plays_notes(cfg, path, needs_notes)
        model = build_model(cfg)
        model.load_state_dict(float32_state(payload))
        stats = BankStats.from_dict(payload["bank_stats"])
        sample_rate, step = payload["sample_rate"], int(payload.get("step", 0))
    except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"{path}: checkpoint does not match its model config ({first})") from None
    check_contents(path, model, sample_rate, payload.get("generation"))
    model.to(device).eval()
    return Checkpoint(model, cfg, sample_rate, stats, step, payload)


def check_contents(path: str | Path, model: SampleRNN, sample_rate: Any, generation: Any = None) -> None:
    """UserError naming `path` for a checkpoint whose weights are not all finite (a run that
    diverged, or a damaged file: it would play silence or DC), whose sample rate is not a whole
    number of Hz within SAMPLE_RATES (every WAV written with it would fail), or whose playing
    hints (`generation`: a temperature >= 0, an attack temperature > 0) are not finite numbers or
    whose min-p (or one of its pieces' min-p) is not in [0, 1)."""
    if generation is not None and not isinstance(generation, dict):
        raise UserError(f"{path}: its generation record is {type(generation).__name__}, not a table of "
                        "playing hints; the file is damaged")
    hints = generation or {}
    for key, low in (("temperature", 0.0), ("attack_temperature", None)):
        value = hints.get(key)
        ok = value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)
                               and math.isfinite(value) and (value > 0 if low is None else value >= low))
        if not ok:
            raise UserError(f"{path}: its generation.{key} {value!r} is not a usable temperature; "
                            "the file is damaged")
    min_p = hints.get("min_p")
    if min_p is not None and not valid_min_p(min_p):
        raise UserError(f"{path}: its generation.min_p {min_p!r} is not a truncation in [0, 1); "
                        "the file is damaged")
    table = hints.get("piece_min_p")
    if table is not None and not valid_piece_min_p(table, string_keys=True):
        raise UserError(f"{path}: its generation.piece_min_p is not a table of MIDI keys to truncations "
                        "in [0, 1); the file is damaged")
    if not isinstance(sample_rate, int) or isinstance(sample_rate, bool):
        raise UserError(f"{path}: sample rate {sample_rate!r} is not a whole number of Hz; "
                        "the file is damaged")
    if not SAMPLE_RATES[0] <= sample_rate <= SAMPLE_RATES[1]:
        raise UserError(f"{path}: sample rate {sample_rate} Hz is out of range "
                        f"({SAMPLE_RATES[0]}..{SAMPLE_RATES[1]}); the file is damaged")
    state = model.state_dict().items()
    bad = [name for name, p in state if p.is_floating_point() and not bool(torch.isfinite(p).all())]
    if bad:
        raise UserError(f"{path}: {len(bad)} weight tensor(s) hold NaN or infinity ({bad[0]} …); "
                        "the run diverged or the file is damaged")


def check_plays_notes(config: ModelConfig, path: str | Path, command: str) -> None:
    """UserError naming `path` when its model is unconditioned (`train --no-conditioning`): it
    takes no notes, so `command` (synth, render, pack, play, serve, evaluate, demo) has none to
    play with it. Its stats would otherwise read as a bank of the one note C-1 (pitch 0)."""
    if not config.conditioning:
        raise UserError(f"{path}: an unconditioned model (trained with --no-conditioning) plays no notes; "
                        f"{command} needs a model trained on notes (`samplernn synth CKPT -o OUT.wav` "
                        "without --note lets this one run free)")
