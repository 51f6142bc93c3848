"""Evaluating expressions and rules directly on one concrete selection (no solver)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from openfab.catalog.choices import Selection
from openfab.catalog.definition import ProductDefinition, Rule
from openfab.catalog.tree import evaluate_bool


@dataclass(frozen=True)
class AttributeTable:
    """Option and per-unit attributes as exact fractions, computed once per product."""

    options: dict[str, dict[str, Fraction]]
    per_unit: dict[str, dict[str, Fraction]]
    group_of: dict[str, str]

    @classmethod
    def of(cls, definition: ProductDefinition) -> AttributeTable:
        return cls(
            options={
                o.code: {k: Fraction(repr(v)) for k, v in o.attributes.items()}
                for g in definition.option_groups
                for o in g.options
            },
            per_unit={
                g.code: {k: Fraction(repr(v)) for k, v in g.attributes.items()}
                for g in definition.option_groups
            },
            group_of=dict(definition.option_group_of),
        )

    def names(self) -> list[str]:
        """Every attribute name, sorted."""
        found = {n for attrs in (*self.options.values(), *self.per_unit.values()) for n in attrs}
        return sorted(found)


class SelectionEnv:
    """An expression :class:`~openfab.catalog.expressions.Env` over one selection."""

    def __init__(self, table: AttributeTable, selection: Selection) -> None:
        self.table = table
        self.selection = selection
        self._sums: dict[tuple[str, str | None], Fraction] = {}

    def option(self, code: str) -> bool:
        return code in self.selection.options

    def number(self, group: str) -> Fraction:
        return self.selection.numbers[group]

    def attribute(self, name: str, group: str | None) -> Fraction:
        key = (name, group)
        if key not in self._sums:
            self._sums[key] = self._sum(name, group)
        return self._sums[key]

    def _sum(self, name: str, group: str | None) -> Fraction:
        table = self.table
        total = sum(
            (
                table.options[code].get(name, Fraction(0))
                for code in self.selection.options
                if group is None or table.group_of[code] == group
            ),
            Fraction(0),
        )
        for numeric, value in self.selection.numbers.items():
            if group is None or numeric == group:
                total += value * table.per_unit[numeric].get(name, Fraction(0))
        return total


def rule_holds(rule: Rule, env: SelectionEnv) -> bool:
    """``when`` → ``require``, evaluated directly."""
    if rule.when is not None and not evaluate_bool(rule.when.node, env):
        return True
    return evaluate_bool(rule.require.node, env)


def rule_groups(rule: Rule) -> frozenset[str]:
    """The groups a rule reads; it can be judged only once all of them are settled."""
    groups = rule.require.groups
    return groups | rule.when.groups if rule.when is not None else groups
