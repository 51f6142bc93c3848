"""Guided selling on the shared CP-SAT model: what is still possible, cheapest completion, count.

``options_left`` asks, for every option of every group, "is there a valid product with this
option and the other answers?" Most questions are answered for free by a *witness* — a valid
configuration found earlier that already contains the option — so only options that no
witness covers cost a solve; a failed solve names its conflict through the guard literals.
An option reported possible therefore always has a valid completion: no dead ends.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ortools.sat.python import cp_model

from openfab.catalog.choices import Selection
from openfab.catalog.cpsat import Literal
from openfab.catalog.definition import OptionGroup, ProductDefinition
from openfab.catalog.evaluation import AttributeTable, SelectionEnv, rule_groups, rule_holds
from openfab.catalog.model import Outcome, ProductModel, Witness, new_solver
from openfab.catalog.results import GroupStatus, OptionsLeft, OptionStatus, Reason
from openfab.errors import Infeasible, Problem

NO_COMPLETION = Reason("no_valid_configuration", "no valid configuration contains this choice")


def value_index(group: OptionGroup, value: Fraction) -> int:
    return int((value - Fraction(group.low or 0)) / Fraction(group.step or 1))


@dataclass(frozen=True)
class _Candidate:
    """An option, or one value of a numeric group, to test."""

    code: str
    literal: Literal
    index: int | None = None

    def in_witness(self, group: str, witness: Witness) -> bool:
        if self.index is None:
            return self.code in witness.options
        return witness.indices[group] == self.index


class Guide:
    """Answers one ``options_left`` question; holds witnesses found along the way."""

    def __init__(self, model: ProductModel, selection: Selection, table: AttributeTable) -> None:
        self.model = model
        self.definition: ProductDefinition = model.definition
        self.selection = selection
        self.table = table
        self.choices = choice_literals(model, selection)
        self.owner = {lit.index: g for g, lits in self.choices.items() for lit in lits}
        self.witnesses: list[tuple[Witness, frozenset[str]]] = []

    def run(self) -> OptionsLeft:
        overall = self.solve(None, [])
        groups = tuple(self.group_status(g) for g in self.definition.option_groups)
        if overall.witness is not None:
            return OptionsLeft(True, groups)
        reasons, conflicting = self.explain(overall.core, self.selection)
        return OptionsLeft(False, groups, reasons, conflicting)

    # --- solving ------------------------------------------------------------------------------

    def assumptions(self, group: str | None) -> list[Literal]:
        """Every rule guard and every answer, except the answer of ``group`` (to re-ask it).

        A multi-choice answer means "at least these", so it stays while asking its own group.
        """
        kinds = self.definition.groups_by_code
        kept = [
            lit
            for code, lits in self.choices.items()
            if code != group or kinds[code].kind == "multi"
            for lit in lits
        ]
        return [*self.model.guard_literals, *kept]

    def solve(self, group: str | None, extra: list[Literal]) -> Outcome:
        outcome = self.model.solve([*self.assumptions(group), *extra])
        if outcome.witness is not None:
            self.witnesses.append((outcome.witness, self.broken(outcome.witness)))
        return outcome

    def broken(self, witness: Witness) -> frozenset[str]:
        """The groups whose answers this witness does not respect."""
        selection = self.selection
        broken = set()
        for group in self.definition.option_groups:
            if group.code not in selection.decided:
                continue
            chosen = {c for c in group.option_codes if c in selection.options}
            found = {c for c in group.option_codes if c in witness.options}
            if group.kind == "numeric":
                ok = witness.indices[group.code] == value_index(
                    group, selection.numbers[group.code]
                )
            else:
                ok = chosen <= found if group.kind == "multi" else chosen == found
            if not ok:
                broken.add(group.code)
        return frozenset(broken)

    def covered(self, group: OptionGroup, candidate: _Candidate) -> bool:
        allowed = frozenset() if group.kind == "multi" else frozenset({group.code})
        return any(
            broken <= allowed and candidate.in_witness(group.code, witness)
            for witness, broken in self.witnesses
        )

    # --- per group ------------------------------------------------------------------------------

    def candidates(self, group: OptionGroup) -> list[_Candidate]:
        if group.kind != "numeric":
            return [_Candidate(c, self.model.options[c]) for c in group.option_codes]
        literals = self.model.values[group.code]
        return [_Candidate(str(v), literals[i], i) for i, v in enumerate(group.values)]

    def group_status(self, group: OptionGroup) -> GroupStatus:
        candidates = self.candidates(group)
        if not any(self.covered(group, c) for c in candidates):
            base = self.solve(group.code, [])
            if base.witness is None:
                reasons, conflicting = self.explain(base.core, self.without(group))
                blocked = [OptionStatus(c.code, False, reasons, conflicting) for c in candidates]
                return _status(group, blocked)
        return _status(group, [self.candidate_status(group, c) for c in candidates])

    def candidate_status(self, group: OptionGroup, candidate: _Candidate) -> OptionStatus:
        if self.covered(group, candidate):
            return OptionStatus(candidate.code, True)
        outcome = self.solve(group.code, [candidate.literal])
        if outcome.witness is not None:
            return OptionStatus(candidate.code, True)
        reasons, conflicting = self.explain(outcome.core, self.with_candidate(group, candidate))
        return OptionStatus(candidate.code, False, reasons, conflicting)

    # --- explaining ------------------------------------------------------------------------------

    def explain(
        self, core: frozenset[int], selection: Selection
    ) -> tuple[tuple[Reason, ...], tuple[str, ...]]:
        """The rules and answers in a conflict; rules failing outright if the core has no rule."""
        reasons = tuple(self.model.guards[i] for i in sorted(core) if i in self.model.guards)
        owners = {self.owner[i] for i in core if i in self.owner}
        conflicting = tuple(g.code for g in self.definition.option_groups if g.code in owners)
        return reasons or self.failing_rules(selection) or (NO_COMPLETION,), conflicting

    def failing_rules(self, selection: Selection) -> tuple[Reason, ...]:
        kinds = self.definition.groups_by_code
        settled = {g for g in selection.decided if kinds[g].kind != "multi"}
        env = SelectionEnv(self.table, selection)
        return tuple(
            Reason(rule.code, rule.message)
            for rule in self.definition.rules
            if rule_groups(rule) <= settled and not rule_holds(rule, env)
        )

    def without(self, group: OptionGroup) -> Selection:
        selection = self.selection
        options = selection.options - set(group.option_codes)
        numbers = {g: v for g, v in selection.numbers.items() if g != group.code}
        return Selection(options, numbers, selection.decided - {group.code})

    def with_candidate(self, group: OptionGroup, candidate: _Candidate) -> Selection:
        base = self.without(group) if group.kind != "multi" else self.selection
        if candidate.index is None:
            return replace(
                base, options=base.options | {candidate.code}, decided=base.decided | {group.code}
            )
        numbers = {**base.numbers, group.code: Fraction(group.values[candidate.index])}
        return Selection(base.options, numbers, base.decided | {group.code})


def _status(group: OptionGroup, options: list[OptionStatus]) -> GroupStatus:
    if group.kind != "numeric":
        return GroupStatus(group.code, group.kind, tuple(options))
    values = [Decimal(o.code) for o in options if o.possible]
    low, high = (min(values), max(values)) if values else (None, None)
    return GroupStatus(group.code, group.kind, tuple(options), low, high)


def choice_literals(model: ProductModel, selection: Selection) -> dict[str, list[Literal]]:
    """The literals that pin each answered group to its answer."""
    result: dict[str, list[Literal]] = {}
    for group in model.definition.option_groups:
        if group.code not in selection.decided:
            continue
        if group.kind == "numeric":
            index = value_index(group, selection.numbers[group.code])
            result[group.code] = [model.values[group.code][index]]
            continue
        chosen = [model.options[c] for c in group.option_codes if c in selection.options]
        if group.kind == "single" and not chosen:
            chosen = [~model.options[c] for c in group.option_codes]
        result[group.code] = chosen
    return result


def cheapest_completion(
    model: ProductModel, selection: Selection, table: AttributeTable
) -> Witness:
    """The lowest-price valid completion; ties go to the lowest rank (catalog order)."""
    guide = Guide(model, selection, table)
    assumptions = guide.assumptions(None)
    outcome = guide.solve(None, [])
    if outcome.witness is None:
        reasons, conflicting = guide.explain(outcome.core, selection)
        problems = [Problem(f"rules.{r.code}", r.message, "rule_violated") for r in reasons]
        problems += [
            Problem(f"choices.{g}", "takes part in the conflict", "conflict") for g in conflicting
        ]
        raise Infeasible("no valid configuration matches these choices", problems)
    fixed = model.model.clone()
    fixed.clear_assumptions()
    fixed.add_bool_and(assumptions)
    price = model.integral(model.price)
    best = _optimum(fixed, price, model, outcome.witness)
    fixed.add(price == best)
    fixed.minimize(model.integral(model.rank))
    solver = new_solver()
    _check(solver, solver.solve(fixed))
    return model.witness(solver)


def _optimum(fixed: cp_model.CpModel, objective: Any, model: ProductModel, hint: Witness) -> int:
    fixed.minimize(objective)
    for code, literal in model.options.items():
        fixed.add_hint(literal, code in hint.options)
    solver = new_solver()
    _check(solver, solver.solve(fixed))
    fixed.clear_hints()  # type: ignore[no-untyped-call]
    return round(solver.objective_value)


def _check(solver: cp_model.CpSolver, status: Any) -> None:
    if status != cp_model.OPTIMAL:
        raise RuntimeError(f"CP-SAT did not prove optimality: {solver.status_name(status)}")


class _Counter(cp_model.CpSolverSolutionCallback):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def on_solution_callback(self) -> None:
        self.count += 1


def count_solutions(model: ProductModel) -> int:
    """Enumerate every valid configuration (helper literals are all fixed by the choices)."""
    enumerated = model.model.clone()
    enumerated.clear_assumptions()
    enumerated.add_bool_and(model.guard_literals)
    counter = _Counter()
    solver = new_solver(enumerate_all_solutions=True, max_time_in_seconds=120.0)
    status = solver.solve(enumerated, counter)
    if status not in (cp_model.OPTIMAL, cp_model.INFEASIBLE):
        raise RuntimeError(f"enumeration stopped early: {solver.status_name(status)}")
    return counter.count
