"""The files of a bank's folder that `prepare` does not read, said once in its notices.

The layouts that read a folder's files by kind (pairs, folder-midi, session, named, audio, drum
one-shots) skip everything else: a README, a sampler's own instrument file (`.nki`, `.exs`), audio
in a format the layout does not read (`.opus`, `.m4a`, an `.aif` beside a MIDI file), and the hidden
and system files a file browser or an archive leaves (macOS's `._name.wav` AppleDouble files and
`.DS_Store`, Windows' `Thumbs.db`). A sample that vanished unsaid would look like a missing note.
"""

from __future__ import annotations

import os
from pathlib import Path

from natsort import natsorted, ns

from samplernn.common.files import SYSTEM_FILES, walk_folder

#: How many names of each kind the notice shows before "and N more".
SHOWN = {"other": 5, "hidden": 3}


def unread_files(src: Path, suffixes: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The files under the folder `src` whose suffix (any case) is not one of `suffixes`, and its
    hidden (a name starting with '.') or system files (`SYSTEM_FILES`): two lists of paths relative
    to `src`, '/'-separated, in natural order. Hidden folders are not looked into; linked ones are."""
    other: list[str] = []
    hidden: list[str] = []
    for root, files in walk_folder(src):
        here = Path(root).relative_to(src)
        for name in files:
            rel = (here / name).as_posix()
            if name.startswith(".") or name in SYSTEM_FILES:
                hidden.append(rel)
            elif os.path.splitext(name)[1].lower() not in suffixes:
                other.append(rel)
    return natsorted(other, alg=ns.PATH), natsorted(hidden, alg=ns.PATH)


def _names(paths: list[str], shown: int) -> str:
    more = f" and {len(paths) - shown} more" if len(paths) > shown else ""
    return ", ".join(paths[:shown]) + more


def _files(n: int) -> str:
    return f"{n} file{'s' if n != 1 else ''}"


def unread_notice(src: Path, suffixes: tuple[str, ...], what: str) -> list[str]:
    """One notice naming what `unread_files` finds under `src` ([] when nothing, or `src` is not a
    folder), `what` naming the kinds the layout reads: 'skipped 2 files that are not WAV, FLAC or
    MIDI: README.txt, C5.opus; and 2 hidden or system files (._C4.wav, .DS_Store)'."""
    if not src.is_dir():
        return []
    other, hidden = unread_files(src, suffixes)
    parts = []
    if other:
        parts.append(f"{_files(len(other))} that {'is' if len(other) == 1 else 'are'} not {what}: "
                     f"{_names(other, SHOWN['other'])}")
    if hidden:
        parts.append(f"{len(hidden)} hidden or system {_files(len(hidden)).split()[1]} "
                     f"({_names(hidden, SHOWN['hidden'])})")
    return [f"skipped {'; and '.join(parts)}"] if parts else []
