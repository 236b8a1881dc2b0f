"""Fast incremental generation: many conditioned streams, sample by sample, in length buckets.

`synthesize` is the public entry point; `teacher_forced_logprobs` scores given samples through the
same engine step by step (it equals the training forward pass, which the tests check).

Two engines run the same folded weights (samplernn.generate.fold):
* CPU: a numba-compiled loop over all samples (samplernn.generate.numba_engine), fastmath mat-vec loops
  over float32 or float16 weights; no Python per sample.
* CUDA (and CPU without numba): batched torch ops, one CUDA graph per top-tier frame
  (samplernn.generate.torch_engine).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import torch

from samplernn.data.quantize import dequantize
from samplernn.generate.fold import PRECISIONS, Folded, fold_model
from samplernn.model.network import N_RAW_COND, SampleRNN

BACKENDS = ("numba", "torch")


def resolve_device(device: str | torch.device | None, model: SampleRNN | None = None) -> torch.device:
    """None → the model's device (CPU without a model); 'auto' → CUDA when available, else CPU."""
    if device is None:
        return next(model.parameters()).device if model is not None else torch.device("cpu")
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested but CUDA is not available")
    return dev


def numba_available() -> bool:
    """True when the numba CPU engine can be imported."""
    try:
        import samplernn.generate.numba_engine  # noqa: F401
    except ImportError:
        return False
    return True


def pick_backend(device: torch.device, backend: str | None = None) -> str:
    """'numba' on CPU when available, 'torch' otherwise (always on CUDA)."""
    if backend is not None:
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r} (choose from {', '.join(BACKENDS)})")
        if backend == "numba" and device.type != "cpu":
            raise ValueError("the numba backend runs on the CPU only")
        return backend
    return "numba" if device.type == "cpu" and numba_available() else "torch"


def default_threads() -> int:
    """Threads for a batch: $SAMPLERNN_THREADS, else 1 — on a machine others are using, a second
    thread fighting for a busy core costs more (every thread streams all the weights) than it
    brings; on an idle multi-core machine, set it to the number of cores."""
    try:
        return max(1, int(os.environ.get("SAMPLERNN_THREADS", "1")))
    except ValueError:
        return 1


def resolve_precision(precision: str, backend: str, folded: Folded) -> str:
    """'auto' → float16 weights on the numba engine when they fit (log-probabilities move by
    ~1e-4, the KL to float32 is ~1e-8 nats, a stream at dim 1024 runs 1.2–1.5× faster), float32
    otherwise; explicit 'float32' / 'float16' pass through (float16 needs the numba engine)."""
    if precision == "auto":
        return "float16" if backend == "numba" and folded.fits_half() else "float32"
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r} (choose from auto, {', '.join(PRECISIONS)})")
    return precision


def _inv_temp(temperature: float) -> float:
    """1/T for sampling; −1 flags greedy decoding (T = 0)."""
    if not np.isfinite(temperature) or temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    return -1.0 if temperature == 0 else 1.0 / temperature


def _check_cond(cond: np.ndarray, i: int) -> np.ndarray:
    cond = np.asarray(cond)
    if cond.ndim != 2 or cond.shape[1] != N_RAW_COND:
        raise ValueError(f"conds[{i}] must have shape (n, {N_RAW_COND}), got {cond.shape}")
    if not np.issubdtype(cond.dtype, np.integer):
        raise ValueError(f"conds[{i}] must hold integers (from events_to_conditioning), got {cond.dtype}")
    return cond.astype(np.int32, copy=False)


def _uniforms(seed: int | None, n_streams: int) -> tuple[int, Callable[[int, int], np.ndarray]]:
    """Per-stream RNG: stream i draws from default_rng([seed, i]), independent of batching."""
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**63))

    def draw(i: int, n: int) -> np.ndarray:
        return np.random.default_rng([seed, i]).random(n, dtype=np.float32)

    return seed, draw


def buckets(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Stream indices grouped by length (longest first) into batches of at most batch_size."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def _padded(n: int, lookback: int) -> int:
    return max(lookback, -(-n // lookback) * lookback)


@contextmanager
def _progress_bar(total: int, enabled: bool, label: str) -> Iterator[Callable[[int], None]]:
    """A rich progress bar with ETA (to stderr); yields advance(n_samples)."""
    if not enabled:
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    cols = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>5.1f}%"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    )
    with Progress(*cols, console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def _run_batch(
    folded: Folded,
    backend: str,
    seq: np.ndarray,
    cond: np.ndarray | None,
    uniforms: np.ndarray | None,
    inv_temp: float,
    teacher: bool,
    want_full: bool,
    advance: Callable[[int], None] | None,
    precision: str = "float32",
    threads: int | None = None,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """One batch through the chosen engine; numpy in, numpy out."""
    if backend == "numba":
        from samplernn.generate import numba_engine as gen_numba

        return gen_numba.run(
            folded,
            seq,
            cond,
            uniforms,
            inv_temp,
            teacher,
            want_full,
            advance,
            precision=precision,
            threads=threads,
        )
    if precision != "float32":
        raise ValueError(f"precision {precision} is an option of the numba CPU engine only")
    from samplernn.generate import torch_engine as gen_torch

    dev = folded.device
    out, lp, full = gen_torch.run(
        folded,
        torch.from_numpy(seq).to(dev, torch.long),
        torch.from_numpy(cond).to(dev) if cond is not None else None,
        torch.from_numpy(uniforms).to(dev) if uniforms is not None else None,
        inv_temp,
        teacher,
        want_full,
        advance,
    )
    return (
        out.cpu().numpy().astype(np.int32),
        lp.cpu().numpy() if lp is not None else None,
        full.cpu().numpy() if full is not None else None,
    )


def generate_classes(
    model: SampleRNN,
    conds: Sequence[np.ndarray],
    *,
    temperature: float = 1.0,
    seed: int | None = None,
    batch_size: int = 64,
    device: str | torch.device | None = None,
    progress: bool | Callable[[int], None] = False,
    backend: str | None = None,
    precision: str = "auto",
    threads: int | None = None,
) -> list[np.ndarray]:
    """Like `synthesize` but returns the int32 classes (n_i,) and lets the caller pick the engine
    ('numba' or 'torch', default: numba on CPU), the weight precision ('auto', 'float32' or
    'float16': see resolve_precision; arithmetic is float32 either way) and the CPU threads a
    batch is split over (default 1, or $SAMPLERNN_THREADS).

    `progress` may be a callable receiving the number of stream-samples done at each step.
    """
    conds = [_check_cond(c, i) for i, c in enumerate(conds)]
    if model.cfg.level_conditioning:  # implies conditioning (ModelConfig)
        for i, c in enumerate(conds):
            if (c[:, 0] > 0).any() and not (c[:, 4] > 0).any():
                raise ValueError(
                    f"conds[{i}] has a note but no level column, which this model needs "
                    "(events_to_conditioning(..., stats) with the checkpoint's bank statistics)"
                )
    inv_temp = _inv_temp(float(temperature))
    dev = resolve_device(device, model)
    backend = pick_backend(dev, backend)
    folded = fold_model(model, dev)
    precision = resolve_precision(precision, backend, folded)
    L = folded.lookback
    _, draw = _uniforms(seed, len(conds))
    lengths = [len(c) for c in conds]
    batches = buckets(lengths, batch_size)
    total = sum(_padded(lengths[b[0]], L) * len(b) for b in batches)
    results: list[np.ndarray] = [np.zeros(0, np.int32)] * len(conds)
    with torch.inference_mode(), _progress_bar(total, progress is True, "generating") as bar:
        advance = progress if callable(progress) else bar
        for idx in batches:
            B, N = len(idx), _padded(lengths[idx[0]], L)
            seq = np.full((B, L + N), folded.zero, np.int32)
            cond = np.zeros((B, N, N_RAW_COND), np.int32)
            uni = np.zeros((B, N), np.float32)
            for row, i in enumerate(idx):
                cond[row, : lengths[i]] = conds[i]
                uni[row] = draw(i, N)
            out, _, _ = _run_batch(
                folded,
                backend,
                seq,
                cond,
                uni,
                inv_temp,
                teacher=False,
                want_full=False,
                advance=advance,
                precision=precision,
                threads=threads,
            )
            for row, i in enumerate(idx):
                results[i] = out[row, L : L + lengths[i]].copy()
    return results


def classes_to_audio(q: np.ndarray, model: SampleRNN) -> np.ndarray:
    """Int classes (n,) → float32 audio (n,) in [-1, 1] with the model's quantisation."""
    cfg = model.cfg
    return dequantize(torch.from_numpy(q.astype(np.int64)), cfg.q_levels, cfg.quantization).numpy()


def synthesize(
    model: SampleRNN,
    conds: Sequence[np.ndarray],
    *,
    temperature: float = 1.0,
    seed: int | None = None,
    batch_size: int = 64,
    device: str | torch.device | None = None,
    progress: bool = False,
) -> list[np.ndarray]:
    """Generate one stream of audio per conditioning array.

    conds[i]: int32 (n_i, 5) from conditioning.events_to_conditioning. Streams are bucketed by
    length into batches of `batch_size`; every stream starts from the learned initial state with
    silence as history. temperature scales the logits (0 = greedy). The same seed (and inputs)
    gives the same audio; stream i's randomness depends only on (seed, i).
    device: None = the model's device, 'auto' = CUDA when available.
    Returns float32 audio (n_i,) in [-1, 1] per stream, in the order of `conds`.
    """
    return generate_audio(
        model,
        conds,
        temperature=temperature,
        seed=seed,
        batch_size=batch_size,
        device=device,
        progress=progress,
    )


def generate_audio(
    model: SampleRNN,
    conds: Sequence[np.ndarray],
    *,
    temperature: float = 1.0,
    seed: int | None = None,
    batch_size: int = 64,
    device: str | torch.device | None = None,
    progress: bool | Callable[[int], None] = False,
    backend: str | None = None,
    precision: str = "auto",
    threads: int | None = None,
) -> list[np.ndarray]:
    """`synthesize` with the engine options of `generate_classes` (backend, precision, threads)."""
    classes = generate_classes(
        model,
        conds,
        temperature=temperature,
        seed=seed,
        batch_size=batch_size,
        device=device,
        progress=progress,
        backend=backend,
        precision=precision,
        threads=threads,
    )
    return [classes_to_audio(q, model) for q in classes]


def teacher_forced_logprobs(
    model: SampleRNN,
    samples: torch.Tensor | np.ndarray,
    cond: torch.Tensor | np.ndarray | None,
    *,
    full: bool = False,
    device: str | torch.device | None = None,
    backend: str | None = None,
    precision: str = "float32",
) -> torch.Tensor:
    """Score given samples step by step through the generation engine.

    samples: (B, T) int classes; the history before sample 0 is silence and the state starts at
    h0, as in generation. cond: (B, T, 5) raw conditioning (None for unconditional models).
    Returns log p(samples[:, t] | past) as (B, T) float32, or with full=True every class's
    log-probability (B, T, Q). Equals log_softmax(model.forward(...)) on the same inputs.
    """
    x = torch.as_tensor(samples).to("cpu", torch.long)
    if x.ndim != 2:
        raise ValueError(f"samples must have shape (B, T), got {tuple(x.shape)}")
    dev = resolve_device(device, model)
    backend = pick_backend(dev, backend)
    folded = fold_model(model, dev)
    precision = resolve_precision(precision, backend, folded)
    L = folded.lookback
    B, T = x.shape
    N = _padded(T, L)
    seq = np.full((B, L + N), folded.zero, np.int32)
    seq[:, L : L + T] = x.numpy()
    c = np.zeros((B, N, N_RAW_COND), np.int32)
    if cond is not None:
        cond = torch.as_tensor(cond)
        if cond.shape != (B, T, N_RAW_COND):
            raise ValueError(f"cond must have shape ({B}, {T}, {N_RAW_COND}), got {tuple(cond.shape)}")
        c[:, :T] = cond.cpu().numpy()
    with torch.inference_mode():
        _, lp, fl = _run_batch(folded, backend, seq, c, None, 1.0, True, full, None, precision)
    out = fl[:, :T] if full else lp[:, :T]
    return torch.from_numpy(np.ascontiguousarray(out))
