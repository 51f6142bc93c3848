"""Guided selling: what is still possible and why not, cheapest completion, variant count."""

from __future__ import annotations

from decimal import Decimal

import pytest

from openfab.catalog import Configurator, OptionsLeft, SampleCatalog, parse_product
from openfab.errors import Infeasible, InvalidInput
from tests.catalog.conftest import desk_document
from tests.catalog.oracle import Config, Oracle, matches, variants_of


def reasons(result: OptionsLeft, group: str, option: str) -> list[str]:
    status = next(o for o in result.group(group).options if o.code == option)
    return [r.code for r in status.reasons]


def test_options_left_explains_each_blocked_option(fridge: Configurator) -> None:
    left = fridge.options_left({"size": "w55_250", "extras": ["ice_maker"]})
    assert left.consistent
    door = left.group("door")
    assert door.possible == ("double_door",)
    blocked = {o.code: ([r.code for r in o.reasons], o.conflicting_choices) for o in door.options}
    assert blocked["single_door"] == (["ice_maker_door"], ("extras",))
    assert blocked["french_door"] == (["french_door_width"], ("size",))
    shelves = left.group("shelves")
    assert (shelves.feasible_min, shelves.feasible_max) == (Decimal(2), Decimal(3))
    assert "narrow_shelves" in reasons(left, "shelves", "4")


def test_each_group_is_judged_against_the_other_answers(fridge: Configurator) -> None:
    """The chosen size shows its alternatives: a customer may change an answer."""
    left = fridge.options_left({"size": "w55_250", "door": "french_door"})
    assert not left.consistent
    assert left.reasons[0].code == "french_door_width"
    assert left.conflicting_choices == ("size", "door")
    assert left.group("size").possible == ("w70_420", "w90_550")
    assert "single_door" in left.group("door").possible


def test_a_multi_choice_answer_means_at_least_these(sample_catalog: SampleCatalog) -> None:
    washer = sample_catalog.configurator("washer")
    left = washer.options_left({"extras": ["steam", "wifi"]})
    assert left.group("extras").possible == ("steam", "wifi")
    assert reasons(left, "extras", "auto_dose") == ["extras.max_selected"]


def test_options_left_refuses_malformed_answers(fridge: Configurator) -> None:
    with pytest.raises(InvalidInput) as caught:
        fridge.options_left({"size": "w200", "shelves": 7})
    assert [p.code for p in caught.value.problems] == ["unknown_option", "out_of_range"]


def test_complete_adds_what_the_rules_require_at_the_lowest_price(fridge: Configurator) -> None:
    configured = fridge.complete({"extras": ["ice_maker"]})
    assert configured.choices["extras"] == ("ice_maker", "water_connection")
    assert configured.choices["door"] == "double_door"
    assert fridge.validate(configured.choices).valid


def test_complete_names_the_conflict_when_there_is_none(fridge: Configurator) -> None:
    with pytest.raises(Infeasible) as caught:
        fridge.complete({"door": "single_door", "extras": ["ice_maker"]})
    assert [(p.loc, p.code) for p in caught.value.problems] == [
        ("rules.ice_maker_door", "rule_violated"),
        ("choices.door", "conflict"),
        ("choices.extras", "conflict"),
    ]


def test_complete_is_deterministic(fridge: Configurator) -> None:
    assert fridge.complete({"finish": "matte_black"}) == fridge.complete({"finish": "matte_black"})


def test_complete_breaks_price_ties_by_catalog_order() -> None:
    """Among equally cheap completions the earliest-listed option wins, every time."""
    doc = desk_document()
    doc["option_groups"][0]["options"][0]["price"] = 0  # oak now costs what laminate costs
    doc["rules"] = []
    assert Configurator(parse_product(doc)).complete({}).choices["top"] == "oak"
    doc["option_groups"][0]["options"].reverse()
    assert Configurator(parse_product(doc)).complete({}).choices["top"] == "laminate"


def test_complete_of_nothing_is_the_cheapest_product(desk_configurator: Configurator) -> None:
    configured = desk_configurator.complete({})
    assert configured.choices == {"top": "laminate", "extras": (), "width": 100}
    assert configured.price == Decimal("150.00")


def test_fridge_variant_count_matches_brute_force(
    fridge: Configurator, fridge_variants: list[Config]
) -> None:
    assert fridge.count_variants() == len(fridge_variants)


@pytest.mark.parametrize("code", ["washer", "ebike-battery"])
def test_other_variant_counts_match_brute_force(sample_catalog: SampleCatalog, code: str) -> None:
    assert sample_catalog.configurator(code).count_variants() == len(variants_of(code))


def test_cheapest_completion_matches_brute_force(
    fridge: Configurator, fridge_oracle: Oracle, fridge_variants: list[Config]
) -> None:
    kinds = {g["code"]: g["kind"] for g in fridge_oracle.groups}
    for partial in ({}, {"finish": "stainless"}, {"extras": ["wifi"], "shelves": 5}):
        best = min(fridge_oracle.price(v) for v in fridge_variants if matches(v, partial, kinds))
        assert fridge.complete(partial).price == best
