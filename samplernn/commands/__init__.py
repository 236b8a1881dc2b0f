"""CLI commands, one module per step of the data flow (prepare → train → synth/render → evaluate).

Each module has `register(app, bench_app)` adding its typer commands; the functions they call
live in the library modules so that tests call them directly.
"""

from __future__ import annotations

import typer

from samplernn.commands import (
    demo_cmd,
    evaluate_cmd,
    generate_cmd,
    pack_cmd,
    play_cmd,
    prepare_cmd,
    quality_cmd,
    serve_cmd,
    train_cmd,
)

# In the order of the data flow, which is the order of `samplernn --help`.
_MODULES = (prepare_cmd, train_cmd, generate_cmd, pack_cmd, play_cmd, evaluate_cmd, quality_cmd, serve_cmd,
            demo_cmd)


def register_all(app: typer.Typer, bench_app: typer.Typer) -> None:
    """Add every command to `app` (and the benchmarks to `bench_app`)."""
    for module in _MODULES:
        module.register(app, bench_app)
