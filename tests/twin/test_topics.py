"""Unified-Namespace topics: built by one function, parsed back by another."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openfab.errors import InvalidInput
from openfab.twin import MachinePath, machine_topic, parse_topic, site_topic

segment = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzABC0123456789_.-"), min_size=1, max_size=12
)


@given(segment, segment, segment, segment, segment)
def test_machine_topic_round_trip(site: str, area: str, line: str, machine: str, sig: str) -> None:
    path = MachinePath(site, area, line, machine)
    topic = machine_topic(path, sig)
    assert topic == f"openfab/{site}/{area}/{line}/{machine}/{sig}"
    assert parse_topic(topic) == (path, site, sig)


@given(segment, segment)
def test_site_topic_round_trip(site: str, sig: str) -> None:
    assert parse_topic(site_topic(site, sig)) == (None, site, sig)


def test_three_levels_is_a_site_topic() -> None:
    assert parse_topic("openfab/plant-1/energy") == (None, "plant-1", "energy")


@pytest.mark.parametrize(
    "topic",
    [
        "other/site/signal",  # another root
        "openfab/site/area/line/signal",  # four levels below the root
        "openfab/site/a+b",  # a wildcard inside a segment
        "openfab//signal",  # an empty segment
    ],
)
def test_foreign_topics_are_refused(topic: str) -> None:
    with pytest.raises(InvalidInput):
        parse_topic(topic)


def test_building_a_topic_with_a_slash_is_refused() -> None:
    with pytest.raises(InvalidInput):
        machine_topic(MachinePath("s", "a", "l", "m/1"), "vibration")
