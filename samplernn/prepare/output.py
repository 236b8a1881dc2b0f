"""The output folder: refuse unsafe targets, build in a staging folder beside OUT, swap it in at the end.

Nothing half-written is ever left at OUT: an interrupted run removes its staging folder and the
previous output stays as it was. A re-run into an earlier output replaces what prepare wrote there
(dataset.json, manifest.csv, the notes' WAVs in audio/) and keeps the pictures `samplernn inspect`
drew at its top level (copied into the new output before the swap); anything else there stops it,
as the swap would delete it unseen.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from samplernn.common.errors import UserError
from samplernn.common.files import SYSTEM_FILES, check_output_folder, made_folder, writing
from samplernn.data.dataset import INFO_FILE, MANIFEST_FILE, is_dataset_info
from samplernn.data.manifest import AUDIO_DIR, read_manifest

#: How many foreign files a refusal names before "and N more".
SHOWN = 3


def _nfc(name: str) -> str:
    # Note ids are NFC; some file systems (HFS+) hand names back decomposed.
    return unicodedata.normalize("NFC", name)


def _is_picture(p: Path) -> bool:
    """A PNG file (`samplernn inspect`'s, by default DATASET/inspect-<id>.png); prepare writes none."""
    return p.suffix.lower() == ".png" and (p.is_symlink() or p.is_file())


def prepared_files(folder: Path) -> set[str] | None:
    """The paths, relative to `folder` and '/'-separated (NFC), of the files an earlier `samplernn
    prepare` wrote there: dataset.json, manifest.csv and the notes' WAVs its manifest lists. None
    when `folder` holds no dataset.json of prepare's."""
    if not is_dataset_info(folder / INFO_FILE):
        return None
    try:
        audio = {r.audio for r in read_manifest(folder / MANIFEST_FILE)}
    except (UserError, OSError, ValueError):  # a damaged manifest: prepare writes only WAVs in audio/
        audio = {f"{AUDIO_DIR}/{p.name}" for p in (folder / AUDIO_DIR).glob("*.wav")}
    return {_nfc(name) for name in (INFO_FILE, MANIFEST_FILE, *audio)}


def _foreign(folder: Path, written: set[str]) -> list[str]:
    """What `folder` holds besides `written`, SYSTEM_FILES and top-level pictures: sorted relative
    paths, a folder as 'name/' (its content unlisted)."""
    found = []
    for p in folder.iterdir():
        if p.name in SYSTEM_FILES or _is_picture(p):
            continue
        if p.name == AUDIO_DIR and p.is_dir() and not p.is_symlink():
            found += [f"{AUDIO_DIR}/{name}" for name in _foreign_entries(p, AUDIO_DIR, written)]
        elif _nfc(p.name) not in written or p.is_symlink() or not p.is_file():
            found.append(p.name + ("/" if p.is_dir() else ""))
    return sorted(found)


def _foreign_entries(folder: Path, prefix: str, written: set[str]) -> list[str]:
    """The names in `folder` (which is `prefix` in the dataset) that are not in `written`."""
    return [p.name + ("/" if p.is_dir() else "") for p in folder.iterdir()
            if p.name not in SYSTEM_FILES
            and (_nfc(f"{prefix}/{p.name}") not in written or p.is_symlink() or not p.is_file())]


def check_earlier_output(out: Path) -> list[str]:
    """The names of the pictures at OUT's top level (`samplernn inspect`'s), which a new prepare
    copies into its output; [] when OUT is new or empty (a file browser's SYSTEM_FILES aside).

    Raises:
        UserError: OUT is not a folder, or holds something a new prepare would delete: it is not an
            earlier prepare output, or is one holding files prepare did not write (the first
            SHOWN named, and how many more).
    """
    if not (out.exists() or out.is_symlink()):
        return []
    if not out.is_dir():
        raise UserError(f"{out}: exists and is not a folder")
    present = [p for p in out.iterdir() if p.name not in SYSTEM_FILES]
    if not present:
        return []
    written = prepared_files(out)
    if written is None:
        raise UserError(f"{out}: not empty and not made by `samplernn prepare`; choose a new or empty folder")
    foreign = _foreign(out, written)
    if foreign:
        more = f" and {len(foreign) - SHOWN} more" if len(foreign) > SHOWN else ""
        raise UserError(f"{out}: an earlier `samplernn prepare` output that also holds files prepare did "
                        f"not write ({', '.join(foreign[:SHOWN])}{more}), which a new prepare there would "
                        "delete; move them or choose another folder")
    return sorted(p.name for p in present if _is_picture(p))


def check_replaceable(out: Path, example: str = "./dataset") -> None:
    """UserError when OUT, which a run replaces as a whole (renamed aside, the new folder renamed in),
    is the current folder or one above it: the shell would be left in a deleted folder. The message
    suggests `example` instead."""
    here, out_r = Path.cwd().resolve(), out.resolve()
    if out_r == here or out_r in here.parents:
        raise UserError(f"{out}: the current folder (or one above it) cannot be replaced; "
                        f"name a folder for the output, e.g. {example}")


def check_paths(src: Path, out: Path) -> None:
    """UserError if OUT is SRC, lies inside it, contains it, holds something other than an earlier
    output of prepare (`check_earlier_output`), or cannot be written (its staging folder is made
    beside it, so its parent must take one)."""
    src_r, out_r = src.resolve(), out.resolve()
    if out_r == src_r or src_r in out_r.parents:
        raise UserError(f"{out}: OUT lies inside SRC {src}; write the dataset outside the recordings")
    if out_r in src_r.parents:
        raise UserError(f"{out}: OUT contains SRC {src}; replacing it would delete the recordings")
    check_replaceable(out)
    check_earlier_output(out)
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
def staging(out: Path, keep: Callable[[Path], Iterable[str]] | None = None) -> Iterator[Path]:
    """Yield an empty folder beside `out`; when the block succeeds it replaces `out`, else it is removed.

    `keep(out)`, called just before the swap (it may raise UserError to stop it, leaving `out` as it
    was), names files at `out`'s top level to copy into the new folder where it wrote none of that name.
    UserError naming `out` when the staging folder cannot be made or swapped in (read-only, full).
    """
    check_replaceable(out)
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
                for name in keep(out) if keep else ():
                    if not (tmp / name).exists():
                        shutil.copy2(out / name, tmp / name, follow_symlinks=False)
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
