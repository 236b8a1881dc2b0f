"""`samplernn prepare`: a recorded instrument bank (audio + MIDI) → a training set.

    from samplernn.prepare import PrepareSettings, prepare_bank
    result = prepare_bank("recordings/", "data/bank", PrepareSettings(sample_rate=16000))
    print("\n".join(summary_lines(result)))
"""

from samplernn.prepare.layouts import Failure, discover
from samplernn.prepare.report import summary_lines
from samplernn.prepare.run import PrepareResult, prepare_bank
from samplernn.prepare.settings import PrepareSettings

__all__ = ["Failure", "PrepareResult", "PrepareSettings", "discover", "prepare_bank", "summary_lines"]
