"""The design space of a study: parameters, their bounds and the constraints between them.

Engines work in an *encoded* space: continuous and integer parameters scaled to [0, 1],
categorical ones as the index of their value. Linear constraints (mixtures included) stay
linear under that scaling, so the acquisition optimizer can hold them exactly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from openfab.errors import Infeasible, ProblemCollector

Kind = Literal["continuous", "integer", "categorical"]
Value = float | int | str
Design = dict[str, Value]
TOL = 1e-6
"""How far a suggestion may miss an equality or bound (float round-off only)."""


@dataclass(frozen=True)
class Parameter:
    """One thing the lab chooses: a number in [low, high] or one of ``values``."""

    name: str
    kind: Kind
    low: float = 0.0
    high: float = 1.0
    values: tuple[str, ...] = ()
    unit: str = ""

    @property
    def width(self) -> float:
        return self.high - self.low


@dataclass(frozen=True)
class LinearConstraint:
    """``lower <= sum(coefficients[p] * p) <= upper``; a mixture is ``sum(parts) == total``."""

    name: str
    coefficients: tuple[tuple[str, float], ...]
    lower: float = -math.inf
    upper: float = math.inf
    mixture: bool = False

    @property
    def is_equality(self) -> bool:
        return self.lower == self.upper

    def value(self, design: Mapping[str, Value]) -> float:
        return sum(c * float(design[p]) for p, c in self.coefficients)

    def holds(self, design: Mapping[str, Value], tol: float = TOL) -> bool:
        v = self.value(design)
        return self.lower - tol <= v <= self.upper + tol


@dataclass(frozen=True)
class DesignSpace:
    """Parameters in order, and linear constraints on the continuous ones (checked whole)."""

    parameters: tuple[Parameter, ...]
    constraints: tuple[LinearConstraint, ...] = ()
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {p.name: i for i, p in enumerate(self.parameters)})
        check_space(self)

    # -- shape -----------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return [p.name for p in self.parameters]

    @property
    def dim(self) -> int:
        return len(self.parameters)

    def index(self, name: str) -> int:
        return self._index[name]

    def parameter(self, name: str) -> Parameter:
        return self.parameters[self._index[name]]

    @property
    def categorical_dims(self) -> list[int]:
        return [i for i, p in enumerate(self.parameters) if p.kind == "categorical"]

    @property
    def integer_dims(self) -> list[int]:
        return [i for i, p in enumerate(self.parameters) if p.kind == "integer"]

    def bounds(self) -> NDArray[np.float64]:
        """Encoded bounds, shape (2, dim): [0, 1] for numbers, [0, k-1] for categories."""
        high = [len(p.values) - 1 if p.kind == "categorical" else 1.0 for p in self.parameters]
        return np.array([[0.0] * self.dim, high], dtype=float)

    # -- encoding --------------------------------------------------------------------------
    def encode(self, designs: Sequence[Mapping[str, Value]]) -> NDArray[np.float64]:
        rows = np.zeros((len(designs), self.dim))
        for r, design in enumerate(designs):
            for i, p in enumerate(self.parameters):
                v = design[p.name]
                if p.kind == "categorical":
                    rows[r, i] = p.values.index(str(v))
                else:
                    rows[r, i] = (float(v) - p.low) / p.width if p.width > 0 else 0.0
        return rows

    def decode(self, x: NDArray[np.float64]) -> list[Design]:
        """Encoded rows back to designs; integers rounded, categories looked up."""
        designs = []
        for row in np.atleast_2d(x):
            design: Design = {}
            for i, p in enumerate(self.parameters):
                u = float(row[i])
                if p.kind == "categorical":
                    design[p.name] = p.values[int(np.clip(round(u), 0, len(p.values) - 1))]
                elif p.kind == "integer":
                    design[p.name] = int(np.clip(round(p.low + u * p.width), p.low, p.high))
                else:
                    design[p.name] = float(np.clip(p.low + u * p.width, p.low, p.high))
            designs.append(design)
        return designs

    def encoded_constraints(
        self,
    ) -> tuple[
        list[tuple[list[int], list[float], float]], list[tuple[list[int], list[float], float]]
    ]:
        """(equalities, inequalities) as BoTorch takes them: ``sum(c * x[i]) (== | >=) rhs``."""
        equalities, inequalities = [], []
        for con in self.constraints:
            idx = [self.index(n) for n, _ in con.coefficients]
            scaled = [c * self.parameter(n).width for n, c in con.coefficients]
            shift = sum(c * self.parameter(n).low for n, c in con.coefficients)
            if con.is_equality:
                equalities.append((idx, scaled, con.lower - shift))
                continue
            if math.isfinite(con.lower):
                inequalities.append((idx, scaled, con.lower - shift))
            if math.isfinite(con.upper):
                inequalities.append((idx, [-c for c in scaled], shift - con.upper))
        return equalities, inequalities

    # -- checks ----------------------------------------------------------------------------
    def violations(self, design: Mapping[str, Value], tol: float = TOL) -> list[str]:
        """What is wrong with one design (empty: it is inside the space)."""
        wrong = []
        for p in self.parameters:
            v = design.get(p.name)
            if p.kind == "categorical":
                if str(v) not in p.values:
                    wrong.append(f"{p.name}={v!r} is not one of {list(p.values)}")
            elif not isinstance(v, int | float) or not p.low - tol <= float(v) <= p.high + tol:
                wrong.append(f"{p.name}={v!r} is outside [{p.low}, {p.high}]")
            elif p.kind == "integer" and float(v) != round(float(v)):
                wrong.append(f"{p.name}={v!r} is not an integer")
        if wrong:
            return wrong
        return [
            f"constraint {c.name} does not hold" for c in self.constraints if not c.holds(design)
        ]

    def fixed(self, design: Mapping[str, Value]) -> Design:
        """Snap float round-off: clip to bounds, then spread a mixture's residue over its
        components with room, so equalities hold to machine precision."""
        out: Design = dict(design)
        for con in self.constraints:
            if not con.mixture:
                continue
            names = [n for n, _ in con.coefficients]
            for _ in range(3):
                residue = con.lower - sum(float(out[n]) for n in names)
                room = [
                    n
                    for n in names
                    if (residue > 0 and float(out[n]) < self.parameter(n).high)
                    or (residue < 0 and float(out[n]) > self.parameter(n).low)
                ]
                if abs(residue) < 1e-12 or not room:
                    break
                for n in room:
                    p = self.parameter(n)
                    out[n] = float(np.clip(float(out[n]) + residue / len(room), p.low, p.high))
        return out


def check_space(space: DesignSpace) -> None:
    """Every problem in the space's declaration, then whether any design satisfies it all."""
    found = ProblemCollector()
    names = [p.name for p in space.parameters]
    if not names:
        found.add("parameters", "a study needs at least one parameter", "empty")
    for name in {n for n in names if names.count(n) > 1}:
        found.add(f"parameters.{name}", "declared more than once", "duplicate")
    for p in space.parameters:
        loc = f"parameters.{p.name}"
        if p.kind == "categorical":
            if len(p.values) < 1 or len(set(p.values)) != len(p.values):
                found.add(loc, "needs distinct values", "invalid_values")
        elif not (math.isfinite(p.low) and math.isfinite(p.high)):
            found.add(loc, "bounds must be finite numbers", "invalid_bounds")
        elif p.low > p.high:
            found.add(loc, f"low {p.low} is above high {p.high}", "contradicting_bounds")
        elif p.kind == "integer" and math.floor(p.high) < math.ceil(p.low):
            found.add(loc, f"no integer lies in [{p.low}, {p.high}]", "contradicting_bounds")
    members: dict[str, str] = {}
    for con in space.constraints:
        loc = f"constraints.{con.name}"
        for name, _ in con.coefficients:
            if name not in names:
                found.add(loc, f"names unknown parameter {name!r}", "unknown_parameter")
            elif space.parameters[names.index(name)].kind != "continuous":
                found.add(loc, f"{name!r} must be a continuous parameter", "not_continuous")
            if con.mixture and name in members:
                found.add(loc, f"{name!r} is already in mixture {members[name]}", "duplicate")
            if con.mixture:
                members[name] = con.name
        if con.lower > con.upper:
            found.add(loc, f"lower {con.lower} is above upper {con.upper}", "contradicting_bounds")
    found.raise_if_any("the design space is invalid")
    _check_mixture_bounds(space)
    _check_feasible(space)


def _check_mixture_bounds(space: DesignSpace) -> None:
    """A mixture whose components' bounds cannot add up to its total, named precisely."""
    found = ProblemCollector()
    for con in space.constraints:
        if not con.mixture:
            continue
        parts = [space.parameter(n) for n, _ in con.coefficients]
        low, high = sum(p.low for p in parts), sum(p.high for p in parts)
        if low > con.lower + TOL:
            found.add(
                f"constraints.{con.name}",
                f"the lower bounds already sum to {low:g} > total {con.lower:g}",
                "infeasible",
            )
        if high < con.lower - TOL:
            found.add(
                f"constraints.{con.name}",
                f"the upper bounds sum only to {high:g} < total {con.lower:g}",
                "infeasible",
            )
    found.raise_if_any("no design satisfies the constraints", Infeasible)


def _check_feasible(space: DesignSpace) -> None:
    """A linear program: is there any point meeting all bounds and constraints together?"""
    if not space.constraints:
        return
    if extreme_point(space, np.zeros(space.dim)) is None:
        found = ProblemCollector()
        for con in space.constraints:
            found.add(
                f"constraints.{con.name}",
                "cannot hold together with the bounds and the other constraints",
                "infeasible",
            )
        found.raise_if_any("no design satisfies the constraints", Infeasible)


def extreme_point(space: DesignSpace, objective: NDArray[np.float64]) -> NDArray[np.float64] | None:
    """A feasible encoded point minimising ``objective`` (a vertex of the constrained box),
    or None when no point meets the bounds and constraints together."""
    from scipy.optimize import linprog

    equalities, inequalities = space.encoded_constraints()
    dim = space.dim

    def rows(cons: list[tuple[list[int], list[float], float]], sign: float) -> Any:
        a = np.zeros((len(cons), dim))
        b = np.zeros(len(cons))
        for r, (idx, coef, rhs) in enumerate(cons):
            a[r, idx] = np.array(coef) * sign
            b[r] = rhs * sign
        return a, b

    a_eq, b_eq = rows(equalities, 1.0)
    a_ub, b_ub = rows(inequalities, -1.0)
    bounds = list(zip(*space.bounds(), strict=True))
    result = linprog(
        objective,
        A_ub=a_ub if len(inequalities) else None,
        b_ub=b_ub if len(inequalities) else None,
        A_eq=a_eq if len(equalities) else None,
        b_eq=b_eq if len(equalities) else None,
        bounds=bounds,
        method="highs",
    )
    return None if result.status == 2 else np.asarray(result.x, dtype=float)


def mixture(name: str, parts: Sequence[str], total: float = 1.0) -> LinearConstraint:
    return LinearConstraint(name, tuple((p, 1.0) for p in parts), total, total, mixture=True)


__all__ = [
    "Design",
    "DesignSpace",
    "LinearConstraint",
    "Parameter",
    "Value",
    "mixture",
]
