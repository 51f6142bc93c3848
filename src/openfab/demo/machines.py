"""The simulated plant's side of the shop-floor gateway: the twin's machines and receiving
dock report what happens as contract messages (``docs/contracts/floor-v1.schema.json``), the
way a real plant's PLCs and scanners would, over the bus the demo runs on.

This is the client, not the product: it translates twin events into messages and keeps the
plant's own stock card (what its dock received and its lines drew) for the baseline's
reorder-point clerk and for the KPIs. Everything the platform does with the messages happens
in the gateway, the MES and the stores.

The twin and the MES number units independently: the MES hands out serials when a work
order's first operation starts; like a label printer, this side asks for them then, and
reports each unit's result at its last operation under the MES serial.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from openfab.connect.topics import EquipmentPath
from openfab.demo.floor_line import FloorLine
from openfab.demo.inspection import InspectionPractice
from openfab.execution.service import ExecutionService
from openfab.identity.actor import Actor
from openfab.twin import (
    MachineStateChanged,
    MaterialLotArrived,
    OperationFinished,
    OperationStarted,
    TwinEvent,
    UnitProduced,
)

log = logging.getLogger(__name__)
PLACES = Decimal("0.0001")
Message = dict[str, Any]


@dataclass
class FloorStats:
    messages: int = 0
    refused: int = 0
    downtimes: int = 0
    reasons: Counter[str] = field(default_factory=Counter)


@dataclass
class StockCard:
    """The plant's own tally per material and lot (received at the dock, drawn by lines)."""

    lots: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    on_hand: defaultdict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    received: defaultdict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    issued: defaultdict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    open: dict[str, tuple[str, float]] = field(default_factory=dict)
    """Purchase order id → (material, quantity not arrived yet)."""

    def ordered(self, orders: Iterable[Any]) -> None:
        for po in orders:
            self.open[po.id] = (po.material, po.quantity)

    def on_order(self, material: str) -> float:
        return sum(q for m, q in self.open.values() if m == material)

    def arrive(self, event: MaterialLotArrived, quantity: Decimal) -> None:
        if event.purchase_order in self.open:
            material, left = self.open[event.purchase_order]
            left -= event.quantity
            if left <= 1e-9:
                del self.open[event.purchase_order]
            else:
                self.open[event.purchase_order] = (material, left)
        key = (event.material, event.lot)
        self.lots[key] = self.lots.get(key, Decimal(0)) + quantity
        self.on_hand[event.material] += quantity
        self.received[event.material] += quantity

    def draw(self, material: str, lot: str, quantity: Decimal) -> Decimal:
        """What the line draws from a lot (never more than the card says it holds)."""
        held = self.lots.get((material, lot), Decimal(0))
        taken = min(quantity, held)
        if taken > 0:
            self.lots[material, lot] = held - taken
            self.on_hand[material] -= taken
            self.issued[material] += taken
        return taken

    def value(self, prices: Any) -> float:
        """What the stock on hand is worth at the preferred suppliers' prices."""
        return float(sum(float(q) * prices.price(m) for m, q in self.on_hand.items()))


class PlantFloor:
    """Turns windows of twin events into shop-floor messages and sends them."""

    def __init__(
        self,
        line: FloorLine,
        execution: ExecutionService,
        paths: Mapping[str, EquipmentPath],
        site: EquipmentPath,
        units: Mapping[str, str],
        actor: Actor,
        practice: InspectionPractice | None = None,
    ) -> None:
        self.line = line
        self.practice = practice or InspectionPractice(inline=False)
        self.execution = execution
        self.paths = paths
        self.site = site
        self.units = units
        self.actor = actor
        self.card = StockCard()
        self.platform_orders: set[str] = set()
        """Purchase orders the platform released (a receipt names them)."""
        self.last_sequence: dict[str, int] = {}
        self.serials: dict[str, str] = {}
        self.stats = FloorStats()

    def know(self, work: Mapping[str, int]) -> None:
        """Work order number → its last operation's sequence (from its dispatch)."""
        self.last_sequence.update(work)

    def feed(self, events: Sequence[TwinEvent]) -> list[MachineStateChanged]:
        """Report one window of events; returns the machines that went Down."""
        produced: dict[str, list[UnitProduced]] = defaultdict(list)
        for event in events:
            if isinstance(event, UnitProduced):
                produced[event.work_order].append(event)
        first: list[tuple[EquipmentPath, Message]] = []
        last: list[tuple[OperationFinished, list[UnitProduced]]] = []
        for event in events:
            if isinstance(event, MaterialLotArrived):
                first += self._receipt(event)
            elif isinstance(event, MachineStateChanged):
                first.append((self.paths[event.machine], _state(event)))
            elif isinstance(event, OperationStarted):
                first += self._start(event)
            elif isinstance(event, OperationFinished):
                if self._is_last(event):
                    last.append((event, produced.get(event.work_order, [])))
                else:
                    first.append((self.paths[event.machine], self._finish(event, [])))
        self._send(first)
        started = {e.work_order for e in events if isinstance(e, OperationStarted)}
        self._map_serials(events, started)
        self._send([(self.paths[e.machine], self._finish(e, units)) for e, units in last])
        if self.practice.inline:
            self._send(
                [(self.paths[e.machine], m) for e, units in last for m in self._scans(units)]
            )
        downs = [e for e in events if isinstance(e, MachineStateChanged) and e.state == "Down"]
        self.stats.downtimes += len(downs)
        return downs

    def _send(self, messages: list[tuple[EquipmentPath, Message]]) -> None:
        if not messages:
            return
        self.stats.messages += len(messages)
        refusals = self.line.send(messages)
        self.stats.refused += len(refusals)
        for code, reason in refusals:
            self.stats.reasons[code] += 1
            log.warning("refused (%s): %s", code, reason)

    # -- translation ---------------------------------------------------------------------------
    def _receipt(self, event: MaterialLotArrived) -> list[tuple[EquipmentPath, Message]]:
        quantity = Decimal(repr(event.quantity)).quantize(PLACES)
        if quantity <= 0:
            return []
        self.card.arrive(event, quantity)
        message = _base(event) | {
            "type": "goods.received",
            "lot": self._lot(event.material, event.lot, quantity),
        }
        if event.purchase_order in self.platform_orders:
            message["purchase_order"] = event.purchase_order
        elif event.supplier:  # the opening stock, a baseline's reorder: the delivery note
            message["supplier"] = event.supplier
        return [(self.site, message)]

    def _start(self, event: OperationStarted) -> list[tuple[EquipmentPath, Message]]:
        number, sequence = _operation(event.operation)
        path = self.paths[event.machine]
        units = max(1, len(event.serials))
        uses = []
        out: list[tuple[EquipmentPath, Message]] = []
        for index, use in enumerate(event.lots):
            drawn = self.card.draw(
                use.material, use.lot, Decimal(repr(use.quantity)).quantize(PLACES)
            )
            if drawn <= 0:
                continue
            per_unit = (drawn / units).quantize(PLACES) or PLACES
            uses.append(self._lot(use.material, use.lot, per_unit))
            issue = _base(event, suffix=f"#issue{index}") | {
                "type": "material.consumed",
                "work_order": number,
                "lot": self._lot(use.material, use.lot, drawn),
            }
            out.append((path, issue))
        start = _base(event) | {
            "type": "operation.started",
            "work_order": number,
            "operation": sequence,
            "parameters": {k: float(v) for k, v in event.parameters.items()},
            "materials": uses,
        }
        return [(path, start), *out]

    def _finish(self, event: OperationFinished, units: Sequence[UnitProduced]) -> Message:
        number, sequence = _operation(event.operation)
        reports = []
        for unit in units:
            serial = self.serials.get(unit.serial)
            if serial is None:
                continue
            rejected = self.practice.rejects(unit, serial)
            reason = ", ".join(sorted({d.kind for d in unit.defects})) if rejected else ""
            reports.append(
                {
                    "serial": serial,
                    "outcome": "scrap" if rejected else "good",
                    "reason": reason[:200],
                    "measurements": {k: float(v) for k, v in unit.measurements.items()},
                }
            )
        scrap = sum(r["outcome"] == "scrap" for r in reports)
        return _base(event) | {
            "type": "operation.finished",
            "work_order": number,
            "operation": sequence,
            "good": len(event.serials) - scrap,
            "scrap": scrap,
            "scrap_reason": "defect found by the end-of-line inspector" if scrap else "",
            "units": reports,
        }

    def _scans(self, units: Sequence[UnitProduced]) -> list[Message]:
        """The end-of-line camera's scan of each unit, under its MES serial."""
        return [
            self.practice.scan(u, self.serials[u.serial], _base(u, suffix="#scan"))
            for u in units
            if u.serial in self.serials
        ]

    def _lot(self, material: str, lot: str, quantity: Decimal) -> Message:
        unit = (self.units.get(material) or "pcs")[:8]
        return {"material": material, "lot": lot[:64], "quantity": str(quantity), "unit": unit}

    def _is_last(self, event: OperationFinished) -> bool:
        number, sequence = _operation(event.operation)
        return self.last_sequence.get(number) == sequence

    def _map_serials(self, events: Sequence[TwinEvent], started: set[str]) -> None:
        """The MES serials of work orders whose first operation started in this window,
        matched in order to the twin's."""
        fresh = {
            e.work_order: e.serials
            for e in events
            if isinstance(e, OperationStarted)
            and e.work_order in started
            and not any(s in self.serials for s in e.serials)
        }
        if not fresh:
            return
        mes = self.execution.work_order_serials(self.actor, fresh)
        for number, twin in fresh.items():
            self.serials.update(zip(twin, mes.get(number, []), strict=False))


def _operation(operation: str) -> tuple[str, int]:
    number, _, sequence = operation.rpartition("/")
    return number, int(sequence)


def _message_id(twin_id: str) -> str:
    """The twin's id when it fits the contract (60 characters), else a stable digest."""
    return (
        twin_id
        if len(twin_id) <= 60
        else hashlib.blake2b(twin_id.encode(), digest_size=20).hexdigest()
    )


def _base(event: Any, suffix: str = "") -> Message:
    return {"message_id": _message_id(event.message_id + suffix), "at": event.time.isoformat()}


def _state(event: MachineStateChanged) -> Message:
    message = _base(event) | {
        "type": "machine.state",
        "state": event.state,
        "reason": event.reason[:200],
    }
    if event.expected_end is not None and event.state in ("Down", "Maintenance"):
        message["expected_end"] = event.expected_end.isoformat()
    return message
