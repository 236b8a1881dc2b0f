"""De-emphasis of a pre-emphasis model's output: offline per stream, streaming per voice across blocks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from support import tiny

from conditioning import NoteEvent, events_to_conditioning
from samplernn.data.emphasis import de_emphasize, silence_offset
from samplernn.data.quantize import dequantize, zero_level
from samplernn.generate.engine import generate_classes, numba_available, synthesize
from samplernn.generate.options import GenerationOptions
from samplernn.generate.stream import StreamConfig, StreamEngine
from samplernn.model.checkpoint import load_checkpoint, make_payload, save_checkpoint

from .test_stream import SR, stats

pytestmark = pytest.mark.usefixtures("one_thread")
BACKEND = "numba" if numba_available() else "torch"


def model(pre_emphasis: float):
    return tiny.tiny_model(
        seed=0, perturb=0.2, q_levels=32, level_conditioning=True, pre_emphasis=pre_emphasis
    )


def conds() -> list[np.ndarray]:
    return [events_to_conditioning([NoteEvent(48, 100, 5, 60, 150)], 200, stats()),
            events_to_conditioning([NoteEvent(60, 60, 0, 30, 100)], 120, stats())]  # fmt: skip


def test_off_is_the_plain_dequantised_output():
    m = model(0.0)
    classes = generate_classes(m, conds(), seed=3)
    audio = synthesize(m, conds(), seed=3)
    for q, x in zip(classes, audio, strict=True):
        np.testing.assert_array_equal(x, dequantize(torch.from_numpy(q.astype(np.int64)), 32).numpy())


def test_a_checkpoint_from_before_pre_emphasis_has_none_and_sounds_as_before(tmp_path):
    """A checkpoint written before pre-emphasis (no `pre_emphasis` in its model config) reads 0:
    its audio is its dequantised classes, as before."""
    payload = make_payload(model(0.0), SR, stats())
    del payload["model_config"]["pre_emphasis"]
    save_checkpoint(tmp_path / "old.pt", payload)
    ck = load_checkpoint(tmp_path / "old.pt")
    assert ck.config.pre_emphasis == 0.0
    cond = conds()[0]
    [q] = generate_classes(ck.model, [cond], seed=1)
    [audio] = synthesize(ck.model, [cond], seed=1)
    levels, method = ck.config.q_levels, ck.config.quantization
    plain = dequantize(torch.from_numpy(q.astype(np.int64)), levels, method).numpy()
    np.testing.assert_array_equal(audio, plain)


def test_each_offline_stream_is_de_emphasised_from_zero_state():
    plain, emph = synthesize(model(0.0), conds(), seed=3), synthesize(model(0.85), conds(), seed=3)
    for x, y in zip(plain, emph, strict=True):  # the filter does not feed back: the same classes
        np.testing.assert_array_equal(y, de_emphasize(x - silence_offset(0.85, 32), 0.85)[0])
        assert not np.array_equal(x, y)


def test_silence_decodes_to_zero_so_de_emphasis_adds_no_dc():
    # mu-law's middle class decodes to a hair above 0; the de-emphasis would lift it 1/(1-a)-fold
    # into a DC offset that outlasts every note
    levels, a = 256, 0.85
    silence = np.full(4000, zero_level(levels), np.int64)
    decoded = dequantize(torch.from_numpy(silence), levels).numpy()
    assert decoded[0] > 0 and silence_offset(a, levels) == decoded[0] and silence_offset(0.0, levels) == 0.0
    assert de_emphasize(decoded, a)[0][-1] == pytest.approx(decoded[0] / (1 - a), rel=1e-3)
    assert not np.any(de_emphasize(decoded - silence_offset(a, levels), a)[0])


def takes(pre_emphasis: float, block: int) -> tuple[list[np.ndarray], float]:
    """Each note's own output, and the filter state the primed silence leaves."""
    cfg = StreamConfig(voices=2, block=block, lead=0.05, tail=0.02)
    opts = GenerationOptions(temperature=0.0, seed=0, backend=BACKEND, weight_dtype="float32")
    eng = StreamEngine(model(pre_emphasis), stats(), SR, cfg, opts, capture=True)
    for key, (p, v, a, b) in enumerate([(48, 100, 37, 300), (60, 60, 150, 250), (48, 100, 420, 500)]):
        eng.note_on(key, p, v, at=a, release=b)
    while eng.pending:
        eng.render_block()
    assert len(eng.takes) == 3
    return [t.audio for t in eng.takes], eng.primed_emphasis


def test_a_voice_sounds_as_an_offline_stream_whatever_the_blocks():
    """Greedy decoding: the same classes with or without the filter; each voice's filter state is
    carried across blocks and starts each note where the primed silent lead leaves it, as the
    filter of an offline stream with that lead does."""
    m = model(0.85)
    L = m.lookback
    prime = -(-round(0.05 * SR) // L) * L
    [silence] = synthesize(model(0.0), [np.zeros((prime, 5), np.int32)], temperature=0.0, backend=BACKEND,
                           weight_dtype="float32")  # fmt: skip
    (small, state), (large, _), (plain, _) = takes(0.85, 64), takes(0.85, 256), takes(0.0, 64)
    off = np.float32(silence_offset(0.85, 32))
    assert state == de_emphasize(silence - off, 0.85)[1]
    for a, b, x in zip(small, large, plain, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, de_emphasize(x - off, 0.85, state)[0])
