"""Running one operation on one machine: material, setup, run, wear, failures, defects.

Separate from the simulator's plumbing so the shop-floor physics reads in one place.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

from openfab.twin import physics
from openfab.twin.dispatch import family_group
from openfab.twin.events import LotUse, OperationFinished, OperationStarted, UnitProduced
from openfab.twin.layout import MachineState
from openfab.twin.scan import place_defect, surface_scan
from openfab.twin.state import MachineSim, Op, OpStatus, Unit, WorkOrderState

if TYPE_CHECKING:
    from openfab.twin.simulator import Twin

Process = Generator[simpy.Event, Any, None]
LATE_MINUTES = 1.0


class OperationRunner:
    def __init__(self, twin: Twin) -> None:
        self.twin = twin
        self.cfg = twin.cfg

    def execute(self, m: MachineSim, op: Op) -> Process:
        """Set up, run (through failures and repairs), inspect, hand on to the next step."""
        twin, p, order = self.twin, op.plan, op.order
        op.status = OpStatus.RUNNING
        now = twin.now
        units = self._units(order)
        lots = self._consume(op, units)
        self._drift(m)
        values = m.parameter_values()
        self._count_start(op, now)
        twin.started(op, m)
        twin.emit(
            OperationStarted(
                twin.message_id(),
                twin.time(now),
                twin.topics[m.id]["operation"],
                m.id,
                order.plan.id,
                p.id,
                p.code,
                twin.time(p.start),
                tuple(u.serial for u in units),
                values,
                lots,
            )
        )
        kw = m.info.work_center.kw
        energy = 0.0
        setup = self.setup_minutes(m, op)
        if setup > 0:
            twin.set_state(m, MachineState.SETUP, "changeover", p.id)
            yield twin.env.timeout(setup)
            energy += kw[MachineState.SETUP] * setup / 60
            twin.lose("setup", setup)
        m.family = p.family
        m.load = p.load
        run = self._run_minutes(m, op)
        energy += kw[MachineState.RUNNING] * p.load * run / 60
        down = 0.0
        while run > 1e-9:
            twin.set_state(m, MachineState.RUNNING, "", p.id)
            until_failure = self._time_to_failure(m, p.load)
            failed = until_failure < run
            step = until_failure if failed else run
            yield twin.env.timeout(step)
            self._wear(m, step, p.load)
            run -= step
            if failed:
                down += yield from self._repair(m, p.id)
        defective = self._inspect(m, op, units, values, energy)
        twin.emit(
            OperationFinished(
                twin.message_id(),
                twin.time(twin.now),
                twin.topics[m.id]["operation"],
                m.id,
                order.plan.id,
                p.id,
                p.code,
                twin.time(p.end),
                tuple(u.serial for u in units),
                defective,
                energy,
                down,
            )
        )
        op.status = OpStatus.DONE
        twin.stats["ops_finished"] += 1
        if op.index + 1 < len(order.ops):
            twin.release(order.ops[op.index + 1])
        else:
            self._finish(m, order, units)

    def setup_minutes(self, m: MachineSim, op: Op) -> float:
        """Sequence-dependent changeover: none within a family, ``minor_setup_share`` of
        it between variants of one ``group/variant`` group, the full setup otherwise."""
        p = op.plan
        if p.setup_minutes <= 0 or (p.family is not None and p.family == m.family):
            return 0.0
        group = family_group(p.family)
        if group is not None and group == family_group(m.family):
            return p.setup_minutes * self.cfg.minor_setup_share
        return p.setup_minutes

    def new_life(self, m: MachineSim) -> None:
        """Fresh failure budgets after a repair or maintenance (Exp(1) thresholds)."""
        m.hazard_left = float(m.rng.exponential())
        m.random_left = float(m.rng.exponential())

    # -- steps ----------------------------------------------------------------------

    def _units(self, order: WorkOrderState) -> list[Unit]:
        if order.units is None:
            wo = order.plan
            order.units = [Unit(f"{wo.id}-{k + 1:03d}") for k in range(wo.quantity)]
            self.twin.stats["units_started"] += wo.quantity
        return order.units

    def _consume(self, op: Op, units: list[Unit]) -> tuple[LotUse, ...]:
        """Draw the operation's material for every unit; what it drew from each lot (the
        stock keeper books these as issues when the operation starts)."""
        twin = self.twin
        drawn: dict[tuple[str, str], float] = {}
        for need in op.plan.materials:
            per_unit = need.quantity * (1 + need.scrap_factor)
            for unit in units:
                uses = twin.inventory.take(need.material, per_unit)
                unit.lots.extend(uses)
                for use in uses:
                    key = (use.material, use.lot)
                    drawn[key] = drawn.get(key, 0.0) + use.quantity
            twin.bom[need.material] += need.quantity * len(units)
            twin.scrap[need.material] += need.quantity * need.scrap_factor * len(units)
        return tuple(LotUse(m, lot, q) for (m, lot), q in drawn.items())

    def _count_start(self, op: Op, now: float) -> None:
        stats = self.twin.stats
        stats["ops_started"] += 1
        delay = now - op.plan.start
        if delay > LATE_MINUTES:
            stats["late_ops"] += 1
            self.twin.delay_minutes += delay

    def _drift(self, m: MachineSim) -> None:
        """Random walk of each parameter over the running time since the last operation."""
        hours = (m.running_minutes - m.drift_minutes) / 60
        m.drift_minutes = m.running_minutes
        if hours <= 0:
            return
        scale = self.cfg.drift_scale * math.sqrt(hours)
        for p in m.info.work_center.parameters:
            m.offsets[p.name] += float(m.rng.normal(0.0, p.drift * scale)) if p.drift else 0.0

    def _run_minutes(self, m: MachineSim, op: Op) -> float:
        planned = op.plan.end - op.plan.start - op.plan.setup_minutes
        sigma = self.cfg.duration_sigma
        noise = math.exp(float(m.rng.normal(-sigma * sigma / 2, sigma))) if sigma else 1.0
        return max(planned * noise * (1 + self.cfg.wear_slowdown * m.wear), 0.01)

    def _time_to_failure(self, m: MachineSim, load: float) -> float:
        """Running minutes until the wear hazard or the random hazard runs out."""
        rate = m.info.work_center.wear_rate * load / 60  # wear per minute
        wear_ttf = math.inf
        if rate > 0:
            failing = physics.wear_to_failure(m.wear, load, m.hazard_left, self.cfg)
            wear_ttf = (failing - m.wear) / rate
        random_rate = self.cfg.random_failures_per_hour / 60
        random_ttf = m.random_left / random_rate if random_rate > 0 else math.inf
        return max(min(wear_ttf, random_ttf), 0.0)

    def _wear(self, m: MachineSim, minutes: float, load: float) -> None:
        before = m.wear
        m.wear += m.info.work_center.wear_rate * load * minutes / 60
        m.hazard_left -= physics.wear_hazard(m.wear, load, self.cfg) - physics.wear_hazard(
            before, load, self.cfg
        )
        m.random_left -= self.cfg.random_failures_per_hour * minutes / 60
        m.running_minutes += minutes

    def _repair(self, m: MachineSim, operation: str) -> Generator[simpy.Event, Any, float]:
        """Breakdown: down for a lognormal repair time; the repair removes part of the wear."""
        twin, cfg = self.twin, self.cfg
        sigma = cfg.repair_sigma
        minutes = cfg.repair_minutes * math.exp(float(m.rng.normal(-sigma * sigma / 2, sigma)))
        twin.set_state(m, MachineState.DOWN, "failure", operation, expected=cfg.repair_minutes)
        m.failures += 1
        yield twin.env.timeout(minutes)
        twin.lose("breakdown", minutes)
        m.wear *= 1 - cfg.repair_restores
        self.new_life(m)
        return minutes

    def _inspect(
        self, m: MachineSim, op: Op, units: list[Unit], values: dict[str, float], energy: float
    ) -> tuple[str, ...]:
        """Defects by the parameters' deviation; the unit's history grows by this step."""
        deviation = max(
            (abs(values[p.name] - p.setpoint) / p.tolerance for p in m.info.work_center.parameters),
            default=0.0,
        )
        chance = physics.defect_probability(deviation, self.cfg)
        size = self.cfg.scan_size
        defective = []
        for unit in units:
            if m.rng.random() < chance:
                unit.defects.append(place_defect(m.rng, size, op.plan.id, m.id))
                defective.append(unit.serial)
            unit.machines.append(m.id)
            unit.parameters[op.plan.id] = values
            unit.energy_kwh += energy / len(units)
        return tuple(defective)

    def _finish(self, m: MachineSim, order: WorkOrderState, units: list[Unit]) -> None:
        twin = self.twin
        rng: np.random.Generator = twin.rng["scan"]
        stamp = twin.time(twin.now)
        for unit in units:
            image, height = surface_scan(rng, unit.defects, self.cfg.scan_size)
            disposition = "scrap" if unit.defects else "good"
            twin.stats["units_scrapped" if unit.defects else "units_good"] += 1
            twin.emit(
                UnitProduced(
                    twin.message_id(),
                    stamp,
                    twin.topics[m.id]["unit"],
                    unit.serial,
                    order.plan.id,
                    order.plan.product,
                    disposition,
                    tuple(unit.defects),
                    _measurements(unit, order, height),
                    unit.parameters,
                    tuple(unit.machines),
                    tuple(unit.lots),
                    unit.energy_kwh,
                    image,
                    height,
                )
            )
        twin.stats["orders_finished"] += 1
        order.units = []


def _measurements(unit: Unit, order: WorkOrderState, height: np.ndarray) -> dict[str, float]:
    """Per-step process values (``code.parameter``) and surface figures from the scan."""
    out: dict[str, float] = {}
    codes = {op.plan.id: op.plan.code for op in order.ops}
    for op_id, values in unit.parameters.items():
        for name, value in values.items():
            out[f"{codes[op_id]}.{name}"] = round(value, 4)
    out["surface_roughness_um"] = round(float(np.std(height)), 4)
    out["surface_peak_um"] = round(float(np.max(height)), 4)
    out["surface_valley_um"] = round(float(np.min(height)), 4)
    return out
