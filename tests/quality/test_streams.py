"""A chart is one work center's stream of a value: screw torque on the appliances' assembly
lines (4.5 N·m) and on the battery pack line (2.2) are two processes, never one chart."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from openfab.gateway.equipment import EquipmentDirectory
from openfab.platform import Platform
from openfab.quality.control import ProcessControl
from openfab.quality.streams import Characteristic

TORQUE = "assemble.screw_torque_nm"
names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=20)


@given(operation=names, parameter=names, center=st.none() | names)
def test_a_key_names_its_operation_parameter_and_work_center(
    operation: str, parameter: str, center: str | None
) -> None:
    stream = Characteristic(f"{operation}.{parameter}", center)
    again = Characteristic.parse(stream.key)
    assert again == stream
    assert (again.operation, again.parameter, again.work_center) == (operation, parameter, center)


def test_a_stream_covers_only_its_work_centers_machines() -> None:
    stream = Characteristic.parse(f"{TORQUE}@module_assembly")
    assert stream.covers("module_assembly-2")
    assert not stream.covers("assembly_line_1-2") and not stream.covers(None)
    assert Characteristic.parse(TORQUE).covers("assembly_line_1-2")  # no center: all of them


def test_each_stream_has_its_own_work_centers_spec_and_a_mix_has_none(platform: Platform) -> None:
    plant = EquipmentDirectory.load()
    spc = ProcessControl(platform.db, plant.specs, plant.machine_specs)
    pack, line = spc.spec(f"{TORQUE}@module_assembly"), spc.spec(f"{TORQUE}@assembly_line_1")
    assert pack is not None and line is not None
    assert (pack.target, line.target) == (2.2, 4.5)
    assert spc.spec(TORQUE) is None  # two settings under one name: no one target fits both
    assert spc.spec("surface.scratch_area@assembly_line_1") is None  # a figure, no setting
    laser = spc.spec("weld.laser_power_w")  # one work center sets it: its spec, either way
    assert laser is not None and laser == spc.spec("weld.laser_power_w@laser_welding")
