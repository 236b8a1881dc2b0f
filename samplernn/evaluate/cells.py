"""Table cells of the evaluate views: numbers as compact text, pass / fail marks."""

from __future__ import annotations

from typing import Any


def fmt(value: Any, kind: str = "") -> str:
    """Compact cell text; '—' for a missing value."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    formats = {
        "%": "{:.0%}",
        "%.1": "{:.1%}",
        "%%": "{:.3%}",
        "ms": "{:.0f} ms",
        "c": "{:.0f} c",
        "dB": "{:.1f} dB",
        "0": "{:.0f}",
        ".1": "{:.1f}",
    }
    if kind in formats:
        return formats[kind].format(value)
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def pair(a: Any, b: Any, kind: str = "") -> str:
    """'a / b', each as `fmt` writes it."""
    return f"{fmt(a, kind)} / {fmt(b, kind)}"


def ok(passed: bool | None) -> str:
    """A bar's result as a coloured word: pass, FAIL, or n/a when it was not measured."""
    return {True: "[green]pass[/]", False: "[red]FAIL[/]", None: "[dim]n/a[/]"}[passed]
