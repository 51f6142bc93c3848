"""The contract file is the code's contract, its examples are valid, and bad payloads are
refused with every problem named."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from openfab.gateway.contract import json_schema, parse

CONTRACTS = Path(__file__).parents[2] / "docs" / "contracts"


def test_the_published_schema_is_the_one_the_code_enforces() -> None:
    published = json.loads((CONTRACTS / "floor-v1.schema.json").read_text())
    assert published == json_schema(), "regenerate: openfab floor schema > docs/contracts/…"


@pytest.mark.parametrize("example", sorted((CONTRACTS / "examples").glob("*.json")), ids=str)
def test_every_example_is_valid_for_the_schema_and_the_gateway(example: Path) -> None:
    payload = json.loads(example.read_text())
    jsonschema.validate(payload, json_schema())
    messages, refused = parse(example.read_bytes())
    assert refused == []
    assert len(messages) == (len(payload) if isinstance(payload, list) else 1)


@pytest.mark.parametrize(
    ("payload", "code", "says"),
    [
        (b"{", "malformed", "not JSON"),  # cut off
        (b"[]", "malformed", "1 to 1000"),  # nothing in it
        (b'"text"', "invalid", "message"),  # not an object
        (
            b'{"type": "operation.teleported", "message_id": "1", "at": "2026-01-01T00:00:00Z"}',
            "invalid",
            "type",
        ),  # an unknown type
        (
            b'{"type": "machine.state", "message_id": "1", "at": "2026-01-01T00:00:00",'
            b' "state": "Running"}',
            "invalid",
            "timezone",
        ),  # no zone
        (
            b'{"type": "machine.state", "message_id": "1", "at": "2026-01-01T00:00:00Z",'
            b' "state": "Sleeping"}',
            "invalid",
            "state",
        ),  # not an ISA-95 state
        (
            b'{"type": "operation.finished", "message_id": "1", "at": "2026-01-01T00:00:00Z",'
            b' "work_order": "WO-1", "operation": 10, "good": -1}',
            "invalid",
            "good",
        ),
        (
            b'{"type": "measurement", "message_id": "a\\u0000b", "at": "2026-01-01T00:00:00Z",'
            b' "signal": "t", "value": 1}',
            "invalid",
            "message_id",
        ),  # a NUL byte
        (
            b'{"type": "measurement", "message_id": "1", "at": "2026-01-01T00:00:00Z",'
            b' "signal": "t", "value": 1, "extra": 1}',
            "invalid",
            "extra",
        ),  # unknown field
    ],
)
def test_bad_payloads_are_refused_with_the_reason(payload: bytes, code: str, says: str) -> None:
    messages, refused = parse(payload)
    assert messages == []
    assert [r.code for r in refused] == [code]
    assert says.lower() in refused[0].reason.lower()


def test_one_bad_message_does_not_sink_the_good_ones_beside_it() -> None:
    good = {
        "message_id": "m1",
        "type": "measurement",
        "at": "2026-01-01T00:00:00Z",
        "signal": "t",
        "value": 1.5,
    }
    messages, refused = parse(json.dumps([good, {**good, "value": "hot"}]))
    assert len(messages) == 1 and len(refused) == 1
    assert refused[0].message_id == "m1"


@given(st.binary(max_size=300) | st.text(max_size=300))
def test_parse_never_raises(payload: bytes | str) -> None:
    messages, refused = parse(payload)
    assert messages or refused
