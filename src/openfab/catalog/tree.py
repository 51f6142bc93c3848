"""The typed tree of a parsed expression, and its direct evaluation.

Parsing (:mod:`openfab.catalog.expressions`) produces this tree; the engine evaluates it
here on concrete configurations and compiles it to CP-SAT in :mod:`openfab.catalog.cpsat`.
Numbers are exact ``Fraction`` values, so both paths agree to the last digit.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal, Protocol

Kind = Literal["bool", "num"]
CompareOp = Literal["<", "<=", ">", ">=", "==", "!="]
ArithOp = Literal["+", "-", "*", "/"]


# --- the tree -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Const:
    """A number (as an exact fraction) or a boolean."""

    value: Fraction | bool


@dataclass(frozen=True, slots=True)
class OptionRef:
    """True when the option is selected."""

    code: str


@dataclass(frozen=True, slots=True)
class NumberRef:
    """The value chosen for a numeric option group."""

    group: str


@dataclass(frozen=True, slots=True)
class AttrSum:
    """An attribute summed over the selected options of one group, or of all groups."""

    name: str
    group: str | None


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node


@dataclass(frozen=True, slots=True)
class BoolOp:
    op: Literal["and", "or"]
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Compare:
    op: CompareOp
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Arith:
    op: ArithOp
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Neg:
    operand: Node


@dataclass(frozen=True, slots=True)
class AsNumber:
    """A boolean used as a number: 1 if true else 0 (as in Python)."""

    operand: Node


@dataclass(frozen=True, slots=True)
class IfElse:
    cond: Node
    then: Node
    orelse: Node


Node = (
    Const
    | OptionRef
    | NumberRef
    | AttrSum
    | Not
    | BoolOp
    | Compare
    | Arith
    | Neg
    | AsNumber
    | IfElse
)


@dataclass(frozen=True)
class Expr:
    """A parsed expression: its source text, its tree, its type and the groups it reads."""

    source: str
    node: Node
    kind: Kind
    groups: frozenset[str]

    def __str__(self) -> str:
        return self.source


# --- evaluation ----------------------------------------------------------------------------------


class Env(Protocol):
    """What an expression reads from a configuration."""

    def option(self, code: str) -> bool: ...

    def number(self, group: str) -> Fraction: ...

    def attribute(self, name: str, group: str | None) -> Fraction: ...


_COMPARE: dict[CompareOp, Callable[[Fraction, Fraction], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
_ARITH: dict[ArithOp, Callable[[Fraction, Fraction], Fraction]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
}


def evaluate_bool(node: Node, env: Env) -> bool:
    """Evaluate a condition on a concrete configuration."""
    match node:
        case Const(value=bool(value)):
            return value
        case OptionRef(code=code):
            return env.option(code)
        case Not(operand=operand):
            return not evaluate_bool(operand, env)
        case BoolOp(op="and", operands=operands):
            return all(evaluate_bool(o, env) for o in operands)
        case BoolOp(op="or", operands=operands):
            return any(evaluate_bool(o, env) for o in operands)
        case Compare(op=op, left=left, right=right):
            return _COMPARE[op](evaluate_number(left, env), evaluate_number(right, env))
    raise TypeError(f"not a condition: {node!r}")


def evaluate_number(node: Node, env: Env) -> Fraction:
    """Evaluate a formula on a concrete configuration, exactly."""
    match node:
        case Const(value=Fraction() as value):
            return value
        case NumberRef(group=group):
            return env.number(group)
        case AttrSum(name=name, group=group):
            return env.attribute(name, group)
        case Arith(op=op, left=left, right=right):
            return _ARITH[op](evaluate_number(left, env), evaluate_number(right, env))
        case Neg(operand=operand):
            return -evaluate_number(operand, env)
        case AsNumber(operand=operand):
            return Fraction(int(evaluate_bool(operand, env)))
        case IfElse(cond=cond, then=then, orelse=orelse):
            return evaluate_number(then if evaluate_bool(cond, env) else orelse, env)
    raise TypeError(f"not a number: {node!r}")


class _NoEnv:
    """The environment of constant folding: reading any name is a bug."""

    def option(self, code: str) -> bool:
        raise AssertionError(code)

    def number(self, group: str) -> Fraction:
        raise AssertionError(group)

    def attribute(self, name: str, group: str | None) -> Fraction:
        raise AssertionError(name)


def _children(node: Node) -> tuple[Node, ...]:
    match node:
        case Not(operand=o) | Neg(operand=o) | AsNumber(operand=o):
            return (o,)
        case BoolOp(operands=operands):
            return operands
        case Compare(left=a, right=b) | Arith(left=a, right=b):
            return (a, b)
        case IfElse(cond=c, then=a, orelse=b):
            return (c, a, b)
    return ()


def fold(node: Node) -> Node:
    """Replace an operation on constants by its value, so solvers see fewer terms."""
    children = _children(node)
    if not children or not all(isinstance(c, Const) for c in children):
        return node
    if isinstance(node, Not | BoolOp | Compare):
        return Const(evaluate_bool(node, _NoEnv()))
    return Const(evaluate_number(node, _NoEnv()))
