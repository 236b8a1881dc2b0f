"""scripts/render_bank.py: the grid it renders (bundled trombone by default, the cello bank of the
recipe experiments with options) and the MIDI it hands FluidSynth. FluidSynth itself is not run."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import mido

from samplernn.common.paths import BUNDLED_BANK


def _script() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "scripts" / "render_bank.py"
    spec = importlib.util.spec_from_file_location("render_bank", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


def test_default_grid_names_every_note_of_the_bundled_bank() -> None:
    rb = _script()
    low, high = rb.PITCHES
    stems = {
        rb.stem_for(p, v, n)
        for p in rb.kept_pitches(low, high, 0)
        for v in rb.VELOCITIES
        for n in rb.LENGTHS
    }
    shipped = {f.stem for f in BUNDLED_BANK.glob("*.flac")}
    assert len(stems) == 312 and stems == shipped


def test_every_third_semitone_left_out_of_the_cello_range() -> None:
    rb = _script()
    kept = rb.kept_pitches(36, 72, 3)
    left_out = sorted(set(range(36, 73)) - set(kept))
    assert len(kept) == 25 and left_out == list(range(37, 71, 3)) and len(left_out) == 12
    assert 36 in kept and 72 in kept
    assert rb.stem_for(48, 80, 2.0, "cello") == "cello_048_C3_v080_2.00s"


def test_note_midi_carries_the_program_and_exact_note_times(tmp_path: Path) -> None:
    rb = _script()
    path = tmp_path / "n.mid"
    rb.write_note_midi(path, 48, 33, 2.0, program=42)
    msgs = list(mido.MidiFile(path))
    (prog,) = [m for m in msgs if m.type == "program_change"]
    assert prog.program == 42
    times, t = {}, 0.0
    for m in msgs:
        t += m.time
        if m.type in ("note_on", "note_off"):
            times[m.type] = t
    assert abs(times["note_on"] - rb.LEAD_IN) < 1e-9
    assert abs(times["note_off"] - times["note_on"] - 2.0) < 1e-9


def test_a_stereo_preset_is_mixed_down_not_refused() -> None:
    """FluidR3's flute, violin and cello are stereo samples: with reverb and chorus off their
    channels still differ, and the bank was refused with a hint (-R 0 -C 0) already followed."""
    import numpy as np

    rb = _script()
    stereo = np.array([[100, 300], [-32768, -32767], [5, 6]], dtype=np.int16)
    mono = rb.to_mono(stereo, "flute_060_C4_v050_0.50s")
    assert mono.dtype == np.int16 and mono.tolist() == [200, -32768, 6]
    same = np.array([[7, 7], [-3, -3]], dtype=np.int16)
    assert rb.to_mono(same, "x").tolist() == [7, -3]  # the trombone's equal channels: an exact copy
