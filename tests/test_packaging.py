"""The package as a plain `pip install .` gets it: the wheel holds every module and every file the
documented commands need, pyproject declares every third-party import, the installed package
finds its shipped files, and the documented commands and the training recipe use only options
the CLI has."""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("samplernn", "conditioning")
BANK = ROOT / "samplernn" / "banks" / "trombone"
# Files the commands open by path: the shipped model and melody (demo, synth, render, evaluate
# examples), the bundled bank (prepare, demo --train, bench prepare) and its provenance.
SHIPPED = [
    "samplernn/pretrained/trombone-small.pt",
    "samplernn/pretrained/melody.mid",
    "samplernn/banks/trombone/PROVENANCE.md",
]
# Import names whose distribution is named otherwise, for when the distribution is not installed.
DISTRIBUTION_OF = {"sklearn": "scikit-learn", "yaml": "pyyaml", "PIL": "pillow"}
BUILD_TIMEOUT_S = 600


def _copy_sources(dst: Path) -> Path:
    """What `pip install .` reads from a clone, without the venv, caches and earlier build trees."""
    dst.mkdir()
    for name in ("pyproject.toml", "README.md", *PACKAGES):
        src = ROOT / name
        if src.is_dir():
            skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
            shutil.copytree(src, dst / name, ignore=skip)
        else:
            shutil.copy2(src, dst / name)
    return dst


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of the working tree, built offline with this environment's setuptools, in a copy
    of the tree (setuptools builds in place; a stale build/ could hide a missing file)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = _copy_sources(tmp / "src")
    out = tmp / "dist"
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
           "--disable-pip-version-check", "-q", "-w", str(out), str(src)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, cwd=tmp)
    assert done.returncode == 0, f"wheel build failed:\n{done.stdout}\n{done.stderr}"
    (path,) = out.glob("samplernn-*.whl")
    return path


@pytest.fixture(scope="module")
def wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as zf:
        return set(zf.namelist())


def _sizes(wheel: Path) -> dict[str, int]:
    with zipfile.ZipFile(wheel) as zf:
        return {i.filename: i.file_size for i in zf.infolist()}


def test_wheel_holds_the_shipped_model_melody_and_provenance(wheel: Path) -> None:
    sizes = _sizes(wheel)
    for rel in SHIPPED:
        assert rel in sizes, f"{rel} is not in the wheel"
        assert sizes[rel] == (ROOT / rel).stat().st_size, f"{rel}: the wheel's copy differs in size"


def test_wheel_holds_every_note_of_the_bundled_bank(wheel_names: set[str]) -> None:
    notes = sorted(p for p in (BANK / "notes").iterdir() if p.suffix in (".flac", ".mid"))
    flacs = [p for p in notes if p.suffix == ".flac"]
    assert len(flacs) == 312 and len(notes) == 624  # the bank of PROVENANCE.md: 312 FLAC + MIDI pairs
    missing = [p.name for p in notes if p.relative_to(ROOT).as_posix() not in wheel_names]
    assert not missing, f"bank files missing from the wheel: {missing[:5]} ({len(missing)} in all)"


def _tracked_files(*folders: str) -> list[str]:
    """Files under `folders`: the ones git tracks in a clone (work in progress and stray files
    left out), else every file but caches."""
    listed = subprocess.run(["git", "ls-files", "-z", *folders], capture_output=True, text=True, cwd=ROOT)
    if listed.returncode == 0 and listed.stdout:
        return sorted(f for f in listed.stdout.split("\0") if f)
    return sorted(p.relative_to(ROOT).as_posix() for top in folders for p in (ROOT / top).rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts)


def _package_files() -> list[str]:
    """Files of samplernn/ and conditioning/ (see _tracked_files)."""
    return _tracked_files(*PACKAGES)


def test_wheel_holds_every_file_of_every_package(wheel_names: set[str]) -> None:
    """Modules and package data alike (a data folder such as a web page's static/ included)."""
    files = _package_files()
    stages = sorted({f.split("/")[1] for f in files if f.startswith("samplernn/") and f.count("/") >= 2
                     and f.endswith(".py")})
    assert len(stages) >= 10  # common, data, model, generate, prepare, train, render, evaluate, bench, …
    for stage in stages:
        init = f"samplernn/{stage}/__init__.py"
        assert init in wheel_names, f"{stage}/ is not a package in the wheel"
    assert "conditioning/__init__.py" in wheel_names
    missing = [f for f in files if f not in wheel_names]
    assert not missing, f"files missing from the wheel (pyproject's package-data?): {missing[:10]}"


def test_wheel_declares_the_samplernn_command(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        (entry_points,) = [n for n in zf.namelist() if n.endswith(".dist-info/entry_points.txt")]
        text = zf.read(entry_points).decode()
    assert re.search(r"^samplernn\s*=\s*samplernn\.__main__:run$", text, re.M), text


def test_installed_wheel_finds_its_shipped_files(wheel: Path, tmp_path: Path) -> None:
    """`pip install` of the wheel (into a folder, dependencies taken from this environment): the
    paths every command takes its shipped files from point at files of the installed copy."""
    target = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--disable-pip-version-check",
         "-q", "--target", str(target), str(wheel)],
        capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
    )
    assert done.returncode == 0, done.stderr
    probe = (
        "import samplernn, sys\n"
        "from samplernn.common.paths import BUNDLED_BANK, DEMO_MELODY, SHIPPED_MODEL\n"
        "assert SHIPPED_MODEL.is_file() and DEMO_MELODY.is_file(), (SHIPPED_MODEL, DEMO_MELODY)\n"
        "assert (BUNDLED_BANK.parent / 'PROVENANCE.md').is_file()\n"
        "print(samplernn.__file__)\n"
        "print(len(list(BUNDLED_BANK.glob('*.flac'))), len(list(BUNDLED_BANK.glob('*.mid'))))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=tmp_path,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    where, counts = run.stdout.splitlines()
    assert Path(where).is_relative_to(target), f"imported {where}, not the installed copy"
    assert counts == "312 312"


def _third_party_imports() -> dict[str, str]:
    """{top-level import name: a file importing it} over samplernn/ and conditioning/ (function-level
    imports included), leaving out the standard library and the project's own packages."""
    found: dict[str, str] = {}
    for top in PACKAGES:
        for path in sorted((ROOT / top).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    base = name.split(".")[0]
                    if base not in sys.stdlib_module_names and base not in PACKAGES and base != "__future__":
                        found.setdefault(base, path.relative_to(ROOT).as_posix())
    return found


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_pyproject_declares_every_third_party_import() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {_normalise(re.split(r"[ <>=!~;\[]", d, maxsplit=1)[0]) for d in project["dependencies"]}
    installed = importlib.metadata.packages_distributions()
    imports = _third_party_imports()
    assert {"torch", "numpy", "soundfile", "mido"} <= set(imports)  # the scan sees the imports
    undeclared = []
    for name, where in sorted(imports.items()):
        dists = {_normalise(d) for d in installed.get(name, [DISTRIBUTION_OF.get(name, name)])}
        if not dists & declared:
            undeclared.append(f"{name} (imported in {where}; distribution {', '.join(sorted(dists))})")
    assert not undeclared, f"imported but not in pyproject's dependencies: {undeclared}"


def _cli_options() -> dict[str, set[str]]:
    """{'train': {'--steps', …}, 'bench generate': {…}, …}: every command's option names."""
    import typer.main

    from samplernn.cli import app

    def walk(cmd, prefix: str, out: dict[str, set[str]]) -> None:
        for name, sub in getattr(cmd, "commands", {}).items():
            key = f"{prefix} {name}".strip()
            out[key] = {o for p in sub.params for o in (*p.opts, *p.secondary_opts) if o.startswith("-")}
            walk(sub, key, out)

    found: dict[str, set[str]] = {}
    walk(typer.main.get_command(app), "", found)
    return found


def _command_lines(text: str) -> list[str]:
    """Lines of ```bash blocks that run `samplernn …`, with their continuation lines (after a
    backslash, or indented below a usage line) joined."""
    lines: list[str] = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        follows = False
        for line in block.replace("\\\n", " ").splitlines():
            cmd = line.split("#")[0].strip()
            if follows and line[:1].isspace():
                lines[-1] += " " + cmd
            elif cmd.startswith("samplernn "):
                lines.append(cmd)
            follows = cmd.startswith("samplernn ") or (follows and line[:1].isspace())
    return lines


def _unknown_options(cmdline: str, options: dict[str, set[str]]) -> list[str]:
    """The --options of one `samplernn CMD [SUB] …` line (alternatives in `[a|b]` each) not in the CLI."""
    for part in re.split(r"\s\|\s(?=[a-z])", cmdline):  # "bench prepare | bench train": several commands
        words = part.replace("samplernn ", "", 1).split()
        sub = " ".join(words[:2]) if " ".join(words[:2]) in options else words[0]
        assert sub in options, f"{cmdline!r}: no command {sub!r}"
        used = re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", part.replace("samplernn ", "", 1))
        wrong = [o for o in used if o not in options[sub] and o not in ("--help",)]
        if wrong:
            return [f"{sub}: {o}" for o in wrong]
    return []


DOCS = ["README.md", "MODEL_CARD.md", "docs/benchmarks.md", "docs/training-log.md", "docs/layouts.md"]
# Options the documents name that belong to other programs: torchrun, the recipe script,
# scripts/render_bank.py.
OTHER_OPTIONS = {"--help", "--nproc_per_node", "--dry-run", "--baseline", "--soundfont", "--program",
                 "--name", "--pitches", "--lengths", "--leave-out-every"}


@pytest.mark.parametrize("doc", DOCS)
def test_documented_commands_use_existing_options(doc: str) -> None:
    options = _cli_options()
    text = (ROOT / doc).read_text()
    wrong = [w for line in _command_lines(text) for w in _unknown_options(line, options)]
    assert not wrong, f"{doc} documents options their commands do not have: {wrong}"
    named = set(re.findall(r"(?<![\w-])(--[a-zA-Z][\w-]*)", text))
    unknown = sorted(named - set().union(*options.values()) - OTHER_OPTIONS)
    assert not unknown, f"{doc} names options no command has: {unknown}"


def test_recipe_dry_run_is_one_default_train() -> None:
    """The shipped model's recipe, printed (not run): every `samplernn` option exists, and its
    training is one `samplernn train` with the defaults but the budget and seed (the baseline's
    adds --no-conditioning alone)."""
    env = {**os.environ, "PYTHON": sys.executable}
    done = subprocess.run(["bash", str(ROOT / "recipes" / "trombone-small.sh"), "--dry-run", "--baseline",
                           "/tmp/samplernn-recipe-dry-run"], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    commands = [line[2:] for line in done.stdout.splitlines() if line.startswith("+ ")]
    options = _cli_options()
    cli = [c.split(" -m samplernn.cli ", 1)[1] for c in commands if " -m samplernn.cli " in c]
    assert {c.split()[0] for c in cli} == {"prepare", "train", "evaluate"}
    wrong = [w for c in cli for w in _unknown_options("samplernn " + c, options)]
    assert not wrong, wrong
    trains = [set(re.findall(r"--[\w-]+", c)) for c in cli if c.startswith("train ")]
    default = {"--out", "--max-minutes", "--seed"}
    assert trains == [default, default | {"--no-conditioning"}]
    assert any("scripts/ship_model.py" in c for c in commands)


# Python entry points the README names, with the folder it says they live in.
DOCUMENTED_API = {
    "prepare_bank": "samplernn/prepare", "PrepareSettings": "samplernn/prepare",
    "train": "samplernn/train", "TrainConfig": "samplernn/train", "dataset_nll": "samplernn/model",
    "synthesize": "samplernn/generate", "teacher_forced_logprobs": "samplernn/generate",
    "events_to_conditioning": "conditioning",
}


def test_documented_python_entry_points_exist_where_the_readme_says() -> None:
    readme = (ROOT / "README.md").read_text()
    for name, folder in DOCUMENTED_API.items():
        assert f"`{name}" in readme or f"{name}(" in readme, f"README no longer names {name}"
        defined = {
            node.name
            for path in (ROOT / folder).glob("*.py")
            for node in ast.parse(path.read_text()).body
            if isinstance(node, ast.FunctionDef | ast.ClassDef)
        }
        assert name in defined, f"{name} is not defined in {folder}/"


def _readme_code_section() -> str:
    text = (ROOT / "README.md").read_text()
    return text[text.index("## The code"):].split("\n## ", 1)[0]


def _tracked_packages() -> set[str]:
    """Dotted names of the tracked packages and modules ('samplernn.train', 'samplernn.cli', …)."""
    names = set()
    for f in _package_files():
        parts = f.removesuffix(".py").split("/")
        if f.endswith("/__init__.py"):
            names.add(".".join(parts[:-1]))
        elif f.endswith(".py"):
            names.add(".".join(parts))
    return names


def test_readme_shows_every_package_folder() -> None:
    section = _readme_code_section()
    subpackages = [n for n in _tracked_packages() if n.startswith("samplernn.") and n.count(".") == 1]
    folders = sorted(n.split(".")[1] for n in subpackages if (ROOT / n.replace(".", "/")).is_dir())
    missing = [f for f in folders if not re.search(rf"^\s+{f}/", section, re.M)]
    assert not missing, f"README's 'The code' section does not show samplernn/{missing}: add a line each"


def test_readme_states_the_layer_order_the_layering_test_enforces() -> None:
    source = (ROOT / "tests" / "test_layering.py").read_text()
    (layers,) = [ast.literal_eval(n.value) for n in ast.parse(source).body
                 if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "LAYERS"]
    short = {name.rpartition(".")[2]: name for name in layers}
    stated_text = re.search(r"The order is (.*?);", " ".join(_readme_code_section().split()))
    assert stated_text, "README's 'The code' section no longer states the layer order"
    stated = stated_text.group(1).split(" < ")
    assert set(stated) <= set(short), f"not layers of tests/test_layering.py: {set(stated) - set(short)}"
    assert stated == [s for s in short if s in stated], f"the order in tests/test_layering.py: {list(short)}"
    tracked = _tracked_packages()
    unstated = [s for s, name in short.items() if name in tracked and s not in stated]
    assert not unstated, f"README's layer order leaves out {unstated}"


def test_documents_the_package_points_to_exist() -> None:
    """Help texts and docstrings (of the tracked files) may send the reader to docs/*.md,
    MODEL_CARD.md or a recipe: those must exist."""
    sources = [ROOT / f for f in _package_files() if f.endswith(".py")] + list((ROOT / "scripts").glob("*"))
    pattern = re.compile(r"\b((?:docs|recipes)/[\w./-]+\.(?:md|sh|py)|MODEL_CARD\.md)")
    pointed = {m for path in sources for m in pattern.findall(path.read_text())}
    missing = sorted(p for p in pointed if not (ROOT / p).is_file())
    assert not missing, f"pointed to but missing: {missing}"


def test_readme_links_every_document() -> None:
    readme = (ROOT / "README.md").read_text()
    pages = ["MODEL_CARD.md"] + [p for p in _tracked_files("docs") if p.endswith(".md") and p.count("/") == 1]
    unlinked = [p for p in pages if f"]({p})" not in readme]
    assert not unlinked, f"README links none of {unlinked}"
