"""Properties that must hold for every configuration, checked against the brute-force oracle.

The oracle (``tests/catalog/oracle.py``) reads the raw YAML and evaluates rules with Python's
``eval``; it shares no code with the engine. Each sample product is checked on random full
and partial configurations.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openfab.catalog import Configurator, load_sample_catalog
from openfab.errors import Infeasible
from tests.catalog.oracle import (
    SAMPLE_FILES,
    Config,
    as_choices,
    matches,
    oracle_of,
    variants_of,
)

PRODUCTS = list(SAMPLE_FILES)
SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@functools.cache
def configurator_of(code: str) -> Configurator:
    return load_sample_catalog().configurator(code)


def kinds_of(code: str) -> dict[str, str]:
    return {g["code"]: g["kind"] for g in oracle_of(code).groups}


@st.composite
def full_configs(draw: st.DrawFn, code: str) -> Config:
    """Any combination of answers (mostly invalid), or a valid variant."""
    oracle = oracle_of(code)
    if draw(st.booleans()):
        return draw(st.sampled_from(variants_of(code)))
    return {g["code"]: draw(st.sampled_from(oracle.answers(g))) for g in oracle.groups}


@st.composite
def partial_configs(draw: st.DrawFn, code: str) -> Config:
    """Some groups answered; a multi-choice answer within the group's limit."""
    partial: Config = {}
    for group in oracle_of(code).groups:
        if draw(st.booleans()):
            continue
        answers = oracle_of(code).answers(group)
        if group["kind"] == "multi":
            limit = group.get("max_selected", len(group["options"]))
            answers = [a for a in answers if len(a) <= limit]
        partial[group["code"]] = draw(st.sampled_from(answers))
    return partial


products = pytest.mark.parametrize("code", PRODUCTS)


@products
@SETTINGS
@given(data=st.data())
def test_validate_agrees_with_the_oracle(code: str, data: st.DataObject) -> None:
    """Valid exactly when the oracle says so, and every failing rule is reported."""
    config = data.draw(full_configs(code))
    oracle = oracle_of(code)
    result = configurator_of(code).validate(as_choices(config))
    assert result.valid == oracle.valid(config)
    if not result.problems:
        assert [v.rule for v in result.violations] == oracle.failing_rules(config)


@products
@SETTINGS
@given(data=st.data())
def test_every_completion_is_valid_and_cheapest(code: str, data: st.DataObject) -> None:
    partial = data.draw(partial_configs(code))
    oracle, kinds = oracle_of(code), kinds_of(code)
    prices = [oracle.price(v) for v in variants_of(code) if matches(v, partial, kinds)]
    if not prices:
        with pytest.raises(Infeasible) as caught:
            configurator_of(code).complete(as_choices(partial))
        assert caught.value.problems
        return
    completed = configurator_of(code).complete(as_choices(partial))
    config = {k: tuple(v) if isinstance(v, tuple) else v for k, v in completed.choices.items()}
    config = {g["code"]: config.get(g["code"]) for g in oracle.groups}
    assert oracle.valid(config)
    assert matches(config, partial, kinds)
    assert completed.price == min(prices)


def expected_options(code: str, partial: Config) -> dict[str, set[Any]]:
    """Per group, the answers some valid variant has, given the other groups' answers."""
    kinds = kinds_of(code)
    possible: dict[str, set[Any]] = {}
    for group, kind in kinds.items():
        others = {k: v for k, v in partial.items() if k != group or kind == "multi"}
        found: set[Any] = set()
        for variant in variants_of(code):
            if matches(variant, others, kinds):
                value = variant[group]
                found |= set(value) if kind == "multi" else {value}
        possible[group] = found
    return possible


def _reported(status: Any, kind: str) -> set[Any]:
    return {
        int(Decimal(o.code)) if kind == "numeric" else o.code for o in status.options if o.possible
    }


@products
@SETTINGS
@given(data=st.data())
def test_options_left_offers_exactly_the_completable_options(
    code: str, data: st.DataObject
) -> None:
    """No dead ends (every offered option completes), nothing hidden, and reasons for the rest."""
    partial = data.draw(partial_configs(code))
    left = configurator_of(code).options_left(as_choices(partial))
    expected = expected_options(code, partial)
    kinds = kinds_of(code)
    for status in left.groups:
        assert _reported(status, kinds[status.group]) == expected[status.group], status.group
        for option in status.options:
            assert option.possible or option.reasons, (status.group, option.code)
        if kinds[status.group] == "numeric" and expected[status.group]:
            bounds = (status.feasible_min, status.feasible_max)
            assert bounds == (min(expected[status.group]), max(expected[status.group]))
    assert left.consistent == any(matches(v, partial, kinds) for v in variants_of(code))


@products
@SETTINGS
@given(data=st.data())
def test_an_offered_option_always_completes(code: str, data: st.DataObject) -> None:
    """The engine's own word: complete(partial + an offered option) never fails."""
    partial = data.draw(partial_configs(code))
    configurator = configurator_of(code)
    left = configurator.options_left(as_choices(partial))
    offers = [(s.group, o.code) for s in left.groups for o in s.options if o.possible]
    if not offers:
        return
    group, option = data.draw(st.sampled_from(offers))
    configurator.complete(with_answer(partial, group, option, kinds_of(code)[group]))


def with_answer(partial: Config, group: str, option: str, kind: str) -> Mapping[str, Any]:
    choices = as_choices(partial)
    if kind == "multi":
        choices[group] = sorted({*choices.get(group, []), option})
    else:
        choices[group] = int(option) if kind == "numeric" else option
    return choices
