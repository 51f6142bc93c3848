"""Pure rules: serial numbers, shifts, inspection verdicts, genealogy completeness and the
state machines of work orders, operations and units."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openfab.errors import Conflict
from openfab.execution.genealogy import (
    format_serial,
    initials,
    inspection_passed,
    missing_links,
    serial_prefix,
    shift_of,
)
from openfab.execution.schemas import (
    Genealogy,
    GenealogyStep,
    InspectionReport,
    MaterialLink,
    UnitPublic,
)
from openfab.execution.states import (
    OperationStatus,
    UnitStatus,
    WorkOrderStatus,
    check_operation,
    check_unit,
    check_work_order,
)

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tenant", "product", "expected"),
    [
        ("nordic-cold", "fridge", "NC-FR"),
        ("washwell", "washer", "WA-WA"),
        ("voltbike", "ebike-battery", "VO-EB"),
        ("x", "y", "XX-YX"),  # one letter is padded, never shorter
    ],
)
def test_serial_prefixes_are_two_readable_letters_each(
    tenant: str, product: str, expected: str
) -> None:
    assert serial_prefix(tenant, product) == expected


def test_serials_are_zero_padded_and_start_at_one() -> None:
    assert format_serial("NC-FR", 123) == "NC-FR-000123"
    with pytest.raises(ValueError, match="start at 1"):
        format_serial("NC-FR", 0)


@given(st.text(max_size=30))
def test_initials_are_always_two_upper_case_characters(code: str) -> None:
    letters = initials(code)
    assert len(letters) == 2
    assert letters == letters.upper()


@pytest.mark.parametrize(
    ("hour", "shift"),
    [(0, "night"), (5, "night"), (6, "early"), (13, "early"), (14, "late"), (22, "night")],
)
def test_shifts_start_at_six_fourteen_and_twenty_two(hour: int, shift: str) -> None:
    assert shift_of(NOW.replace(hour=hour)) == shift


@pytest.mark.parametrize(
    ("report", "verdict"),
    [
        (InspectionReport(characteristic="gap", value=1.0, low=0.5, high=1.5), True),
        (InspectionReport(characteristic="gap", value=2.0, high=1.5), False),
        (InspectionReport(characteristic="gap", value=0.1, low=0.5), False),
        (InspectionReport(characteristic="leak", passed=False, value=0.0, high=1.0), False),
        (InspectionReport(characteristic="gap", value=1.0), None),  # no limits: undecidable
        (InspectionReport(characteristic="gap"), None),
    ],
)
def test_an_inspection_passes_by_its_verdict_or_its_limits(
    report: InspectionReport, verdict: bool | None
) -> None:
    assert inspection_passed(report) is verdict


def _unit(status: UnitStatus) -> UnitPublic:
    return UnitPublic(
        serial="NC-FR-000001",
        product_code="fridge",
        status=status,
        order_id="o",
        first_pass=True,
        reworked=False,
        scrapped_at_sequence=None,
        scrap_reason="",
        created_at=NOW,
        completed_at=None,
        shipped_at=None,
        delivered_at=None,
    )


def _step(machine: str | None, lots: int) -> GenealogyStep:
    return GenealogyStep(
        sequence=10,
        code="press",
        name="Press",
        work_center="press",
        machine=machine,
        started_at=NOW,
        finished_at=NOW,
        shift="early",
        parameters={},
        outcomes=["good"],
        reasons=[],
        measurements={},
        materials=[MaterialLink(sequence=10, material="steel", lot="L1", quantity=1, unit="kg")]
        * lots,
        inspections=[],
    )


def test_a_shipped_unit_without_lots_or_machine_is_not_traceable() -> None:
    untraced = Genealogy(
        unit=_unit(UnitStatus.SHIPPED),
        work_order="WO-1",
        order_number="SO-1",
        steps=[_step(None, 0)],
    )
    codes = {(p.loc, p.msg) for p in missing_links(untraced)}
    assert codes == {
        ("NC-FR-000001/10", "no machine recorded"),
        ("NC-FR-000001", "no material lot consumed"),
    }
    traced = untraced.model_copy(update={"steps": [_step("press-1", 1)]})
    assert missing_links(traced) == []


def test_happy_paths_of_the_state_machines() -> None:
    for a, b in [
        (WorkOrderStatus.RELEASED, WorkOrderStatus.RUNNING),
        (WorkOrderStatus.RUNNING, WorkOrderStatus.COMPLETED),
        (WorkOrderStatus.COMPLETED, WorkOrderStatus.CLOSED),
    ]:
        check_work_order(a, b)
    check_operation(OperationStatus.READY, OperationStatus.RUNNING)
    check_unit(UnitStatus.SHIPPED, UnitStatus.DELIVERED)


@pytest.mark.parametrize(
    ("check", "current", "target"),
    [
        # a completed work order cannot run again
        (check_work_order, WorkOrderStatus.COMPLETED, WorkOrderStatus.RUNNING),
        # a released work order must run before it completes
        (check_work_order, WorkOrderStatus.RELEASED, WorkOrderStatus.COMPLETED),
        # an operation waiting for its predecessor cannot start
        (check_operation, OperationStatus.PENDING, OperationStatus.RUNNING),
        # a finished operation cannot finish twice
        (check_operation, OperationStatus.COMPLETED, OperationStatus.COMPLETED),
        # a scrapped unit is never shipped
        (check_unit, UnitStatus.SCRAPPED, UnitStatus.SHIPPED),
        # a delivered unit cannot be scrapped by the factory
        (check_unit, UnitStatus.DELIVERED, UnitStatus.SCRAPPED),
    ],
)
def test_illegal_moves_name_the_allowed_ones(check: object, current: str, target: str) -> None:
    with pytest.raises(Conflict, match="allowed"):
        check(current, target)  # type: ignore[operator]
