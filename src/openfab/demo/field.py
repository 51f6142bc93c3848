"""After the week: every shipped unit's passport, the first reports of battery packs in the
field, and a few warranty returns recycled back into stock.

Everything goes through the product's doors: the lifecycle service the runtime's
``passports`` worker calls, the shop-floor gateway's ``unit.field_report`` (a service
partner's diagnostic uplink registered at an end-of-line tester), and the plant's returns and
recovery. The week ends now, so the packs have only days in the field: their reports show
their health at the start of life (how a state of health tracks two years of fade is measured
in ``benchmarks/lifecycle``, not here, since reports from the future are not data).
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from openfab.errors import OpenFabError
from openfab.execution.schemas import UnitPublic
from openfab.execution.states import UnitStatus
from openfab.identity.actor import Actor
from openfab.lifecycle.schemas import RecoveryIn
from openfab.platform import Platform

PLANT_ACTOR = Actor.system("demo-after-sales")
BATTERY = "ebike-battery"
CHECKED = 300
"""Battery passports assembled and checked for completeness: an even sample of the packs."""
REPORTING = 60
"""Battery packs in the field that report (the first delivered)."""
RETURNS = 3
"""Packs that come back under warranty (damaged in transport) and are recycled."""
CYCLES_PER_DAY = 0.8
"""An e-bike commuter's full equivalent cycles a day."""


@dataclass
class FieldSummary:
    """What the after-sales part of the demo saw."""

    shipped: int = 0
    passports_issued: int = 0
    checked: int = 0
    complete: int = 0
    incomplete: list[str] = field(default_factory=list)
    example: str | None = None
    reports: int = 0
    reports_refused: int = 0
    soh: list[tuple[float, float, float]] = field(default_factory=list)
    """(estimate, lower, upper) per reporting pack, as fractions of rated capacity."""
    returned: list[str] = field(default_factory=list)
    recovery: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    overall_recovery: list[float] = field(default_factory=list)
    lots: list[str] = field(default_factory=list)


def after_shipping(platform: Platform, *, now: datetime, seed: int) -> FieldSummary:
    """Passports for every shipped unit, field reports and returns; see the module."""
    summary = FieldSummary()
    shipped = _shipped(platform)
    summary.shipped = len(shipped)
    summary.passports_issued = platform.lifecycle.issue_all(PLANT_ACTOR)
    _check_passports(platform, shipped, summary)
    packs = [u for u in shipped if u.product_code == BATTERY]
    _report_from_the_field(platform, packs[:REPORTING], now, seed, summary)
    _return_and_recover(platform, packs[-RETURNS:], summary)
    return summary


def _shipped(platform: Platform) -> list[UnitPublic]:
    units: list[UnitPublic] = []
    for status in (UnitStatus.SHIPPED, UnitStatus.DELIVERED):
        offset = 0
        while True:
            page = platform.execution.list_units(
                PLANT_ACTOR, status=status, limit=500, offset=offset
            ).data
            units += page
            if len(page) < 500:
                break
            offset += 500
    return sorted(units, key=lambda u: u.serial)


def _check_passports(platform: Platform, shipped: list[UnitPublic], out: FieldSummary) -> None:
    """The battery packs' passports (the regulated product: fridges and washers get a
    passport record too, but no emission factors for appliance parts are shipped yet)."""
    packs = [u for u in shipped if u.product_code == BATTERY]
    step = max(1, len(packs) // CHECKED)
    for unit in packs[::step]:
        passport = platform.lifecycle.passport(PLANT_ACTOR, unit.serial)
        out.checked += 1
        if passport.complete:
            out.complete += 1
            out.example = out.example or unit.serial
        else:
            out.incomplete.append(f"{unit.serial}: {'; '.join(passport.missing)}")


def _report_from_the_field(
    platform: Platform, packs: list[UnitPublic], now: datetime, seed: int, out: FieldSummary
) -> None:
    """Each pack reports once a day since its delivery (or shipping) and once more now:
    cycles, its mean temperature and the capacity its BMS measured (rated, faded a little,
    1 % noise)."""
    if not packs:
        return
    directory = platform.gateway.directory
    tester = next(m for m in sorted(directory.paths) if m.startswith("end_of_line_test"))
    sender = directory.paths[tester]
    rng = random.Random(f"field-{seed}")
    messages = []
    for unit in packs:
        rated = _rated_ah(platform, unit.serial)
        in_field = unit.delivered_at or unit.shipped_at
        if rated is None or in_field is None:
            continue
        climate = rng.uniform(12, 32)
        days = (now - in_field).total_seconds() / 86_400
        moments = [float(d) for d in range(1, int(days) + 1) if d < days] + [days]
        for n, day in enumerate(moments):
            cycles = round(day * CYCLES_PER_DAY * rng.uniform(0.7, 1.3))
            fade = 0.02 * (day / 365) ** 0.5 + 0.1 * cycles / 1000
            messages.append(
                {
                    "message_id": f"bms-{unit.serial}-{n}",
                    "type": "unit.field_report",
                    "at": (in_field + timedelta(days=day)).isoformat(),
                    "serial": unit.serial,
                    "cycles": cycles,
                    "temperature_c": round(climate + rng.gauss(0, 1.5), 1),
                    "capacity_ah": round(rated * (1 - fade) * rng.gauss(1, 0.01), 3),
                }
            )
    for i in range(0, len(messages), 200):
        result = platform.gateway.receive(
            sender, json.dumps(messages[i : i + 200]), transport="demo"
        )
        out.reports += result.applied
        out.reports_refused += result.dead_lettered
    for unit in packs:
        health = platform.lifecycle.passport(PLANT_ACTOR, unit.serial).health
        if health is not None and health.state_of_health is not None:
            low, high = health.lower, health.upper
            soh = health.state_of_health
            out.soh.append((soh, soh if low is None else low, soh if high is None else high))


def _rated_ah(platform: Platform, serial: str) -> float | None:
    performance = platform.lifecycle.passport(PLANT_ACTOR, serial).performance
    return None if performance is None else performance.rated_capacity_ah


def _return_and_recover(platform: Platform, packs: list[UnitPublic], out: FieldSummary) -> None:
    for unit in packs:
        try:
            platform.lifecycle.return_unit(PLANT_ACTOR, unit.serial, "damaged in transport")
            recovered = platform.lifecycle.recover(PLANT_ACTOR, unit.serial, RecoveryIn())
        except OpenFabError as exc:
            out.incomplete.append(f"{unit.serial}: return refused ({exc.detail})")
            continue
        out.returned.append(unit.serial)
        for element in recovered.elements:
            out.recovery[element.element].append(element.rate)
        out.overall_recovery.append(recovered.overall_rate)
        out.lots += recovered.lots
