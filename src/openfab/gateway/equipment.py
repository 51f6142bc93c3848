"""The plant's equipment hierarchy (ISA-95: site / area / line / machine) for the gateway:
which path each machine has, so dispatch lists go to the topics a machine listens on and
REST can show where an operation runs.

It is read from the plant layout file (``OPENFAB_PLANT_LAYOUT``; default: the sample plant),
the same file the twin builds its machines from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from openfab.connect.topics import EquipmentPath
from openfab.twin.layout import PlantLayout, parse_layout, sample_layout


@dataclass(frozen=True)
class ParameterSpec:
    """A process parameter's target and tolerance (its spec limits: target ± tolerance)."""

    work_center: str
    target: float
    tolerance: float


@dataclass(frozen=True)
class EquipmentDirectory:
    paths: dict[str, EquipmentPath]
    specs: dict[str, ParameterSpec] = field(default_factory=dict)
    """Process parameter name → its spec, from the work centers' settings (where work centers
    share a name with different settings, one of them: use ``machine_specs`` to act)."""
    machine_specs: dict[str, dict[str, ParameterSpec]] = field(default_factory=dict)
    """Machine → its own work center's parameters and their specs."""

    @classmethod
    def of(cls, layout: PlantLayout) -> EquipmentDirectory:
        specs = {
            p.name: ParameterSpec(wc.code, p.setpoint, p.tolerance)
            for wc in layout.work_centers.values()
            for p in wc.parameters
        }
        own = {
            machine: {
                p.name: ParameterSpec(info.work_center.code, p.setpoint, p.tolerance)
                for p in info.work_center.parameters
            }
            for machine, info in layout.machines.items()
        }
        paths = {m: EquipmentPath.of(info.path) for m, info in layout.machines.items()}
        return cls(paths, specs, own)

    @classmethod
    def load(cls, file: str | None = None) -> EquipmentDirectory:
        """The layout in ``file``, or the sample plant's."""
        if not file:
            return cls.of(sample_layout())
        from openfab.catalog.sample import load_sample_catalog

        data = yaml.safe_load(Path(file).read_text(encoding="utf-8"))
        return cls.of(parse_layout(data, catalog=load_sample_catalog().work_centers))

    @property
    def sites(self) -> frozenset[str]:
        return frozenset(p.site for p in self.paths.values())

    def path_of(self, machine: str) -> EquipmentPath | None:
        return self.paths.get(machine)
