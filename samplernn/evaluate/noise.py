"""The noise floor of evaluated notes: generated, real, and real after the model's own quantisation
(8-bit mu-law for the shipped model), which is the floor a perfect model of the quantised audio
would reach. Measure: samplernn.measures.noise.noise_floor_db over each note's sustained part.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from samplernn.data.dataset import NoteRecord
from samplernn.measures import sound as measures
from samplernn.measures.noise import NoiseSettings, noise_floor_db

#: (levels, method[, pre_emphasis]) of a quantisation, as in samplernn.data.quantize and
#: samplernn.data.emphasis (a missing pre_emphasis is 0.0: off).
Quantization = tuple[int, str] | tuple[int, str, float]
DEFAULT_QUANTIZATION: Quantization = (256, "mu-law")
NOISE_SOURCES = ("real", "real_quantized", "generated")


def quantize_roundtrip(x: np.ndarray, quantization: Quantization = DEFAULT_QUANTIZATION) -> np.ndarray:
    """x (n,) quantised to the model's classes and back to float32: what the model is trained on
    (with a pre-emphasis: pre-emphasised, quantised, dequantised and de-emphasised, as the model's
    own output is)."""
    import torch

    from samplernn.data.emphasis import de_emphasize, pre_emphasize, silence_offset
    from samplernn.data.quantize import dequantize, quantize

    levels, method, *rest = quantization
    a = float(rest[0]) if rest else 0.0
    q = quantize(pre_emphasize(torch.from_numpy(np.asarray(x, dtype=np.float32)), a), levels, method)
    return de_emphasize(dequantize(q, levels, method).numpy() - silence_offset(a, levels, method), a)[0]


def note_noise(
    rec: NoteRecord,
    real: np.ndarray,
    generated: np.ndarray,
    f0: tuple[float | None, float | None],
    sample_rate: int,
    quantization: Quantization = DEFAULT_QUANTIZATION,
    settings: measures.PitchSettings = measures.PitchSettings(),
) -> dict[str, float | None]:
    """{real, real_quantized, generated}: noise_floor_db over the note's sustained part
    (measures.sound.sustain_region). f0 = (real's, generated's) median f0 in Hz; each signal is
    measured between the harmonics of its own f0 (the MIDI pitch's when None)."""
    a, b = measures.sustain_region(rec.onset, rec.release, rec.end, sample_rate, settings)
    nominal = measures.midi_to_hz(rec.pitch)
    f_real, f_gen = (f or nominal for f in f0)
    signals = {"real": (real, f_real), "real_quantized": (quantize_roundtrip(real, quantization), f_real),
               "generated": (generated, f_gen)}
    return {k: noise_floor_db(x, sample_rate, f, a, b, NoiseSettings()) for k, (x, f) in signals.items()}


def noise_summary(per_note: Sequence[dict[str, float | None]], quantization: Quantization) -> dict[str, Any]:
    """Per source: the median noise floor (dB re the strongest harmonic) over the notes measured,
    and how many were (a note whose sustained part is too short or too low is not)."""
    emphasis = f" pre-emphasis {quantization[2]:g}" if len(quantization) > 2 and quantization[2] else ""
    out: dict[str, Any] = {"quantization": f"{quantization[0]}-level {quantization[1]}{emphasis}"}
    for source in NOISE_SOURCES:
        values = [n[source] for n in per_note if n[source] is not None]
        out[source] = {"median_db": float(np.median(values)) if values else None, "n_notes": len(values)}
    return out
