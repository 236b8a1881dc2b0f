"""The output folder: refuse unsafe targets, build in a staging folder beside OUT, swap it in at the end.

Nothing half-written is ever left at OUT: an interrupted run removes its staging folder and the
previous output stays as it was.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from samplernn.common.errors import UserError
from samplernn.common.files import check_output_folder, made_folder, writing
from samplernn.data.dataset import DATASET_ENTRIES, INFO_FILE, is_dataset_info


def is_prepared_output(folder: Path) -> bool:
    """True if `folder` holds only what `samplernn prepare` writes (plus `inspect` pictures)."""
    if not is_dataset_info(folder / INFO_FILE):
        return False
    return all(p.name in DATASET_ENTRIES or p.suffix == ".png" for p in folder.iterdir())


def check_paths(src: Path, out: Path) -> None:
    """UserError if OUT is SRC, lies inside it, contains it, holds something other than a dataset,
    or cannot be written (its staging folder is made beside it, so its parent must take one)."""
    src_r, out_r = src.resolve(), out.resolve()
    if out_r == src_r or src_r in out_r.parents:
        raise UserError(f"{out}: OUT lies inside SRC {src}; write the dataset outside the recordings")
    if out_r in src_r.parents:
        raise UserError(f"{out}: OUT contains SRC {src}; replacing it would delete the recordings")
    if out.exists() or out.is_symlink():
        if not out.is_dir():
            raise UserError(f"{out}: exists and is not a folder")
        if any(out.iterdir()) and not is_prepared_output(out):
            raise UserError(
                f"{out}: not empty and not made by `samplernn prepare`; choose a new or empty folder")
    check_output_folder(out.parent, name=out)  # the staging folder is made, and renamed, there


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale(out: Path) -> None:
    """Remove staging/old folders that a killed run (e.g. SIGKILL) left beside OUT."""
    for prefix in (f".{out.name}.prepare-", f".{out.name}.old-"):
        for p in out.parent.glob(prefix + "*"):
            pid = p.name[len(prefix):].split("-", 1)[0]
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(p, ignore_errors=True)


@contextlib.contextmanager
def staging(out: Path) -> Iterator[Path]:
    """Yield an empty folder beside `out`; when the block succeeds it replaces `out`, else it is removed.

    UserError naming `out` when the staging folder cannot be made or swapped in (read-only, full).
    """
    with contextlib.ExitStack() as stack:
        with writing(out):
            stack.enter_context(made_folder(out.parent))  # parents made here go again on failure
            _remove_stale(out)
            tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.prepare-{os.getpid()}-", dir=out.parent))
        umask = os.umask(0)
        os.umask(umask)
        try:
            tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; the dataset gets the usual permissions
            try:
                yield tmp
            except UserError as exc:  # name the file at OUT, where it was going, not in the hidden folder
                exc.args = (str(exc).replace(str(tmp), str(out)),)  # the same error, its kind kept
                raise
            with writing(out):
                _swap_in(tmp, out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def _swap_in(new: Path, out: Path) -> None:
    """Rename `new` onto `out`; a previous `out` is moved aside first and deleted afterwards."""
    old = None
    if out.exists() or out.is_symlink():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-{os.getpid()}-", dir=out.parent))
        os.rename(out, old / "previous")
    try:
        os.rename(new, out)
    except BaseException:
        if old is not None:
            os.rename(old / "previous", out)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
