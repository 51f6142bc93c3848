"""A small, safe expression language for rules and formulas.

Catalog authors write rules (``ice_maker and door == 'single_door'``) and formulas
(``shelves * 1.5 + 2``) as text. The text is parsed with :mod:`ast` into a tiny typed tree —
never ``eval`` — so a catalog file cannot run code, every unknown name is reported at load
time, and the same tree (:mod:`openfab.catalog.tree`) can be both evaluated on a concrete
configuration and compiled to CP-SAT (:mod:`openfab.catalog.cpsat`).
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from openfab.catalog.tree import (
    Arith,
    ArithOp,
    AsNumber,
    AttrSum,
    BoolOp,
    Compare,
    CompareOp,
    Const,
    Env,
    Expr,
    IfElse,
    Kind,
    Neg,
    Node,
    Not,
    NumberRef,
    OptionRef,
    evaluate_bool,
    evaluate_number,
    fold,
)

__all__ = [
    "Arith",
    "AsNumber",
    "AttrSum",
    "BoolOp",
    "Compare",
    "Const",
    "Env",
    "Expr",
    "ExpressionError",
    "IfElse",
    "Kind",
    "Neg",
    "Node",
    "Not",
    "NumberRef",
    "OptionRef",
    "Scope",
    "evaluate_bool",
    "evaluate_number",
    "parse_expression",
]

# --- names an expression may use --------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The names of one product, so the parser can resolve and type-check every name."""

    group_kinds: Mapping[str, str]
    group_options: Mapping[str, tuple[str, ...]]
    group_attributes: Mapping[str, frozenset[str]]

    def option_group(self, code: str) -> str | None:
        for group, options in self.group_options.items():
            if code in options:
                return group
        return None

    def attribute_groups(self, name: str) -> frozenset[str]:
        return frozenset(g for g, names in self.group_attributes.items() if name in names)


class ExpressionError(ValueError):
    """An expression that cannot be parsed; ``messages`` names every bad token."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


def parse_expression(source: str, scope: Scope, kind: Kind) -> Expr:
    """Parse ``source`` into an :class:`Expr` of ``kind``, or raise :class:`ExpressionError`."""
    text = source.strip()
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError([f"syntax error at column {exc.offset}: {exc.msg}"]) from None
    parser = _Parser(text, scope)
    node = parser.typed(tree.body, kind)
    if parser.errors:
        raise ExpressionError(parser.errors)
    return Expr(text, node, kind, frozenset(parser.groups))


# --- parser -------------------------------------------------------------------------------------

_COMPARE_OPS: dict[type[ast.cmpop], CompareOp] = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
}
_ARITH_OPS: dict[type[ast.operator], ArithOp] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
}
_PLACEHOLDER: dict[Kind, Node] = {"bool": Const(False), "num": Const(Fraction(0))}


class _Parser:
    """Turns a Python ``ast`` into a typed :data:`Node`, collecting every error on the way."""

    def __init__(self, source: str, scope: Scope) -> None:
        self.source = source
        self.scope = scope
        self.errors: list[str] = []
        self.groups: set[str] = set()

    def fail(self, message: str, kind: Kind) -> Node:
        self.errors.append(message)
        return _PLACEHOLDER[kind]

    def segment(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.source, node) or type(node).__name__

    def typed(self, node: ast.expr, kind: Kind) -> Node:
        """Parse ``node`` as ``kind``; a boolean may stand for a number, never the reverse."""
        errors = len(self.errors)
        result, got = self.visit(node)
        if got == kind:
            return result
        if len(self.errors) > errors:
            return _PLACEHOLDER[kind]
        if kind == "num":
            return fold(AsNumber(result))
        return self.fail(f"expected a condition, got the number {self.segment(node)!r}", kind)

    def visit(self, node: ast.expr) -> tuple[Node, Kind]:
        match node:
            case ast.Constant(value=bool(value)):
                return Const(value), "bool"
            case ast.Constant(value=int(value) | float(value)) if math.isfinite(value):
                return Const(Fraction(repr(value))), "num"
            case ast.Constant(value=str(value)):
                message = f"text {value!r} can only be compared with a single-choice group"
                return self.fail(message, "num"), "num"
            case ast.Name(id=name):
                return self.name(name)
            case ast.Attribute(value=ast.Name(id=group), attr=attr):
                return self.group_attribute(group, attr), "num"
            case ast.BoolOp(op=op, values=values):
                items = tuple(self.typed(v, "bool") for v in values)
                return fold(BoolOp("and" if isinstance(op, ast.And) else "or", items)), "bool"
            case ast.UnaryOp(op=ast.Not(), operand=operand):
                return fold(Not(self.typed(operand, "bool"))), "bool"
            case ast.UnaryOp(op=ast.USub(), operand=operand):
                return fold(Neg(self.typed(operand, "num"))), "num"
            case ast.UnaryOp(op=ast.UAdd(), operand=operand):
                return self.typed(operand, "num"), "num"
            case ast.BinOp(op=op, left=left, right=right) if type(op) in _ARITH_OPS:
                return self.arith(_ARITH_OPS[type(op)], left, right, node), "num"
            case ast.Compare(left=left, ops=ops, comparators=comparators):
                return self.compare(left, ops, comparators), "bool"
            case ast.IfExp(test=test, body=body, orelse=orelse):
                return self.if_else(test, body, orelse), "num"
        return self.fail(f"unsupported syntax {self.segment(node)!r}", "num"), "num"

    def name(self, name: str) -> tuple[Node, Kind]:
        scope = self.scope
        group = scope.option_group(name)
        if group is not None:
            self.groups.add(group)
            return OptionRef(name), "bool"
        kind = scope.group_kinds.get(name)
        if kind == "numeric":
            self.groups.add(name)
            return NumberRef(name), "num"
        if kind == "single":
            hint = f"e.g. {name} == {scope.group_options[name][0]!r}"
            return self.fail(
                f"group {name!r} can only be compared with an option, {hint}", "num"
            ), "num"
        if kind == "multi":
            message = (
                f"group {name!r} has several options: use an option code or {name}.<attribute>"
            )
            return self.fail(message, "num"), "num"
        groups = scope.attribute_groups(name)
        if groups:
            self.groups.update(groups)
            return AttrSum(name, None), "num"
        return self.fail(f"unknown name {name!r}", "num"), "num"

    def group_attribute(self, group: str, attr: str) -> Node:
        if group not in self.scope.group_kinds:
            return self.fail(f"unknown group {group!r} in {group}.{attr}", "num")
        if attr not in self.scope.group_attributes[group]:
            return self.fail(f"group {group!r} has no attribute {attr!r}", "num")
        self.groups.add(group)
        return AttrSum(attr, group)

    def arith(self, op: ArithOp, left: ast.expr, right: ast.expr, node: ast.expr) -> Node:
        lhs, rhs = self.typed(left, "num"), self.typed(right, "num")
        if op == "/" and not isinstance(rhs, Const):
            return self.fail(f"can only divide by a constant in {self.segment(node)!r}", "num")
        if op == "/" and rhs == Const(Fraction(0)):
            return self.fail(f"division by zero in {self.segment(node)!r}", "num")
        return fold(Arith(op, lhs, rhs))

    def if_else(self, test: ast.expr, body: ast.expr, orelse: ast.expr) -> Node:
        cond = self.typed(test, "bool")
        then, other = self.visit(body), self.visit(orelse)
        if then[1] == "bool" or other[1] == "bool":
            branches = f"{self.segment(body)!r} / {self.segment(orelse)!r}"
            message = f"'x if c else y' must give numbers, not conditions: {branches}"
            return self.fail(message, "num")
        return fold(IfElse(cond, then[0], other[0]))

    def compare(self, left: ast.expr, ops: list[ast.cmpop], comparators: list[ast.expr]) -> Node:
        operands = [left, *comparators]
        pairs = [self.compare_pair(operands[i], op, operands[i + 1]) for i, op in enumerate(ops)]
        return pairs[0] if len(pairs) == 1 else fold(BoolOp("and", tuple(pairs)))

    def compare_pair(self, left: ast.expr, op: ast.cmpop, right: ast.expr) -> Node:
        choice = self.choice_test(left, op, right)
        if choice is not None:
            return choice
        if type(op) not in _COMPARE_OPS:
            return self.fail(f"unsupported comparison {self.segment(right)!r}", "bool")
        return fold(
            Compare(_COMPARE_OPS[type(op)], self.typed(left, "num"), self.typed(right, "num"))
        )

    def choice_test(self, left: ast.expr, op: ast.cmpop, right: ast.expr) -> Node | None:
        """``size == 'xl'``, ``'xl' != size``, ``size in ('l', 'xl')``: single-choice tests."""
        if isinstance(right, ast.Name) and isinstance(left, ast.Constant):
            left, right = right, left
        if not (isinstance(left, ast.Name) and self.scope.group_kinds.get(left.id) == "single"):
            if isinstance(right, ast.Constant) and isinstance(right.value, str):
                errors = len(self.errors)
                self.visit(left)  # an unknown name on the left is the real problem
                if len(self.errors) > errors:
                    return _PLACEHOLDER["bool"]
                message = f"text {right.value!r} can only be compared with a single-choice group"
                return self.fail(message, "bool")
            return None
        group = left.id
        codes = self.choice_codes(group, op, right)
        if codes is None:
            hint = f"{group} == {self.scope.group_options[group][0]!r}"
            return self.fail(f"compare group {group!r} with option codes, e.g. {hint}", "bool")
        self.groups.add(group)
        test = fold(BoolOp("or", tuple(OptionRef(c) for c in codes)))
        return fold(Not(test)) if isinstance(op, ast.NotEq | ast.NotIn) else test

    def choice_codes(self, group: str, op: ast.cmpop, right: ast.expr) -> list[str] | None:
        if isinstance(op, ast.Eq | ast.NotEq) and isinstance(right, ast.Constant):
            items: list[ast.expr] = [right]
        elif isinstance(op, ast.In | ast.NotIn) and isinstance(right, ast.Tuple | ast.List):
            items = list(right.elts)
        else:
            return None
        codes = []
        for item in items:
            if not (isinstance(item, ast.Constant) and isinstance(item.value, str)):
                return None
            if item.value not in self.scope.group_options[group]:
                self.fail(f"{item.value!r} is not an option of group {group!r}", "bool")
            codes.append(item.value)
        return codes
