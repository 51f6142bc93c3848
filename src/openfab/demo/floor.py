"""The twin's events → the execution service (MES) and the planner, as a plant's shop-floor
connector would deliver them.

Operation starts and finishes go through one ``floor`` session per tenant and window (each
message in its own savepoint, refused ones counted), machine states in one batch. The twin
and the MES number units independently: the MES hands out serials when a work order's first
operation starts, and this bridge maps the twin's serials onto them in order.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from openfab.demo.plans import Work
from openfab.execution.schemas import (
    LotConsumption,
    MachineStateReport,
    OperationFinish,
    OperationStart,
    UnitReport,
)
from openfab.execution.service import ExecutionService, FloorSession
from openfab.execution.states import MachineState, Outcome
from openfab.identity.actor import Actor
from openfab.planning.schemas import DowntimeCreate
from openfab.planning.service import PlanningService
from openfab.twin import (
    MachineStateChanged,
    OperationFinished,
    OperationStarted,
    TwinEvent,
    UnitProduced,
)

log = logging.getLogger(__name__)
REPAIR = timedelta(minutes=90)
"""Assumed repair time when the twin does not say when a machine is expected back."""


@dataclass
class FloorStats:
    messages: int = 0
    refused: int = 0
    machine_states: int = 0
    downtimes: int = 0
    reasons: Counter[str] = field(default_factory=Counter)


class FloorBridge:
    """Feeds windows of twin events to the MES; remembers the serial mapping and the work
    orders it knows."""

    def __init__(
        self, execution: ExecutionService, planning: PlanningService, actor: Actor
    ) -> None:
        self.execution = execution
        self.planning = planning
        self.actor = actor
        self.works: dict[str, Work] = {}
        self.serials: dict[str, str] = {}
        self.stats = FloorStats()

    def know(self, works: Sequence[Work]) -> None:
        for work in works:
            self.works[work.number] = work

    def feed(self, events: Sequence[TwinEvent]) -> list[MachineStateChanged]:
        """Deliver one window of events; returns the machines that went Down."""
        states = [e for e in events if isinstance(e, MachineStateChanged)]
        self._machine_states(states)
        downs = [e for e in states if e.state == "Down"]
        for down in downs:
            self._downtime(down)
        produced: dict[str, list[UnitProduced]] = defaultdict(list)
        by_tenant: dict[str, list[OperationStarted | OperationFinished]] = defaultdict(list)
        for event in events:
            if isinstance(event, UnitProduced):
                produced[event.work_order].append(event)
            elif isinstance(event, OperationStarted | OperationFinished):
                work = self.works.get(event.work_order)
                if work is not None:
                    by_tenant[work.tenant_id].append(event)
        for tenant, ops in sorted(by_tenant.items()):
            with self.execution.floor(self.actor, tenant_id=tenant) as floor:
                floor.prefetch({e.work_order for e in ops}, [e.message_id for e in ops])
                for event in ops:
                    self._operation(floor, event, produced)
                self._note_refused(floor)
        return downs

    def _operation(
        self,
        floor: FloorSession,
        event: OperationStarted | OperationFinished,
        produced: Mapping[str, list[UnitProduced]],
    ) -> None:
        work = self.works[event.work_order]
        sequence = int(event.operation.rpartition("/")[2])
        self.stats.messages += 1
        if isinstance(event, OperationStarted):
            start = OperationStart(
                message_id=event.message_id,
                machine=event.machine,
                started_at=event.time,
                parameters={k: float(v) for k, v in event.parameters.items()},
            )
            floor.start_operation(work.number, sequence, start)
            if not any(s in self.serials for s in event.serials):
                self._map_serials(floor, work.number, event.serials)
            return
        units = produced.get(work.number, []) if sequence == work.last_sequence else []
        floor.finish_operation(work.number, sequence, self._finish(event, units))

    def _finish(self, event: OperationFinished, units: Sequence[UnitProduced]) -> OperationFinish:
        reports = [
            UnitReport(
                serial=self.serials.get(u.serial, u.serial),
                outcome=Outcome.GOOD if u.disposition == "good" else Outcome.SCRAP,
                reason=", ".join(sorted({d.kind for d in u.defects}))[:200],
                measurements=dict(u.measurements),
            )
            for u in units
            if u.serial in self.serials
        ]
        scrap = sum(r.outcome == Outcome.SCRAP for r in reports)
        lots: dict[tuple[str, str], float] = {}
        for unit in units:
            for use in unit.lots:
                lots[use.material, use.lot] = max(
                    lots.get((use.material, use.lot), 0), use.quantity
                )
        return OperationFinish(
            message_id=event.message_id,
            machine=event.machine,
            finished_at=event.time,
            quantity_good=len(event.serials) - scrap,
            quantity_scrap=scrap,
            scrap_reason="surface defect" if scrap else "",
            parameters={},
            units=reports,
            materials=[
                LotConsumption(material=m, lot=lot[:64], quantity=q, unit=self._unit(m))
                for (m, lot), q in sorted(lots.items())
                if q > 0
            ],
        )

    def _unit(self, material: str) -> str:
        known = self.execution.reference().materials.get(material)
        return known.unit[:8] if known is not None and known.unit else "pcs"

    def _map_serials(self, floor: FloorSession, number: str, twin: Sequence[str]) -> None:
        """The MES serials handed out at this work order's first operation, in order."""
        mes = floor.serials(number)
        self.serials.update(zip(twin, mes, strict=False))

    def _machine_states(self, events: Sequence[MachineStateChanged]) -> None:
        if not events:
            return
        reports = [
            (
                e.machine,
                MachineStateReport(
                    message_id=e.message_id, state=MachineState(e.state), at=e.time, reason=e.reason
                ),
            )
            for e in events
        ]
        self.stats.machine_states += self.execution.report_machine_states(self.actor, reports)

    def _downtime(self, event: MachineStateChanged) -> None:
        end = event.expected_end or event.time + REPAIR
        if end <= event.time:
            end = event.time + REPAIR
        self.planning.report_downtime(
            self.actor,
            DowntimeCreate(
                machine=event.machine,
                start_at=event.time,
                end_at=end,
                reason=event.reason or "breakdown",
            ),
        )
        self.stats.downtimes += 1

    def _note_refused(self, floor: FloorSession) -> None:
        for what, exc in floor.refused:
            self.stats.refused += 1
            self.stats.reasons[type(exc).__name__] += 1
            log.debug("refused %s: %s", what, exc)
