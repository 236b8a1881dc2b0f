"""The models shipped inside the package, by name: `--init trombone-small`, `render trombone-small
song.mid` need no path."""

from __future__ import annotations

from pathlib import Path

from samplernn.common.errors import UserError
from samplernn.common.paths import PRETRAINED_DIR


def shipped_models() -> list[str]:
    """Names of the checkpoints in the package's pretrained/ folder (file stems), sorted."""
    return sorted(p.stem for p in PRETRAINED_DIR.glob("*.pt"))


def resolve_checkpoint(name_or_path: str | Path) -> Path:
    """The checkpoint a user named: an existing file as given, else the shipped model of that name.

    Something that looks like a path (a folder part or a .pt suffix) stays a path, so a missing
    file is reported by whoever reads it. Raises UserError, one line listing the shipped models,
    for a bare name that is neither a file nor a shipped model, and for a folder (naming the
    checkpoints inside when it is a training run's).
    """
    path = Path(name_or_path)
    names = ", ".join(shipped_models()) or "none installed"
    if path.is_dir():
        saved = [c for c in ("best.pt", "last.pt") if (path / "checkpoints" / c).is_file()]
        if saved:  # `train --out`'s folder
            raise UserError(f"{name_or_path}: a training run's folder, not a checkpoint; its checkpoints are "
                            + " and ".join(str(path / "checkpoints" / c) for c in saved))
        raise UserError(f"{name_or_path}: a folder, not a checkpoint (a .pt file, or a shipped model: "
                        f"{names})")
    if path.is_file() or path.parent != Path(".") or path.suffix == ".pt":
        return path
    shipped = PRETRAINED_DIR / f"{path.name}.pt"
    if shipped.is_file():
        return shipped
    raise UserError(f"{name_or_path}: no such checkpoint file or shipped model (shipped models: {names})")
