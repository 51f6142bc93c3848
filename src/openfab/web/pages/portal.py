"""The customer portal: catalog, configure with live feedback, order, track, reorder."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request, Response
from starlette.datastructures import FormData

from openfab.catalog.configurator import Configurator
from openfab.catalog.results import ConfiguredProduct, OptionsLeft
from openfab.catalog.service import ProductHandle
from openfab.errors import Conflict, Infeasible, InvalidInput, NotFound, Problem
from openfab.identity.actor import Actor
from openfab.orders.schemas import ADDRESS_MAX, ADDRESS_MIN, OrderCreate, has_control
from openfab.platform import Platform
from openfab.web import quotes
from openfab.web.configurator_view import (
    ConfiguratorView,
    choices_from_form,
    group_views,
    invalid_summary,
    number_of,
    summary_of,
)
from openfab.web.i18n import format_quantity
from openfab.web.order_chart import order_chart
from openfab.web.registry import WebPage, register_page
from openfab.web.render import WebRoute, is_htmx, redirect, render, translator
from openfab.web.session import require_actor

ACTIVE = "Active"  # products in any other status (Draft) are not sold
router = APIRouter(prefix="/portal", route_class=WebRoute, include_in_schema=False)
ActorDep = Annotated[Actor, Depends(require_actor)]


async def form_data(request: Request) -> FormData:
    return await request.form()


FormDep = Annotated[FormData, Depends(form_data)]


def _platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def _handle(platform: Platform, actor: Actor, code: str) -> ProductHandle:
    """The product's configurator; drafts (promoted ideas) only for staff, to preview."""
    handle = platform.catalog.handle(actor, code)
    if handle.status != ACTIVE and not actor.is_staff:
        raise NotFound(f"product {code!r} not found")
    return handle


MAX_QUANTITY = 1000


def _quantity(form: Mapping[str, Any]) -> tuple[int, Problem | None]:
    """The quantity asked for, or 1 and the problem that the page shows at the field (a
    wrong number is never silently replaced: the price would be for another quantity)."""
    raw = str(form.get("quantity") or "").strip() or "1"
    try:
        value = int(raw)
    except ValueError:
        return 1, Problem("quantity", f"not a whole number: {raw!r}", "int_parsing")
    if not 1 <= value <= MAX_QUANTITY:
        return 1, Problem("quantity", f"choose 1 to {MAX_QUANTITY}", "out_of_range")
    return value, None


def start_choices(configurator: Configurator) -> dict[str, Any]:
    """Every group unanswered, except numbers at their catalog default: a number the
    price counts is always shown in its field (no hidden charge)."""
    choices: dict[str, Any] = {}
    for group in configurator.definition.option_groups:
        default = group.default if group.kind == "numeric" else None
        choices[group.code] = number_of(str(default)) if default is not None else None
    return choices


def from_price(configurator: Configurator) -> ConfiguredProduct | None:
    """The cheapest product from the configurator's starting point: the catalog's "from"
    price is the one the configurator first shows."""
    try:
        return configurator.complete(start_choices(configurator))
    except (Infeasible, InvalidInput):
        return None


def _reachable(configurator: Configurator) -> frozenset[str]:
    """Options some valid product contains (the rest can never be chosen)."""
    empty = {g.code: None for g in configurator.definition.option_groups}
    left = configurator.options_left(empty)
    return frozenset(o.code for g in left.groups for o in g.options if o.possible)


def build_view(
    platform: Platform,
    configurator: Configurator,
    choices: dict[str, Any],
    quantity: int,
    quantity_problem: Problem | None = None,
) -> ConfiguratorView:
    """Ask the engine everything the page shows about these choices. A malformed field
    (out of range, not a number) shows no price at all rather than a stale one."""
    definition = configurator.definition
    validation = configurator.validate(choices)
    left: OptionsLeft | None = None
    configured: ConfiguredProduct | None = None
    cheapest: ConfiguredProduct | None = None
    problems: list[Problem] = list(validation.problems)
    try:
        left = configurator.options_left(choices)
    except InvalidInput as exc:
        problems += exc.problems
    if validation.valid:
        configured = configurator.configure(choices)
    elif left is not None and left.consistent:
        try:
            cheapest = configurator.complete(choices)
        except (Infeasible, InvalidInput):
            cheapest = None
    chosen = configured or cheapest
    promise = quotes.estimate(platform, chosen, quantity) if chosen else None
    summary = summary_of(
        validation, configured, cheapest, left, quantity=quantity, promise_date=promise
    )
    labels = {g.code: g.label for g in definition.option_groups}
    summary = replace(summary, missing=tuple(labels.get(m, m) for m in summary.missing))
    malformed = [p for p in validation.problems if p.code != "missing"]
    if malformed or quantity_problem is not None:
        summary = invalid_summary(summary)
    reachable = _reachable(configurator) if summary.state == "conflict" else None
    groups = group_views(definition, choices, left, problems, reachable=reachable)
    return ConfiguratorView(
        groups=groups, summary=summary, choices=choices, quantity_problem=quantity_problem
    )


@router.get("")
def catalog(request: Request, actor: ActorDep) -> Response:
    """The brand's own products (a product belongs to one brand: the store's tenant filter
    shows nobody another brand's), each with the price the configurator starts from."""
    platform = _platform(request)
    products = []
    for product in platform.catalog.list_products(actor).data:
        if product.status != ACTIVE and not actor.is_staff:
            continue
        configurator = platform.catalog.handle(actor, product.code).configurator
        products.append((product, configurator.definition, from_price(configurator)))
    return render(request, "portal/catalog.html", products=products)


def _configure(
    request: Request,
    handle: ProductHandle,
    view: ConfiguratorView,
    quantity: int,
    *,
    template: str = "portal/configure.html",
    status: int = 200,
    order_problems: Sequence[Problem] = (),
    quantity_text: str = "",
) -> Response:
    return render(
        request,
        template,
        status=status,
        quantity_text=quantity_text,
        definition=handle.configurator.definition,
        view=view,
        quantity=quantity,
        order_problems=list(order_problems),
        orderable=handle.status == ACTIVE,
    )


@router.get("/products/{code}")
def configure_page(
    request: Request, actor: ActorDep, code: str, from_order: str | None = None
) -> Response:
    """The configurator, empty, from a past order, or with the answers in the query (the
    review's "change" link brings the customer back to what they chose)."""
    platform = _platform(request)
    handle = _handle(platform, actor, code)
    configurator = handle.configurator
    choices = start_choices(configurator)
    quantity, quantity_problem = 1, None
    query = request.query_params
    if from_order:
        order = platform.orders.get(actor, from_order)
        choices.update(order.choices)
        quantity = order.quantity
    elif any(g.code in query for g in configurator.definition.option_groups):
        choices = choices_from_form(configurator.definition, query)
        quantity, quantity_problem = _quantity(query)
    view = build_view(platform, configurator, choices, quantity, quantity_problem)
    entered = str(query.get("quantity") or "")
    return _configure(request, handle, view, quantity, quantity_text=entered)


@router.post("/products/{code}/preview")
def preview(request: Request, actor: ActorDep, code: str, form: FormDep) -> Response:
    """The live part of the configurator (htmx swaps it on every change)."""
    platform = _platform(request)
    handle = _handle(platform, actor, code)
    choices = choices_from_form(handle.configurator.definition, form)
    quantity, quantity_problem = _quantity(form)
    view = build_view(platform, handle.configurator, choices, quantity, quantity_problem)
    template = "portal/_configurator.html" if is_htmx(request) else "portal/configure.html"
    entered = str(form.get("quantity") or "")
    return _configure(request, handle, view, quantity, template=template, quantity_text=entered)


@router.post("/products/{code}/review")
def review(request: Request, actor: ActorDep, code: str, form: FormDep) -> Response:
    """Step two of ordering: everything the order will be — configuration, each charge,
    total, promise date, where it goes — before the customer confirms. Nothing is placed."""
    platform = _platform(request)
    handle = _handle(platform, actor, code)
    choices = choices_from_form(handle.configurator.definition, form)
    quantity, quantity_problem = _quantity(form)
    view = build_view(platform, handle.configurator, choices, quantity, quantity_problem)
    if view.summary.state != "ready" or handle.status != ACTIVE:
        entered = str(form.get("quantity") or "")
        return _configure(request, handle, view, quantity, status=422, quantity_text=entered)
    return _review_page(request, actor, handle, view, quantity, str(form.get("address") or ""))


def _review_page(
    request: Request,
    actor: Actor,
    handle: ProductHandle,
    view: ConfiguratorView,
    quantity: int,
    address: str,
    *,
    status: int = 200,
    problems: Sequence[Problem] = (),
    again: str | None = None,
) -> Response:
    platform = _platform(request)
    text = translator(request).text
    choices = {k: v for k, v in view.choices.items() if v not in (None, [])}
    labels = choice_labels(platform, actor, handle.code, choices, text, translator(request).lang)
    fields = [
        (key, item)
        for key, value in choices.items()
        for item in (value if isinstance(value, list) else [value])
    ]
    back = urlencode([*fields, ("quantity", quantity)])
    return render(
        request,
        "portal/review.html",
        status=status,
        definition=handle.configurator.definition,
        summary=view.summary,
        labels=labels,
        fields=fields,
        quantity=quantity,
        address=address,
        problems=list(problems),
        change_url=f"/portal/products/{handle.code}?{back}",
        again=again,
    )


@router.post("/products/{code}/order")
def place_order(request: Request, actor: ActorDep, code: str, form: FormDep) -> Response:
    """The confirmed order (from the review). A refusal — the catalog changed, a draft,
    a missing address — comes back on the review, naming every problem."""
    platform = _platform(request)
    handle = _handle(platform, actor, code)
    configurator = handle.configurator
    choices = choices_from_form(configurator.definition, form)
    quantity, quantity_problem = _quantity(form)
    address = str(form.get("address") or "").strip()
    if quantity_problem is not None:
        view = build_view(platform, configurator, choices, quantity, quantity_problem)
        entered = str(form.get("quantity") or "")
        return _configure(request, handle, view, quantity, status=422, quantity_text=entered)
    address_problem = _address_problem(address) if "address" in form else None
    if address_problem is not None:
        view = build_view(platform, configurator, choices, quantity)
        return _review_page(
            request, actor, handle, view, quantity, address, status=422, problems=[address_problem]
        )
    one_line = ", ".join(line.strip() for line in address.splitlines() if line.strip())
    try:
        order = platform.orders.place(
            actor,
            OrderCreate(
                product=code,
                choices=choices,
                quantity=quantity,
                delivery_address=one_line or None,
            ),
        )
    except (InvalidInput, Conflict) as exc:  # a draft refused too: shown in the form
        view = build_view(platform, configurator, choices, quantity)
        return _configure(
            request, handle, view, quantity, status=exc.status, order_problems=exc.problems
        )
    return redirect(request, f"/portal/orders/{order.id}?placed=1")


def _address_problem(address: str) -> Problem | None:
    """What is wrong with the review's address (its lines are kept as one): missing, too
    short or long, or a control character (a tab, say) inside a line."""
    if not address:
        return Problem("address", "enter the address to deliver to", "missing")
    one_line = ", ".join(line.strip() for line in address.splitlines() if line.strip())
    if not ADDRESS_MIN <= len(one_line) <= ADDRESS_MAX or has_control(one_line):
        return Problem(
            "address",
            f"{ADDRESS_MIN} to {ADDRESS_MAX} characters, without control characters",
            "invalid",
        )
    return None


@router.get("/orders")
def my_orders(request: Request, actor: ActorDep, offset: int = 0) -> Response:
    platform = _platform(request)
    orders = platform.orders.list(actor, limit=50, offset=max(offset, 0))
    names = _product_names(platform, actor)
    return render(request, "portal/orders.html", orders=orders, offset=max(offset, 0), names=names)


def _product_names(platform: Platform, actor: Actor) -> dict[str, str]:
    """Product code → the name a customer knows it by."""
    return {p.code: p.name for p in platform.catalog.list_products(actor).data}


@router.get("/orders/{order_id}")
def track(
    request: Request, actor: ActorDep, order_id: str, placed: int = 0, cancelled: int = 0
) -> Response:
    platform = _platform(request)
    tracking = platform.orders.track(actor, order_id)
    detail = platform.orders.get(actor, order_id)
    t = translator(request)
    chart = order_chart(
        platform,
        actor,
        tracking.order.number,
        title=t("track.plan"),
        text=t.text,
        label_now=t("track.now"),
    )
    labels = choice_labels(platform, actor, detail.product_code, detail.choices, t.text, t.lang)
    template = "portal/_tracking.html" if is_htmx(request) else "portal/track.html"
    return render(
        request,
        template,
        tracking=tracking,
        detail=detail,
        chart=chart,
        labels=labels,
        placed=bool(placed),
        cancelled=bool(cancelled),
        product_name=_product_names(platform, actor).get(detail.product_code),
        plan_state=plan_state(tracking.order.status, bool(chart)),
    )


def plan_state(status: str, charted: bool) -> str:
    """What the plan section says: the chart, or why there is none (an order past
    production has no plan left to show; a cancelled one never gets one)."""
    if charted:
        return "chart"
    if status in ("Inspected", "Shipped", "Delivered"):
        return "made"
    if status == "Cancelled":
        return "cancelled"
    if status == "InProduction":
        return "in_production"
    return "not_planned"


def choice_labels(
    platform: Platform,
    actor: Actor,
    product: str,
    choices: Mapping[str, Any],
    text: Callable[[str], str] = str,
    lang: str = "en",
) -> list[tuple[str, str]]:
    """(group label, answer label) for people, each label through ``text`` (the page's
    language); codes where the catalog no longer knows them."""
    try:
        definition = platform.catalog.handle(actor, product).configurator.definition
    except NotFound:
        return [(k, str(v)) for k, v in choices.items()]
    options = definition.options_by_code
    rows = []
    for key, value in choices.items():
        group = definition.groups_by_code.get(key)
        values = value if isinstance(value, list) else [value]
        shown = ", ".join(text(options[v].label) if v in options else str(v) for v in values)
        shown = shown or "—"
        if group is not None and group.kind == "numeric" and group.unit:
            shown = format_quantity(shown, text(group.unit), lang)
        rows.append((text(group.label) if group else key, shown))
    return rows


@router.get("/orders/{order_id}/reorder")
def reorder(request: Request, actor: ActorDep, order_id: str) -> Response:
    """The same product, choices and quantity again, on the review (checked against
    today's catalog) — nothing is placed until the customer confirms."""
    platform = _platform(request)
    old = platform.orders.get(actor, order_id)
    handle = _handle(platform, actor, old.product_code)
    choices = {**start_choices(handle.configurator), **old.choices}
    view = build_view(platform, handle.configurator, choices, old.quantity)
    if view.summary.state != "ready":
        problem = Problem(
            "choices", "this order cannot be placed again as it was; change the choices", "invalid"
        )
        return _configure(request, handle, view, old.quantity, status=409, order_problems=[problem])
    return _review_page(request, actor, handle, view, old.quantity, "", again=old.number)


@router.get("/orders/{order_id}/cancel")
def cancel_page(request: Request, actor: ActorDep, order_id: str) -> Response:
    """Asks before cancelling: what is cancelled, and that it cannot be undone."""
    platform = _platform(request)
    order = platform.orders.get(actor, order_id)
    name = _product_names(platform, actor).get(order.product_code, order.product_code)
    return render(request, "portal/cancel.html", order=order, product_name=name)


@router.post("/orders/{order_id}/cancel")
def cancel(request: Request, actor: ActorDep, order_id: str) -> Response:
    _platform(request).orders.cancel(actor, order_id, note="cancelled in the portal")
    return redirect(request, f"/portal/orders/{order_id}?cancelled=1")


register_page(WebPage("catalog", "/portal", "nav.catalog", router, order=10))
register_page(WebPage("orders", "/portal/orders", "nav.orders", None, order=20))
