"""Fast incremental generation: many conditioned streams, sample by sample, in length buckets.

`synthesize` (audio) and `generate_classes` (quantised classes) are the public entry points; both
take one GenerationOptions. `teacher_forced_logprobs` scores given samples through the same
engine step by step (it equals the training forward pass, which the tests check).

Two engines run the same folded weights (samplernn.generate.fold):
* CPU: a numba-compiled loop over all samples (samplernn.generate.numba_engine), fastmath mat-vec loops
  over float32 or float16 weights; no Python per sample.
* CUDA (and CPU without numba): batched torch ops, one CUDA graph per top-tier frame
  (samplernn.generate.torch_engine).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import torch

from samplernn.common.device import resolve_device
from samplernn.common.progress import ProgressFn
from samplernn.data.emphasis import de_emphasize, silence_offset
from samplernn.data.quantize import dequantize
from samplernn.generate.fold import Folded, fold_model
from samplernn.generate.onset_search import best_candidates, score_candidate, stream_probe
from samplernn.generate.options import GenerationOptions
from samplernn.generate.sustain_search import hold_pitch
from samplernn.model.network import N_RAW_COND, SampleRNN

# Scoring compares against the float32 forward pass, so it stores float32 weights by default.
SCORING = GenerationOptions(weight_dtype="float32")


def engine_device(device: str | torch.device | None, model: SampleRNN | None = None) -> torch.device:
    """None → the model's device (CPU without a model); otherwise common.device.resolve_device
    ('auto' → CUDA when available). Raises UserError for an unknown or unavailable device."""
    if device is None:
        return next(model.parameters()).device if model is not None else torch.device("cpu")
    return resolve_device(device)


def numba_available() -> bool:
    """True when the numba CPU engine can be imported."""
    try:
        import samplernn.generate.numba_engine  # noqa: F401
    except ImportError:
        return False
    return True


def pick_backend(device: torch.device, backend: str | None = None) -> str:
    """'numba' on CPU when available, 'torch' otherwise (always on CUDA); an explicit backend is
    checked against the device (ValueError: numba on a GPU)."""
    if backend is not None:
        if backend == "numba" and device.type != "cpu":
            raise ValueError("the numba backend runs on the CPU only")
        return backend
    return "numba" if device.type == "cpu" and numba_available() else "torch"


def resolve_weight_dtype(weight_dtype: str, backend: str, folded: Folded) -> str:
    """'auto' → float16 weights on the numba engine when they fit (log-probabilities move by
    ~1e-4, the KL to float32 is ~1e-8 nats, a stream at dim 1024 runs 1.2–1.5× faster), float32
    otherwise; explicit 'float32' / 'float16' pass through. Raises ValueError for float16 on the
    torch engine."""
    if weight_dtype == "auto":
        return "float16" if backend == "numba" and folded.fits_half() else "float32"
    if weight_dtype != "float32" and backend != "numba":
        raise ValueError(f"weight dtype {weight_dtype} is an option of the numba CPU engine only")
    return weight_dtype


def _check_cond(cond: np.ndarray, i: int) -> np.ndarray:
    cond = np.asarray(cond)
    if cond.ndim != 2 or cond.shape[1] != N_RAW_COND:
        raise ValueError(f"conds[{i}] must have shape (n, {N_RAW_COND}), got {cond.shape}")
    if not np.issubdtype(cond.dtype, np.integer):
        raise ValueError(f"conds[{i}] must hold integers (from events_to_conditioning), got {cond.dtype}")
    return cond.astype(np.int32, copy=False)


def _checked_conds(model: SampleRNN, conds: Sequence[np.ndarray]) -> list[np.ndarray]:
    """int32 copies of conds; ValueError for a bad shape or a level model given no levels."""
    conds = [_check_cond(c, i) for i, c in enumerate(conds)]
    if model.cfg.level_conditioning:  # implies conditioning (ModelConfig)
        for i, c in enumerate(conds):
            if (c[:, 0] > 0).any() and not (c[:, 4] > 0).any():
                raise ValueError(
                    f"conds[{i}] has a note but no level column, which this model needs "
                    "(events_to_conditioning(..., stats) with the checkpoint's bank statistics)"
                )
    return conds


#: The key that sets a sustain-search redraw's random numbers apart from every onset candidate's.
SUSTAIN_KEY = 0x5057


def _uniforms(seed: int | None, n_streams: int) -> tuple[int, Callable[..., np.ndarray]]:
    """Per-stream RNG: stream i draws from default_rng([seed, i]), independent of batching; its
    onset-search candidate c > 0 from default_rng([seed, i, c]); the j-th sustain-search redraw
    of that candidate from default_rng([seed, i, c, SUSTAIN_KEY, j])."""
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**63))

    def draw(i: int, n: int, candidate: int = 0, redraw: int | None = None) -> np.ndarray:
        key = [seed, i] if candidate == 0 else [seed, i, candidate]
        if redraw is not None:
            key = [seed, i, candidate, SUSTAIN_KEY, redraw]
        return np.random.default_rng(key).random(n, dtype=np.float32)

    return seed, draw


def buckets(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Stream indices grouped by length (longest first) into batches of at most batch_size."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def _padded(n: int, lookback: int) -> int:
    return max(lookback, -(-n // lookback) * lookback)


def _advance(report: ProgressFn | None, total: int) -> Callable[[int], None] | None:
    """advance(n) that adds n stream-samples and reports report(done, total); None without a
    report. Locked: the numba engine's threads advance it concurrently."""
    if report is None:
        return None
    lock = threading.Lock()
    done = 0
    report(0, total)

    def advance(n: int) -> None:
        nonlocal done
        with lock:
            done += n
            report(done, total)

    return advance


def _run_batch(
    folded: Folded,
    backend: str,
    weight_dtype: str,
    opts: GenerationOptions,
    seq: np.ndarray,
    cond: np.ndarray,
    uniforms: np.ndarray | None,
    *,
    advance: Callable[[int], None] | None = None,
    teacher: bool = False,
    want_full: bool = False,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """One batch through the chosen engine; numpy in, numpy out (see numba_engine.run)."""
    if backend == "numba":
        from samplernn.generate import numba_engine

        return numba_engine.run(folded, seq, cond, uniforms, opts, weight_dtype=weight_dtype,
                                teacher=teacher, want_full=want_full, progress=advance)  # fmt: skip
    from samplernn.generate import torch_engine

    dev = folded.device
    out, lp, full = torch_engine.run(
        folded,
        torch.from_numpy(seq).to(dev, torch.long),
        torch.from_numpy(cond).to(dev),
        torch.from_numpy(uniforms).to(dev) if uniforms is not None else None,
        opts,
        teacher=teacher,
        want_full=want_full,
        progress=advance,
    )
    return (
        out.cpu().numpy().astype(np.int32),
        lp.cpu().numpy() if lp is not None else None,
        full.cpu().numpy() if full is not None else None,
    )


def _engine(model: SampleRNN, opts: GenerationOptions) -> tuple[Folded, str, str]:
    """(folded weights on the options' device, backend, weight dtype) for `model`."""
    dev = engine_device(opts.device, model)
    backend = pick_backend(dev, opts.backend)
    folded = fold_model(model, dev)
    return folded, backend, resolve_weight_dtype(opts.weight_dtype, backend, folded)


def _options(options: GenerationOptions | None, overrides: dict[str, Any]) -> GenerationOptions:
    """`options` (default GenerationOptions()) with the named fields replaced; TypeError for an
    unknown name, ValueError for a bad value."""
    options = GenerationOptions() if options is None else options
    return replace(options, **overrides) if overrides else options


def _generate_streams(
    engine: tuple[Folded, str, str],
    opts: GenerationOptions,
    conds: Sequence[np.ndarray],
    draws: Sequence[Callable[[int], np.ndarray]],
    advance: Callable[[int], None] | None,
) -> list[np.ndarray]:
    """Classes (n_i,) of every stream conds[i] with the random numbers draws[i](n), generated in
    length buckets of opts.batch_size from h0 with silence as history."""
    folded, backend, weight_dtype = engine
    L = folded.lookback
    lengths = [len(c) for c in conds]
    results: list[np.ndarray] = [np.zeros(0, np.int32)] * len(conds)
    for idx in buckets(lengths, opts.batch_size):
        B, N = len(idx), _padded(lengths[idx[0]], L)
        seq = np.full((B, L + N), folded.zero, np.int32)
        cond = np.zeros((B, N, N_RAW_COND), np.int32)
        uni = np.zeros((B, N), np.float32)
        for row, i in enumerate(idx):
            cond[row, : lengths[i]] = conds[i]
            uni[row] = draws[i](N)
        out, _, _ = _run_batch(folded, backend, weight_dtype, opts, seq, cond, uni, advance=advance)
        for row, i in enumerate(idx):
            results[i] = out[row, L : L + lengths[i]].copy()
    return results


def _stream_samples(lengths: Sequence[int], batch_size: int, lookback: int) -> int:
    """Stream-samples the engine runs for streams of these lengths (padded, bucketed)."""
    return sum(_padded(lengths[b[0]], lookback) * len(b) for b in buckets(lengths, batch_size))


def _search_onsets(
    model: SampleRNN,
    engine: tuple[Folded, str, str],
    opts: GenerationOptions,
    conds: list[np.ndarray],
    draw: Callable[..., np.ndarray],
) -> tuple[list[int], Callable[[int], None] | None]:
    """(the winning onset candidate of every stream, all 0 without a search; the progress
    `advance` for what is left). The search runs in rounds (OnsetSearch.rounds) over the streams
    whose best score so far is below search.accept. Progress counts the candidates and then the
    streams; its total starts at every candidate of every round and shrinks as streams stop."""
    search = opts.active_onset_search
    n, L = len(conds), engine[0].lookback
    streams = _stream_samples([len(c) for c in conds], opts.batch_size, L)
    probes = [stream_probe(c, search.probe_samples) for c in conds] if search else [None] * n
    open_ = [i for i in range(n) if probes[i]]
    if search is None or not open_:
        return [0] * n, _advance(opts.progress, streams)
    def cost(ids: list[int], rounds: Sequence[int]) -> int:  # stream-samples of these rounds' candidates
        return sum(_stream_samples([probes[i].stop for i in ids] * k, opts.batch_size, L) for k in rounds)

    total = cost(open_, search.rounds) + streams
    progress = opts.progress
    advance = _advance(None if progress is None else lambda d, t: progress(d, total), total)
    scores: list[list[float]] = [[] for _ in range(n)]
    first = spent = 0
    for r, size in enumerate(search.rounds):
        if not open_:
            break
        jobs = [(i, c) for i in open_ for c in range(first, first + size)]
        draws = [lambda k, i=i, c=c: draw(i, k, c) for i, c in jobs]
        heads = [conds[i][: probes[i].stop] for i, _ in jobs]
        classes = _generate_streams(engine, opts, heads, draws, advance)
        for (i, _), q in zip(jobs, classes, strict=True):
            scores[i].append(score_candidate(classes_to_audio(q, model), probes[i], search.sample_rate,
                                             search.measure, search.pieces))
        first, spent = first + size, spent + cost(open_, [size])
        open_ = [i for i in open_ if not search.accepts(scores[i])]
        total = spent + cost(open_, search.rounds[r + 1 :]) + streams
    return best_candidates(scores), advance


def generate_classes(
    model: SampleRNN,
    conds: Sequence[np.ndarray],
    options: GenerationOptions | None = None,
    **overrides: Any,
) -> list[np.ndarray]:
    """Generate one stream of int32 classes (n_i,) per conditioning array, in the order of conds.

    conds[i]: int (n_i, 5) from conditioning.events_to_conditioning. `options` says how (engine,
    device, temperature, seed, batch size, threads, progress, onset search); keyword `overrides`
    replace its fields by name (generate_classes(model, conds, seed=3)). Streams are bucketed by
    length into batches of options.batch_size; every stream starts from the learned initial state
    with silence as history. With options.onset_search, each stream's first note is generated
    from the best of its candidate onsets (samplernn.generate.onset_search).

    Raises ValueError for malformed conds, bad options or a device/engine mismatch, UserError for
    an unknown or unavailable device.
    """
    opts = _options(options, overrides)
    conds = _checked_conds(model, conds)
    engine = _engine(model, opts)
    _, draw = _uniforms(opts.seed, len(conds))
    reported = [0]  # the stream-samples reported done so far: the sustain search counts on from there
    if opts.progress is not None:
        user = opts.progress

        def progress(done: int, total: int) -> None:
            reported[0] = done
            user(done, total)

        opts = replace(opts, progress=progress)
    with torch.inference_mode():
        chosen, advance = _search_onsets(model, engine, opts, conds, draw)
        draws = [lambda k, i=i, c=c: draw(i, k, c) for i, c in enumerate(chosen)]
        classes = _generate_streams(engine, opts, conds, draws, advance)
        search = opts.active_onset_search
        if search is None or search.measure != "periodicity" or not search.sustain:
            return classes
        return _hold_pitch(model, engine, opts, conds, draws, classes,
                           lambda i, j: lambda k: draw(i, k, chosen[i], j), reported[0])


def _hold_pitch(
    model: SampleRNN,
    engine: tuple[Folded, str, str],
    opts: GenerationOptions,
    conds: list[np.ndarray],
    draws: list[Callable[[int], np.ndarray]],
    classes: list[np.ndarray],
    fresh: Callable[[int, int], Callable[[int], np.ndarray]],
    base: int,
) -> list[np.ndarray]:
    """`classes` with the streams that lose their pitch drawn again (samplernn.generate.
    sustain_search); progress goes on from `base` (the stream-samples done before), its total
    growing by each round's candidates as they start."""
    search = opts.active_onset_search
    progress, L = opts.progress, engine[0].lookback
    spent = 0

    def generate(cs: list[np.ndarray], ds: list[Callable[[int], np.ndarray]]) -> list[np.ndarray]:
        nonlocal spent
        cost = _stream_samples([len(c) for c in cs], opts.batch_size, L)
        report = None if progress is None else lambda d, t: progress(base + spent + d, base + spent + t)
        out = _generate_streams(engine, opts, cs, ds, _advance(report, cost))
        spent += cost
        return out

    held, _ = hold_pitch(conds, draws, classes, generate, lambda q: classes_to_audio(q, model), fresh,
                         search.rounds, search.probe_samples, search.sample_rate)
    return held


def classes_to_audio(q: np.ndarray, model: SampleRNN) -> np.ndarray:
    """Int classes (n,) of one stream → float32 audio (n,) with the model's quantisation, then
    de-emphasised from zero state when the model has a pre_emphasis (samplernn.data.emphasis: the
    result is then no longer bounded to [-1, 1]; the filter's gain is 1/(1-a) at 0 Hz)."""
    cfg = model.cfg
    audio = dequantize(torch.from_numpy(q.astype(np.int64)), cfg.q_levels, cfg.quantization).numpy()
    if cfg.pre_emphasis:
        audio -= np.float32(silence_offset(cfg.pre_emphasis, cfg.q_levels, cfg.quantization))
    return de_emphasize(audio, cfg.pre_emphasis)[0]


def synthesize(
    model: SampleRNN,
    conds: Sequence[np.ndarray],
    options: GenerationOptions | None = None,
    **overrides: Any,
) -> list[np.ndarray]:
    """Generate one stream of audio per conditioning array: `generate_classes`, dequantised.

    Returns float32 audio (n_i,) in [-1, 1] per stream, in the order of `conds`. The same seed
    (and inputs) gives the same audio. Raises as generate_classes.
    """
    classes = generate_classes(model, conds, _options(options, overrides))
    return [classes_to_audio(q, model) for q in classes]


def teacher_forced_logprobs(
    model: SampleRNN,
    samples: torch.Tensor | np.ndarray,
    cond: torch.Tensor | np.ndarray | None,
    *,
    full: bool = False,
    options: GenerationOptions = SCORING,
) -> torch.Tensor:
    """Score given samples step by step through the generation engine.

    samples: (B, T) int classes; the history before sample 0 is silence and the state starts at
    h0, as in generation. cond: (B, T, 5) raw conditioning (None for unconditional models).
    options: the engine, device and weight dtype (sampling fields are not used).
    Returns log p(samples[:, t] | past) as (B, T) float32, or with full=True every class's
    log-probability (B, T, Q). Equals log_softmax(model.forward(...)) on the same inputs.
    Raises ValueError for mismatched shapes.
    """
    x = torch.as_tensor(samples).to("cpu", torch.long)
    if x.ndim != 2:
        raise ValueError(f"samples must have shape (B, T), got {tuple(x.shape)}")
    folded, backend, weight_dtype = _engine(model, options)
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
        _, lp, fl = _run_batch(folded, backend, weight_dtype, options, seq, c, None,
                               teacher=True, want_full=full)  # fmt: skip
    out = fl[:, :T] if full else lp[:, :T]
    return torch.from_numpy(np.ascontiguousarray(out))
