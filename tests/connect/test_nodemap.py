"""OPC UA node maps: YAML that says which server node is which signal or machine state."""

from __future__ import annotations

from pathlib import Path

import pytest

from openfab.connect.nodemap import (
    NodeRef,
    SignalTarget,
    StateTarget,
    load_node_map,
    parse_node_map,
    state_key,
)
from openfab.connect.topics import EquipmentPath
from openfab.errors import InvalidInput
from openfab.execution.states import MachineState

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "opcua-nodemap.yaml"
PRESS = EquipmentPath.machine_path("plant1", "stamping", "line1", "press-1")


def test_the_documented_example_parses() -> None:
    """docs/examples/opcua-nodemap.yaml is the reference: it must stay valid."""
    node_map = load_node_map(EXAMPLE)
    first, by_path = node_map.nodes[0], node_map.nodes[1]
    assert first.ref == NodeRef(node_id="ns=2;s=Line1.Press.Temp")
    assert first.target == SignalTarget(PRESS, "temperature", 0.1, 0.0, "degC")
    assert by_path.ref.browse_path == (
        "2:Plant",
        "2:Stamping",
        "2:Line1",
        "2:Press1",
        "2:Vibration",
    )
    assert str(by_path.ref) == "Objects/2:Plant/2:Stamping/2:Line1/2:Press1/2:Vibration"
    assert by_path.target == SignalTarget(PRESS, "vibration", unit="mm/s")
    assert node_map.has_states


def test_state_tables_accept_text_numbers_and_booleans() -> None:
    """Only true/false are booleans: ON and OFF stay the words a PLC sends."""
    [mapped] = parse_node_map(
        """
nodes:
  - node: ns=3;i=7
    equipment: plant1/stamping/line1/press-1
    message: machine.state
    states: {ON: Running, OFF: Idle, 9: Down, true: Setup}
"""
    ).nodes
    assert isinstance(mapped.target, StateTarget)
    target = mapped.target
    assert target.state_of("ON") == MachineState.RUNNING
    assert target.state_of(" OFF ") == MachineState.IDLE
    assert target.state_of(9) == target.state_of(9.0) == MachineState.DOWN
    assert target.state_of(True) == MachineState.SETUP
    assert target.state_of(False) is None
    assert target.state_of(2.5) is None


def test_state_keys() -> None:
    assert [state_key(v) for v in (True, False, 3, 3.0, " RUN ", 2.5, None)] == [
        "true",
        "false",
        "3",
        "3",
        "RUN",
        None,
        None,
    ]


def test_scale_and_offset_convert_to_engineering_units() -> None:
    target = SignalTarget(PRESS, "temperature", scale=0.1, offset=-40.0)
    assert target.convert(650.0) == pytest.approx(25.0)


SIGNAL = "equipment: plant1/stamping/line1/press-1\n    signal: temperature"


@pytest.mark.parametrize(
    ("document", "where", "what"),
    [
        # not YAML at all
        ("nodes: [", "", "expected"),
        # a key twice: YAML would silently keep the last one
        ("nodes:\n  - node: ns=2;i=1\n    node: ns=2;i=2\n    " + SIGNAL, "", "given twice"),
        # true and 1 are one key to YAML
        (
            "nodes:\n  - node: ns=2;i=1\n    equipment: a/b/c/d\n    message: machine.state\n"
            "    states: {true: Running, 1: Down}",
            "",
            "true and 1 count as one",
        ),
        # no nodes
        ("nodes: []", "nodes", "at least 1"),
        # an unknown top-level key
        ("nodez: []", "nodez", "Extra inputs"),
        # a NodeId that is none
        ("nodes:\n  - node: Line1.Temp\n    " + SIGNAL, "nodes[0].node", "no NodeId"),
        # a browse path outside Objects
        ("nodes:\n  - browse_path: Root/2:X\n    " + SIGNAL, "nodes[0].browse_path", "Objects"),
        # a browse path level without its namespace index
        (
            "nodes:\n  - browse_path: Objects/Plant/2:T\n    " + SIGNAL,
            "nodes[0].browse_path",
            "namespace index",
        ),
        # both a NodeId and a browse path
        (
            "nodes:\n  - node: ns=2;i=1\n    browse_path: Objects/2:T\n    " + SIGNAL,
            "nodes[0]",
            "exactly one of node or browse_path",
        ),
        # an equipment path of two levels
        (
            "nodes:\n  - node: ns=2;i=1\n    equipment: a/b\n    signal: t",
            "nodes[0].equipment",
            "site",
        ),
        # an equipment mapping without its line
        (
            "nodes:\n  - node: ns=2;i=1\n    equipment: {site: a, area: b, machine: d}\n"
            "    signal: t",
            "nodes[0].equipment",
            "missing ['line']",
        ),
        # a signal name that cannot be a topic level
        (
            "nodes:\n  - node: ns=2;i=1\n    equipment: a/b/c/d\n    signal: temp/C",
            "nodes[0].signal",
            "must be",
        ),
        # neither a signal nor a message
        (
            "nodes:\n  - node: ns=2;i=1\n    equipment: a/b/c/d",
            "nodes[0]",
            "exactly one of signal",
        ),
        # a machine.state without its table
        (
            "nodes:\n  - node: ns=2;i=1\n    equipment: a/b/c/d\n    message: machine.state",
            "nodes[0]",
            "needs states",
        ),
        # a state OpenFab does not have
        (
            "nodes:\n  - node: ns=2;i=1\n    equipment: a/b/c/d\n    message: machine.state\n"
            "    states: {RUN: Runing}",
            "nodes[0].states.RUN",
            "'Running'",
        ),
        # a message type OpenFab does not take from OPC UA
        (
            "nodes:\n  - node: ns=2;i=1\n    equipment: a/b/c/d\n    message: order.shipped",
            "nodes[0].message",
            "machine.state",
        ),
        # a scale on a state
        (
            "nodes:\n  - node: ns=2;i=1\n    equipment: a/b/c/d\n    message: machine.state\n"
            "    scale: 2\n    states: {RUN: Running}",
            "nodes[0]",
            "scale applies to signals only",
        ),
        # a scale that is no number
        (
            "nodes:\n  - node: ns=2;i=1\n    " + SIGNAL + "\n    scale: .nan",
            "nodes[0].scale",
            "finite",
        ),
        # one node mapped twice
        (
            "nodes:\n  - node: ns=2;i=1\n    " + SIGNAL + "\n  - node: ns=2;i=1\n    "
            "equipment: a/b/c/d\n    signal: t",
            "",
            "maps ns=2;i=1 again",
        ),
        # two nodes feeding one signal
        (
            "nodes:\n  - node: ns=2;i=1\n    " + SIGNAL + "\n  - node: ns=2;i=2\n    " + SIGNAL,
            "",
            "feeds plant1/stamping/line1/press-1/temperature again",
        ),
    ],
)
def test_invalid_node_maps_name_the_problem_and_where(document: str, where: str, what: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_node_map(document)
    assert any(p.loc == where and what in p.msg for p in caught.value.problems), caught.value


def test_every_problem_is_named_at_once() -> None:
    document = """
nodes:
  - node: bad
    equipment: a/b
    signal: temperature
  - node: ns=2;i=1
    equipment: a/b/c/d
    signal: t
    colour: red
"""
    with pytest.raises(InvalidInput) as caught:
        parse_node_map(document, source="plant.yaml")
    assert "plant.yaml" in caught.value.detail
    assert [p.loc for p in caught.value.problems] == [
        "nodes[0].node",
        "nodes[0].equipment",
        "nodes[1].colour",
    ]
