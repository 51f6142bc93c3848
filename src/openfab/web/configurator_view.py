"""The configurator as a form: form fields → choices, and the engine's answers → a view.

Pure translation, no I/O: the page's routes call the catalog service and hand its answers
here, so the rules about what a form field means are tested without a browser.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from openfab.catalog.definition import OptionGroup, ProductDefinition
from openfab.catalog.results import ConfiguredProduct, OptionsLeft, Validation
from openfab.errors import Problem


def choices_from_form(definition: ProductDefinition, form: Mapping[str, Any]) -> dict[str, Any]:
    """Blank fields are unanswered (``None``); numbers stay text when they are not numbers,
    so the engine names them as problems instead of the form silently dropping them."""
    choices: dict[str, Any] = {}
    for group in definition.option_groups:
        if group.kind == "multi":
            getlist = getattr(form, "getlist", None)
            values = getlist(group.code) if getlist else form.get(group.code, [])
            choices[group.code] = [str(v) for v in values if v]
            continue
        raw = form.get(group.code)
        text = str(raw).strip() if raw is not None else ""
        if not text:
            choices[group.code] = None
        elif group.kind == "numeric":
            choices[group.code] = number_of(text)
        else:
            choices[group.code] = text
    return choices


def number_of(text: str) -> int | float | str:
    """A form's number as an int or float; text that is no finite number stays text."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return text
    if not value.is_finite():
        return text
    return int(value) if value == value.to_integral_value() else float(value)


@dataclass(frozen=True)
class OptionView:
    code: str
    label: str
    price: Decimal
    selected: bool
    possible: bool
    reasons: tuple[str, ...] = ()
    enabled: bool = True
    """False only for an option no valid product contains with the other answers (guided
    selling) — or, after a conflict, with any answers: what would repair it stays open."""


@dataclass(frozen=True)
class GroupView:
    code: str
    label: str
    kind: str
    required: bool
    options: tuple[OptionView, ...] = ()
    value: Any = None
    low: Decimal | None = None
    high: Decimal | None = None
    step: Decimal | None = None
    unit: str | None = None
    price_per_unit: Decimal = Decimal(0)
    feasible_min: Decimal | None = None
    feasible_max: Decimal | None = None
    reasons: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()  # kept whole: the page words them by code


@dataclass(frozen=True)
class Summary:
    """What the side panel says: ``state`` is ``ready``, ``incomplete`` or ``conflict``."""

    state: str
    price: Decimal | None = None
    currency: str = ""
    lead_time_days: int | None = None
    promise_date: Any = None
    breakdown: tuple[tuple[str, Decimal], ...] = ()
    missing: tuple[str, ...] = ()
    messages: tuple[str, ...] = ()


def invalid_summary(summary: Summary) -> Summary:
    """A field holds a value the product cannot take: no price, no date (a stale one
    would mislead), the fields say what is wrong."""
    return Summary(state="invalid", missing=summary.missing, messages=summary.messages)


@dataclass(frozen=True)
class ConfiguratorView:
    groups: tuple[GroupView, ...]
    summary: Summary
    choices: Mapping[str, Any] = field(default_factory=dict)
    quantity_problem: Problem | None = None


def _selected(group: OptionGroup, value: Any) -> set[str]:
    if isinstance(value, list | tuple):
        return {str(v) for v in value}
    return {str(value)} if value is not None else set()


def group_views(
    definition: ProductDefinition,
    choices: Mapping[str, Any],
    left: OptionsLeft | None,
    problems: Sequence[Problem] = (),
    *,
    reachable: frozenset[str] | None = None,
) -> tuple[GroupView, ...]:
    """Each group with its options' states; "missing" is the normal state of a form being
    filled in, so it is not flagged per group (the summary lists what is still open).

    ``reachable`` (given after a conflict): the options some valid product contains; those
    stay enabled, so the customer can pick the answer that repairs the conflict."""
    views = []
    for group in definition.option_groups:
        status = _status(left, group.code)
        by_code = {o.code: o for o in status.options} if status else {}
        chosen = _selected(group, choices.get(group.code))
        options = tuple(
            OptionView(
                code=o.code,
                label=o.label,
                price=o.price,
                selected=o.code in chosen,
                possible=by_code[o.code].possible if o.code in by_code else True,
                reasons=tuple(r.message for r in by_code[o.code].reasons)
                if o.code in by_code
                else (),
                enabled=_enabled(o.code, by_code, reachable),
            )
            for o in group.options
        )
        numeric_reasons: tuple[str, ...] = ()
        if status is not None and group.kind == "numeric":
            numeric_reasons = tuple(
                dict.fromkeys(r.message for o in status.options for r in o.reasons)
            )
        views.append(
            GroupView(
                code=group.code,
                label=group.label,
                kind=group.kind,
                required=group.required,
                options=options,
                value=choices.get(group.code),
                low=group.low,
                high=group.high,
                step=group.step,
                unit=group.unit,
                price_per_unit=group.price_per_unit,
                feasible_min=status.feasible_min if status else None,
                feasible_max=status.feasible_max if status else None,
                reasons=numeric_reasons,
                problems=tuple(
                    p
                    for p in problems
                    if p.loc in (f"choices.{group.code}", group.code) and p.code != "missing"
                ),
            )
        )
    return tuple(views)


def _enabled(code: str, by_code: Mapping[str, Any], reachable: frozenset[str] | None) -> bool:
    if reachable is not None:
        return code in reachable
    return bool(by_code[code].possible) if code in by_code else True


def _status(left: OptionsLeft | None, code: str) -> Any:
    if left is None:
        return None
    try:
        return left.group(code)
    except KeyError:
        return None


def summary_of(
    validation: Validation,
    configured: ConfiguredProduct | None,
    cheapest: ConfiguredProduct | None,
    left: OptionsLeft | None,
    *,
    quantity: int = 1,
    promise_date: Any = None,
) -> Summary:
    """Ready when the choices are complete and valid; a conflict names every broken rule;
    otherwise the cheapest way to finish gives a "from" price."""
    if validation.valid and configured is not None:
        return Summary(
            state="ready",
            price=configured.price * quantity,
            currency=configured.currency,
            lead_time_days=configured.lead_time_days,
            promise_date=promise_date,
            breakdown=tuple((line.label, line.amount) for line in configured.price_breakdown),
        )
    messages = [v.message for v in validation.violations]
    if left is not None and not left.consistent:
        messages += [r.message for r in left.reasons]
    messages += [p.msg for p in validation.problems if p.code not in ("missing",)]
    if validation.violations or (left is not None and not left.consistent):
        return Summary(state="conflict", messages=tuple(dict.fromkeys(messages)))
    missing = tuple(
        p.loc.removeprefix("choices.") for p in validation.problems if p.code == "missing"
    )
    return Summary(
        state="incomplete",
        price=cheapest.price * quantity if cheapest else None,
        currency=cheapest.currency if cheapest else "",
        lead_time_days=cheapest.lead_time_days if cheapest else None,
        promise_date=promise_date,
        breakdown=tuple((line.label, line.amount) for line in cheapest.price_breakdown)
        if cheapest
        else (),
        missing=missing,
        messages=tuple(dict.fromkeys(messages)),
    )
