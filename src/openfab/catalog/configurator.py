"""The configurator engine: validate, configure, guide, complete, count.

Validation and configuration evaluate rules directly (microseconds, no solver). Questions
about *partial* configurations — what is still possible, what is the cheapest way to finish,
how many variants exist — go to one CP-SAT model per product, built on first use.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Generic, TypeVar

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
from openfab.catalog.variants import VariantTable
from openfab.errors import Infeasible, InvalidInput, Problem

__all__ = ["Configurator", "ConfiguredProduct", "OptionsLeft", "Validation"]

MEMO_SIZE = 4096
"""Answers remembered per product revision (configurations, completions, explosions)."""


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Memo(Generic[K, V]):
    """A bounded least-recently-used map (thread-safe enough: one lock, tiny sections)."""

    def __init__(self, size: int = MEMO_SIZE) -> None:
        self.size = size
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._data.get(key)
            if found is not None:
                self._data.move_to_end(key)
            return found

    def put(self, key: K, value: V) -> V:
        with self._lock:
            self._data[key] = value
            if len(self._data) > self.size:
                self._data.popitem(last=False)
        return value


SelectionKey = tuple[frozenset[str], tuple[tuple[str, Fraction], ...], frozenset[str]]


def selection_key(selection: Selection) -> SelectionKey:
    return selection.options, tuple(sorted(selection.numbers.items())), selection.decided


def choices_key(choices: object) -> Hashable | None:
    """A hashable, type-exact image of raw choices (``1``, ``1.0``, ``True`` and ``"1"`` stay
    apart, so a remembered answer is only reused for the very same input); None when the
    input holds anything else (it is then checked from scratch)."""
    if not isinstance(choices, Mapping):
        return None
    items = []
    for key, value in choices.items():
        if not isinstance(key, str):
            return None
        frozen = _frozen(value)
        if frozen is None:
            return None
        items.append((key, frozen))
    items.sort()
    return tuple(items)


def _frozen(value: object) -> tuple[object, ...] | None:
    kind = type(value)
    if kind in (str, int, float) or value is None:
        return (kind.__name__, value)
    if isinstance(value, Decimal) and value.is_finite():
        return (kind.__name__, value)
    if kind in (list, tuple):
        parts = [_frozen(v) for v in value]  # type: ignore[attr-defined]
        if any(p is None for p in parts):
            return None
        return (kind.__name__, tuple(parts))
    return None


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
        self._variants: VariantTable | None = None
        self._variants_built = False
        self._exploded: _Memo[SelectionKey, ConfiguredProduct] = _Memo()
        self._configured: _Memo[Hashable, ConfiguredProduct] = _Memo()
        self._completed: _Memo[SelectionKey, ConfiguredProduct | tuple[Problem, ...]] = _Memo()

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

        Raises ``InvalidInput`` naming every problem and every violated rule. A valid choice
        set is remembered (by its exact input), so an order for a configuration just quoted
        is not checked and exploded twice; invalid input is checked every time.
        """
        key = choices_key(choices)
        if key is not None:
            found = self._configured.get(key)
            if found is not None:
                return found
        selection, problems = read_choices(self.definition, choices)
        violations = self._violations(selection)
        problems += [Problem(f"rules.{v.rule}", v.message, "rule_violated") for v in violations]
        if problems:
            raise InvalidInput(
                f"this {self.definition.name or 'product'} cannot be built as chosen", problems
            )
        configured = self._explode(selection)
        if key is not None:
            self._configured.put(key, configured)
        return configured

    def _violations(self, selection: Selection) -> tuple[Violation, ...]:
        """Rules broken by the well-formed choices; rules reading a malformed one are skipped."""
        env = SelectionEnv(self._table, selection)
        return tuple(
            Violation(rule.code, rule.message)
            for rule in self.definition.rules
            if rule_groups(rule) <= selection.decided and not rule_holds(rule, env)
        )

    def _explode(self, selection: Selection) -> ConfiguredProduct:
        """The configuration's price, BOM and routing (remembered: results are immutable)."""
        key = selection_key(selection)
        found = self._exploded.get(key)
        if found is None:
            found = self._exploded.put(key, self._explode_now(selection))
        return found

    def _explode_now(self, selection: Selection) -> ConfiguredProduct:
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
        Small products answer from their ranked table of variants (see
        :mod:`~openfab.catalog.variants`); answers, and conflicts, are remembered per
        partial selection.
        """
        selection = self._partial(partial)
        key = selection_key(selection)
        found = self._completed.get(key)
        if found is None:
            found = self._completed.put(key, self._complete(selection))
        if isinstance(found, ConfiguredProduct):
            return found
        raise Infeasible("no valid configuration matches these choices", list(found))

    def _complete(self, selection: Selection) -> ConfiguredProduct | tuple[Problem, ...]:
        model = self.model
        with model.locked():
            table = self._variant_table(model)
            witness = table.cheapest(model, selection) if table is not None else None
            if witness is None:  # no table, or no match: the solver answers (and explains)
                try:
                    witness = cheapest_completion(model, selection, self._table)
                except Infeasible as exc:
                    return tuple(exc.problems)
        full = self._selection(witness)
        if self._violations(full):
            raise RuntimeError("solver and evaluator disagree; please report this catalog")
        return self._explode(full)

    def _variant_table(self, model: ProductModel) -> VariantTable | None:
        """Built on first use, under the model's lock."""
        if not self._variants_built:
            self._variants = VariantTable.build(model)
            self._variants_built = True
        return self._variants

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
