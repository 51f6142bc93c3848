"""The expression language: parsing, direct evaluation, and CP-SAT compilation agreeing.

Names resolve against the desk: options ``oak``/``laminate`` (group ``top``), ``drawer``/
``cable_tray``/``lamp`` (multi-choice ``extras``), the numeric ``width`` and the attribute
``weight_kg`` (on options, and 0.1 kg per cm of width).
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import Any

import pytest

from openfab.catalog import Configurator, ProductDefinition, parse_product
from openfab.catalog.choices import read_choices
from openfab.catalog.evaluation import AttributeTable, SelectionEnv
from openfab.catalog.expressions import (
    ExpressionError,
    Kind,
    evaluate_bool,
    evaluate_number,
    parse_expression,
)
from openfab.catalog.parse_groups import scope_of
from tests.catalog.conftest import desk_document

OAK_WIDE = {"top": "oak", "extras": ["drawer", "cable_tray"], "width": 160}


def evaluate(definition: ProductDefinition, source: str, kind: Kind, choices: Any) -> object:
    expr = parse_expression(source, scope_of(definition.option_groups), kind)
    selection, problems = read_choices(definition, choices)
    assert not problems
    env = SelectionEnv(AttributeTable.of(definition), selection)
    if kind == "bool":
        return evaluate_bool(expr.node, env)
    return evaluate_number(expr.node, env)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("width", 160),
        ("width * 0.5 + 1", 81),
        ("-width / 4", -40),
        ("top.weight_kg", 20),
        ("extras.weight_kg", Fraction(13, 2)),  # drawer 5 + cable tray 1.5
        ("weight_kg", Fraction(425, 10)),  # 20 + 6.5 + 160 * 0.1
        ("drawer + lamp", 1),  # an option is 1 when selected, else 0
        ("10 if oak else 5", 10),
        ("(2 if lamp else 3) * width", 480),
        ("width * top.weight_kg", 3200),  # a product of two choices
        ("0.1 * 3", Fraction(3, 10)),  # exact, not 0.30000000000000004
    ],
)
def test_formulas_evaluate_exactly(desk: ProductDefinition, source: str, expected: object) -> None:
    assert evaluate(desk, source, "num", OAK_WIDE) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("oak", True),
        ("lamp", False),
        ("not lamp", True),
        ("oak and drawer and not lamp", True),
        ("lamp or laminate", False),
        ("top == 'oak'", True),
        ("'oak' == top", True),
        ("top != 'oak'", False),
        ("top in ('laminate', 'oak')", True),
        ("top not in ['laminate']", True),
        ("120 <= width <= 160", True),  # chained comparisons
        ("120 <= width < 160", False),
        ("weight_kg > 42.5", False),
        ("0.1 * 3 == 0.3", True),
        ("True and not False", True),
    ],
)
def test_conditions_evaluate(desk: ProductDefinition, source: str, expected: bool) -> None:
    assert evaluate(desk, source, "bool", OAK_WIDE) is expected


@pytest.mark.parametrize(
    ("source", "kind", "message"),
    [
        ("colour == 'red'", "bool", "unknown name 'colour'"),
        ("top == 'walnut'", "bool", "'walnut' is not an option of group 'top'"),
        ("top", "bool", "group 'top' can only be compared with an option"),
        ("extras", "num", "group 'extras' has several options"),
        ("top.height_cm", "num", "group 'top' has no attribute 'height_cm'"),
        ("legs.weight_kg", "num", "unknown group 'legs'"),
        ("width ** 2", "num", "unsupported syntax 'width ** 2'"),
        ("max(width, 120)", "num", "unsupported syntax 'max(width, 120)'"),
        ("width / top.weight_kg", "num", "can only divide by a constant"),
        ("width / 0", "num", "division by zero"),
        ("width", "bool", "expected a condition, got the number 'width'"),
        ("oak if lamp else drawer", "num", "'x if c else y' must give numbers"),
        ("'oak'", "bool", "text 'oak' can only be compared with a single-choice group"),
        ("top < 'oak'", "bool", "compare group 'top' with option codes"),
        ("width is 3", "bool", "unsupported comparison"),
        ("width >", "bool", "syntax error at column"),
        ("__import__('os')", "bool", "unsupported syntax"),
    ],
)
def test_bad_expressions_name_the_bad_token(
    desk: ProductDefinition, source: str, kind: Kind, message: str
) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression(source, scope_of(desk.option_groups), kind)
    assert any(message in m for m in caught.value.messages), caught.value.messages


def test_every_bad_token_of_one_expression_is_named(desk: ProductDefinition) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression(
            "colour and size == 'xl' or width ** 2", scope_of(desk.option_groups), "bool"
        )
    assert len(caught.value.messages) == 3


def test_constants_fold_and_groups_are_recorded(desk: ProductDefinition) -> None:
    expr = parse_expression(
        "2 * 3 + width <= 100 + weight_kg", scope_of(desk.option_groups), "bool"
    )
    assert expr.groups == {"width", "top", "extras"}  # weight_kg lives on all three
    assert "Const(value=Fraction(6, 1))" in repr(expr.node)


CONDITIONS = [
    "lamp or width >= 160",
    "not (oak and drawer)",
    "120 <= width < 180 and top != 'laminate'",
    "width * 0.5 + (10 if oak else 2) >= 72",
    "width / 3 > 40",
    "top.weight_kg * width <= 2400",
    "weight_kg == 33.5",
    "drawer + cable_tray + lamp * 2 != 2",
    "(width - 100) * (drawer + lamp) >= 60",
    "0.1 * 3 == 0.3",
    "-width < -130 or extras.weight_kg > 5",
]


def all_desks() -> list[dict[str, Any]]:
    extras = [
        list(c)
        for n in range(3)
        for c in itertools.combinations(["drawer", "cable_tray", "lamp"], n)
    ]
    return [
        {"top": top, "extras": chosen, "width": width}
        for top in ("oak", "laminate")
        for chosen in extras
        for width in range(100, 181, 20)
    ]


@pytest.mark.parametrize("condition", CONDITIONS)
def test_the_solver_and_the_evaluator_agree(condition: str) -> None:
    """A product whose only rule is ``condition`` has as many variants as desks satisfying it."""
    document = desk_document()
    document["rules"] = [{"code": "only", "kind": "constraint", "require": condition}]
    definition = parse_product(document)
    expected = sum(evaluate(definition, condition, "bool", desk) is True for desk in all_desks())
    assert Configurator(definition).count_variants() == expected
