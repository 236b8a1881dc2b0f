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
    """The checkpoint a user named: an existing file as given, a training run's folder (`train
    --out`'s) as its checkpoints/best.pt, else the shipped model of that name.

    Something that looks like a path (a folder part or a .pt suffix) stays a path, so a missing
    file is reported by whoever reads it (`missing_checkpoint`). Raises UserError, one line listing
    the shipped models, for a bare name that is neither a file nor a shipped model, and for a folder
    that is not a run's (naming the .pt files it holds: a run's checkpoints/), or a run's with no
    best.pt yet (naming its last.pt).
    """
    path = Path(name_or_path)
    names = ", ".join(shipped_models()) or "none installed"
    if path.is_dir():
        if (path / "checkpoints" / "best.pt").is_file():  # `train --out`'s folder
            return path / "checkpoints" / "best.pt"
        if (path / "checkpoints" / "last.pt").is_file():
            raise UserError(f"{name_or_path}: a training run's folder with no best.pt yet; its checkpoint is "
                            f"{path / 'checkpoints' / 'last.pt'}")
        held = sorted(p.name for p in path.glob("*.pt"))  # a run's checkpoints/ folder, given by mistake
        if held:
            raise UserError(f"{name_or_path}: a folder, not a checkpoint; it holds "
                            + ", ".join(str(path / n) for n in held[:3]) + (" …" if len(held) > 3 else ""))
        raise UserError(f"{name_or_path}: a folder, not a checkpoint (a .pt file, a training run's folder, "
                        f"or a shipped model: {names})")
    if path.is_file() or path.parent != Path(".") or path.suffix == ".pt":
        return path
    shipped = PRETRAINED_DIR / f"{path.name}.pt"
    if shipped.is_file():
        return shipped
    raise UserError(f"{name_or_path}: no such checkpoint file or shipped model (shipped models: {names})")


def missing_checkpoint(path: str | Path) -> str:
    """The one-line message for a checkpoint `path` that names no file, with what was probably
    meant: the run's own checkpoints/ file for `runs/X/best.pt`, the shipped model's name for
    `trombone-small.pt`, else the checkpoints the folder does hold."""
    path = Path(path)
    kept = path.parent / "checkpoints" / path.name
    where = "this folder" if path.parent == Path(".") else str(path.parent)
    near = sorted(p.name for p in path.parent.glob("*.pt")) if path.parent.is_dir() else []
    if kept.is_file():
        hint = f"a training run keeps it in checkpoints/: {kept} (or give the run's folder, {path.parent})"
    elif path.stem in shipped_models():
        hint = f"the shipped model is named without a path or .pt: {path.stem}"
    elif near:
        more = f" and {len(near) - 3} more" if len(near) > 3 else ""
        hint = f"{where} holds " + ", ".join(near[:3]) + more
    else:
        return f"{path}: checkpoint not found"
    return f"{path}: checkpoint not found; {hint}"
