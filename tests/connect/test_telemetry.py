"""The wire format: what decodes to a reading, and the reason for everything that does not."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openfab.connect.telemetry import Reading, decode, encode, encode_batch
from openfab.connect.topics import EquipmentPath

PATH = EquipmentPath.machine_path("plant1", "stamping", "line1", "press-1")
GOOD = {"message_id": "m-1", "timestamp": "2026-11-26T08:00:00+00:00", "value": 41.5}

readings = st.builds(
    Reading,
    message_id=st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=64),
    path=st.just(PATH),
    signal=st.from_regex(r"\A[a-z_]{1,20}\Z"),
    value=st.floats(allow_nan=False, allow_infinity=False),
    timestamp=st.datetimes(
        min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
    ),
)


@settings(deadline=None)  # a loaded CI machine must not fail a correct test
@given(readings)
def test_encode_then_decode_is_the_identity(reading: Reading) -> None:
    got, rejected = decode(encode(reading), path=PATH, signal=reading.signal)
    assert rejected == []
    assert got == [reading]


@settings(deadline=None)  # a loaded CI machine must not fail a correct test
@given(st.lists(readings, min_size=1, max_size=20))
def test_a_batch_decodes_to_its_readings(batch: list[Reading]) -> None:
    got, rejected = decode(encode_batch(batch), path=PATH, signal=None)
    assert (got, rejected) == (batch, [])


@settings(deadline=None)  # a loaded CI machine must not fail a correct test
@given(st.binary(max_size=300))
def test_decode_never_raises(payload: bytes) -> None:
    got, rejected = decode(payload, path=PATH, signal="t")
    assert len(got) + len(rejected) >= 1  # every message is accounted for


def _json(**changes: object) -> bytes:
    body = {**GOOD, **changes}
    return json.dumps({k: v for k, v in body.items() if v is not ...}).encode()


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"{not json", "bad_json"),  # broken JSON
        (b"\xff\xfe\x00", "bad_json"),  # not even UTF-8
        (_json(message_id=...), "missing_field"),  # no idempotency key
        (_json(timestamp=...), "missing_field"),  # no time
        (_json(value=...), "missing_field"),  # no value
        (_json(value="41.5"), "wrong_type"),  # a number as a string
        (_json(value=True), "wrong_type"),  # a boolean is not a measurement
        (_json(value=None), "wrong_type"),  # null
        (_json(message_id=7), "wrong_type"),  # id must be text
        (_json(message_id="x" * 65), "wrong_type"),  # id too long for the key column
        (_json(message_id="a\x00b"), "wrong_type"),  # control characters in the id
        (b'{"message_id":"m","timestamp":"2026-11-26T08:00:00Z","value":NaN}', "not_finite"),
        (b'{"message_id":"m","timestamp":"2026-11-26T08:00:00Z","value":Infinity}', "not_finite"),
        (_json(timestamp="yesterday"), "bad_timestamp"),  # unreadable time
        (_json(timestamp="2026-11-26T08:00:00"), "bad_timestamp"),  # no time zone
        (_json(timestamp=[2026]), "wrong_type"),  # a list is no time
        (b"[1]", "wrong_type"),  # items are not objects
        (b"[]", "empty"),  # a batch of nothing
        (b'"just a string"', "wrong_type"),  # a scalar document
    ],
)
def test_each_way_to_be_wrong_has_its_reason(payload: bytes, code: str) -> None:
    got, rejected = decode(payload, path=PATH, signal="temperature", topic="t")
    assert got == []
    assert [r.code for r in rejected] == [code]
    assert rejected[0].reason and rejected[0].topic == "t"


def test_oversized_payloads_are_refused_before_parsing() -> None:
    got, rejected = decode(b" " * 2000 + _json(), path=PATH, signal="t", max_bytes=1000)
    assert got == [] and rejected[0].code == "oversized"


def test_a_topic_without_a_machine_is_a_bad_topic() -> None:
    got, rejected = decode(_json(), path=None, signal=None, topic="openfab/x/y/z")
    assert got == [] and rejected[0].code == "bad_topic"


def test_a_batch_keeps_its_good_items_and_rejects_the_bad_one() -> None:
    items = [
        {**GOOD, "signal": "a"},
        {**GOOD, "message_id": "m-2"},  # no signal, and the batch topic names none
        {**GOOD, "message_id": "m-3", "signal": "c"},
    ]
    got, rejected = decode(json.dumps(items).encode(), path=PATH, signal=None)
    assert [r.signal for r in got] == ["a", "c"]
    assert [r.code for r in rejected] == ["missing_field"]
    assert b"m-2" in rejected[0].payload


def test_epoch_seconds_and_offsets_become_utc() -> None:
    got, _ = decode(_json(timestamp=0), path=PATH, signal="t")
    assert got[0].timestamp == datetime(1970, 1, 1, tzinfo=UTC)
    got, _ = decode(_json(timestamp="2026-11-26T10:00:00+02:00"), path=PATH, signal="t")
    assert got[0].timestamp == datetime(2026, 11, 26, 8, tzinfo=UTC)
    assert got[0].timestamp.utcoffset() == timedelta(0)
    assert not math.isnan(got[0].value)
