"""Compiling expressions to CP-SAT, exactly.

CP-SAT works on integers, catalogs on decimals. Every formula is kept as a linear form with
``Fraction`` coefficients (:class:`Lin`) and scaled to integers by the least common
denominator only when a constraint is posted, so ``0.1 * 3 <= 0.3`` is as true in the solver
as it is on paper. Conditions become literals, fully reified (``b <=> condition``) so every
helper variable is fixed by the choices and solution counting counts configurations.
Products of two non-constant terms use ``AddMultiplicationEquality``; ``x if c else y`` uses
a helper variable with two enforced equalities.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ortools.sat.python import cp_model

from openfab.catalog.tree import (
    Arith,
    AsNumber,
    AttrSum,
    BoolOp,
    Compare,
    Const,
    IfElse,
    Neg,
    Node,
    Not,
    NumberRef,
    OptionRef,
)

Literal = Any
"""A CP-SAT literal: a Boolean variable or its negation."""


@dataclass(frozen=True)
class Lin:
    """``const + sum(coef * var)`` with exact coefficients; variables by proto index."""

    terms: dict[int, Fraction] = field(default_factory=dict)
    const: Fraction = Fraction(0)

    def __add__(self, other: Lin) -> Lin:
        terms = dict(self.terms)
        for index, coef in other.terms.items():
            terms[index] = terms.get(index, Fraction(0)) + coef
        return Lin({i: c for i, c in terms.items() if c}, self.const + other.const)

    def scaled(self, factor: Fraction) -> Lin:
        if not factor:
            return Lin()
        return Lin({i: c * factor for i, c in self.terms.items()}, self.const * factor)

    def denominator(self) -> int:
        """The least common denominator: multiply by it to get integer coefficients."""
        return math.lcm(self.const.denominator, *(c.denominator for c in self.terms.values()))


class Compiler:
    """Posts expressions into one CP-SAT model, remembering each compiled node."""

    def __init__(self, model: cp_model.CpModel) -> None:
        self.model = model
        self.true: Literal = model.new_bool_var("true")
        model.add(self.true == 1)
        self.vars: dict[int, Any] = {}
        self.bounds: dict[int, tuple[int, int]] = {self.true.index: (1, 1)}
        self.vars[self.true.index] = self.true
        self.options: dict[str, Literal] = {}
        self.numbers: dict[str, Lin] = {}
        self.attributes: dict[tuple[str, str | None], Lin] = {}
        self._cache: dict[Node, Any] = {}

    # --- variables and linear forms ---------------------------------------------------------

    def new_var(self, low: int, high: int, name: str) -> Any:
        var = (
            self.model.new_bool_var(name)
            if (low, high) == (0, 1)
            else self.model.new_int_var(low, high, name)
        )
        self.vars[var.index] = var
        self.bounds[var.index] = (low, high)
        return var

    def lin_of(self, literal: Literal) -> Lin:
        index: int = literal.index
        if index >= 0:
            return Lin({index: Fraction(1)})
        return Lin({-index - 1: Fraction(-1)}, Fraction(1))

    def expr(self, lin: Lin, factor: int = 1) -> Any:
        """``factor * lin`` as a CP-SAT expression; ``factor`` must make it integral."""
        indices = list(lin.terms)
        coefs = [int(lin.terms[i] * factor) for i in indices]
        return cp_model.LinearExpr.weighted_sum([self.vars[i] for i in indices], coefs) + int(
            lin.const * factor
        )

    def range_of(self, lin: Lin) -> tuple[Fraction, Fraction]:
        low = high = lin.const
        for index, coef in lin.terms.items():
            lo, hi = self.bounds[index]
            low += coef * (lo if coef > 0 else hi)
            high += coef * (hi if coef > 0 else lo)
        return low, high

    def constant(self, value: bool) -> Literal:
        return self.true if value else ~self.true

    def fixed(self, literal: Literal) -> bool | None:
        """True or False for the constant literals, None for a real decision."""
        index: int = literal.index
        if index == self.true.index:
            return True
        if index == -self.true.index - 1:
            return False
        return None

    # --- conditions -------------------------------------------------------------------------

    def literal(self, node: Node) -> Literal:
        if node not in self._cache:
            self._cache[node] = self._literal(node)
        return self._cache[node]

    def _literal(self, node: Node) -> Literal:
        match node:
            case Const(value=bool(value)):
                return self.constant(value)
            case OptionRef(code=code):
                return self.options[code]
            case Not(operand=operand):
                return ~self.literal(operand)
            case BoolOp(op=op, operands=operands):
                return self._bool_op(op == "and", [self.literal(o) for o in operands])
            case Compare(op=op, left=left, right=right):
                return self._compare(
                    op, self.linear(left) + self.linear(right).scaled(Fraction(-1))
                )
        raise TypeError(f"not a condition: {node!r}")

    def _bool_op(self, is_and: bool, literals: list[Literal]) -> Literal:
        """Reified and/or; constants are folded away first."""
        absorbing = not is_and
        kept = []
        for literal in literals:
            value = self.fixed(literal)
            if value is absorbing:
                return self.constant(absorbing)
            if value is None:
                kept.append(literal)
        if not kept:
            return self.constant(not absorbing)
        if len(kept) == 1:
            return kept[0]
        result = self.new_var(0, 1, "and" if is_and else "or")
        if is_and:
            self.model.add_bool_and(kept).only_enforce_if(result)
            self.model.add_bool_or([~k for k in kept]).only_enforce_if(~result)
        else:
            self.model.add_bool_or(kept).only_enforce_if(result)
            self.model.add_bool_and([~k for k in kept]).only_enforce_if(~result)
        return result

    def _compare(self, op: str, diff: Lin) -> Literal:
        """A literal for ``diff op 0``, decided from bounds when possible."""
        if op in (">", ">="):
            diff, op = diff.scaled(Fraction(-1)), op.replace(">", "<")
        factor = diff.denominator()
        low, high = (int(v * factor) for v in self.range_of(diff))
        expr = self.expr(diff, factor)
        if op == "<":
            return self._reify(low, high, expr <= -1, expr >= 0, high <= -1, low >= 0)
        if op == "<=":
            return self._reify(low, high, expr <= 0, expr >= 1, high <= 0, low >= 1)
        equal = self._reify(low, high, expr == 0, expr != 0, low == high == 0, low > 0 or high < 0)
        return equal if op == "==" else ~equal

    def _reify(
        self, low: int, high: int, holds: Any, fails: Any, always: bool, never: bool
    ) -> Literal:
        if always or never:
            return self.constant(always)
        result = self.new_var(0, 1, "cmp")
        self.model.add(holds).only_enforce_if(result)
        self.model.add(fails).only_enforce_if(~result)
        return result

    # --- numbers ------------------------------------------------------------------------------

    def linear(self, node: Node) -> Lin:
        if node not in self._cache:
            self._cache[node] = self._linear(node)
        result: Lin = self._cache[node]
        return result

    def _linear(self, node: Node) -> Lin:
        match node:
            case Const(value=Fraction() as value):
                return Lin(const=value)
            case NumberRef(group=group):
                return self.numbers[group]
            case AttrSum(name=name, group=group):
                return self.attributes.get((name, group), Lin())
            case AsNumber(operand=operand):
                return self.lin_of(self.literal(operand))
            case Neg(operand=operand):
                return self.linear(operand).scaled(Fraction(-1))
            case Arith(op=op, left=left, right=right):
                return self._arith(op, self.linear(left), self.linear(right))
            case IfElse(cond=cond, then=then, orelse=orelse):
                return self._if_else(self.literal(cond), self.linear(then), self.linear(orelse))
        raise TypeError(f"not a number: {node!r}")

    def _arith(self, op: str, left: Lin, right: Lin) -> Lin:
        if op == "+":
            return left + right
        if op == "-":
            return left + right.scaled(Fraction(-1))
        if op == "/":
            return left.scaled(1 / right.const)
        if not right.terms:
            return left.scaled(right.const)
        if not left.terms:
            return right.scaled(left.const)
        return self._product(left, right)

    def _as_var(self, lin: Lin) -> tuple[Any, int]:
        """A variable equal to ``factor * lin`` (integral), and that factor."""
        factor = lin.denominator()
        if not lin.const and len(lin.terms) == 1:
            ((index, coef),) = lin.terms.items()
            if coef == 1:
                return self.vars[index], 1
        low, high = (int(v * factor) for v in self.range_of(lin))
        var = self.new_var(low, high, "term")
        self.model.add(var == self.expr(lin, factor))
        return var, factor

    def _product(self, left: Lin, right: Lin) -> Lin:
        (x, fx), (y, fy) = self._as_var(left), self._as_var(right)
        corners = [a * b for a in self.bounds[x.index] for b in self.bounds[y.index]]
        z = self.new_var(min(corners), max(corners), "product")
        self.model.add_multiplication_equality(z, [x, y])
        return Lin({z.index: Fraction(1, fx * fy)})

    def _if_else(self, cond: Literal, then: Lin, orelse: Lin) -> Lin:
        value = self.fixed(cond)
        if value is not None:
            return then if value else orelse
        factor = math.lcm(then.denominator(), orelse.denominator())
        bounds = [*self.range_of(then), *self.range_of(orelse)]
        var = self.new_var(int(min(bounds) * factor), int(max(bounds) * factor), "if")
        self.model.add(var == self.expr(then, factor)).only_enforce_if(cond)
        self.model.add(var == self.expr(orelse, factor)).only_enforce_if(~cond)
        return Lin({var.index: Fraction(1, factor)})
