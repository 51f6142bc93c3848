"""The pure pieces of the pages: form fields → choices, engine answers → view, SVG charts.
Property tests: any form a browser (or an attacker) can send is read without an exception,
and any set of bars draws a well-formed chart with one rectangle per bar."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.datastructures import FormData

from openfab.catalog import load_sample_catalog
from openfab.planning.gantt import Bar, colour
from openfab.web.charts import Window, gantt_svg
from openfab.web.configurator_view import choices_from_form, group_views, summary_of
from tests.web.conftest import FRIDGE

FRIDGE_DEF = load_sample_catalog().products["fridge"]
CONFIGURATOR = load_sample_catalog().configurator("fridge")
SVG = "{http://www.w3.org/2000/svg}"


def test_blank_fields_are_unanswered_and_numbers_are_numbers() -> None:
    form = FormData([("size", "w60_330"), ("door", ""), ("shelves", "4"), ("extras", "wifi")])
    choices = choices_from_form(FRIDGE_DEF, form)
    assert choices["size"] == "w60_330" and choices["door"] is None
    assert choices["shelves"] == 4 and choices["extras"] == ["wifi"]
    assert choices_from_form(FRIDGE_DEF, FormData([("shelves", "2.5")]))["shelves"] == 2.5
    assert choices_from_form(FRIDGE_DEF, FormData([("shelves", "many")]))["shelves"] == "many"
    assert choices_from_form(FRIDGE_DEF, FormData([("shelves", "NaN")]))["shelves"] == "NaN"


def test_a_malformed_number_is_a_problem_of_its_group() -> None:
    choices = choices_from_form(FRIDGE_DEF, FormData([("shelves", "many")]))
    validation = CONFIGURATOR.validate(choices)
    views = {g.code: g for g in group_views(FRIDGE_DEF, choices, None, validation.problems)}
    assert views["shelves"].problems and not views["size"].problems


def test_a_valid_configuration_is_ready_with_its_price() -> None:
    validation = CONFIGURATOR.validate(FRIDGE)
    configured = CONFIGURATOR.configure(FRIDGE)
    summary = summary_of(validation, configured, None, None, quantity=3)
    assert summary.state == "ready" and summary.price == configured.price * 3
    assert sum(a for _, a in summary.breakdown) == configured.price


fields = st.sampled_from([g.code for g in FRIDGE_DEF.option_groups] + ["bogus", "csrf_token"])
values = st.one_of(
    st.sampled_from([o.code for g in FRIDGE_DEF.option_groups for o in g.options]),
    st.text(max_size=12),
    st.integers(-10, 20).map(str),
    st.sampled_from(["", "NaN", "inf", "1e309", "3.0", "-0"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(fields, values), max_size=14))
def test_any_form_is_read_and_answered_without_an_exception(pairs: list[tuple[str, str]]) -> None:
    choices = choices_from_form(FRIDGE_DEF, FormData(pairs))
    assert set(choices) == {g.code for g in FRIDGE_DEF.option_groups}
    validation = CONFIGURATOR.validate(choices)
    views = group_views(FRIDGE_DEF, choices, None, validation.problems)
    summary = summary_of(validation, None, None, None)
    assert len(views) == len(FRIDGE_DEF.option_groups)
    assert summary.state in ("incomplete", "conflict")
    assert validation.valid is False or all(v.problems == () for v in views)


START = datetime(2026, 5, 4, 6, tzinfo=UTC)
bars = st.lists(
    st.builds(
        lambda row, start, length, key: Bar(
            row=f"m-{row}",
            start=START + timedelta(minutes=start),
            end=START + timedelta(minutes=start + length),
            label=key,
            colour_key=key,
            title=f'{key} <&> "quoted"',
        ),
        st.integers(0, 20),
        st.integers(0, 60 * 24 * 14),
        st.integers(0, 600),
        st.text(min_size=1, max_size=8),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(bars, st.integers(-600, 60 * 24 * 15))
def test_any_plan_draws_a_well_formed_chart(plan: list[Bar], now_minutes: int) -> None:
    now = START + timedelta(minutes=now_minutes)
    windows = [Window("m-1", START, START + timedelta(hours=3), "maintenance <x>")]
    svg = str(gantt_svg(plan, rows=["m-1"], windows=windows, now=now))
    root = ET.fromstring(svg)  # well-formed: titles and labels are escaped
    rects = root.findall(f"{SVG}rect[@class='bar']")
    assert len(rects) == len(plan)
    assert {r.get("fill") for r in rects} == {colour(b.colour_key) for b in plan}
    assert len(root.findall(f"{SVG}line[@class='now-line']")) == 1
    assert len(root.findall(f"{SVG}rect[@class='window']")) == 1
    for rect in rects:
        assert Decimal(rect.get("x") or "0") >= 0 and Decimal(rect.get("width") or "0") > 0


def test_nothing_to_draw_is_no_chart() -> None:
    assert str(gantt_svg([], rows=["m-1"])) == ""
