"""How the simulated plant finds defective units, for each arm of the comparison.

- **Inline** (OpenFab's quality part): the end-of-line camera scans every unit and sends the
  scan through the gateway; the machine reports every unit good, and the platform's quality
  worker decides (rework or scrap through the MES).
- **Sampling** (the baseline): a person inspects one unit in ``sample_every`` at the end of
  the line and catches a defect with ``catch_rate``; the rest ship as they are.

The twin knows the truth (a unit's defects), which only the KPIs read: defects that escaped
to customers, and good units rejected.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from openfab.identity.actor import Actor
from openfab.platform import Platform
from openfab.quality.model_bytes import model_bytes
from openfab.quality.pictures import encode_scan
from openfab.quality.vision.inspector import Settings, VisionInspector
from openfab.quality.vision.types import Scan
from openfab.store.events import EventMessage
from openfab.twin import UnitProduced
from openfab.twin.scan import surface_scan

ENGINEER = Actor.system("demo-quality-engineer")
SAMPLE_EVERY = 10
CATCH_RATE = 0.9


@dataclass
class InspectionTally:
    """Truth per MES serial (True: the unit has a defect) and what the floor rejected."""

    defective: dict[str, bool] = field(default_factory=dict)
    rejected_on_floor: set[str] = field(default_factory=set)


@dataclass
class InspectionPractice:
    inline: bool
    seed: int = 0
    sample_every: int = SAMPLE_EVERY
    catch_rate: float = CATCH_RATE
    tally: InspectionTally = field(default_factory=InspectionTally)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._count = 0

    def rejects(self, unit: UnitProduced, serial: str) -> bool:
        """Whether the floor itself scraps ``unit`` (only the baseline's inspector does)."""
        self.tally.defective[serial] = bool(unit.defects)
        if self.inline:
            return False
        self._count += 1
        caught = (
            self._count % self.sample_every == 0
            and bool(unit.defects)
            and self._rng.random() < self.catch_rate
        )
        if caught:
            self.tally.rejected_on_floor.add(serial)
        return caught

    def scan(self, unit: UnitProduced, serial: str, base: dict[str, str]) -> dict[str, object]:
        """The camera's ``unit.scanned`` message for ``unit`` (inline only). The demo's camera
        sends the image alone: on the twin's scans the 2D model separates defects as well as the
        3D one (AUROC 1.0 both, measured) at a fifth of the time, which a week of units needs."""
        image, height, scale, offset = encode_scan(unit.scan_image, None)
        message: dict[str, object] = base | {
            "type": "unit.scanned",
            "serial": serial,
            "image": base64.b64encode(image).decode(),
            "height_um_per_count": scale,
            "height_offset_um": offset,
        }
        if height is not None:
            message["height"] = base64.b64encode(height).decode()
        return message


@dataclass(frozen=True)
class Judged:
    """Inspection's decisions against the twin's truth, over every unit finished:
    ``accepted_good`` units are good and passed; ``escaped`` are defective and passed."""

    accepted_good: int
    rejected: int
    escaped: int
    false_rejects: int
    defective: int = 0


def judge(tally: InspectionTally, rejected: set[str]) -> Judged:
    escaped = sum(d and s not in rejected for s, d in tally.defective.items())
    false = sum(not d and s in rejected for s, d in tally.defective.items())
    good = sum(not d and s not in rejected for s, d in tally.defective.items())
    made = sum(tally.defective.values())
    return Judged(good, sum(s in rejected for s in tally.defective), escaped, false, made)


GOLDEN_UNITS = 48
"""Defect-free scans the plant's quality engineer trains the demo's model on."""


def install_inspection_model(platform: Platform, size: int, *, seed: int) -> None:
    """The quality engineer's first day: scan golden units (the twin's camera, no defects),
    train the inspector on them and install it, as ``openfab inspect train`` and
    ``openfab inspect install`` do. The memory bank alone at 64 px: on the twin's scans it
    finds every defect (AUROC 1.0 on 100 + 100 held-out scans) and trains in seconds, where
    the segmentation head took minutes on two busy cores for nothing more."""
    rng = np.random.default_rng(seed + 9173)
    golden = [Scan(surface_scan(rng, [], size)[0]) for _ in range(GOLDEN_UNITS)]
    settings = Settings(false_reject_rate=0.01, scorers=("bank",), size=64, seed=seed)
    inspector = VisionInspector.fit(golden, settings)
    platform.quality.install_model(ENGINEER, model_bytes(inspector), name="surface (demo)")


@dataclass
class MachineAdapters:
    """The plant's machine adapters: they apply what the platform asks of a machine — a
    setpoint (``quality.setpoint_requested``) or a stop for maintenance
    (``quality.maintenance_requested``) — as a real line's PLC gateway would; a relay consumer
    of the event log, drained by the demo each step."""

    name: str = "demo.machine-adapters"
    patterns: tuple[str, ...] = ("quality.setpoint_requested", "quality.maintenance_requested")
    setpoints: list[tuple[str, str, float]] = field(default_factory=list)
    stops: list[tuple[str, float]] = field(default_factory=list)
    """(machine, minutes) to maintain now."""

    def handle(self, events: Sequence[EventMessage]) -> None:
        for event in events:
            machine = str(event.payload.get("machine") or "")
            if not machine:
                continue  # a request for a step, not a machine: the floor's engineers decide
            if event.type == "quality.setpoint_requested":
                parameter, target = event.payload.get("parameter"), event.payload.get("target")
                if isinstance(parameter, str) and isinstance(target, int | float):
                    self.setpoints.append((machine, parameter, float(target)))
            else:
                self.stops.append((machine, float(event.payload.get("minutes") or 60.0)))

    def take(self) -> tuple[list[tuple[str, str, float]], list[tuple[str, float]]]:
        setpoints, stops = self.setpoints, self.stops
        self.setpoints, self.stops = [], []
        return setpoints, stops
