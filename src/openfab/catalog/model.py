"""One CP-SAT model per product, built once and reused for every guided-selling question.

Rules are not hard constraints: each is enforced by its own *guard* literal that every solve
assumes true. When a question has no answer, CP-SAT's ``sufficient_assumptions_for_infeasibility``
then names the guards — hence the rules — and the customer's answers that conflict. Choices
are assumptions too, so one model serves every partial configuration without rebuilding.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ortools.sat.python import cp_model

from openfab.catalog.cpsat import Compiler, Lin, Literal
from openfab.catalog.definition import OptionGroup, ProductDefinition
from openfab.catalog.evaluation import AttributeTable
from openfab.catalog.results import Reason

QUICK = {
    "cp_model_presolve": False,
    "symmetry_level": 0,
    "linearization_level": 0,
    "cp_model_probing_level": 0,
}
"""Solver settings for the many tiny feasibility checks of guided selling: on a model this
small, presolve and probing cost ten times more than the search (3 ms vs 0.25 ms)."""

MAX_RANK = 2**62
"""Tie-break ranks (a mixed-radix number over the choices) stay below this."""


@dataclass(frozen=True)
class Witness:
    """One valid configuration found by the solver: selected options and numeric indices."""

    options: frozenset[str]
    indices: dict[str, int]


@dataclass(frozen=True)
class Outcome:
    """A solve's answer: a witness when feasible, else the conflicting assumption indices."""

    witness: Witness | None
    core: frozenset[int] = frozenset()


class ProductModel:
    """The CP-SAT model of one product and the few ways the engine asks it questions."""

    def __init__(self, definition: ProductDefinition) -> None:
        self.definition = definition
        self.model = cp_model.CpModel()
        self.compiler = Compiler(self.model)
        self.options: dict[str, Literal] = {}
        self.indices: dict[str, Any] = {}
        self.values: dict[str, tuple[Literal, ...]] = {}
        self.guards: dict[int, Reason] = {}
        self._lock = threading.Lock()
        self._declare(AttributeTable.of(definition))
        for rule in definition.rules:
            self._post_rule(rule.code, rule.message, rule.when, rule.require)
        self.price = self._price()
        self.rank = self._rank()

    # --- building -------------------------------------------------------------------------------

    def _declare(self, table: AttributeTable) -> None:
        compiler = self.compiler
        for group in self.definition.option_groups:
            if group.kind == "numeric":
                self._declare_numeric(group)
                continue
            literals = [compiler.new_var(0, 1, o.code) for o in group.options]
            self.options.update(zip(group.option_codes, literals, strict=True))
            if group.kind == "single":
                self._post_single(group, literals)
            else:
                self._post_multi(group, literals)
        compiler.options = self.options
        compiler.attributes = self._attribute_sums(table)

    def _declare_numeric(self, group: OptionGroup) -> None:
        count = len(group.values)
        index = self.compiler.new_var(0, count - 1, group.code)
        literals = tuple(self.compiler.new_var(0, 1, f"{group.code}={v}") for v in group.values)
        self.model.add_map_domain(index, list(literals), 0)
        self.indices[group.code] = index
        self.values[group.code] = literals
        low, step = Fraction(group.low or 0), Fraction(group.step or 1)
        self.compiler.numbers[group.code] = Lin({index.index: step}, low)

    def _post_single(self, group: OptionGroup, literals: list[Literal]) -> None:
        if group.required:
            self.model.add_exactly_one(literals)
        else:
            self.model.add_at_most_one(literals)

    def _post_multi(self, group: OptionGroup, literals: list[Literal]) -> None:
        """Selection-count limits are guarded, so they can be named as reasons too."""
        count = sum(literals)
        if group.min_selected > 0:
            guard = self._guard(
                f"{group.code}.min_selected", f"{group.label}: choose at least {group.min_selected}"
            )
            self.model.add(count >= group.min_selected).only_enforce_if(guard)
        if group.max_selected is not None and group.max_selected < len(literals):
            guard = self._guard(
                f"{group.code}.max_selected", f"{group.label}: choose at most {group.max_selected}"
            )
            self.model.add(count <= group.max_selected).only_enforce_if(guard)

    def _attribute_sums(self, table: AttributeTable) -> dict[tuple[str, str | None], Lin]:
        """``group.attr`` and bare ``attr`` as linear forms over option literals and numbers."""
        sums: dict[tuple[str, str | None], Lin] = {}
        for code, attributes in table.options.items():
            term = self.compiler.lin_of(self.options[code])
            for name, value in attributes.items():
                for key in ((name, table.group_of[code]), (name, None)):
                    sums[key] = sums.get(key, Lin()) + term.scaled(value)
        for group, attributes in table.per_unit.items():
            for name, value in attributes.items():
                term = self.compiler.numbers[group].scaled(value)
                for key in ((name, group), (name, None)):
                    sums[key] = sums.get(key, Lin()) + term
        return sums

    def _guard(self, code: str, message: str) -> Literal:
        guard = self.compiler.new_var(0, 1, f"guard:{code}")
        self.guards[guard.index] = Reason(code, message)
        return guard

    def _post_rule(self, code: str, message: str, when: Any, require: Any) -> None:
        compiler = self.compiler
        condition = compiler.constant(True) if when is None else compiler.literal(when.node)
        required = compiler.literal(require.node)
        self.model.add_bool_or([~condition, required]).only_enforce_if(self._guard(code, message))

    def _price(self) -> Lin:
        price = Lin(const=Fraction(self.definition.base_price))
        for group in self.definition.option_groups:
            for option in group.options:
                term = self.compiler.lin_of(self.options[option.code])
                price = price + term.scaled(Fraction(option.price))
            if group.kind == "numeric":
                price = price + self.compiler.numbers[group.code].scaled(
                    Fraction(group.price_per_unit)
                )
        return price

    def _rank(self) -> Lin:
        """A mixed-radix number over the choices in catalog order: the deterministic tie-break.

        Earlier groups weigh more; within a group "none" ranks first, then options in listed
        order, numbers lowest first. Groups that would overflow the radix are left out.
        """
        digits: list[tuple[Lin, int]] = []
        for group in self.definition.option_groups:
            digits.extend(self._digits(group))
        rank, weight = Lin(), 1
        for digit, radix in reversed(digits):
            if weight * radix >= MAX_RANK:
                break
            rank = rank + digit.scaled(Fraction(weight))
            weight *= radix
        return rank

    def _digits(self, group: OptionGroup) -> list[tuple[Lin, int]]:
        lin_of = self.compiler.lin_of
        if group.kind == "numeric":
            return [(Lin({self.indices[group.code].index: Fraction(1)}), len(group.values))]
        if group.kind == "multi":
            return [(lin_of(self.options[c]), 2) for c in group.option_codes]
        digit = Lin()
        for position, code in enumerate(group.option_codes, start=1):
            digit = digit + lin_of(self.options[code]).scaled(Fraction(position))
        return [(digit, len(group.options) + 1)]

    # --- asking -----------------------------------------------------------------------------------

    @property
    def guard_literals(self) -> list[Literal]:
        return [self.compiler.vars[i] for i in self.guards]

    @contextmanager
    def locked(self) -> Iterator[None]:
        """The model is shared; one question at a time (assumptions are model state)."""
        with self._lock:
            yield

    def solve(self, assumptions: Sequence[Literal]) -> Outcome:
        """Feasibility under assumptions; call while holding :meth:`locked`."""
        self.model.clear_assumptions()
        self.model.add_assumptions(list(assumptions))
        solver = new_solver(**QUICK)
        status = solver.solve(self.model)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return Outcome(self.witness(solver))
        if status != cp_model.INFEASIBLE:
            raise RuntimeError(f"CP-SAT gave up: {solver.status_name(status)}")
        return Outcome(None, frozenset(solver.sufficient_assumptions_for_infeasibility()))

    def witness(self, solver: cp_model.CpSolver) -> Witness:
        options = frozenset(c for c, lit in self.options.items() if solver.boolean_value(lit))
        indices = {g: int(solver.value(var)) for g, var in self.indices.items()}
        return Witness(options, indices)

    def integral(self, lin: Lin) -> Any:
        """``lin`` times its common denominator, as a CP-SAT expression."""
        return self.compiler.expr(lin, lin.denominator())


def new_solver(**parameters: Any) -> cp_model.CpSolver:
    """One worker: answers are deterministic and the core of a conflict is available."""
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 10.0
    for name, value in parameters.items():
        setattr(solver.parameters, name, value)
    return solver
