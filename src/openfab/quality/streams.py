"""A characteristic is one process stream: a value one operation sets, on one work center.

The genealogy records a unit's process values by operation and parameter
(``assemble.screw_torque_nm``), but one operation may run on work centers with different
settings (the appliances' assembly lines drive screws to 4.5 N·m, the battery pack line to
2.2): charting them together mixes two processes into one bimodal series that is never in
control. So a chart's key names the work center too, ``assemble.screw_torque_nm@module_assembly``;
a key without one charts every work center together, as measured.
"""

from __future__ import annotations

from dataclasses import dataclass

from openfab.planning.shopfloor import work_center_of

SEPARATOR = "@"


@dataclass(frozen=True)
class Characteristic:
    measurement: str
    """The genealogy's key of the value: ``operation.parameter``."""
    work_center: str | None = None

    @classmethod
    def parse(cls, key: str) -> Characteristic:
        measurement, _, center = key.partition(SEPARATOR)
        return cls(measurement, center or None)

    @property
    def key(self) -> str:
        if self.work_center is None:
            return self.measurement
        return f"{self.measurement}{SEPARATOR}{self.work_center}"

    @property
    def operation(self) -> str:
        """The routing operation's code that set the value (``assemble``)."""
        return self.measurement.partition(".")[0]

    @property
    def parameter(self) -> str:
        """The process parameter's name (``screw_torque_nm``), as the work centers name it."""
        return self.measurement.rpartition(".")[2]

    def covers(self, machine: str | None) -> bool:
        """Whether a value made on ``machine`` belongs to this stream."""
        if self.work_center is None:
            return True
        return machine is not None and work_center_of(machine) == self.work_center
