"""CLI commands, one module per step of the data flow (prepare → train → synth/render → evaluate).

Each module has `register(app, bench_app)` adding its typer commands; the functions they call
live in the library modules so that tests call them directly.
"""

from __future__ import annotations

import importlib

import typer

_MODULES = ("prepare_cmd", "train_cmd", "generate_cmd", "evaluate_cmd", "demo_cmd")


def register_all(app: typer.Typer, bench_app: typer.Typer) -> None:
    """Register every command module that exists (modules land one issue at a time)."""
    for name in _MODULES:
        try:
            module = importlib.import_module(f"samplernn.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"samplernn.commands.{name}":
                continue
            raise
        module.register(app, bench_app)
