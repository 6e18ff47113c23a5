"""Units and the way the preflight names pages."""

from __future__ import annotations

POINTS_PER_INCH = 72.0
MIN_PPI = 300


def points(length: str) -> float:
    units = {"in": 72.0, "mm": 72 / 25.4, "cm": 72 / 2.54, "pt": 1.0, "px": 0.75}
    for unit, factor in units.items():
        if length.endswith(unit):
            return float(length[: -len(unit)]) * factor
    return float(length)


def inches(points: float) -> str:
    return f"{points / POINTS_PER_INCH:g}in"


def page_list(numbers: list[int]) -> str:
    """Five pages at most, then an ellipsis."""
    return ", ".join(map(str, numbers[:5])) + ("..." if len(numbers) > 5 else "")
