"""A small, tolerant reader of SFZ text: the regions of an instrument with their inherited opcodes.

Why not a parser from the package index: the two there were tried on real instruments
(sfzinstruments' jRhodes3d and Karoryfer's WereSax, 26 files). `sfzen` 2.6.2 is GPL-3.0+ (this
package is MIT), stops with an AttributeError on a stray word at the top of `jRhodes3d-st.sfz`,
and reports hundreds of valid modern opcodes as errors; `sfzlint` 0.1.4 (MIT, last release 2022)
depends on the deprecated `lark-parser` 0.x, raises on the same file, and returns a flat list of
headers, which leaves inheritance, `default_path`, note names and includes to the caller anyway.
What `prepare` needs is a handful of opcodes, so it reads them itself and skips what it does not
understand instead of failing.

Handled: `//` and `/* */` comments; `<control>` (`default_path`), `<global>`, `<master>`,
`<group>` and `<region>` with inheritance (a header's opcodes apply to the regions after it until
a header of its level or above comes); values with spaces (sample paths) up to the next
``name=``; `#define $VAR value` and `#include "file"` (relative to the including file, cycles
and depth capped). Other headers (`<curve>`, `<effect>`, `<midi>`) end the current region and
are otherwise skipped. A malformed header (`<region sample=…` with no `>`, or `region>`) ends the
current region too and is an error of the document: its opcodes, up to the next header, are
dropped rather than left to land on the region before it (replacing that region's sample).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_LEVELS = {"control": 0, "global": 1, "master": 2, "group": 3, "region": 4}
_COMMENT_RE = re.compile(r"/\*.*?\*/|//[^\n]*", re.DOTALL)
_TOKEN_RE = re.compile(r"<(\w+)>|(\w+)=|#define\s+(\$\w+)\s+(\S+)|#include\s+\"([^\"]+)\"|(<\w*|\w+>)")
_VALUE_END_RE = re.compile(r"\s+\w+=|<[\w>]|\s+\w+>|#define|#include")
MAX_INCLUDE_DEPTH = 16


@dataclass
class SfzRegion:
    """One region: its opcodes (inherited ones included, names lower-case), the file and line it
    was written at, and the `default_path` in force (relative to the top-level .sfz file's folder)."""

    opcodes: dict[str, str]
    file: Path
    line: int
    default_path: str = ""


@dataclass
class SfzDocument:
    """The regions of a .sfz file, the files it included, why parts of it were skipped
    (`problems`), and the headers it could not read (`errors`: (file, line, message), each a
    region or group lost)."""

    path: Path
    regions: list[SfzRegion] = field(default_factory=list)
    includes: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    errors: list[tuple[Path, int, str]] = field(default_factory=list)


@dataclass
class _State:
    doc: SfzDocument
    scopes: list[dict[str, str]] = field(default_factory=lambda: [{}, {}, {}, {}, {}])
    level: int | None = None  # the header whose opcodes are being read; None before the first
    default_path: str = ""
    defines: dict[str, str] = field(default_factory=dict)
    region: SfzRegion | None = None


def parse_sfz(path: str | Path) -> SfzDocument:
    """Read a .sfz file and the files it includes into its regions.

    Raises:
        OSError, UnicodeDecodeError: only for the top-level file (an unreadable include is a problem
            noted in the document).
    """
    path = Path(path)
    state = _State(SfzDocument(path))
    _read(path, path.read_text(encoding="utf-8", errors="replace"), state, depth=0)
    _close_region(state)
    return state.doc


def _read(path: Path, text: str, state: _State, depth: int) -> None:
    text = _COMMENT_RE.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    pos, line, counted = 0, 1, 0
    for m in _TOKEN_RE.finditer(text):
        if m.start() < pos:  # inside a value already read
            continue
        line += text.count("\n", counted, m.start())
        counted = m.start()
        _stray(text, pos, m.start(), path, state)
        pos = m.end()
        header, opcode, var, value, include, broken = m.groups()
        if broken is not None:
            _broken_header(broken, path, line, state)
        elif header is not None:
            _header(header.lower(), path, line, state)
        elif opcode is not None:
            end = _value_end(text, pos)
            _opcode(opcode.lower(), _substitute(text[pos:end].strip(), state.defines), state)
            pos = end
        elif var is not None:
            state.defines[var] = value
        else:
            _include(path, _substitute(include, state.defines), line, state, depth)
    _stray(text, pos, len(text), path, state)


def _value_end(text: str, start: int) -> int:
    """A value runs to the end of its line or up to the next header, opcode or directive."""
    newline = text.find("\n", start)
    stop = len(text) if newline < 0 else newline
    nxt = _VALUE_END_RE.search(text, start, stop)
    return nxt.start() if nxt else stop


def _stray(text: str, start: int, stop: int, path: Path, state: _State) -> None:
    """Note text[start:stop] if it is more than blanks: neither header, opcode nor directive."""
    chunk = text[start:stop]
    if chunk.strip():
        line = text.count("\n", 0, start + len(chunk) - len(chunk.lstrip())) + 1
        state.doc.problems.append(f"{path}:{line}: ignored text {chunk.strip()[:40]!r}")


def _substitute(value: str, defines: dict[str, str]) -> str:
    for name in sorted(defines, key=len, reverse=True):
        value = value.replace(name, defines[name])
    return value


def _header(name: str, path: Path, line: int, state: _State) -> None:
    _close_region(state)
    level = _LEVELS.get(name)
    state.level = level
    if level is None:  # <curve>, <effect>, <midi>, ...: their opcodes are not the regions'
        return
    for k in range(level, len(state.scopes)):
        state.scopes[k] = {}
    if name == "region":
        state.region = SfzRegion({}, path, line, state.default_path)


def _broken_header(text: str, path: Path, line: int, state: _State) -> None:
    """A header without its `<` or `>`: the region before it ends, and the opcodes after it (up to
    the next header) are dropped, as the header they belong to is unknown."""
    _close_region(state)
    state.level = None
    state.doc.errors.append((path, line, f"malformed header {text!r} (a header is written <region>, <group>, "
                                         "…): its opcodes up to the next header are skipped"))


def _opcode(name: str, value: str, state: _State) -> None:
    if state.level is None:
        return
    if state.level == _LEVELS["control"]:
        if name == "default_path":
            state.default_path = value.replace("\\", "/")
        return
    state.scopes[state.level][name] = value


def _close_region(state: _State) -> None:
    region = state.region
    if region is not None:
        merged: dict[str, str] = {}
        for scope in state.scopes[1:]:
            if "key" in scope:  # `key` sets lokey, hikey and pitch_keycenter at its own level (SFZ 1)
                scope = {**dict.fromkeys(("lokey", "hikey", "pitch_keycenter"), scope["key"]), **scope}
            merged.update(scope)
        region.opcodes = merged
        state.doc.regions.append(region)
    state.region = None


def _include(path: Path, name: str, line: int, state: _State, depth: int) -> None:
    target = (path.parent / name.replace("\\", "/")).resolve()
    if depth >= MAX_INCLUDE_DEPTH or target in state.doc.includes or target == state.doc.path.resolve():
        state.doc.problems.append(f"{path}:{line}: include {name!r} skipped (nested too deep or a cycle)")
        return
    try:
        text = target.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        state.doc.problems.append(f"{path}:{line}: include {name!r} unreadable ({exc.strerror or exc})")
        return
    state.doc.includes.append(target)
    _read(target, text, state, depth + 1)
