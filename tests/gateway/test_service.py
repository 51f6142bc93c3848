"""The gateway applies contract messages to the MES idempotently and dead-letters the rest
with the reason, on both databases."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from openfab.gateway.service import Gateway
from openfab.orders.states import OrderStatus
from openfab.platform import Platform
from openfab.store.types import utcnow
from tests.conftest import TenantPeople
from tests.execution.conftest import TWIN, released
from tests.gateway.conftest import finished, path_of, run_all, started


def test_messages_drive_an_order_to_inspected_and_redelivery_changes_nothing(
    platform: Platform, tenant: TenantPeople
) -> None:
    work_order = released(platform, tenant)
    gateway: Gateway = platform.gateway
    steps = run_all(platform, work_order)
    for path, message in steps:
        result = gateway.receive(path, json.dumps(message), transport="test")
        assert (result.applied, result.dead_lettered) == (1, 0), result.problems
    order = platform.orders.get(tenant.planner, work_order.order_id)
    assert order.status == OrderStatus.INSPECTED
    for path, message in steps:  # a broker delivers everything again
        again = gateway.receive(path, json.dumps(message).encode(), transport="test")
        assert (again.applied, again.duplicates, again.dead_lettered) == (0, 1, 0)
    detail = platform.execution.get_work_order(tenant.planner, work_order.number)
    assert all(op.status == "Completed" for op in detail.operations)
    for op, (path, _) in zip(detail.operations, steps[::2], strict=True):
        assert op.machine == path.machine and op.equipment_path == str(path)  # where it ran


def test_two_machines_that_number_alike_do_not_collide(
    platform: Platform, tenant: TenantPeople
) -> None:
    machines = sorted(platform.execution.machines())[:2]
    same_id = uuid.uuid4().hex[:12]
    for machine in machines:
        message = {
            "message_id": same_id,
            "type": "machine.state",
            "at": utcnow().isoformat(),
            "state": "Idle",
            "reason": "no work",
        }
        result = platform.gateway.receive(path_of(machine), json.dumps(message), transport="t")
        assert result.applied == 1
    window = {"start": utcnow() - timedelta(days=1), "end": utcnow() + timedelta(days=1)}
    for machine in machines:
        states = platform.execution.machine_states(TWIN, machine, **window)
        assert [s.reason for s in states].count("no work") >= 1


def test_bad_messages_are_dead_lettered_with_their_reason_and_can_be_replayed(
    platform: Platform, tenant: TenantPeople
) -> None:
    gateway = platform.gateway
    work_order = released(platform, tenant)
    steps = run_all(platform, work_order)
    (path, first_start), (_, first_finish) = steps[0], steps[1]
    before = gateway.dead_letters(TWIN, limit=1000).count
    cases = [
        (path, b"{not json", "malformed"),
        (path, json.dumps({"type": "operation.started"}), "invalid"),
        (path, json.dumps(started("WO-NOSUCH", 10, 0)), "unknown_work_order"),
        ("site/area/line/no-such-machine", json.dumps(first_start), "unknown_machine"),
        (path, json.dumps({**first_start, "at": "2026-03-02T08:00:00"}), "invalid"),  # no zone
        (path, json.dumps(first_finish), "conflict"),  # a finish before its start
        (path, json.dumps({**first_start, "at": "2099-01-01T00:00:00Z"}), "clock_skew"),
    ]
    for sender, payload, code in cases:
        result = gateway.receive(sender, payload, transport="test")
        assert result.applied == 0 and result.dead_lettered == 1, (code, result)
        assert result.problems[0].code == code, result.problems
        assert result.problems[0].reason
    letters = gateway.dead_letters(TWIN, limit=1000)
    assert letters.count == before + len(cases)
    early_finish = next(d for d in letters.data if d.code == "conflict")
    assert gateway.receive(path, json.dumps(first_start), transport="test").applied == 1
    replayed = gateway.replay(TWIN, early_finish.id)  # the start came: now it applies
    assert (replayed.applied, replayed.dead_lettered) == (1, 0)
    assert early_finish.id not in {d.id for d in gateway.dead_letters(TWIN, limit=1000).data}


def test_a_machine_going_down_books_downtime_for_the_planner(
    platform: Platform, tenant: TenantPeople
) -> None:
    machine = sorted(platform.execution.machines())[-1]
    now = utcnow()
    message = {
        "message_id": uuid.uuid4().hex[:12],
        "type": "machine.state",
        "at": now.isoformat(),
        "state": "Down",
        "reason": "hydraulic leak",
    }
    for _ in range(2):  # redelivered: one downtime only
        platform.gateway.receive(path_of(machine), json.dumps(message), transport="t")
    since = platform.planning.downtime_since(now - timedelta(minutes=1))
    downs = [d for d in since if d.machine == machine and d.reason == "hydraulic leak"]
    assert len(downs) == 1


def test_finish_reports_good_and_scrap_counts(platform: Platform, tenant: TenantPeople) -> None:
    work_order = released(platform, tenant, quantity=2)
    path, start = run_all(platform, work_order)[0]
    platform.gateway.receive(path, json.dumps(start), transport="t")
    finish = finished(
        work_order.number, start["operation"], 5, good=1, scrap=1, scrap_reason="dent"
    )
    result = platform.gateway.receive(path, json.dumps([finish]), transport="t")
    assert result.applied == 1, result.problems
    detail = platform.execution.get_work_order(tenant.planner, work_order.number)
    op = detail.operations[0]
    assert (op.quantity_good, op.quantity_scrap) == (1, 1)
