"""The data flow is visible in the imports: a stage imports only shared layers and earlier stages,
and no modules import each other in a loop."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Lower layers never import higher ones; `conditioning` (no torch) sits below them all.
LAYERS = [
    "conditioning",
    "samplernn.common",
    "samplernn.measures",  # numpy sound measures: training picks checkpoints by them too
    "samplernn.data",
    "samplernn.model",
    "samplernn.generate",  # the engines: training previews generate too
    "samplernn.prepare",
    "samplernn.train",
    "samplernn.render",
    "samplernn.play",  # live play: the streaming engine fed by MIDI events
    "samplernn.evaluate",
    "samplernn.serve",  # the local web page: auditions ranked by the evaluate measures
    "samplernn.bench",
    "samplernn.commands",
    "samplernn.cli",
]


def _modules() -> dict[str, Path]:
    out = {}
    for top in ("samplernn", "conditioning"):
        for path in (ROOT / top).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def _imports(path: Path, module: str, known: set[str]) -> set[str]:
    """Project modules imported anywhere in `path` (function-level imports included)."""
    found = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + [base]
                ).strip(".")
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def _layer(module: str) -> int:
    best = -1
    for i, prefix in enumerate(LAYERS):
        if module == prefix or module.startswith(prefix + "."):
            best = i
    return best


MODULES = _modules()
GRAPH = {m: _imports(p, m, set(MODULES)) - {m} for m, p in MODULES.items()}


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _layer(m) >= 0))
def test_no_stage_imports_a_later_one(module: str) -> None:
    later = sorted(t for t in GRAPH[module] if _layer(t) > _layer(module))
    assert not later, f"{module} imports later stages: {later}"


def test_every_module_has_a_layer() -> None:
    assert all(_layer(m) >= 0 for m in MODULES if m not in ("samplernn", "samplernn.__main__"))


def test_no_import_cycles() -> None:
    # Package __init__ files only re-export; an edge into one stands for its submodules.
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for t in sorted(GRAPH.get(m, ())):
            if t in MODULES and MODULES[t].name == "__init__.py" and m.startswith(t + "."):
                continue  # a submodule importing its own package's face
            if state.get(t) == 1:
                raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(t) :] + [t]))
            if t not in state:
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(GRAPH):
        if m not in state:
            visit(m)
