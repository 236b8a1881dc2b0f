"""Atomic file output: a result appears whole or not at all, so a re-run is always safe.

An output that cannot be written is a UserError naming the path and the reason (`atomic_path`,
`writing`); `check_output_file` and `check_output_folder` say so up front, before a long job,
`refuse_overwriting` refuses an output that is one of the command's inputs and `refuse_inside`
one in a folder that is not the command's to write in (a prepared dataset).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from samplernn.common.errors import UserError

_UMASK = os.umask(0)
os.umask(_UMASK)


def os_reason(exc: OSError) -> str:
    """An OSError in a few words ("No space left on device"), without the path it names."""
    text = exc.strerror or str(exc) or type(exc).__name__
    return text[:1].lower() + text[1:]


@contextlib.contextmanager
def writing(path: str | Path) -> Iterator[None]:
    """Turn an OSError raised in the block into a UserError: `PATH: cannot write (reason)`."""
    try:
        yield
    except OSError as exc:
        raise UserError(f"{path}: cannot write ({os_reason(exc)})") from None


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it onto `path` only if the block succeeds.

    Raises UserError naming `path` when it cannot be written (a read-only folder, a full disk, a
    folder in the way, a device or pipe that the rename would replace): an OSError of the block
    counts as one.
    """
    path = Path(path)
    refuse_special_file(path)
    with writing(path), made_folder(path.parent):
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + path.suffix, dir=path.parent)
        os.close(fd)
        tmp_path = Path(tmp)
        try:
            yield tmp_path
            os.chmod(tmp_path, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the usual permissions
            os.replace(tmp_path, path)
        finally:
            tmp_path.unlink(missing_ok=True)


@contextlib.contextmanager
def made_folder(folder: str | Path) -> Iterator[Path]:
    """Make `folder` (and missing parents) for the block; if the block fails, the folders made
    here are removed again where empty, so a failed write leaves no empty folder behind."""
    folder = Path(folder)
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        yield folder
    except BaseException:
        for p in missing:  # deepest first
            with contextlib.suppress(OSError):
                p.rmdir()
        raise


def write_json(path: str | Path, obj: Any) -> None:
    """Write `obj` as indented JSON, atomically (UserError naming `path` when it cannot be written)."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=False) + "\n")


def _nearest_existing(path: Path, name: Path) -> Path:
    """`path` or the closest of its parents that exists (UserError naming `name` at a dangling link)."""
    here = path.absolute()
    while not here.exists():
        if here.is_symlink():
            raise UserError(f"{name}: {here} is a link to nothing")
        here = here.parent
    return here


#: Files a file browser leaves in any folder it shows (macOS Finder, Windows Explorer): not a
#: user's, so a folder holding only them counts as empty (a pack folder holding them is still a pack).
SYSTEM_FILES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})


def walk_folder(src: str | Path) -> Iterator[tuple[str, list[str]]]:
    """(folder, its file names) for `src` and every folder under it, as `os.walk` gives them, with
    linked folders followed (a sample pack linked into a kit's folder is read, as a linked
    drumkit.xml's folder is: it was left out unsaid) and each folder walked once (a link back up
    the tree, or two links to one folder); hidden folders ('.git', '.Trash') not looked into."""
    seen: set[str] = set()
    for root, dirs, files in os.walk(src, followlinks=True):
        real = os.path.realpath(root)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        yield root, files


def check_output_folder(folder: str | Path, name: str | Path | None = None) -> None:
    """UserError unless `folder` is a folder that can be written in, or could be made as one;
    nothing is created. Catches a read-only file system, a missing permission and a file in the way
    before a long job rather than after it. The message names `name` (default: `folder`)."""
    folder = Path(folder)
    name = folder if name is None else Path(name)
    here = _nearest_existing(folder, name)
    if not here.is_dir():
        if here == name.absolute():
            raise UserError(f"{name}: exists and is not a folder")
        raise UserError(f"{name}: cannot be made, {here} is a file, not a folder")
    if hasattr(os, "statvfs") and os.statvfs(here).f_flag & os.ST_RDONLY:
        raise UserError(f"{name}: cannot write in {here} (read-only file system)")
    if not os.access(here, os.W_OK | os.X_OK):
        raise UserError(f"{name}: cannot write in {here} (permission denied)")


def refuse_special_file(path: str | Path) -> None:
    """UserError when `path` is a device, a pipe or a socket (`-o /dev/null`): the atomic rename
    would replace it with a regular file (as root, /dev/null itself)."""
    path = Path(path)
    if path.exists() and not path.is_file() and not path.is_dir():
        raise UserError(f"{path}: not a regular file (a device, pipe or socket); give a file name")


def check_output_file(path: str | Path) -> None:
    """UserError unless a file can be written at `path` (see check_output_folder): not a folder,
    not a device or pipe, in a folder that can be written in or made."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{path}: is a folder; give a file name")
    refuse_special_file(path)
    check_output_folder(path.parent, name=path)


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether `a` and `b` name the same file: os.path.samefile when both exist (links
    included), else equal resolved paths."""
    a, b = Path(a), Path(b)
    if a.exists() and b.exists():
        return os.path.samefile(a, b)
    return a.resolve() == b.resolve()


def lies_in(path: str | Path, folder: str | Path) -> bool:
    """Whether `path` is `folder` or lies under it, links resolved (neither need exist)."""
    return Path(path).resolve().is_relative_to(Path(folder).resolve())


def refuse_inside(outputs: Iterable[str | Path], folder: str | Path, what: str) -> None:
    """UserError naming the first output that is `folder` or lies in it, `what` saying what the folder
    is: "OUT: lies in the dataset FOLDER; write the outputs elsewhere" (what = "the dataset")."""
    for out in outputs:
        if lies_in(out, folder):
            raise UserError(f"{out}: lies in {what} {folder}; write the outputs elsewhere")


def refuse_overwriting(outputs: Iterable[str | Path], inputs: Iterable[str | Path]) -> None:
    """UserError naming the first output that is one of the inputs (e.g. `render song.mid -o
    song.mid`, which would replace the MIDI file with audio)."""
    inputs = [Path(p) for p in inputs]
    for out in outputs:
        for src in inputs:
            if same_file(out, src):
                raise UserError(f"{out}: this is an input ({src}); write the output somewhere else")
