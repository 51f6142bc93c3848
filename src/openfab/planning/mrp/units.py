"""Units of measure: convert within a dimension (g ↔ kg), refuse across (kg ↔ pcs)."""

from __future__ import annotations

from decimal import Decimal

_UNITS: dict[str, tuple[str, Decimal]] = {
    "pcs": ("count", Decimal(1)),
    "ea": ("count", Decimal(1)),
    "mg": ("mass", Decimal("0.000001")),
    "g": ("mass", Decimal("0.001")),
    "kg": ("mass", Decimal(1)),
    "t": ("mass", Decimal(1000)),
    "mm": ("length", Decimal("0.001")),
    "cm": ("length", Decimal("0.01")),
    "m": ("length", Decimal(1)),
    "km": ("length", Decimal(1000)),
    "cm2": ("area", Decimal("0.0001")),
    "m2": ("area", Decimal(1)),
    "ml": ("volume", Decimal("0.001")),
    "l": ("volume", Decimal(1)),
    "m3": ("volume", Decimal(1000)),
}


class UnitMismatch(ValueError):
    """Two units of different dimensions, or a unit nobody knows."""


def dimension(unit: str) -> str | None:
    """The dimension of ``unit`` (``"mass"``…), or None when the unit is unknown."""
    known = _UNITS.get(unit)
    return known[0] if known else None


def factor(source: str, target: str) -> Decimal:
    """The number that turns a quantity in ``source`` into one in ``target``."""
    if source == target:
        return Decimal(1)
    a, b = _UNITS.get(source), _UNITS.get(target)
    if a is None or b is None:
        unknown = source if a is None else target
        raise UnitMismatch(f"unknown unit {unknown!r}")
    if a[0] != b[0]:
        raise UnitMismatch(f"cannot convert {source} ({a[0]}) to {target} ({b[0]})")
    return a[1] / b[1]


def convert(quantity: Decimal, source: str, target: str) -> Decimal:
    """``quantity`` of ``source`` expressed in ``target``."""
    return quantity if source == target else quantity * factor(source, target)
