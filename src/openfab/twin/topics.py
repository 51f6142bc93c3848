"""Unified-Namespace topic names, computed from the equipment tree and parsed back.

Machine topics: ``openfab/{site}/{area}/{line}/{machine}/{signal}``. Plant-wide signals
(solar power, material receipts) use ``openfab/{site}/{signal}``.
"""

from __future__ import annotations

from openfab.errors import InvalidInput, Problem
from openfab.twin.layout import SEGMENT, MachinePath

ROOT = "openfab"


def machine_topic(path: MachinePath, signal: str) -> str:
    """The topic of one signal of one machine."""
    parts = (path.site, path.area, path.line, path.machine, signal)
    _check(parts)
    return "/".join((ROOT, *parts))


def site_topic(site: str, signal: str) -> str:
    """The topic of a plant-wide signal."""
    _check((site, signal))
    return f"{ROOT}/{site}/{signal}"


def parse_topic(topic: str) -> tuple[MachinePath | None, str, str]:
    """``(machine path or None, site, signal)`` of a topic built by the functions above."""
    parts = topic.split("/")
    if parts[0] != ROOT or len(parts) not in (3, 6):
        raise InvalidInput("not an OpenFab topic", [Problem("topic", repr(topic))])
    _check(tuple(parts[1:]))
    if len(parts) == 3:
        return None, parts[1], parts[2]
    return MachinePath(*parts[1:5]), parts[1], parts[5]


def _check(parts: tuple[str, ...]) -> None:
    bad = [p for p in parts if not SEGMENT.match(p)]
    if bad:
        raise InvalidInput(
            "invalid topic segment",
            [Problem("topic", f"segment {p!r} is not allowed") for p in bad],
        )
