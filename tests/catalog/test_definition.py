"""Reading product definitions: every way a document can be wrong is named, all at once."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from openfab.catalog import (
    Material,
    WorkCenter,
    parse_materials,
    parse_product,
    parse_work_centers,
)
from openfab.errors import InvalidInput
from tests.catalog.conftest import desk_document

MATERIALS = {
    code: Material(code, code, unit, Decimal("1.00"), 5)
    for code, unit in [
        ("oak_board", "m2"),
        ("chipboard", "m2"),
        ("screw", "pcs"),
        ("edge_band", "m"),
    ]
}
CENTERS = {code: WorkCenter(code, code, 1, 16.0) for code in ("saw", "bench_1", "bench_2")}

Doc = dict[str, Any]


def group(doc: Doc, code: str) -> Doc:
    found: Doc = next(g for g in doc["option_groups"] if g["code"] == code)
    return found


def problems_of(doc: Doc, **refs: Any) -> list[tuple[str, str]]:
    with pytest.raises(InvalidInput) as caught:
        parse_product(doc, **refs)
    return [(p.loc, p.code) for p in caught.value.problems]


def test_the_desk_parses_with_its_rules_as_conditions() -> None:
    desk = parse_product(desk_document(), materials=MATERIALS, work_centers=CENTERS)
    assert [g.code for g in desk.option_groups] == ["top", "extras", "width"]
    assert desk.groups_by_code["width"].values == tuple(Decimal(v) for v in range(100, 181, 20))
    assert desk.groups_by_code["extras"].label == "Extras"  # defaulted from the code
    sources = [(str(r.when), str(r.require)) for r in desk.rules]
    assert sources == [
        ("lamp", "cable_tray"),
        ("top == 'oak'", "120 <= (width)"),
        ("None", "weight_kg <= 45"),
    ]
    assert desk.bom[0].unit == "m2"


def test_rule_messages_default_to_a_readable_sentence() -> None:
    doc = desk_document()
    for rule in doc["rules"]:
        del rule["message"]
    doc["rules"].append({"code": "no_lamp_drawer", "kind": "excludes", "items": ["lamp", "drawer"]})
    messages = [r.message for r in parse_product(doc).rules]
    assert messages == [
        "lamp requires cable_tray",
        "width must be within [120, ] when top == 'oak'",
        "weight_kg <= 45 must hold",
        "lamp and drawer cannot be combined",
    ]


def _resolve(doc: Doc, parts: list[str]) -> Any:
    """Walk ``parts``; in lists a number is an index and a name is an item's code."""
    target: Any = doc
    for part in parts:
        if isinstance(target, list):
            target = (
                target[int(part)]
                if part.isdigit()
                else next(i for i in target if i["code"] == part)
            )
        else:
            target = target[part]
    return target


def _set(path: str, value: Any) -> Callable[[Doc], None]:
    """A mutation setting the field at a dotted ``path``."""

    def mutate(doc: Doc) -> None:
        *parents, last = path.split(".")
        target = _resolve(doc, parents)
        target[int(last) if isinstance(target, list) else last] = value

    return mutate


def _drop(path: str) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        *parents, last = path.split(".")
        del _resolve(doc, parents)[last]

    return mutate


def _append(path: str, item: Any) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        _resolve(doc, path.split(".")).append(item)

    return mutate


LAMP_RULE = "rules[lamp_needs_tray]."
TOP = "option_groups[top]."
WIDTH = "option_groups[width]."
BAD_DEFINITIONS = [
    # the product has no code at all
    pytest.param(_drop("code"), ("code", "missing"), id="missing-code"),
    # product codes are lowercase slugs (they appear in URLs)
    pytest.param(_set("code", "Desk!"), ("code", "bad_code"), id="bad-product-code"),
    # a misspelt top-level field is reported, not ignored
    pytest.param(_set("colour", "red"), ("colour", "unknown_field"), id="unknown-field"),
    # money must be a number
    pytest.param(_set("base_price", "cheap"), ("base_price", "wrong_type"), id="price-not-number"),
    # and not negative
    pytest.param(_set("base_price", -5), ("base_price", "out_of_range"), id="negative-price"),
    # currencies are ISO 4217 codes
    pytest.param(_set("currency", "euro"), ("currency", "invalid"), id="bad-currency"),
    # a product without questions is not configurable
    pytest.param(_set("option_groups", []), ("option_groups", "missing"), id="no-groups"),
    # a group is single, multi or numeric
    pytest.param(
        _set("option_groups.top.kind", "dropdown"), (f"{TOP}kind", "bad_kind"), id="bad-kind"
    ),
    # two groups with one code
    pytest.param(
        _set("option_groups.extras.code", "top"), ("option_groups", "duplicate"), id="dup-group"
    ),
    # option codes are unique across the product (rules name them without their group)
    pytest.param(
        _set("option_groups.extras.options.2", {"code": "oak"}),
        ("option_groups", "duplicate"),
        id="dup-option",
    ),
    # codes are identifiers so expressions can use them
    pytest.param(
        _set("option_groups.top.options.0", {"code": "Oak-Top"}),
        (f"{TOP}options[Oak-Top].code", "bad_code"),
        id="bad-option-code",
    ),
    # a choice group needs options
    pytest.param(
        _set("option_groups.top.options", []), (f"{TOP}options", "missing"), id="no-options"
    ),
    # option prices are numbers
    pytest.param(
        _set("option_groups.top.options.0", {"code": "oak", "price": "a lot"}),
        (f"{TOP}options[oak].price", "wrong_type"),
        id="option-price-type",
    ),
    # lead times are not negative
    pytest.param(
        _set("option_groups.top.options.0", {"code": "oak", "lead_time_days": -1}),
        (f"{TOP}options[oak].lead_time_days", "out_of_range"),
        id="negative-lead-time",
    ),
    # attributes are numbers
    pytest.param(
        _set("option_groups.top.options.0", {"code": "oak", "attributes": {"weight_kg": "heavy"}}),
        (f"{TOP}options[oak].attributes.weight_kg", "wrong_type"),
        id="attribute-type",
    ),
    # an attribute named like an option would make expressions ambiguous
    pytest.param(
        _set("option_groups.top.options.1", {"code": "laminate", "attributes": {"lamp": 1}}),
        ("option_groups", "invalid"),
        id="attribute-clash",
    ),
    # a default must be one of the group's options
    pytest.param(
        _set("option_groups.top.default", "walnut"),
        (f"{TOP}default", "unknown_option"),
        id="bad-default",
    ),
    # at most as many selections as there are options
    pytest.param(
        _set("option_groups.extras.max_selected", 5),
        ("option_groups[extras].max_selected", "out_of_range"),
        id="max-above-count",
    ),
    # an optional group cannot demand selections
    pytest.param(
        _set("option_groups.extras.min_selected", 1),
        ("option_groups[extras].min_selected", "invalid"),
        id="optional-with-min",
    ),
    # the range of a numeric group runs upwards
    pytest.param(
        _set("option_groups.width.high", 80), (f"{WIDTH}high", "out_of_range"), id="low-above-high"
    ),
    # steps are positive
    pytest.param(
        _set("option_groups.width.step", 0), (f"{WIDTH}step", "out_of_range"), id="zero-step"
    ),
    # high must be reachable from low in whole steps
    pytest.param(
        _set("option_groups.width.high", 190), (f"{WIDTH}high", "invalid"), id="high-off-grid"
    ),
    # every value becomes a solver literal, so there is a limit
    pytest.param(
        _set("option_groups.width.step", 0.01), (f"{WIDTH}step", "too_many"), id="too-fine"
    ),
    # the default must be a value of the range
    pytest.param(
        _set("option_groups.width.default", 130),
        (f"{WIDTH}default", "invalid"),
        id="default-off-grid",
    ),
    # rules are requires, excludes, range or constraint
    pytest.param(
        _set("rules.lamp_needs_tray.kind", "implies"),
        (f"{LAMP_RULE}kind", "bad_kind"),
        id="rule-kind",
    ),
    # a rule naming something the product does not have
    pytest.param(
        _set("rules.lamp_needs_tray.then", "cable_trey"),
        (f"{LAMP_RULE}then", "bad_expression"),
        id="rule-name",
    ),
    # a requires rule without its consequence
    pytest.param(
        _drop("rules.lamp_needs_tray.then"),
        (f"{LAMP_RULE}then", "missing"),
        id="rule-missing-field",
    ),
    # a number where a condition belongs
    pytest.param(
        _set("rules.lamp_needs_tray.then", "width"),
        (f"{LAMP_RULE}then", "bad_expression"),
        id="rule-type",
    ),
    # two rules with one code
    pytest.param(
        _append("rules", {"code": "max_weight", "kind": "constraint", "require": "True"}),
        ("rules", "duplicate"),
        id="dup-rule",
    ),
    # exclusion needs at least two things
    pytest.param(
        _append("rules", {"code": "lonely", "kind": "excludes", "items": ["lamp"]}),
        ("rules[lonely].items", "invalid"),
        id="excludes-one",
    ),
    # a range needs a bound
    pytest.param(
        _drop("rules.oak_not_narrow.low"),
        ("rules[oak_not_narrow].low", "missing"),
        id="range-unbounded",
    ),
    # and its bounds in order
    pytest.param(
        _set("rules.oak_not_narrow.high", 110),
        ("rules[oak_not_narrow].high", "out_of_range"),
        id="range-inverted",
    ),
    # formulas name known things too
    pytest.param(
        _set("bom.0.quantity", "length * 2"),
        ("bom[0].quantity", "bad_expression"),
        id="bom-formula",
    ),
    # BOM lines use known materials
    pytest.param(
        _set("bom.0.material", "walnut_board"),
        ("bom[0].material", "unknown_material"),
        id="bom-material",
    ),
    # in the material's unit
    pytest.param(_set("bom.0.unit", "kg"), ("bom[0].unit", "invalid"), id="bom-unit-mismatch"),
    # scrap is a fraction below 1
    pytest.param(
        _set("bom.0.scrap_factor", 1.5), ("bom[0].scrap_factor", "out_of_range"), id="bom-scrap"
    ),
    # routing steps run on known work centers
    pytest.param(
        _set("routing.0.work_centers", ["laser"]),
        ("routing[cut].work_centers", "unknown_work_center"),
        id="bad-center",
    ),
    # and on at least one
    pytest.param(
        _set("routing.0.work_centers", []), ("routing[cut].work_centers", "missing"), id="no-center"
    ),
    # two steps with one code
    pytest.param(_set("routing.1.code", "cut"), ("routing", "duplicate"), id="dup-step"),
    # flags are true or false
    pytest.param(
        _set("option_groups.top.required", "yes"), (f"{TOP}required", "wrong_type"), id="flag-type"
    ),
    # a misspelt option field
    pytest.param(
        _set("option_groups.top.options.0", {"code": "oak", "prize": 50}),
        (f"{TOP}options[oak].prize", "unknown_field"),
        id="option-unknown-field",
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), BAD_DEFINITIONS)
def test_a_bad_definition_is_refused_with_the_problem_named(
    mutate: Callable[[Doc], None], expected: tuple[str, str]
) -> None:
    doc = desk_document()
    mutate(doc)
    assert expected in problems_of(doc, materials=MATERIALS, work_centers=CENTERS)


def test_without_a_material_list_bom_lines_need_their_unit() -> None:
    doc = desk_document()
    del doc["bom"][0]["unit"]
    assert ("bom[0].unit", "missing") in problems_of(doc)


def test_every_problem_is_named_at_once() -> None:
    doc = desk_document()
    chosen = [p.values for p in BAD_DEFINITIONS if p.id in MANY]
    for mutate, _ in chosen:
        mutate(doc)  # type: ignore[operator]
    found = problems_of(doc, materials=MATERIALS, work_centers=CENTERS)
    expected = [problem for _, problem in chosen]
    assert set(expected) <= set(found)
    assert len(found) == len(MANY)  # and nothing else: no follow-on noise


MANY = {
    "unknown-field",
    "bad-currency",
    "bad-default",
    "zero-step",
    "rule-name",
    "bom-material",
    "bad-center",
    "option-price-type",
}


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # a list is expected
        pytest.param({"code": "x"}, ("materials", "wrong_type"), id="not-a-list"),
        # every material has a unit cost
        pytest.param(
            [{"code": "x", "name": "X", "unit": "kg"}],
            ("materials[0].unit_cost", "missing"),
            id="no-cost",
        ),
        # in a known unit
        pytest.param(
            [{"code": "x", "name": "X", "unit": "bags", "unit_cost": 1}],
            ("materials[0].unit", "invalid"),
            id="unit",
        ),
        # that is not negative
        pytest.param(
            [{"code": "x", "name": "X", "unit": "kg", "unit_cost": -1}],
            ("materials[0].unit_cost", "out_of_range"),
            id="negative-cost",
        ),
        # and codes are unique
        pytest.param(
            [{"code": "x", "name": "X", "unit": "kg", "unit_cost": 1}] * 2,
            ("materials[1].code", "duplicate"),
            id="duplicate",
        ),
    ],
)
def test_bad_materials_are_named(rows: Any, expected: tuple[str, str]) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_materials(rows)
    assert expected in [(p.loc, p.code) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        # a center has at least one machine
        pytest.param(
            {"code": "saw", "name": "Saw", "machines": 0},
            ("work_centers[0].machines", "out_of_range"),
        ),
        # and works at most 24 hours a day
        pytest.param(
            {"code": "saw", "name": "Saw", "hours_per_day": 25},
            ("work_centers[0].hours_per_day", "out_of_range"),
        ),
        # and has a name
        pytest.param({"code": "saw"}, ("work_centers[0].name", "missing")),
    ],
)
def test_bad_work_centers_are_named(row: Any, expected: tuple[str, str]) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_work_centers([row])
    assert expected in [(p.loc, p.code) for p in caught.value.problems]
