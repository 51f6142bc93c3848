"""Shop-floor messages as a plant sends them: JSON in the contract's shape."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from openfab.connect.topics import EquipmentPath
from openfab.execution.schemas import WorkOrderDetail
from openfab.gateway.equipment import EquipmentDirectory
from openfab.platform import Platform
from tests.conftest import TenantPeople, make_tenant

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
DIRECTORY = EquipmentDirectory.load()


@pytest.fixture(scope="module")
def tenant(platform: Platform) -> TenantPeople:
    return make_tenant(platform)


def path_of(machine: str) -> EquipmentPath:
    path = DIRECTORY.path_of(machine)
    assert path is not None, machine
    return path


def machine_of(platform: Platform, work_order: WorkOrderDetail, sequence: int) -> str:
    op = next(o for o in work_order.operations if o.sequence == sequence)
    if op.planned_machine is not None:
        return op.planned_machine
    return next(m for m, c in sorted(platform.execution.machines().items()) if c in op.work_centers)


def started(work_order: str, sequence: int, minute: int, **extra: Any) -> dict[str, Any]:
    return {
        "message_id": uuid.uuid4().hex[:20],
        "type": "operation.started",
        "at": (T0 + timedelta(minutes=minute)).isoformat(),
        "work_order": work_order,
        "operation": sequence,
        **extra,
    }


def finished(
    work_order: str, sequence: int, minute: int, good: int, **extra: Any
) -> dict[str, Any]:
    return {
        "message_id": uuid.uuid4().hex[:20],
        "type": "operation.finished",
        "at": (T0 + timedelta(minutes=minute)).isoformat(),
        "work_order": work_order,
        "operation": sequence,
        "good": good,
        **extra,
    }


def run_all(
    platform: Platform, work_order: WorkOrderDetail
) -> list[tuple[EquipmentPath, dict[str, Any]]]:
    """Every operation's start and finish, in order, each from the machine it ran on."""
    out = []
    for i, op in enumerate(work_order.operations):
        path = path_of(machine_of(platform, work_order, op.sequence))
        out.append((path, started(work_order.number, op.sequence, 10 * i)))
        out.append(
            (path, finished(work_order.number, op.sequence, 10 * i + 5, work_order.quantity))
        )
    return out
