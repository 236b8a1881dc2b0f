"""Pictures: matplotlib's object API on a canvas of our own, saved atomically as PNG.

No global backend switch (`matplotlib.use`): a Figure with an Agg canvas draws without a display
and leaves the caller's pyplot state alone.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from samplernn.common.files import atomic_path

SPECTROGRAM_RANGE_DB = 80.0  # dynamic range shown in every spectrogram picture


@contextmanager
def figure(
    path: str | Path, *, figsize: tuple[float, float] = (7, 4), dpi: int = 100, **kw: Any
) -> Iterator[Any]:
    """Yield a fresh matplotlib Figure; on a clean exit save it to `path` as PNG, atomically (text in
    a script the font lacks drawn as boxes, without matplotlib's warning for each letter).

    Example:
        with figure("loss.png") as fig:
            ax = fig.subplots()
            ax.plot(steps, loss)
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=dpi, **kw)
    FigureCanvasAgg(fig)
    yield fig
    with warnings.catch_warnings():
        # a name in a script the font lacks (a note prepared from チェロ_C4.wav) draws as boxes; the
        # warning matplotlib prints for each such letter would bury the command's own output
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font")
        if fig.get_layout_engine() is None:  # a layout given by the caller (e.g. "constrained") stays
            fig.tight_layout()
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png")
