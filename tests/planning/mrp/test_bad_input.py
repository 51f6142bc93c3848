"""Bad input stops the run with every problem named — never a silent wrong plan."""

from __future__ import annotations

import pytest

from openfab.errors import InvalidInput
from openfab.planning.mrp import (
    Component,
    FixedOrderQuantity,
    ForecastDemand,
    MrpProblem,
    OpenPurchaseOrder,
    WorkOrderDemand,
    plan,
)
from tests.planning.mrp.builders import day, dec, lot, material, problem, supplier, work_order


def ok_problem(**changes: object) -> MrpProblem:
    base: dict[str, object] = {
        "materials": [material("A"), material("paint", "kg")],
        "work_orders": [work_order("WO-1", 3, {"A": 2})],
        "suppliers": [supplier("A"), supplier("paint", unit="kg")],
    }
    base.update(changes)
    return problem(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "loc", "words"),
    [
        # a frame made of a wheel made of a frame
        (
            {
                "materials": [
                    material("A"),
                    material("frame", make_lead_time_days=1),
                    material("wheel", make_lead_time_days=1),
                ],
                "boms": {
                    "frame": (Component("wheel", dec(2), "pcs"),),
                    "wheel": (Component("frame", dec(1), "pcs"),),
                },
            },
            "bom frame",
            "BOM cycle: frame → wheel → frame",
        ),
        # a bought material somebody needs, but nobody sells
        ({"suppliers": []}, "material A", "no supplier"),
        # a count that went below zero
        ({"stock": (lot("A", -3, name="L7"),)}, "lot L7 of A", "negative stock -3"),
        # kilograms of something counted in pieces
        ({"stock": (lot("A", 3, "kg"),)}, "lot L1 of A", "cannot convert kg (mass) to pcs (count)"),
        # a BOM line in kilograms for a counted part
        (
            {"work_orders": [work_order("WO-1", 3, {"A": 2}, unit="kg")]},
            "work order WO-1 → A",
            "cannot convert kg",
        ),
        # a supplier quoting pieces for paint sold by weight
        ({"suppliers": [supplier("A"), supplier("paint")]}, "supplier ACME for paint", "pcs"),
        # a BOM naming a material nobody defined
        (
            {"work_orders": [work_order("WO-1", 3, {"ghost": 1})]},
            "work order WO-1 → ghost",
            "unknown material",
        ),
        # a forecast for a material nobody defined
        (
            {"forecasts": (ForecastDemand("ghost", day(3), dec(1)),)},
            f"forecast ghost {day(3)}",
            "unknown material",
        ),
        # an open order of nothing
        (
            {"open_orders": (OpenPurchaseOrder("PO-1", "A", "ACME", dec(0), "pcs", day(3)),)},
            "purchase order PO-1",
            "quantity must be > 0",
        ),
        # a fixed lot of zero
        (
            {
                "materials": [
                    material("A", lot_sizing=FixedOrderQuantity(dec(0))),
                    material("paint", "kg"),
                ]
            },
            "material A",
            "fixed order quantity",
        ),
        # a work order of zero units
        (
            {"work_orders": [WorkOrderDemand("WO-1", dec(0), day(1), ())]},
            "work order WO-1",
            "quantity",
        ),
        # negative scrap
        (
            {
                "work_orders": [
                    WorkOrderDemand(
                        "WO-1", dec(1), day(1), (Component("A", dec(1), "pcs", dec(-1)),)
                    )
                ]
            },
            "work order WO-1 → A",
            "scrap",
        ),
        # a made material without a BOM
        (
            {"materials": [material("A", make_lead_time_days=2), material("paint", "kg")]},
            "material A",
            "no BOM",
        ),
    ],
)
def test_each_bad_input_is_named(changes: dict[str, object], loc: str, words: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        plan(ok_problem(**changes))
    assert any(p.loc == loc and words in p.msg for p in caught.value.problems), (
        caught.value.problems
    )


def test_every_problem_is_named_at_once() -> None:
    bad = ok_problem(
        suppliers=[supplier("paint", unit="kg")],
        stock=(lot("A", -1), lot("paint", 2, "pcs")),
    )
    with pytest.raises(InvalidInput) as caught:
        plan(bad)
    codes = sorted(p.code for p in caught.value.problems)
    assert codes == ["negative_stock", "no_supplier", "unit"]


def test_the_valid_base_problem_plans() -> None:
    assert plan(ok_problem()).planned_orders
