"""An OPC UA node map: which server node feeds which signal or shop-floor message (pure).

A third-party server names its nodes its own way (``ns=2;s=Line1.Press.Temp``), and some of
its values are not numbers but states (``"RUN"``, ``true``). A node map, written in YAML,
says for each node either *which signal of which machine* it is (with an optional linear
scale and offset to engineering units) or *which machine's state* it reports, with a table
from the raw values to OpenFab's machine states. See ``docs/examples/opcua-nodemap.yaml``.

Parsing is pure: no server is contacted. Every problem of a document is named with its place
in it (``nodes[2].states.RUN``), all at once, as ``InvalidInput``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from openfab.connect.topics import EquipmentPath, TopicError, check_level
from openfab.errors import InvalidInput, Problem
from openfab.execution.states import MachineState

STATE_MESSAGE = "machine.state"
OBJECTS = "0:Objects"
_NODE_ID = re.compile(r"^(ns=\d+;)?[isgb]=.+$")
_SEGMENT = re.compile(r"^\d+:[^/]+$")


# -- what a parsed map is ----------------------------------------------------------------------
@dataclass(frozen=True)
class NodeRef:
    """A node on the server: by NodeId string, or by browse path from ``Objects``."""

    node_id: str | None = None
    browse_path: tuple[str, ...] = ()  # qualified names under Objects: ("2:Plant", "2:Temp")

    def __str__(self) -> str:
        return self.node_id or "/".join(("Objects", *self.browse_path))


@dataclass(frozen=True)
class SignalTarget:
    """A numeric node as a telemetry signal: ``value * scale + offset`` in ``unit``."""

    path: EquipmentPath
    signal: str
    scale: float = 1.0
    offset: float = 0.0
    unit: str | None = None

    def convert(self, raw: float) -> float:
        return raw * self.scale + self.offset


@dataclass(frozen=True)
class StateTarget:
    """A node whose raw values (text, integer, boolean) report a machine's state."""

    path: EquipmentPath
    states: Mapping[str, MachineState] = field(default_factory=dict)  # keys: ``state_key``

    def state_of(self, raw: object) -> MachineState | None:
        key = state_key(raw)
        return None if key is None else self.states.get(key)


Target = SignalTarget | StateTarget


@dataclass(frozen=True)
class MappedNode:
    ref: NodeRef
    target: Target


@dataclass(frozen=True)
class NodeMap:
    nodes: tuple[MappedNode, ...]

    @property
    def has_states(self) -> bool:
        return any(isinstance(n.target, StateTarget) for n in self.nodes)


def state_key(raw: object) -> str | None:
    """One text key for a raw value, so YAML keys and OPC UA values compare alike: booleans
    are ``true``/``false``, whole numbers their digits (``1`` and ``1.0`` alike), text stripped.
    ``None`` for a value that cannot be a state (a fraction, a structure)."""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float) and math.isfinite(raw) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, str):
        return raw.strip()
    return None


# -- the document's schema ---------------------------------------------------------------------
class _Entry(BaseModel):
    """One item of ``nodes``: a node reference, the equipment, and a signal or a message."""

    model_config = ConfigDict(extra="forbid")

    node: str | None = Field(default=None, description='NodeId, e.g. "ns=2;s=Line1.Press.Temp"')
    browse_path: str | None = Field(default=None, description='e.g. "Objects/2:Plant/2:Temp"')
    equipment: str = Field(description="site/area/line/machine, or a mapping of the four")
    signal: str | None = None
    scale: float = Field(default=1.0, allow_inf_nan=False)
    offset: float = Field(default=0.0, allow_inf_nan=False)
    unit: str | None = Field(default=None, max_length=32)
    message: Literal["machine.state"] | None = None
    states: dict[str, MachineState] | None = None

    @field_validator("node")
    @classmethod
    def _node_id(cls, value: str | None) -> str | None:
        if value is not None and not _NODE_ID.match(value.strip()):
            raise ValueError(f"{value!r} is no NodeId (ns=<index>;s|i|g|b=<identifier>)")
        return None if value is None else value.strip()

    @field_validator("browse_path")
    @classmethod
    def _browse_path(cls, value: str | None) -> str | None:
        if value is not None:
            _segments(value)  # raises with the reason
        return value

    @field_validator("equipment", mode="before")
    @classmethod
    def _equipment(cls, value: Any) -> Any:
        """A mapping ``{site, area, line, machine}`` reads as the path it names."""
        if isinstance(value, Mapping):
            levels = ("site", "area", "line", "machine")
            missing = [k for k in levels if k not in value]
            extra = sorted(str(k) for k in value if k not in levels)
            if missing or extra:
                raise ValueError(
                    f"needs exactly {', '.join(levels)} (missing {missing}, extra {extra})"
                )
            return "/".join(str(value[k]) for k in levels)
        if isinstance(value, str):
            try:
                EquipmentPath.parse(value)
            except TopicError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("signal")
    @classmethod
    def _signal(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                check_level(value)
            except TopicError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("states", mode="before")
    @classmethod
    def _state_keys(cls, value: Any) -> Any:
        """YAML keys may be text, whole numbers or booleans; two that mean the same raw value
        (``1`` and ``"1"``) are refused rather than one silently winning."""
        if not isinstance(value, Mapping):
            return value
        keyed: dict[str, Any] = {}
        for raw, state in value.items():
            key = state_key(raw)
            if key is None or key == "":
                raise ValueError(f"key {raw!r} must be text, a whole number or true/false")
            if key in keyed:
                raise ValueError(f"keys {raw!r} and an earlier one both mean {key!r}")
            keyed[key] = state
        return keyed

    @model_validator(mode="after")
    def _consistent(self) -> _Entry:
        wrong = [*self._reference_problems(), *self._target_problems()]
        if wrong:
            raise ValueError("; ".join(wrong))
        return self

    def _reference_problems(self) -> list[str]:
        if (self.node is None) == (self.browse_path is None):
            return ["give exactly one of node or browse_path"]
        return []

    def _target_problems(self) -> list[str]:
        if (self.signal is None) == (self.message is None):
            return ["give exactly one of signal (telemetry) or message: machine.state"]
        if self.message is not None:
            numeric = [k for k in ("unit",) if getattr(self, k) is not None]
            numeric += [k for k in ("scale", "offset") if k in self.model_fields_set]
            problems = [f"{k} applies to signals only" for k in numeric]
            if not self.states:
                problems.append("machine.state needs states: {raw value: state, ...}")
            return problems
        if self.states is not None:
            return ["states applies to message: machine.state only"]
        if self.scale == 0:
            return ["scale 0 would make every reading the offset"]
        return []

    def to_mapped(self) -> MappedNode:
        ref = (
            NodeRef(node_id=self.node)
            if self.node is not None
            else NodeRef(browse_path=_segments(self.browse_path or ""))
        )
        path = EquipmentPath.parse(self.equipment)
        if self.signal is not None:
            target: Target = SignalTarget(path, self.signal, self.scale, self.offset, self.unit)
        else:
            target = StateTarget(path, dict(self.states or {}))
        return MappedNode(ref, target)


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    nodes: list[_Entry] = Field(min_length=1)

    @model_validator(mode="after")
    def _no_duplicates(self) -> _Document:
        """A node mapped twice, or two nodes feeding one signal, is a copy-paste slip."""
        wrong: list[str] = []
        refs: dict[str, int] = {}
        signals: dict[tuple[str, str], int] = {}
        for i, entry in enumerate(self.nodes):
            ref = entry.node or entry.browse_path or ""
            if ref in refs:
                wrong.append(f"nodes[{i}] maps {ref} again (see nodes[{refs[ref]}])")
            refs.setdefault(ref, i)
            sig = (entry.equipment, entry.signal or STATE_MESSAGE)
            if sig in signals:
                wrong.append(f"nodes[{i}] feeds {'/'.join(sig)} again (see nodes[{signals[sig]}])")
            signals.setdefault(sig, i)
        if wrong:
            raise ValueError("; ".join(wrong))
        return self


# -- parsing -----------------------------------------------------------------------------------
def _segments(browse_path: str) -> tuple[str, ...]:
    """``Objects/2:Plant/2:Temp`` → ``("2:Plant", "2:Temp")``; the namespace index is required
    below Objects because a bare name would mean namespace 0, the standard's own."""
    parts = [p.strip() for p in browse_path.strip().strip("/").split("/")]
    if not parts or parts[0] not in ("Objects", OBJECTS):
        raise ValueError(f"{browse_path!r} must start at Objects")
    below = parts[1:]
    if not below:
        raise ValueError(f"{browse_path!r} names Objects itself, not a variable under it")
    bad = [p for p in below if not _SEGMENT.match(p)]
    if bad:
        raise ValueError(f"segments {bad} need a namespace index, e.g. '2:{bad[0]}'")
    return tuple(below)


class _Loader(yaml.SafeLoader):
    """YAML 1.1 reads ``ON``/``OFF``/``yes``/``no`` as booleans; PLC state tables use those
    words as text, so only ``true``/``false`` are booleans here. A key given twice is an
    error, not a silent overwrite."""

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            seen: list[Any] = []
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                if any(key == k for k in seen):  # true == 1 in Python, so in a dict too
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"key {key!r} is given twice (true and 1 count as one; quote one)",
                        key_node.start_mark,
                    )
                seen.append(key)
        return super().construct_mapping(node, deep=deep)  # type: ignore[arg-type]


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _loc(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def node_map_from_data(data: Any, *, source: str = "node map") -> NodeMap:
    """A parsed YAML (or JSON) document → a ``NodeMap``; every problem at once."""
    try:
        document = _Document.model_validate(data)
    except ValidationError as exc:
        problems = [
            Problem(_loc(err["loc"]), str(err["msg"]).removeprefix("Value error, "), err["type"])
            for err in exc.errors()
        ]
        raise InvalidInput(f"{source} is not a valid OPC UA node map", problems) from None
    return NodeMap(tuple(entry.to_mapped() for entry in document.nodes))


def parse_node_map(text: str, *, source: str = "node map") -> NodeMap:
    """YAML text → a ``NodeMap``."""
    try:
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{source} is not YAML", [Problem("", str(exc), "bad_yaml")]) from None
    return node_map_from_data(data, source=source)


def load_node_map(path: str | Path) -> NodeMap:
    """Read and parse a node map file."""
    return parse_node_map(Path(path).read_text(encoding="utf-8"), source=str(path))
