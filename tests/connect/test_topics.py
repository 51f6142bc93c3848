"""Topics are computed from the equipment path and parsed back: the round trip is exact."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openfab.connect.topics import (
    EquipmentPath,
    TopicError,
    mqtt_topic,
    nats_subject,
    parse_mqtt_topic,
    parse_nats_subject,
)

level = st.from_regex(r"\A[A-Za-z0-9_\-]{1,20}\Z")
paths = st.one_of(
    st.builds(EquipmentPath.machine_path, level, level, level, level),
    st.builds(lambda s: EquipmentPath((s,)), level),
)


@settings(deadline=None)  # a loaded CI machine must not fail a correct test
@given(paths, st.one_of(st.none(), level))
def test_mqtt_topic_round_trip(path: EquipmentPath, signal: str | None) -> None:
    assert parse_mqtt_topic(mqtt_topic(path, signal)) == (path, signal)


@settings(deadline=None)  # a loaded CI machine must not fail a correct test
@given(paths, st.one_of(st.none(), level))
def test_nats_subject_round_trip(path: EquipmentPath, signal: str | None) -> None:
    assert parse_nats_subject(nats_subject(path, signal)) == (path, signal)


def test_topic_matches_the_unified_namespace() -> None:
    path = EquipmentPath.machine_path("plant1", "stamping", "line1", "press-1")
    assert mqtt_topic(path, "temperature") == "openfab/plant1/stamping/line1/press-1/temperature"
    assert nats_subject(path, "temperature") == (
        "openfab.telemetry.plant1.stamping.line1.press-1.temperature"
    )
    assert parse_mqtt_topic("openfab/plant1/solar_kw") == (EquipmentPath(("plant1",)), "solar_kw")


def test_twin_paths_are_adopted() -> None:
    class TwinPath:  # the twin's MachinePath has these four attributes
        site, area, line, machine = "p", "a", "l", "m"

    assert str(EquipmentPath.of(TwinPath())) == "p/a/l/m"
    assert EquipmentPath.of("p/a/l/m") == EquipmentPath.of(TwinPath())


@pytest.mark.parametrize(
    "topic",
    [
        "other/plant1/a/l/m/s",  # not under openfab/
        "openfab",  # no equipment at all
        "openfab/p/a/l/m/s/extra",  # too deep
        "openfab/p/a/l",  # neither a site, nor a machine, nor one of their signals
        "openfab/p/a/l/m/s p",  # a space in a level
        "openfab/p//l/m/s",  # an empty level
        "openfab/p/a/l/m/" + "x" * 65,  # a level longer than 64
    ],
)
def test_bad_topics_are_refused(topic: str) -> None:
    with pytest.raises(TopicError):
        parse_mqtt_topic(topic)


def test_a_dot_cannot_travel_in_a_nats_token() -> None:
    with pytest.raises(TopicError):
        nats_subject(EquipmentPath.machine_path("p", "a", "l", "m.1"), "s")
