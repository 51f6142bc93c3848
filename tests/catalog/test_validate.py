"""Validating a customer's choices: malformed answers are problems, broken rules violations."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from openfab.catalog import Configurator, ProductDefinition, parse_product
from openfab.errors import InvalidInput
from tests.catalog.conftest import desk_document

GOOD = {"top": "oak", "extras": ["drawer", "cable_tray"], "width": 160}


def with_(**changes: Any) -> dict[str, Any]:
    return {**GOOD, **changes}


def test_a_good_desk_is_valid(desk_configurator: Configurator) -> None:
    result = desk_configurator.validate(GOOD)
    assert result.valid
    assert result.problems == ()
    assert result.violations == ()


BAD_CHOICES = [
    # a group the product does not have
    pytest.param(with_(legs="steel"), ("choices.legs", "unknown_group"), id="unknown-group"),
    # an option code given as if it were a group
    pytest.param(with_(lamp=True), ("choices.lamp", "unknown_group"), id="option-as-group"),
    # an option the group does not offer
    pytest.param(with_(top="walnut"), ("choices.top", "unknown_option"), id="unknown-option"),
    # an option of another group
    pytest.param(with_(top="drawer"), ("choices.top", "unknown_option"), id="other-groups-option"),
    # a number where an option code belongs
    pytest.param(with_(top=3), ("choices.top", "wrong_type"), id="single-wrong-type"),
    # a multi-choice answer is a list
    pytest.param(with_(extras="drawer"), ("choices.extras", "wrong_type"), id="multi-not-list"),
    # an unknown option inside the list
    pytest.param(
        with_(extras=["drawer", "shelf"]), ("choices.extras", "unknown_option"), id="multi-unknown"
    ),
    # the same option twice
    pytest.param(
        with_(extras=["drawer", "drawer"]), ("choices.extras", "duplicate"), id="multi-duplicate"
    ),
    # more selections than the group allows
    pytest.param(
        with_(extras=["drawer", "cable_tray", "lamp"]),
        ("choices.extras", "too_many"),
        id="multi-too-many",
    ),
    # a numeric answer is a number
    pytest.param(with_(width="wide"), ("choices.width", "wrong_type"), id="numeric-text"),
    # booleans are not numbers here
    pytest.param(with_(width=True), ("choices.width", "wrong_type"), id="numeric-bool"),
    # nor is NaN
    pytest.param(with_(width=float("nan")), ("choices.width", "wrong_type"), id="numeric-nan"),
    # outside the range
    pytest.param(with_(width=200), ("choices.width", "out_of_range"), id="numeric-too-big"),
    # between two steps
    pytest.param(with_(width=150), ("choices.width", "off_step"), id="numeric-off-step"),
    # a required group left out
    pytest.param({"extras": [], "width": 160}, ("choices.top", "missing"), id="missing-required"),
    # or answered with "none"
    pytest.param(with_(top=None), ("choices.top", "missing"), id="required-none"),
]


@pytest.mark.parametrize(("choices", "expected"), BAD_CHOICES)
def test_a_bad_choice_is_named(
    desk_configurator: Configurator, choices: dict[str, Any], expected: tuple[str, str]
) -> None:
    result = desk_configurator.validate(choices)
    assert not result.valid
    assert expected in [(p.loc, p.code) for p in result.problems]


def test_too_few_selections_is_a_problem() -> None:
    doc = desk_document()
    doc["option_groups"][1].update(required=True, min_selected=2)
    result = Configurator(parse_product(doc)).validate(with_(extras=["drawer"]))
    assert [(p.loc, p.code) for p in result.problems] == [("choices.extras", "too_few")]


def test_every_problem_is_named_at_once(desk_configurator: Configurator) -> None:
    result = desk_configurator.validate(
        {"top": "walnut", "extras": "drawer", "width": 150, "legs": 4}
    )
    assert sorted((p.loc, p.code) for p in result.problems) == [
        ("choices.extras", "wrong_type"),
        ("choices.legs", "unknown_group"),
        ("choices.top", "unknown_option"),
        ("choices.width", "off_step"),
    ]


def test_every_broken_rule_is_a_violation(desk_configurator: Configurator) -> None:
    result = desk_configurator.validate({"top": "oak", "extras": ["lamp", "drawer"], "width": 100})
    assert result.problems == ()
    assert [(v.rule, v.message) for v in result.violations] == [
        ("lamp_needs_tray", "The lamp's cable runs in the tray."),
        ("oak_not_narrow", "Oak tops start at 120 cm."),
    ]


def test_rules_reading_a_malformed_answer_are_not_judged(desk_configurator: Configurator) -> None:
    """A bad width makes width rules meaningless; the lamp rule is still checked."""
    result = desk_configurator.validate({"top": "oak", "extras": ["lamp"], "width": 150})
    assert [v.rule for v in result.violations] == ["lamp_needs_tray"]


def test_optional_groups_take_their_defaults(desk: ProductDefinition) -> None:
    configured = Configurator(desk).configure({"top": "oak"})
    assert configured.choices == {"top": "oak", "extras": (), "width": 140}


@pytest.mark.parametrize("width", [160, 160.0, Decimal("160"), "160", "160.00"])
def test_numbers_may_come_as_int_float_decimal_or_text(
    desk_configurator: Configurator, width: object
) -> None:
    assert desk_configurator.validate(with_(width=width)).valid


def test_configure_raises_with_problems_and_violations_together(
    desk_configurator: Configurator,
) -> None:
    with pytest.raises(InvalidInput) as caught:
        desk_configurator.configure({"top": "oak", "extras": ["lamp"], "width": 150, "legs": 4})
    assert [(p.loc, p.code) for p in caught.value.problems] == [
        ("choices.legs", "unknown_group"),
        ("choices.width", "off_step"),
        ("rules.lamp_needs_tray", "rule_violated"),
    ]


def test_choices_must_be_a_mapping(desk_configurator: Configurator) -> None:
    result = desk_configurator.validate(["oak"])  # type: ignore[arg-type]  # on purpose
    assert [(p.loc, p.code) for p in result.problems] == [("choices", "wrong_type")]
