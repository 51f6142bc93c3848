"""The factory twin: a SimPy discrete-event simulation of a plant executing a plan.

``Twin(layout, seed=..., config=...)`` builds the plant; ``run(plan, until)`` executes a
plan, or ``submit`` plans and purchase orders and ``advance`` step by step (the planner can
re-plan between steps, e.g. when a machine goes down). Pure and deterministic: the same
layout, seed, config and inputs give the same events; randomness comes from independent
streams per machine and per concern, so more telemetry never changes a failure.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Generator
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import simpy
from simpy.core import StopSimulation
from simpy.events import URGENT

from openfab.errors import InvalidInput, Problem
from openfab.execution.oee import NO_WORK  # the MES reads Idle "no work" as no loss
from openfab.twin import physics
from openfab.twin.config import TwinConfig, default_run_id
from openfab.twin.dispatch import PooledDispatch
from openfab.twin.energy import SolarProfile
from openfab.twin.events import (
    EventSink,
    MachineStateChanged,
    MaterialLotArrived,
    MaterialShortage,
    TwinEvent,
)
from openfab.twin.execution import OperationRunner
from openfab.twin.layout import MachineState, PlantLayout
from openfab.twin.materials import Inventory
from openfab.twin.plan import (
    MaintenanceWindow,
    PlannedWorkOrder,
    ProductionPlan,
    PurchaseOrder,
    check_plan,
)
from openfab.twin.results import LOSSES, MachineStatus, Submitted, TwinRun
from openfab.twin.sampling import energy_process, telemetry_process
from openfab.twin.state import MachineSim, Op, OpStatus, WorkOrderState
from openfab.twin.topics import machine_topic, site_topic

Process = Generator[simpy.Event, Any, None]
STREAMS = ("telemetry", "supplier", "solar", "scan", "auto")


class Twin:
    """A simulated plant. Not thread-safe; one instance per simulation."""

    def __init__(
        self,
        layout: PlantLayout,
        *,
        seed: int = 0,
        config: TwinConfig | None = None,
        sink: EventSink | None = None,
    ) -> None:
        self.layout = layout
        self.seed = seed
        self.cfg = config or TwinConfig()
        self.sink = sink
        self.env = simpy.Environment()
        self.run_id = self.cfg.run_id or default_run_id(seed, self.cfg.origin)
        self.prefix = f"{self.run_id}-"
        infos = list(layout.machines.values())
        seeds = np.random.SeedSequence(seed).spawn(len(STREAMS) + len(infos))
        self.rng = {name: np.random.default_rng(s) for name, s in zip(STREAMS, seeds, strict=False)}
        self.machines = {
            info.id: self._new_machine(info, np.random.default_rng(seeds[len(STREAMS) + k]))
            for k, info in enumerate(infos)
        }
        self.topics = {
            m: {
                s: machine_topic(i.path, s)
                for s in (*physics.SIGNALS, "state", "operation", "unit", "energy", "material")
            }
            for m, i in layout.machines.items()
        }
        self.inventory = Inventory()
        self.solar = SolarProfile(layout.solar_peak_kw, self.cfg, self.rng["solar"])
        self.orders: dict[str, WorkOrderState] = {}
        self.ops: dict[str, Op] = {}
        self.purchase_orders: set[str] = set()
        self.counts: Counter[str] = Counter()
        self.stats: Counter[str] = Counter()
        self.scrap: defaultdict[str, float] = defaultdict(float)
        self.bom: defaultdict[str, float] = defaultdict(float)
        self.energy = {"consumed": 0.0, "solar": 0.0, "pv": 0.0}
        self._buffer: list[TwinEvent] = []
        self._seq = 0
        self.delay_minutes = 0.0
        self.blocked_minutes = 0.0
        self._blocked: set[Op] = set()
        self._waiting: set[Op] = set()
        self.lost: dict[str, float] = dict.fromkeys(LOSSES, 0.0)
        self.setup_total = 0.0
        self.dispatch = PooledDispatch(self) if self.cfg.dispatch != "fixed" else None
        self._stop_when: Callable[[TwinEvent], bool] | None = None
        self._halted = False
        self._auto_lots = 0
        self.runner = OperationRunner(self)
        for m in self.machines.values():
            self.env.process(self._machine_loop(m))
        if self.cfg.telemetry_period > 0:
            self.env.process(telemetry_process(self))
        self.env.process(energy_process(self))

    # -- public API -------------------------------------------------------------------

    @property
    def now(self) -> float:
        """Simulated minutes since the origin."""
        return float(self.env.now)

    def run(self, plan: ProductionPlan, until: float) -> TwinRun:
        """Execute ``plan`` until minute ``until`` (one call: submit, then advance)."""
        self.submit(plan)
        return self.advance(until)

    def submit(self, plan: ProductionPlan) -> Submitted:
        """Add work orders, purchase orders and maintenance windows, now or mid-run.

        A work order already known is re-planned: its operations that have not started
        take their new machine and times; started ones keep running as they are.
        """
        check_plan(plan, self.layout)
        self._check_new_ids(plan)
        added = updated = kept = 0
        for wo in plan.work_orders:
            if wo.id in self.orders:
                u, k = self._replan(self.orders[wo.id], wo)
                updated, kept = updated + u, kept + k
            else:
                self._add_order(wo)
                added += 1
        for po in plan.purchase_orders:
            if po.id not in self.purchase_orders:
                self.purchase_orders.add(po.id)
                self._order_material(po)
        for window in plan.maintenance:
            self._schedule_maintenance(window)
        return Submitted(added, updated, kept)

    def advance(
        self, until: float, *, stop_when: Callable[[TwinEvent], bool] | None = None
    ) -> TwinRun:
        """Simulate up to minute ``until`` and report where the plant stands.

        With ``stop_when``, stop early right after the first event it accepts (e.g. a
        machine going down) so the planner can re-plan; ``TwinRun.until`` says where.
        """
        if not math.isfinite(until) or until < self.now:
            raise InvalidInput(
                "cannot go back in time",
                [Problem("until", f"{until:g} is before the twin's time {self.now:g}")],
            )
        if until > self.now:
            end = simpy.Event(self.env)
            end._ok, end._value = True, None  # as Environment.run(until=number) does
            self.env.schedule(end, URGENT, until - self.now)
            self._stop_when, self._halted = stop_when, False
            try:
                self.env.run(until=end)
            finally:
                self._stop_when = None
                if end.callbacks and StopSimulation.callback in end.callbacks:
                    end.callbacks.remove(StopSimulation.callback)
        self.flush()
        return self.snapshot()

    def advance_to(
        self, moment: datetime, *, stop_when: Callable[[TwinEvent], bool] | None = None
    ) -> TwinRun:
        return self.advance(self.minutes(moment), stop_when=stop_when)

    def minutes(self, moment: datetime) -> float:
        """Minutes from the twin's origin to ``moment`` (plans are in these minutes)."""
        return (moment - self.cfg.origin).total_seconds() / 60

    def adjust_parameter(self, machine: str, name: str, value: float) -> None:
        """Set a process parameter (an operator or the quality loop correcting drift)."""
        m = self.machines.get(machine)
        params = {p.name: p for p in m.info.work_center.parameters} if m else {}
        if m is None or name not in params:
            raise InvalidInput(
                "unknown machine parameter", [Problem(f"{machine}.{name}", "not in the layout")]
            )
        wear_part = m.wear * params[name].tolerance * m.directions[name]
        m.offsets[name] = value - params[name].setpoint - wear_part

    def machine_status(self) -> dict[str, MachineStatus]:
        """State and health of every machine now (for maintenance and re-planning)."""
        return {
            mid: MachineStatus(
                state=m.state,
                wear=m.wear,
                hazard_per_hour=physics.hazard_rate(
                    m.wear, m.load, m.info.work_center.wear_rate, self.cfg
                ),
                failures=m.failures,
                maintenances=m.maintenances,
                parameters=m.parameter_values(),
                running_hours=m.running_minutes / 60,
            )
            for mid, m in self.machines.items()
        }

    def snapshot(self) -> TwinRun:
        inv = self.inventory
        units = self.stats
        return TwinRun(
            until=self.now,
            time=self.time(self.now),
            events=dict(sorted(self.counts.items())),
            operations_started=units["ops_started"],
            operations_finished=units["ops_finished"],
            operations_pending=len(self.ops) - units["ops_started"],
            work_orders_finished=units["orders_finished"],
            units_started=units["units_started"],
            units_good=units["units_good"],
            units_scrapped=units["units_scrapped"],
            late_operations=units["late_ops"],
            start_delay_minutes=self.delay_minutes,
            failures={k: m.failures for k, m in self.machines.items()},
            maintenances={k: m.maintenances for k, m in self.machines.items()},
            down_minutes={
                k: m.down_minutes + (self.now - m.down_from if m.down_from is not None else 0.0)
                for k, m in self.machines.items()
            },
            material_received=dict(sorted(inv.received.items())),
            material_consumed=dict(sorted(inv.consumed.items())),
            material_bom=dict(sorted(self.bom.items())),
            material_scrap=dict(sorted(self.scrap.items())),
            material_on_hand=dict(sorted(inv.on_hand.items())),
            energy_kwh=sum(m.total_kwh + self._unaccounted(m) for m in self.machines.values()),
            solar_kwh=self.energy["solar"],
            pv_kwh=self.energy["pv"],
            material_shortages=self.counts[MaterialShortage.kind],
            material_blocked_minutes=self.blocked_minutes + self._still_blocked(),
            lost_minutes=self._lost_minutes(),
            setup_minutes=self.setup_total,
        )

    def _lost_minutes(self) -> dict[str, float]:
        """Operation-minutes lost by cause; the waits still going on count up to now."""
        lost = dict(self.lost)
        lost["waiting for material"] = self.blocked_minutes + self._still_blocked()
        now = self.now
        for op in self._waiting:
            if op.ready_at is not None and op.ready_at < now:
                blocked = op.blocked_minutes
                if op.blocked_since is not None:
                    blocked += now - op.blocked_since
                lost["waiting for a machine"] += max(0.0, now - op.ready_at - blocked)
        return lost

    def _still_blocked(self) -> float:
        """Minutes the operations blocked right now have waited so far."""
        return sum(
            self.now - op.blocked_since for op in self._blocked if op.blocked_since is not None
        )

    def flush(self) -> None:
        """Hand buffered events to the sink."""
        if self._buffer and self.sink is not None:
            self.sink(self._buffer)
        self._buffer = []

    # -- helpers used by the operation runner ----------------------------------------

    def time(self, minute: float) -> datetime:
        return self.cfg.origin + timedelta(minutes=minute)

    def reserve_ids(self, count: int) -> int:
        """Reserve ``count`` message ids (a telemetry batch's readings); the first's number."""
        first = self._seq + 1
        self._seq += count
        return first

    def message_id(self) -> str:
        self._seq += 1
        return f"{self.prefix}{self._seq}"

    def emit(self, event: TwinEvent) -> None:
        self._buffer.append(event)
        self.counts[event.kind] += 1
        if len(self._buffer) >= self.cfg.sink_batch:
            self.flush()
        if self._stop_when is not None and not self._halted and self._stop_when(event):
            self._halted = True
            halt = self.env.event()
            halt.callbacks.append(StopSimulation.callback)
            halt.succeed()

    def set_state(
        self,
        m: MachineSim,
        state: MachineState,
        reason: str = "",
        operation: str | None = None,
        expected: float | None = None,
    ) -> None:
        if state is m.state and (state is not MachineState.IDLE or reason == m.idle_reason):
            return
        self.account(m)
        previous, m.state = m.state, state
        m.idle_reason = reason if state is MachineState.IDLE else ""
        m.no_work_since = self.now if m.idle_reason == NO_WORK else None
        m.code = physics.STATE_INDEX[state]
        now = self.now
        if previous is MachineState.DOWN and m.down_from is not None:
            m.down_minutes += now - m.down_from
        m.down_from = now if state is MachineState.DOWN else None
        self.emit(
            MachineStateChanged(
                self.message_id(),
                self.time(now),
                self.topics[m.id]["state"],
                m.id,
                previous,
                state,
                reason,
                operation,
                None if expected is None else self.time(now + expected),
            )
        )

    def set_idle(self, m: MachineSim, reason: str) -> None:
        self.set_state(m, MachineState.IDLE, reason)

    def wake(self, m: MachineSim) -> None:
        if not m.wakeup.triggered:
            m.wakeup.succeed()

    def release(self, op: Op) -> None:
        """``op`` may start once its gates pass: queue it on its machine, or in its pool."""
        self._mark_released(op)
        if self.dispatch is not None:
            self.dispatch.release(op)
            return
        m = self.machines[op.plan.machine]
        m.push(op)
        self.wake(m)

    def _mark_released(self, op: Op) -> None:
        """When ``op`` is ready by the plan's gates (for the time-lost account)."""
        now = self.now
        if op.released_at is None:
            op.released_at = now
        ready = op.released_at
        if op.index == 0:  # an order does not wait before it arrived
            ready = max(ready, op.order.plan.arrival)
        if op.plan.not_before is not None:
            ready = max(ready, op.plan.not_before)
        if self.dispatch is None and not self.cfg.start_early:
            ready = max(ready, op.plan.start)
        op.ready_at = ready
        self._waiting.add(op)

    def started(self, op: Op, m: MachineSim) -> None:
        """``op`` starts on ``m``: its wait since ready splits into material, maintenance
        of ``m``, and waiting for a machine."""
        self._waiting.discard(op)
        now = self.now
        ready = now if op.ready_at is None else op.ready_at
        wait = max(0.0, now - ready)
        rest = max(0.0, wait - op.blocked_minutes)
        maintenance = min(rest, _overlap(m.maintained, ready, now))
        self.lost["maintenance"] += maintenance
        self.lost["waiting for a machine"] += rest - maintenance

    def lose(self, cause: str, minutes: float) -> None:
        """Count operation-minutes lost to setup or a breakdown."""
        self.lost[cause] += minutes
        if cause == "setup":
            self.setup_total += minutes

    def claim(self, op: Op) -> bool:
        """Reserve ``op``'s material; short of it, ``op`` is blocked (the caller parks it)."""
        if self.reserve_materials(op, op.order.plan.quantity):
            if op.blocked_since is not None:
                waited = self.now - op.blocked_since
                self.blocked_minutes += waited
                op.blocked_minutes += waited
                op.blocked_since = None
                self._blocked.discard(op)
            return True
        op.status = OpStatus.BLOCKED
        if op.blocked_since is None:
            op.blocked_since = self.now
            self._blocked.add(op)
        return False

    def reserve_materials(self, op: Op, units: int) -> bool:
        """Whether the material for ``op`` is on hand (received on demand with auto stock)."""
        ok = True
        for need in op.plan.materials:
            wanted = need.quantity * (1 + need.scrap_factor) * units
            have = self.inventory.available(need.material)
            if have + 1e-9 >= wanted:
                continue
            if self._auto_stocked(need.material):
                self._auto_lots += 1
                self._receive(need.material, f"AUTO-{self._auto_lots}", wanted - have, None, None)
                continue
            if ok:
                op.short_of = need.material
            ok = False
            if not op.shortage_reported:
                op.shortage_reported = True
                self.emit(
                    MaterialShortage(
                        self.message_id(),
                        self.time(self.now),
                        self.topics[op.plan.machine]["material"],
                        need.material,
                        op.plan.id,
                        op.plan.machine,
                        wanted,
                        have,
                    )
                )
        return ok

    def _auto_stocked(self, material: str) -> bool:
        """Received on demand: auto stock on, never ordered and not a purchased material."""
        return (
            self.cfg.auto_stock
            and material not in self.inventory.lots_ordered
            and material not in self.cfg.purchased
        )

    # -- processes ---------------------------------------------------------------------

    def _machine_loop(self, m: MachineSim) -> Process:
        pooled = self.dispatch
        while True:
            if m.maintenance and m.maintenance[0][0] <= self.now:
                if pooled is not None:
                    pooled.hand_over(m)
                yield from self._maintain(m)
                continue
            op = self._next_op(m) if pooled is None else self._next_pooled(m, pooled)
            if op is None:
                reason = idle_reason(m) if pooled is None else pooled.idle_reason(m)
                self.set_state(m, MachineState.IDLE, reason)
                m.wakeup = self.env.event()
                m.parked, m.parked_since = True, self.now
                yield m.wakeup
                m.parked = False
                continue
            yield from self.runner.execute(m, op)

    def _next_op(self, m: MachineSim) -> Op | None:
        while (head := m.head()) is not None:
            start, op = head
            if start > self.now and not self.cfg.start_early:
                self._wake_at(m, start)
                return None
            not_before = op.plan.not_before
            if not_before is not None and not_before > self.now:
                self._wake_at(m, not_before)
                return None
            m.pop()
            if self.claim(op):
                return op
            m.blocked.append(op)
        if m.maintenance:
            self._wake_at(m, m.maintenance[0][0])
        return None

    def _next_pooled(self, m: MachineSim, pooled: PooledDispatch) -> Op | None:
        op = pooled.take(m)
        if op is None and m.maintenance:
            self._wake_at(m, m.maintenance[0][0])
        return op

    def _wake_at(self, m: MachineSim, minute: float) -> None:
        if minute in m.wake_times:
            return
        m.wake_times.add(minute)

        def ring(_: simpy.Event) -> None:
            m.wake_times.discard(minute)
            self.wake(m)

        self.env.timeout(max(0.0, minute - self.now)).callbacks.append(ring)

    def _maintain(self, m: MachineSim) -> Process:
        start, end = m.maintenance.pop(0)
        duration = end - start
        began = self.now
        self.set_state(m, MachineState.MAINTENANCE, "preventive", expected=duration)
        yield self.env.timeout(duration)
        m.maintained.append((began, self.now))
        m.wear = 0.0
        m.offsets = dict.fromkeys(m.offsets, 0.0)
        self.runner.new_life(m)
        m.maintenances += 1
        self.set_state(m, MachineState.IDLE, "maintenance done")

    # -- internals ---------------------------------------------------------------------

    def _unaccounted(self, m: MachineSim) -> float:
        """Energy drawn since the last state change or sample (read-only)."""
        if m.no_work_since is not None and self.cfg.standby_after is not None:
            return self._idle_kwh(m, m.no_work_since + self.cfg.standby_after)
        kwh = m.info.work_center.kw[m.state] * (self.now - m.since) / 60
        return kwh * m.load if m.state is MachineState.RUNNING else kwh

    def _idle_kwh(self, m: MachineSim, standby_from: float) -> float:
        """Idle without work: idle power until ``standby_from``, standby power after."""
        wc, now = m.info.work_center, self.now
        switch = min(max(m.since, standby_from), now)
        idle = wc.kw[MachineState.IDLE] * (switch - m.since)
        return (idle + wc.standby_power * (now - switch)) / 60

    def account(self, m: MachineSim) -> None:
        kwh = self._unaccounted(m)
        m.period_kwh += kwh
        m.total_kwh += kwh
        m.since = self.now

    def _new_machine(self, info: Any, rng: np.random.Generator) -> MachineSim:
        wear = self.cfg.initial_wear + self.cfg.initial_wear_spread * float(rng.random())
        m = MachineSim(info=info, rng=rng, wakeup=self.env.event(), wear=wear)
        for p in info.work_center.parameters:
            m.offsets[p.name] = 0.0
            m.directions[p.name] = self.cfg.wear_drift * (1.0 if rng.random() < 0.5 else -1.0)
        m.hazard_left = float(rng.exponential())
        m.random_left = float(rng.exponential())
        return m

    def _check_new_ids(self, plan: ProductionPlan) -> None:
        problems = [
            Problem(f"operation {op.id}", f"already belongs to work order {known.order.plan.id}")
            for wo in plan.work_orders
            for op in wo.operations
            if (known := self.ops.get(op.id)) is not None and known.order.plan.id != wo.id
        ]
        if problems:
            raise InvalidInput("invalid production plan", problems)

    def _add_order(self, wo: PlannedWorkOrder) -> None:
        state = WorkOrderState(wo)
        for k, planned in enumerate(wo.operations):
            op = Op(planned, state, k)
            state.ops.append(op)
            self.ops[planned.id] = op
        self.orders[wo.id] = state
        self.release(state.ops[0])

    def _replan(self, state: WorkOrderState, wo: PlannedWorkOrder) -> tuple[int, int]:
        updated = kept = 0
        known = {op.plan.id: op for op in state.ops}
        for planned in wo.operations:
            op = known.get(planned.id)
            if op is None or op.status in (OpStatus.RUNNING, OpStatus.DONE):
                kept += 1
                continue
            if self.dispatch is None:
                old = self.machines[op.plan.machine]
                if op in old.blocked:
                    old.blocked.remove(op)
            op.plan = planned
            updated += 1
            if op.status is not OpStatus.WAITING:
                self.release(op)  # bumps the version: the old queue entry goes stale
        return updated, kept

    def _order_material(self, po: PurchaseOrder) -> None:
        arrival = po.due
        if po.due > po.ordered_at and self.cfg.supplier_delay_sigma > 0:
            delay = float(self.rng["supplier"].normal(0.0, self.cfg.supplier_delay_sigma))
            arrival = max(po.ordered_at, po.due + delay)
        arrival = max(arrival, self.now)
        size = po.lot_size or po.quantity
        count = max(1, math.ceil(po.quantity / size - 1e-9))
        self.inventory.lots_ordered.add(po.material)

        def arrive(_: simpy.Event) -> None:
            left = po.quantity
            for k in range(count):
                qty = min(size, left)
                left -= qty
                self._receive(po.material, f"{po.id}-L{k + 1}", qty, po.id, po.supplier)
            self._unblock(po.material)

        if arrival <= self.now:
            arrive(self.env.event())  # stock on hand: there before anything starts
        else:
            self.env.timeout(arrival - self.now).callbacks.append(arrive)

    def _receive(
        self, material: str, lot: str, qty: float, po: str | None, supplier: str | None
    ) -> None:
        self.inventory.receive(material, lot, qty)
        self.emit(
            MaterialLotArrived(
                self.message_id(),
                self.time(self.now),
                site_topic(self.layout.site, "material"),
                lot,
                material,
                qty,
                po,
                supplier,
            )
        )

    def _unblock(self, material: str) -> None:
        if self.dispatch is not None:
            self.dispatch.unblock(material)
            return
        for m in self.machines.values():
            if m.blocked:
                waiting, m.blocked = m.blocked, []
                for op in waiting:
                    m.push(op)
                self.wake(m)

    def _schedule_maintenance(self, window: MaintenanceWindow) -> None:
        m = self.machines[window.machine]
        m.maintenance.append((window.start, window.end))
        m.maintenance.sort()
        self._wake_at(m, window.start)


def _overlap(spells: list[tuple[float, float]], start: float, end: float) -> float:
    """Minutes of [start, end) covered by ``spells`` (sorted, latest last)."""
    total = 0.0
    for a, b in reversed(spells):
        if b <= start:
            break
        total += max(0.0, min(b, end) - max(a, start))
    return total


def idle_reason(m: MachineSim) -> str:
    """Why an idle machine waits: for material, for the planned start, or for work at all."""
    if m.blocked:
        return "waiting for material"
    return "waiting for planned start" if m.head() is not None else NO_WORK
