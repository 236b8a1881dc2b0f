"""likeness.png: which piece a drum model's takes sound like, next to what the real hits sound like.

Two confusion matrices from the report's `oneshot.confusion` (evaluate.oneshot.OneShotEval.confusion):
a row per piece asked for, a column per piece whose log-mel centroid the sound lay nearest, each
cell the share of its row; left the real samples (each judged against the others' centroids:
the ceiling), right the generated takes. The diagonal is the likeness measure; what lies off it
says which piece a take was taken for (a tom for its neighbour, a ride bell for the ride).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

#: What --plots DIR holds for a drum model beside spectrograms.png.
LIKENESS_PNG = "likeness.png"


def confusion_shares(rows: list[list[int]], keys: list[int]) -> np.ndarray:
    """[asked, judged, count] rows → (len(keys), len(keys)) float: each asked piece's counts over
    the judged pieces as shares of its row (a row without counts stays 0). Pairs with a key outside
    `keys` are left out."""
    index = {k: i for i, k in enumerate(keys)}
    counts = np.zeros((len(keys), len(keys)))
    for asked, judged, n in rows:
        if asked in index and judged in index:
            counts[index[asked], index[judged]] += n
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)


def plot_likeness(report: dict[str, Any], path: str | Path) -> Path:
    """PNG of the real and generated confusion matrices of a drum model's report (see the module);
    each panel's title gives its likeness share (the diagonal's count over all counted). Returns
    `path`. Raises ValueError for a report without one-shot measures (a pitched model's)."""
    from samplernn.common.plots import figure
    from samplernn.prepare.sources.gm_drums import piece_name

    block = (report.get("oneshot") or {}).get("confusion")
    if block is None:
        raise ValueError("the report has no one-shot likeness (not a drum model's)")
    keys = sorted({a for a, _, _ in block["real"] + block["generated"]}
                  | {j for _, j, _ in block["real"] + block["generated"]})
    names = [f"{piece_name(k)} ({k})" for k in keys]
    size = 2.2 + 0.32 * len(keys)
    with figure(path, figsize=(2 * size + 1.2, size + 0.4), dpi=90, layout="constrained") as fig:
        axes = fig.subplots(1, 2, squeeze=False)[0]
        image = None
        for ax, side in zip(axes, ("real", "generated"), strict=True):
            shares = confusion_shares(block[side], keys)
            image = ax.imshow(shares, vmin=0.0, vmax=1.0, cmap="viridis")
            for i, j in zip(*np.nonzero(shares), strict=True):
                ax.text(j, i, f"{100 * shares[i, j]:.0f}", ha="center", va="center", fontsize=7,
                        color="black" if shares[i, j] > 0.6 else "white")
            own = sum(n for a, j, n in block[side] if a == j)
            counted = sum(n for _, _, n in block[side])
            share = f"{100 * own / counted:.0f} %" if counted else "none judged"
            what = "real hits (each against the others)" if side == "real" else "generated takes"
            ax.set_title(f"{what}: {share} like their piece", fontsize=10)
            ax.set_xticks(range(len(keys)), names, rotation=60, ha="right", fontsize=7)
            ax.set_yticks(range(len(keys)), names, fontsize=7)
            ax.set_xlabel("sounds most like (nearest log-mel centroid)")
            ax.set_ylabel("piece asked for")
        if image is not None:
            fig.colorbar(image, ax=list(axes), label="share of the row", shrink=0.7)
    return Path(path)
