"""TrainState: everything that lives across training steps, saved and restored as one dict.

`TrainState.state_dict()` is the checkpoint payload (samplernn.model.checkpoint's format) and
`load_state_dict(payload)` puts a run back exactly where that payload left it, so the same two
methods serve checkpoints and --resume.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from samplernn.data.batching import WindowStream
from samplernn.model.checkpoint import make_payload
from samplernn.model.network import SampleRNN
from samplernn.model.nll import NLLResult
from samplernn.train.config import TrainConfig
from samplernn.train.data import TrainData
from samplernn.train.distributed import DistInfo, gather_rows
from samplernn.train.ema import WeightEMA
from samplernn.train.plateau import SCORE_TIE_BAND, better_by_sound, new_peak, nll_fell
from samplernn.train.stop import RunClock


@dataclass
class EvalRecord:
    """Validation bookkeeping of a run: the best checkpoint's scores, the plateau count, the
    latest scores (NLL in bits/sample, sound score as samplernn.train.sound_score). Stored in
    checkpoints under 'best'. The rules: samplernn.train.plateau.
    """

    best_val: float | None = None  # val NLL of the best checkpoint
    best_step: int = 0
    bad_evals: int = 0  # validations since the last progress (plateau.new_peak, plateau.nll_fell)
    last_val: float | None = None
    last_test: float | None = None
    best_score: float | None = None  # sound score of the best checkpoint
    last_score: float | None = None
    peak_score: float | None = None  # highest sound score seen
    low_val: float | None = None  # lowest val NLL counted as progress
    progress_step: int = 0  # step of the last validation that counted as progress
    # the step whose update first used the input gain (None: not yet); from a later --input-gain-from,
    # best.pt and the plateau rule count only the validations after it
    gain_step: int | None = None

    def add(
        self,
        step: int,
        val: NLLResult,
        test: NLLResult | None,
        score: float | None = None,
        by_sound: bool = False,
        band: float = SCORE_TIE_BAND,
    ) -> bool:
        """Note a validation at `step`; True if it is the best so far: by the sound score within
        its noise (`by_sound`, scores within `band` of the highest a tie that NLL decides) or by
        val NLL (plateau.better_by_sound, plateau.nll_fell)."""
        self.last_val, self.last_test = val.overall, test.overall if test else None
        self.last_score = score
        improved = self._better(val.overall, score, by_sound, band)
        if improved:
            self.best_val, self.best_score, self.best_step = val.overall, score, step
        fell = nll_fell(val.overall, self.low_val, by_sound and score is not None, band)
        if fell:
            self.low_val = val.overall
        if improved or fell or new_peak(score, self.peak_score, by_sound):  # a new best.pt is progress too
            self.bad_evals, self.progress_step = 0, step
        else:
            self.bad_evals += 1
        if score is not None and (self.peak_score is None or score > self.peak_score):
            self.peak_score = score
        return improved

    def _better(self, val: float, score: float | None, by_sound: bool, band: float) -> bool:
        if self.best_val is None:
            return True
        if not by_sound or score is None:
            return val < self.best_val
        return better_by_sound(score, val, self.best_score, self.best_val, self.peak_score, band)

    def to_dict(self) -> dict[str, Any]:
        return {
            "val": self.best_val,
            "step": self.best_step,
            "bad_evals": self.bad_evals,
            "last_val": self.last_val,
            "last_test": self.last_test,
            "score": self.best_score,
            "last_score": self.last_score,
            "peak_score": self.peak_score,
            "low_val": self.low_val,
            "progress_step": self.progress_step,
            "gain_step": self.gain_step,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> EvalRecord:
        """The record of a checkpoint's 'best' dict; one written before the plateau rule's fields
        takes the best checkpoint's scores and step for them."""
        return cls(
            d.get("val"),
            int(d.get("step", 0)),
            int(d.get("bad_evals", 0)),
            d.get("last_val"),
            d.get("last_test"),
            d.get("score"),
            d.get("last_score"),
            d.get("peak_score", d.get("score")),
            d.get("low_val", d.get("val")),
            int(d.get("progress_step", d.get("step", 0))),
            d.get("gain_step"),
        )


@dataclass
class TrainState:
    """A run between two steps: model, Adam, data position, step count, validation record, the
    hidden state carried into the next window, and the RNG (read from torch when saved).

    Under DDP each rank holds its rows' share of `hidden`, a list of (layers, B_rank, dim)
    float32 tensors (None before the first step); `cfg`, `data`, `device` and `info` are the
    run's fixed context (`generation`: the checkpoints' record of how to play the model,
    recipe.playing_hints). With `ema` (--ema) a checkpoint's `state_dict` is the average, the
    weights every command plays, and `train_state_dict` the trained weights a resume goes on
    from. `clock` counts the run's training time (saved as elapsed_s);
    `elapsed_s` is that time as every rank agreed on it at the last sync: the learning-rate
    schedule reads it, so all ranks step alike.
    """

    cfg: TrainConfig
    data: TrainData
    model: SampleRNN
    optimizer: torch.optim.Optimizer
    stream: WindowStream
    device: torch.device
    info: DistInfo
    step: int = 0
    record: EvalRecord = field(default_factory=EvalRecord)
    hidden: list[torch.Tensor] | None = None
    clock: RunClock = field(default_factory=RunClock)
    elapsed_s: float = 0.0
    generation: dict[str, Any] = field(default_factory=dict)
    ema: WeightEMA | None = None

    def input_gain(self) -> float:
        """The --input-gain of the next step: cfg.input_gain_at this step and agreed time, or the
        whole gain once a step has used it (record.gain_step), so that a resume with a larger
        budget does not take it away again."""
        if self.record.gain_step is not None:
            return self.cfg.input_gain
        return self.cfg.input_gain_at(self.step, self.elapsed_s)

    def state_dict(self) -> dict[str, Any]:
        """The checkpoint payload of this state. Under DDP every rank must call it (the hidden
        state's rows are gathered from all ranks); rank 0's is the one to save."""
        hidden = None
        if self.hidden is not None:
            hidden = [gather_rows(h, self.info, self.cfg.batch_size, dim=1).cpu() for h in self.hidden]
        payload = make_payload(
            self.model,
            self.data.sample_rate,
            self.data.dataset.stats,
            self.step,
            optimizer=on_cpu(self.optimizer.state_dict()),
            train_config=self.cfg.to_dict(),
            data=self.stream.state_dict(),
            rng=rng_state(self.device),
            hidden=hidden,
            best=self.record.to_dict(),
            dataset={"path": self.data.absolute_path, "fingerprint": self.data.fingerprint,
                     "layout": self.data.dataset.info.get("layout")},
            generation=self.generation,
            elapsed_s=self.clock.elapsed(),
        )
        if self.ema is not None:
            payload["train_state_dict"] = payload["state_dict"]
            payload["state_dict"] = self.ema.state_dict(self.model)
            payload["ema"] = self.ema.to_dict()
        return payload

    def load_state_dict(self, payload: dict[str, Any]) -> None:
        """Continue from a checkpoint payload of the same model and data (the caller checks that).

        The optimiser takes this run's learning rate; this rank takes its rows of the hidden state;
        the moving average (when on) takes the played weights.
        """
        self.model.load_state_dict(payload.get("train_state_dict") or payload["state_dict"])
        if self.ema is not None:  # a checkpoint without an average starts one from its weights
            self.ema.load(payload["state_dict"], (payload.get("ema") or {}).get("updates", 0))
        load_optimizer(self.optimizer, payload["optimizer"], self.cfg.lr)
        self.stream.load_state_dict(payload["data"])
        set_rng_state(payload["rng"], self.device)
        self.hidden = None
        if payload.get("hidden") is not None:
            lo, hi = self.info.row_range(self.cfg.batch_size)
            self.hidden = [h[:, lo:hi].to(self.device) for h in payload["hidden"]]
        self.record = EvalRecord.from_dict(payload.get("best", {}))
        self.step = int(payload["step"])
        self.elapsed_s = float(payload.get("elapsed_s", 0.0))
        self.clock = RunClock(self.elapsed_s)


def on_cpu(tree: Any) -> Any:
    """`tree` (nested dicts and lists, e.g. an optimiser's state_dict) with every tensor on the CPU,
    so that a checkpoint written on a GPU loads where there is none, even without map_location."""
    if isinstance(tree, torch.Tensor):
        return tree.detach().cpu()
    if isinstance(tree, dict):
        return {k: on_cpu(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [on_cpu(v) for v in tree]
    return tree


def load_optimizer(opt: torch.optim.Optimizer, state: dict[str, Any], lr: float) -> None:
    """Adam state from a checkpoint, with this run's learning rate (a changed --lr applies)."""
    opt.load_state_dict(state)
    for group in opt.param_groups:
        group["lr"] = lr


def rng_state(device: torch.device) -> dict[str, Any]:
    """torch's CPU generator state, and `device`'s when it is a GPU."""
    st: dict[str, Any] = {"torch": torch.get_rng_state()}
    if device.type == "cuda":
        st["cuda"] = torch.cuda.get_rng_state(device)
    return st


def set_rng_state(st: dict[str, Any], device: torch.device) -> None:
    """Restore what `rng_state` returned."""
    torch.set_rng_state(st["torch"])
    if device.type == "cuda" and "cuda" in st:
        torch.cuda.set_rng_state(st["cuda"], device)
