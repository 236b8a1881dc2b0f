"""Comma-separated option values (`--velocities 40,80,120`, `--pieces kick,snare`), and counts in words."""

from __future__ import annotations

from samplernn.common.errors import UsageError


def comma_list(text: str, option: str, example: str) -> tuple[str, ...]:
    """'40, 80,120' → ('40', '80', '120'), each item stripped. Raises UsageError naming `option`
    (e.g. '--velocities') with `example` for an empty value or an empty item ('40,,80', '40,'):
    a typo there is a mistake to say, not a value to drop; likewise for a value given twice
    ('1,1'), which would do the same work twice."""
    parts = _items(text, option, example)
    _refuse_repeats(parts, text, option)
    return parts


def _items(text: str, option: str, example: str) -> tuple[str, ...]:
    """The stripped items of `text`; UsageError for an empty value or an empty item."""
    parts = tuple(p.strip() for p in text.split(","))
    if not text.strip() or not all(parts):
        raise UsageError(f"{option} {text!r}: give values separated by single commas, e.g. {example}")
    return parts


def _refuse_repeats(values: tuple, text: str, option: str) -> None:
    """UsageError naming the first value of `values` that is given twice."""
    seen: set = set()
    for value in values:
        if value in seen:
            raise UsageError(f"{option} {text!r}: {value} is given twice")
        seen.add(value)


def comma_ints(text: str, option: str, example: str, minimum: int | None = None,
               maximum: int | None = None) -> tuple[int, ...]:
    """`comma_list` as whole numbers ('1,01' is 1 twice), each within `minimum`..`maximum` where
    given; UsageError otherwise."""
    try:
        values = tuple(int(p) for p in _items(text, option, example))
    except ValueError:
        raise UsageError(f"{option} {text!r}: give whole numbers, comma-separated, e.g. {example}") from None
    _refuse_repeats(values, text, option)
    if minimum is not None and min(values) < minimum:
        raise UsageError(f"{option} {text!r}: every value must be >= {minimum}, e.g. {example}")
    if maximum is not None and max(values) > maximum:
        raise UsageError(f"{option} {text!r}: every value must be <= {maximum}, e.g. {example}")
    return values


def counted(n: int, noun: str) -> str:
    """'1 note', '2 notes': a count with its noun (plural by a trailing s)."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
