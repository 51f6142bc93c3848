"""Close the quality loop by itself: each decision an event with its reasons.

- Every operation's settings feed an EWMA run-to-run controller (``quality.run_to_run``):
  a machine whose smoothed setting leaves a dead band around its target is sent that
  target (``quality.setpoint_requested``, decision kind ``run-to-run``) before SPC could
  even tell the drift from noise.
- An SPC alarm on a process parameter re-centres it: a ``quality.setpoint_requested``
  command to the machine the signal came from (its target, what was seen, the rule). A
  second alarm on the same machine and parameter within ``COOLDOWN`` with a value beyond the
  spec limits means re-centring did not hold: the machine is stopped for maintenance
  (downtime booked, so the planner moves its work) with ``quality.maintenance_requested``.
  A second one still within spec stops nothing: a setting that wanders is what run-to-run
  control corrects, and a 90-minute stop cannot (it renews the machine's wear, not its
  settings); in the demo's first day such stops were 83 of 83 quality stops.
- Rejects rising — the share among the last ``RECENT`` inspected units above the upper
  limit of a p-chart on the plant's own usual share (the ``USUAL`` units before them), and
  at least ``REJECT_RATE`` and ``MIN_REJECTS`` — start a root-cause analysis over the last
  day (at most once per ``ANALYSE_EVERY``). A plant whose usual reject level is high is not
  stopped again and again for it: only a rise is news. Its strongest credible cause decides:
  a machine → stop it for maintenance; a lot → quarantine it in the stores; a process value
  range → re-centre that parameter; tool wear → maintenance. With a credible cause,
  inspection is also tightened (``quality.inspection_tightened``: the model's limit
  lowered); without one the rejects may be the detector's own false rejects, and a tighter
  limit would only add to them.

A subject (a machine and parameter, a lot …) gets one decision per ``COOLDOWN``, recorded in
``quality_decision`` with the event, so a storm of alarms is one action, not fifty.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from openfab.connect.bus import EventMessage
from openfab.errors import OpenFabError
from openfab.gateway.equipment import ParameterSpec
from openfab.identity.actor import Actor
from openfab.planning.mrp.service import MaterialService
from openfab.planning.schemas import DowntimeCreate
from openfab.planning.service import PlanningService
from openfab.quality.control import ProcessControl
from openfab.quality.run_to_run import RunToRun
from openfab.quality.schemas import CausePublic
from openfab.quality.service import QualityService
from openfab.quality.streams import Characteristic
from openfab.store.types import utcnow

log = logging.getLogger(__name__)
ACTOR = Actor.system("quality-autopilot")
COOLDOWN = timedelta(hours=8)
RECENT = 100
USUAL = 2000
"""Judged units before the recent ones that tell the plant's usual reject share."""
MIN_USUAL = 200
"""Fewer judged units than this before the recent ones: no usual level yet, the floor
``REJECT_RATE`` alone decides."""
REJECT_RATE = 0.06
MIN_REJECTS = 5
STOP = timedelta(minutes=90)
"""How long a machine stops for a quality-driven maintenance."""
TIGHTEN = 0.9
"""Each tightening lowers the inspection limit by this factor (not below ``FLOOR``)."""
FLOOR = 0.8
"""Of the model's own calibrated limit: tighter than this would reject good units en masse."""
ANALYSE_EVERY = timedelta(hours=1)


class QualityAutopilot:
    name = "autopilot.quality"
    patterns = ("operation.started", "quality.spc_alarm", "unit.inspected")

    def __init__(
        self,
        quality: QualityService,
        spc: ProcessControl,
        planning: PlanningService,
        materials: MaterialService,
    ) -> None:
        self.quality = quality
        self.spc = spc
        self.planning = planning
        self.materials = materials
        self.run_to_run = RunToRun(spc.machine_specs)
        self._analysed: datetime | None = None

    def handle(self, events: Sequence[EventMessage]) -> int:
        """Decisions taken for this batch."""
        taken = 0
        for event in events:
            if event.type == "operation.started":
                taken += self._on_settings(event.payload)
            elif event.type == "quality.spc_alarm":
                taken += self._on_alarm(event.payload)
        if any(e.type == "unit.inspected" and e.payload.get("verdict") == "defect" for e in events):
            taken += self._on_rejects()
        return taken

    # -- run-to-run -----------------------------------------------------------------------------
    def _on_settings(self, started: dict[str, Any]) -> int:
        machine, settings = started.get("machine"), started.get("parameters")
        if not isinstance(machine, str) or not isinstance(settings, dict):
            return 0
        return sum(
            self.quality.decide(
                ACTOR,
                "run-to-run",
                f"{machine}/{move.parameter}",
                "quality.setpoint_requested",
                {
                    "machine": machine,
                    "parameter": move.parameter,
                    "target": move.target,
                    "observed": move.observed,
                    "reason": move.reason,
                },
            )
            for move in self.run_to_run.observe(machine, settings)
        )

    # -- SPC alarms ----------------------------------------------------------------------------
    def _on_alarm(self, alarm: dict[str, Any]) -> int:
        key, machine = str(alarm.get("characteristic", "")), str(alarm.get("machine", ""))
        spec = self.spc.machine_spec(machine, key) if machine else None
        if spec is None:
            return 0  # a figure no setting of this machine moves: inspection watches it
        parameter = Characteristic.parse(key).parameter
        why = f"{alarm.get('rule')}: {alarm.get('message')}"
        subject = f"{machine}/{parameter}"
        if self.quality.decided_recently("setpoint", subject, COOLDOWN):
            if not _outside(alarm.get("value"), spec):
                return 0  # drifting within spec: run-to-run control keeps re-centring it
            return self._maintenance(machine, f"re-centring {parameter} did not hold; {why}")
        return self.quality.decide(
            ACTOR,
            "setpoint",
            subject,
            "quality.setpoint_requested",
            {
                "machine": machine,
                "parameter": parameter,
                "target": spec.target,
                "observed": alarm.get("value"),
                "reason": why,
            },
        )

    # -- rejects -------------------------------------------------------------------------------
    def _on_rejects(self) -> int:
        now = utcnow()
        if self._analysed is not None and now - self._analysed < ANALYSE_EVERY:
            return 0
        rejects, inspected, usual_rejects, usual = self.quality.recent_rejects(RECENT, USUAL)
        if not rejects_rising(rejects, inspected, usual_rejects, usual):
            return 0
        self._analysed = now
        share = f"{rejects} of the last {inspected} units rejected"
        if usual >= MIN_USUAL:
            share += f" (usually {usual_rejects / usual:.1%})"
        try:
            report = self.quality.causes(ACTOR, days=1)
        except OpenFabError as exc:
            log.warning("no root-cause analysis: %s", exc.detail)
            return 0
        credible = [c for c in report.causes if c.confidence != "low"]
        if not credible:
            return 0
        return self._act_on(credible[0], share) + self._tighten(share)

    def _act_on(self, cause: CausePublic, share: str) -> int:
        why = f"{share}; {cause.sentence}"
        factor, level = cause.factor, cause.level
        if factor.endswith(" machine") and level:
            return self._maintenance(level, why)
        if factor.endswith(" lot") and level:
            return self._quarantine(factor.removesuffix(" lot"), level, why)
        if factor.endswith("hours since maintenance"):
            return self.quality.decide(
                ACTOR,
                "maintenance-policy",
                factor,
                "quality.maintenance_requested",
                {
                    "machine": "",
                    "step": factor.removesuffix(" hours since maintenance"),
                    "reason": why,
                },
            )
        spec = self.spc.spec(factor)
        if spec is not None:
            parameter = Characteristic.parse(factor).parameter
            return self.quality.decide(
                ACTOR,
                "setpoint",
                f"*/{parameter}",
                "quality.setpoint_requested",
                {
                    "machine": "",
                    "parameter": parameter,
                    "target": spec.target,
                    "observed": None,
                    "reason": why,
                },
            )
        return 0

    def _maintenance(self, machine: str, why: str) -> int:
        if self.quality.decided_recently("maintenance", machine, COOLDOWN):
            return 0
        now = utcnow()
        try:
            self.planning.report_downtime_once(
                ACTOR,
                DowntimeCreate(
                    machine=machine, start_at=now, end_at=now + STOP, reason=f"quality: {why}"[:200]
                ),
                message_key=f"quality-stop/{machine}/{now:%Y%m%d%H%M}",
            )
        except OpenFabError as exc:
            log.warning("cannot stop %s: %s", machine, exc.detail)
            return 0
        return self.quality.decide(
            ACTOR,
            "maintenance",
            machine,
            "quality.maintenance_requested",
            {"machine": machine, "minutes": STOP.total_seconds() / 60, "reason": why},
        )

    def _quarantine(self, material: str, lot: str, why: str) -> int:
        if self.quality.decided_recently("quarantine", f"{material}/{lot}", COOLDOWN):
            return 0
        held = self.materials.quarantine_lot(ACTOR, material, lot, why[:200])
        return self.quality.decide(
            ACTOR,
            "quarantine",
            f"{material}/{lot}",
            "quality.lot_quarantined",
            {"material": material, "lot": lot, "quantity": str(held), "reason": why},
        )

    def _tighten(self, why: str) -> int:
        if self.quality.decided_recently("inspection", "*", COOLDOWN):
            return 0
        changed = self.quality.tighten(ACTOR, factor=TIGHTEN, floor=FLOOR)
        if not changed:
            return 0
        return self.quality.decide(
            ACTOR,
            "inspection",
            "*",
            "quality.inspection_tightened",
            {"models": changed, "factor": TIGHTEN, "reason": why},
        )


def _outside(value: object, spec: ParameterSpec) -> bool:
    """Whether an alarm's value lies beyond the spec limits (target ± tolerance)."""
    return isinstance(value, int | float) and abs(value - spec.target) > spec.tolerance


def rejects_rising(rejects: int, inspected: int, usual_rejects: int, usual: int) -> bool:
    """Whether ``rejects`` of the last ``inspected`` units is a rise: enough units and
    rejects, at least ``REJECT_RATE``, and — once ``MIN_USUAL`` units tell the usual share
    p — above the p-chart's upper limit p + 3 √(p (1 − p) / n)."""
    if inspected < RECENT // 2 or rejects < MIN_REJECTS or rejects < REJECT_RATE * inspected:
        return False
    if usual < MIN_USUAL:
        return True
    p = usual_rejects / usual
    upper = p + 3.0 * math.sqrt(p * (1.0 - p) / inspected)
    return rejects / inspected > upper
