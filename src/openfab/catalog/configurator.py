"""The configurator engine: validate, configure, guide, complete, count.

Validation and configuration evaluate rules directly (microseconds, no solver). Questions
about *partial* configurations — what is still possible, what is the cheapest way to finish,
how many variants exist — go to one CP-SAT model per product, built on first use.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction

from openfab.catalog.choices import Choices, Selection, normalized, read_choices
from openfab.catalog.definition import Material, ProductDefinition
from openfab.catalog.evaluation import AttributeTable, SelectionEnv, rule_groups, rule_holds
from openfab.catalog.explode import (
    attribute_totals,
    bom_lines,
    lead_time_days,
    operations,
    price_lines,
)
from openfab.catalog.guided import Guide, cheapest_completion, count_solutions
from openfab.catalog.model import ProductModel, Witness
from openfab.catalog.results import BomLine, ConfiguredProduct, OptionsLeft, Validation, Violation
from openfab.errors import InvalidInput, Problem

__all__ = ["Configurator", "ConfiguredProduct", "OptionsLeft", "Validation"]


class Configurator:
    """Answers every question about configuring one product.

    ``materials``, when given, prices the configured BOM at each material's unit cost.
    Thread-safe: the shared solver model is used under a lock.
    """

    def __init__(
        self, definition: ProductDefinition, *, materials: Mapping[str, Material] | None = None
    ) -> None:
        self.definition = definition
        self.materials = materials
        self._table = AttributeTable.of(definition)
        self._model: ProductModel | None = None
        self._build_lock = threading.Lock()

    @property
    def model(self) -> ProductModel:
        """The CP-SAT model, built once on first use."""
        with self._build_lock:
            if self._model is None:
                self._model = ProductModel(self.definition)
            return self._model

    # --- complete configurations ------------------------------------------------------------------

    def validate(self, choices: Choices) -> Validation:
        """Every malformed choice (``problems``) and every broken rule (``violations``)."""
        selection, problems = read_choices(self.definition, choices)
        violations = self._violations(selection)
        return Validation(not problems and not violations, tuple(problems), violations)

    def configure(self, choices: Choices) -> ConfiguredProduct:
        """Price, lead time, BOM and routing of a valid configuration.

        Raises ``InvalidInput`` naming every problem and every violated rule.
        """
        selection, problems = read_choices(self.definition, choices)
        violations = self._violations(selection)
        problems += [Problem(f"rules.{v.rule}", v.message, "rule_violated") for v in violations]
        if problems:
            raise InvalidInput(
                f"this {self.definition.name or 'product'} cannot be built as chosen", problems
            )
        return self._explode(selection)

    def _violations(self, selection: Selection) -> tuple[Violation, ...]:
        """Rules broken by the well-formed choices; rules reading a malformed one are skipped."""
        env = SelectionEnv(self._table, selection)
        return tuple(
            Violation(rule.code, rule.message)
            for rule in self.definition.rules
            if rule_groups(rule) <= selection.decided and not rule_holds(rule, env)
        )

    def _explode(self, selection: Selection) -> ConfiguredProduct:
        definition = self.definition
        env = SelectionEnv(self._table, selection)
        prices = price_lines(definition, env)
        bom = bom_lines(definition, env, self.materials)
        return ConfiguredProduct(
            product=definition.code,
            currency=definition.currency,
            choices=normalized(definition, selection),
            price=sum((line.amount for line in prices), start=Decimal(0)),
            price_breakdown=prices,
            lead_time_days=lead_time_days(definition, env),
            bom=bom,
            routing=operations(definition, env),
            attributes=attribute_totals(env),
            material_cost=_material_cost(bom),
        )

    # --- partial configurations ------------------------------------------------------------------

    def options_left(self, partial: Choices) -> OptionsLeft:
        """For each group, which options (or values) still lead to a valid product, and why not.

        An unanswered group is open; a multi-choice answer means "at least these". Each
        group's options are judged with the *other* groups' answers, so a customer sees what
        changing an answer would allow.
        """
        selection = self._partial(partial)
        model = self.model
        with model.locked():
            return Guide(model, selection, self._table).run()

    def complete(self, partial: Choices) -> ConfiguredProduct:
        """The cheapest valid product matching ``partial`` (ties: earliest options in the catalog).

        Raises ``Infeasible`` naming the conflicting rules and answers when there is none.
        """
        selection = self._partial(partial)
        model = self.model
        with model.locked():
            witness = cheapest_completion(model, selection, self._table)
        full = self._selection(witness)
        if self._violations(full):
            raise RuntimeError("solver and evaluator disagree; please report this catalog")
        return self._explode(full)

    def count_variants(self) -> int:
        """How many valid configurations exist, by enumerating them with CP-SAT."""
        model = self.model
        with model.locked():
            return count_solutions(model)

    def _partial(self, partial: Choices) -> Selection:
        selection, problems = read_choices(self.definition, partial, partial=True)
        if problems:
            raise InvalidInput("some choices are not valid", problems)
        return selection

    def _selection(self, witness: Witness) -> Selection:
        numbers = {
            group.code: Fraction(group.values[witness.indices[group.code]])
            for group in self.definition.option_groups
            if group.kind == "numeric"
        }
        decided = frozenset(g.code for g in self.definition.option_groups)
        return Selection(witness.options, numbers, decided)


def _material_cost(bom: tuple[BomLine, ...]) -> Decimal | None:
    """The BOM's total cost, when every line could be costed."""
    costs = [line.cost for line in bom]
    if not costs or None in costs:
        return None
    return sum((c for c in costs if c is not None), start=Decimal(0))
