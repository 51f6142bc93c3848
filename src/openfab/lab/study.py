"""A study: its design space, what is measured and what is wanted, read from YAML-shaped data.

The minimal form of the issue is accepted as it is; mixture components that are not declared
as parameters become continuous parameters in [0, total]. Extras (units, linear and outcome
constraints, thresholds, the surrogate kind) are documented in the README.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from openfab.errors import InvalidInput, ProblemCollector
from openfab.lab.space import DesignSpace, LinearConstraint, Parameter

Goal = Literal["maximize", "minimize"]
SurrogateKind = Literal["auto", "gp", "ensemble"]


@dataclass(frozen=True)
class Objective:
    """A measured property to push up or down; ``threshold`` is the worst value still worth
    having (the hypervolume's reference point)."""

    name: str
    goal: Goal = "maximize"
    unit: str = ""
    threshold: float | None = None

    @property
    def sign(self) -> float:
        """Multiply by this to turn the goal into maximization."""
        return 1.0 if self.goal == "maximize" else -1.0


@dataclass(frozen=True)
class OutcomeConstraint:
    """A measured property that must stay in [lower, upper] (e.g. a plating margin >= 0)."""

    name: str
    lower: float = -math.inf
    upper: float = math.inf
    unit: str = ""

    def holds(self, value: float) -> bool:
        return self.lower <= value <= self.upper


@dataclass(frozen=True)
class Study:
    name: str
    space: DesignSpace
    objectives: tuple[Objective, ...]
    outcome_constraints: tuple[OutcomeConstraint, ...] = ()
    surrogate: SurrogateKind = "auto"
    description: str = ""

    @property
    def properties(self) -> list[str]:
        """Every measured column: objectives first, then outcome constraints."""
        names = [o.name for o in self.objectives]
        return names + [c.name for c in self.outcome_constraints if c.name not in names]

    def unit(self, prop: str) -> str:
        items: list[Objective | OutcomeConstraint] = [*self.objectives, *self.outcome_constraints]
        for item in items:
            if item.name == prop and item.unit:
                return item.unit
        return ""


def load_study(path: Path) -> Study:
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInput(f"cannot read study file {path}: {exc}") from None
    return parse_study(raw, default_name=path.stem)


MAX_NAME = 120
MAX_DESCRIPTION = 2000


def parse_study(data: Any, *, default_name: str = "study") -> Study:
    """Check and convert a study document; every problem is named at once."""
    found = ProblemCollector()
    if not isinstance(data, Mapping):
        raise InvalidInput("a study is a mapping", [])
    known = {"name", "description", "parameters", "objectives", "constraints", "surrogate"}
    for key in data:
        if key not in known:
            found.add(str(key), "unknown field", "unknown_field")
    params = [_parameter(found, item, i) for i, item in enumerate(_list(found, data, "parameters"))]
    parameters = [p for p in params if p is not None]
    objectives = [_objective(found, o, i) for i, o in enumerate(_list(found, data, "objectives"))]
    if not objectives:
        found.add("objectives", "a study needs at least one objective", "missing")
    linear: list[LinearConstraint] = []
    outcome: list[OutcomeConstraint] = []
    for i, item in enumerate(data.get("constraints") or []):
        _constraint(found, item, i, parameters, linear, outcome)
    name = data.get("name") or default_name
    if not isinstance(name, str) or len(name) > MAX_NAME:
        found.add("name", f"text of at most {MAX_NAME} characters", "too_long")
    description = data.get("description") or ""
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        found.add("description", f"text of at most {MAX_DESCRIPTION} characters", "too_long")
    surrogate = data.get("surrogate", "auto")
    if surrogate not in ("auto", "gp", "ensemble"):
        found.add("surrogate", "use auto, gp or ensemble", "invalid")
    names = [o.name for o in objectives if o is not None]
    for name in {n for n in names if names.count(n) > 1}:
        found.add(f"objectives.{name}", "declared more than once", "duplicate")
    clash = set(names) & {p.name for p in parameters}
    for name in clash:
        found.add(f"objectives.{name}", "is also a parameter", "duplicate")
    found.raise_if_any("the study is invalid")
    space = DesignSpace(tuple(parameters), tuple(linear))
    return Study(
        name=str(name),
        space=space,
        objectives=tuple(o for o in objectives if o is not None),
        outcome_constraints=tuple(outcome),
        surrogate=surrogate,
        description=str(description),
    )


def _list(found: ProblemCollector, data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if value is None:
        found.add(key, "missing", "missing")
        return []
    if not isinstance(value, list):
        found.add(key, "expected a list", "wrong_type")
        return []
    return value


def _number(found: ProblemCollector, item: Mapping[str, Any], key: str, loc: str) -> float | None:
    value = item.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        found.add(f"{loc}.{key}", f"expected a finite number, got {value!r}", "wrong_type")
        return None
    return float(value)


def _parameter(found: ProblemCollector, item: Any, i: int) -> Parameter | None:
    if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
        found.add(f"parameters[{i}]", "expected a mapping with a name", "wrong_type")
        return None
    name, kind, loc = item["name"], item.get("type", "continuous"), f"parameters.{item['name']}"
    unit = str(item.get("unit", ""))
    if kind == "categorical":
        values = item.get("values")
        if not isinstance(values, list) or not values:
            found.add(f"{loc}.values", "a categorical parameter needs a list of values", "missing")
            return None
        return Parameter(name, "categorical", values=tuple(str(v) for v in values), unit=unit)
    if kind not in ("continuous", "integer"):
        found.add(f"{loc}.type", "use continuous, integer or categorical", "invalid")
        return None
    low, high = _number(found, item, "low", loc), _number(found, item, "high", loc)
    if low is None or high is None:
        return None
    return Parameter(name, kind, low, high, unit=unit)


def _objective(found: ProblemCollector, item: Any, i: int) -> Objective | None:
    if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
        found.add(f"objectives[{i}]", "expected a mapping with a name", "wrong_type")
        return None
    loc = f"objectives.{item['name']}"
    goal = item.get("goal", "maximize")
    if goal not in ("maximize", "minimize"):
        found.add(f"{loc}.goal", "use maximize or minimize", "invalid")
        return None
    threshold = _number(found, item, "threshold", loc) if "threshold" in item else None
    return Objective(item["name"], goal, str(item.get("unit", "")), threshold)


def _constraint(
    found: ProblemCollector,
    item: Any,
    i: int,
    parameters: list[Parameter],
    linear: list[LinearConstraint],
    outcome: list[OutcomeConstraint],
) -> None:
    loc = f"constraints[{i}]"
    if not isinstance(item, Mapping):
        found.add(loc, "expected a mapping", "wrong_type")
        return
    kind = item.get("type")
    name = str(item.get("name") or f"{kind}{i}")
    if kind == "mixture":
        parts = item.get("parameters")
        total = _number(found, item, "total", loc) if "total" in item else 1.0
        if not isinstance(parts, list) or len(parts) < 2 or total is None:
            found.add(loc, "a mixture names at least two parameters and a total", "invalid")
            return
        declared = {p.name for p in parameters}
        for part in parts:  # undeclared components: fractions in [0, total]
            if str(part) not in declared:
                parameters.append(Parameter(str(part), "continuous", 0.0, total))
                declared.add(str(part))
        coefficients = tuple((str(p), 1.0) for p in parts)
        linear.append(LinearConstraint(name, coefficients, total, total, mixture=True))
    elif kind == "linear":
        coefficients_raw = item.get("coefficients")
        if not isinstance(coefficients_raw, Mapping) or not coefficients_raw:
            found.add(f"{loc}.coefficients", "expected {parameter: number, ...}", "invalid")
            return
        bounds = _bounds(found, item, loc)
        if bounds is None:
            return
        coefficients = tuple((str(k), float(v)) for k, v in coefficients_raw.items())
        linear.append(LinearConstraint(name, coefficients, *bounds))
    elif kind == "outcome":
        prop = item.get("property")
        bounds = _bounds(found, item, loc)
        if not isinstance(prop, str) or bounds is None:
            found.add(loc, "an outcome constraint names a property and min and/or max", "invalid")
            return
        outcome.append(OutcomeConstraint(prop, *bounds, unit=str(item.get("unit", ""))))
    else:
        found.add(f"{loc}.type", "use mixture, linear or outcome", "invalid")


def _bounds(
    found: ProblemCollector, item: Mapping[str, Any], loc: str
) -> tuple[float, float] | None:
    if "equals" in item:
        value = _number(found, item, "equals", loc)
        return None if value is None else (value, value)
    low = _number(found, item, "min", loc) if "min" in item else -math.inf
    high = _number(found, item, "max", loc) if "max" in item else math.inf
    if low is None or high is None:
        return None
    if math.isinf(low) and math.isinf(high):
        found.add(loc, "give min, max or equals", "missing")
        return None
    return low, high


def study_to_dict(study: Study) -> dict[str, Any]:
    """The study as a document ``parse_study`` reads back (stored with the study)."""
    params: list[dict[str, Any]] = []
    for p in study.space.parameters:
        entry: dict[str, Any] = {"name": p.name, "type": p.kind}
        if p.kind == "categorical":
            entry["values"] = list(p.values)
        else:
            entry |= {"low": p.low, "high": p.high}
        if p.unit:
            entry["unit"] = p.unit
        params.append(entry)
    constraints: list[dict[str, Any]] = []
    for c in study.space.constraints:
        if c.mixture:
            parts = [n for n, _ in c.coefficients]
            constraints.append(
                {"type": "mixture", "name": c.name, "parameters": parts, "total": c.lower}
            )
        else:
            constraints.append(
                {"type": "linear", "name": c.name, "coefficients": dict(c.coefficients)}
                | _limits(c.lower, c.upper)
            )
    for o in study.outcome_constraints:
        entry = {"type": "outcome", "property": o.name} | _limits(o.lower, o.upper)
        constraints.append(entry | ({"unit": o.unit} if o.unit else {}))
    objectives = []
    for obj in study.objectives:
        doc: dict[str, Any] = {"name": obj.name, "goal": obj.goal}
        if obj.unit:
            doc["unit"] = obj.unit
        if obj.threshold is not None:
            doc["threshold"] = obj.threshold
        objectives.append(doc)
    out: dict[str, Any] = {"name": study.name, "parameters": params, "objectives": objectives}
    if constraints:
        out["constraints"] = constraints
    if study.description:
        out["description"] = study.description
    if study.surrogate != "auto":
        out["surrogate"] = study.surrogate
    return out


def _limits(lower: float, upper: float) -> dict[str, float]:
    if lower == upper:
        return {"equals": lower}
    out = {}
    if math.isfinite(lower):
        out["min"] = lower
    if math.isfinite(upper):
        out["max"] = upper
    return out
