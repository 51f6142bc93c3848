"""Every valid configuration of a small product, ranked once: cheapest completion by lookup.

``cheapest_completion`` asks CP-SAT three questions per call (feasible? cheapest price? lowest
rank at that price?) — about 4 ms. A product with a few thousand variants can instead be
enumerated once per revision (tens of milliseconds) and its variants sorted by exactly the
solver's objective: price, then rank. The cheapest completion of a partial selection is then
the first variant, in that order, that pins the same literals the solver would assume
(:func:`~openfab.catalog.guided.choice_literals`) — the same answer, because the order
``(price, rank)`` is total whenever ranks are distinct, which :meth:`VariantTable.build`
checks (otherwise it declines and the solver answers, as before).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from openfab.catalog.choices import Selection
from openfab.catalog.cpsat import Lin
from openfab.catalog.guided import value_index
from openfab.catalog.model import ProductModel, Witness, new_solver

MAX_VARIANTS = 50_000
"""Products with more valid configurations keep asking the solver (the table would cost
more memory and build time than it saves)."""
BUILD_SECONDS = 5.0


class _Collector(cp_model.CpSolverSolutionCallback):
    def __init__(self, variables: Mapping[int, Any], limit: int) -> None:
        super().__init__()
        self.variables = variables
        self.limit = limit
        self.rows: list[dict[int, int]] = []
        self.overflow = False

    def on_solution_callback(self) -> None:
        if len(self.rows) >= self.limit:
            self.overflow = True
            self.stop_search()
            return
        self.rows.append({i: int(self.value(v)) for i, v in self.variables.items()})


def _value(lin: Lin, values: Mapping[int, int]) -> Fraction:
    return lin.const + sum((c * values[i] for i, c in lin.terms.items()), Fraction(0))


@dataclass(frozen=True)
class VariantTable:
    """Valid configurations sorted by (price, rank), as a Boolean matrix over "bits": one bit
    per option and one per value of each numeric group."""

    witnesses: tuple[Witness, ...]
    matrix: Any  # numpy bool array, variants × bits
    bits: Mapping[str, int]  # option code -> column
    value_bits: Mapping[str, tuple[int, ...]]  # numeric group -> column per value index

    @classmethod
    def build(cls, model: ProductModel) -> VariantTable | None:
        """The table, or None when the product is too large or ranks tie (call locked)."""
        compiler = model.compiler
        needed = set(model.price.terms) | set(model.rank.terms)
        needed |= {lit.index for lit in model.options.values()}
        needed |= {var.index for var in model.indices.values()}
        if any(i < 0 or i not in compiler.vars for i in needed):
            return None
        enumerated = model.model.clone()
        enumerated.clear_assumptions()
        enumerated.add_bool_and(model.guard_literals)
        collector = _Collector({i: compiler.vars[i] for i in sorted(needed)}, MAX_VARIANTS)
        solver = new_solver(enumerate_all_solutions=True, max_time_in_seconds=BUILD_SECONDS)
        status = solver.solve(enumerated, collector)
        if collector.overflow or status not in (cp_model.OPTIMAL, cp_model.INFEASIBLE):
            return None
        keyed = []
        for values in collector.rows:
            options = frozenset(c for c, lit in model.options.items() if values[lit.index])
            indices = {g: values[var.index] for g, var in model.indices.items()}
            price, rank = _value(model.price, values), _value(model.rank, values)
            keyed.append(((price, rank), Witness(options, indices)))
        if len({rank for (_, rank), _ in keyed}) != len(keyed):
            return None  # ties: the solver's pick among equals is its own business
        keyed.sort(key=lambda item: item[0])
        bits = {code: n for n, code in enumerate(model.options)}
        value_bits: dict[str, tuple[int, ...]] = {}
        for group, literals in model.values.items():
            start = len(bits) + sum(len(v) for v in value_bits.values())
            value_bits[group] = tuple(range(start, start + len(literals)))
        width = len(bits) + sum(len(v) for v in value_bits.values())
        matrix = np.zeros((len(keyed), width), dtype=bool)
        for row, (_, witness) in enumerate(keyed):
            for code in witness.options:
                matrix[row, bits[code]] = True
            for group, index in witness.indices.items():
                matrix[row, value_bits[group][index]] = True
        return cls(tuple(w for _, w in keyed), matrix, bits, value_bits)

    def cheapest(self, model: ProductModel, selection: Selection) -> Witness | None:
        """The first variant (cheapest, then lowest rank) honouring the answered groups the
        way the solver's assumptions do; None when no valid configuration matches."""
        required: list[int] = []
        forbidden: list[int] = []
        for group in model.definition.option_groups:
            if group.code not in selection.decided:
                continue
            if group.kind == "numeric":
                index = value_index(group, selection.numbers[group.code])
                required.append(self.value_bits[group.code][index])
                continue
            chosen = [self.bits[c] for c in group.option_codes if c in selection.options]
            if group.kind == "single" and not chosen:
                forbidden.extend(self.bits[c] for c in group.option_codes)
            required.extend(chosen)
        match = np.ones(len(self.witnesses), dtype=bool)
        if required:
            match &= self.matrix[:, required].all(axis=1)
        if forbidden:
            match &= ~self.matrix[:, forbidden].any(axis=1)
        first = int(np.argmax(match)) if len(match) else 0
        if not len(match) or not match[first]:
            return None
        return self.witnesses[first]
