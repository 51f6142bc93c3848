"""Unified-Namespace names: one function builds a topic from the equipment path, one parses it.

MQTT topics are ``openfab/{site}/{area}/{line}/{machine}/{signal}`` for a machine's signal and
``openfab/{site}/{signal}`` for a plant-wide one (solar power), as the twin publishes them
(``twin.topics``). The same path without the signal is the equipment's *batch* topic: a JSON
array of several signals at once. NATS subjects carry the same levels separated by dots under
``openfab.telemetry``. Topics are computed, never typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

ROOT = "openfab"
NATS_TELEMETRY = f"{ROOT}.telemetry"
NATS_EVENTS = f"{ROOT}.events"
_LEVEL = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")  # the twin's segment rule, bounded
_NATS_LEVEL = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")  # a dot would split a NATS token


class TopicError(ValueError):
    """A topic or path that does not name a signal of a piece of equipment."""


@dataclass(frozen=True, order=True)
class EquipmentPath:
    """A machine (site/area/line/machine) or, for plant-wide signals, a site (one level)."""

    levels: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.levels) not in (1, 4):
            raise TopicError(f"equipment path {self} needs site or site/area/line/machine")
        for level in self.levels:
            check_level(level)

    @classmethod
    def machine_path(cls, site: str, area: str, line: str, machine: str) -> EquipmentPath:
        return cls((site, area, line, machine))

    @classmethod
    def parse(cls, path: str) -> EquipmentPath:
        """``"site/area/line/machine"`` or ``"site"`` → a path."""
        return cls(tuple(path.split("/")))

    @classmethod
    def of(cls, path: Any) -> EquipmentPath:
        """Adopt a path string, an ``EquipmentPath`` or any object with ``site``, ``area``,
        ``line`` and ``machine`` attributes (the twin's ``MachinePath``)."""
        if isinstance(path, EquipmentPath):
            return path
        if isinstance(path, str):
            return cls.parse(path)
        return cls((str(path.site), str(path.area), str(path.line), str(path.machine)))

    @property
    def site(self) -> str:
        return self.levels[0]

    @property
    def machine(self) -> str:
        """The machine's code; the site's code for a plant-wide signal."""
        return self.levels[-1]

    @cached_property
    def text(self) -> str:
        """``site/area/line/machine`` (computed once: ingest writes it for every reading)."""
        return "/".join(self.levels)

    def __str__(self) -> str:
        return self.text


def mqtt_topic(path: EquipmentPath, signal: str | None = None) -> str:
    """The signal's topic, or the equipment's batch topic when ``signal`` is None."""
    if signal is None:
        return f"{ROOT}/{path}"
    check_level(signal)
    return f"{ROOT}/{path}/{signal}"


def parse_mqtt_topic(topic: str) -> tuple[EquipmentPath, str | None]:
    """A signal topic → (path, signal); a batch topic → (path, None)."""
    parts = topic.split("/")
    if parts[0] != ROOT or len(parts) not in (2, 3, 5, 6):
        raise TopicError(f"topic {topic!r} is not {ROOT}/site[/area/line/machine][/signal]")
    levels = tuple(parts[1:])
    if len(levels) in (2, 5):
        check_level(levels[-1])
        return EquipmentPath(levels[:-1]), levels[-1]
    return EquipmentPath(levels), None


def nats_subject(path: EquipmentPath, signal: str | None = None) -> str:
    """The signal's subject, or the equipment's batch subject when ``signal`` is None."""
    levels = [*path.levels] if signal is None else [*path.levels, signal]
    bad = [level for level in levels if not _NATS_LEVEL.match(level)]
    if bad:
        raise TopicError(f"levels {bad} cannot be NATS tokens (no dots)")
    return ".".join((NATS_TELEMETRY, *levels))


def parse_nats_subject(subject: str) -> tuple[EquipmentPath, str | None]:
    prefix = NATS_TELEMETRY + "."
    if not subject.startswith(prefix):
        raise TopicError(f"subject {subject!r} is not under {NATS_TELEMETRY}")
    levels = tuple(subject[len(prefix) :].split("."))
    if len(levels) not in (1, 2, 4, 5):
        raise TopicError(f"subject {subject!r} is not {NATS_TELEMETRY}.site[...][.signal]")
    if len(levels) in (2, 5):
        check_level(levels[-1])
        return EquipmentPath(levels[:-1]), levels[-1]
    return EquipmentPath(levels), None


def check_level(level: str) -> None:
    if not _LEVEL.match(level):
        raise TopicError(f"level {level!r} must be 1-64 of A-Z a-z 0-9 _ . -")


# -- the runtime's topics: shop floor in, dispatch lists and business events out -------------
FLOOR = "$floor"
DISPATCH = "$dispatch"
COMMAND = "$command"
EVENTS = "$events"
PLANT = "plant"
"""The ``{tenant}`` level of the plant's own events (schedules, machines, purchasing)."""
NATS_FLOOR = f"{ROOT}.floor"
NATS_DISPATCH = f"{ROOT}.dispatch"
NATS_COMMAND = f"{ROOT}.command"
MQTT_FLOOR_FILTER = f"{ROOT}/+/+/+/+/{FLOOR}"
MQTT_SITE_FLOOR_FILTER = f"{ROOT}/+/{FLOOR}"
"""A site's own senders (the receiving dock's scanner) report on the site's topic."""


def floor_topic(path: EquipmentPath) -> str:
    """``openfab/{site}/{area}/{line}/{machine}/$floor``: where a machine sends its messages
    (``openfab/{site}/$floor`` for the site's own, such as goods receipts)."""
    return f"{ROOT}/{path}/{FLOOR}"


def dispatch_topic(path: EquipmentPath) -> str:
    """``openfab/{site}/{area}/{line}/{machine}/$dispatch``: the machine's work list."""
    return f"{ROOT}/{path}/{DISPATCH}"


def command_topic(path: EquipmentPath) -> str:
    """``openfab/{site}/{area}/{line}/{machine}/$command``: what the platform asks of it."""
    return f"{ROOT}/{path}/{COMMAND}"


def parse_floor_topic(topic: str) -> EquipmentPath:
    parts = topic.split("/")
    if len(parts) not in (3, 6) or parts[0] != ROOT or parts[-1] != FLOOR:
        raise TopicError(f"topic {topic!r} is not {ROOT}/site[/area/line/machine]/{FLOOR}")
    return EquipmentPath(tuple(parts[1:-1]))


def floor_subject(path: EquipmentPath) -> str:
    return nats_subject(path).replace(NATS_TELEMETRY, NATS_FLOOR, 1)


def dispatch_subject(path: EquipmentPath) -> str:
    return nats_subject(path).replace(NATS_TELEMETRY, NATS_DISPATCH, 1)


def command_subject(path: EquipmentPath) -> str:
    return nats_subject(path).replace(NATS_TELEMETRY, NATS_COMMAND, 1)


def parse_floor_subject(subject: str) -> EquipmentPath:
    prefix = NATS_FLOOR + "."
    levels = tuple(subject[len(prefix) :].split(".")) if subject.startswith(prefix) else ()
    if len(levels) not in (1, 4):
        raise TopicError(f"subject {subject!r} is not {NATS_FLOOR}.site[.area.line.machine]")
    return EquipmentPath(levels)


def events_topic(tenant: str | None, event_type: str) -> str:
    """``openfab/{tenant}/$events/{type}``; ``plant`` for the plant's own events."""
    return f"{ROOT}/{tenant or PLANT}/{EVENTS}/{_safe(event_type, '+#/')}"


def events_subject(tenant: str | None, event_type: str) -> str:
    """``openfab.events.{tenant}.{type}`` (the type's dots become subject tokens)."""
    return f"{NATS_EVENTS}.{_safe(tenant or PLANT, '.*> ')}.{_safe(event_type, '*> ')}"


def _safe(text: str, forbidden: str) -> str:
    return "".join("_" if c in forbidden else c for c in text) or "_"
