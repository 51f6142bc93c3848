"""The customer portal: catalog, configure with live feedback, order, track, reorder."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.datastructures import FormData

from openfab.catalog.configurator import Configurator
from openfab.catalog.results import ConfiguredProduct, OptionsLeft
from openfab.catalog.service import ProductHandle
from openfab.errors import Conflict, Infeasible, InvalidInput, NotFound, OpenFabError, Problem
from openfab.identity.actor import Actor
from openfab.orders.schemas import OrderCreate
from openfab.platform import Platform
from openfab.web import quotes
from openfab.web.charts import order_gantt
from openfab.web.configurator_view import (
    ConfiguratorView,
    choices_from_form,
    group_views,
    summary_of,
)
from openfab.web.registry import WebPage, register_page
from openfab.web.render import WebRoute, redirect, render, translator
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


def _quantity(form: FormData | dict[str, Any]) -> int:
    try:
        return min(max(int(str(form.get("quantity") or 1)), 1), 1000)
    except ValueError:
        return 1


def build_view(
    platform: Platform, configurator: Configurator, choices: dict[str, Any], quantity: int
) -> ConfiguratorView:
    """Ask the engine everything the page shows about these choices."""
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
    groups = group_views(definition, choices, left, problems)
    return ConfiguratorView(groups=groups, summary=summary, choices=choices)


@router.get("")
def catalog(request: Request, actor: ActorDep) -> Response:
    platform = _platform(request)
    products = []
    for product in platform.catalog.list_products(actor).data:
        if product.status != ACTIVE and not actor.is_staff:
            continue
        definition = platform.catalog.handle(actor, product.code).configurator.definition
        products.append((product, definition))
    return render(request, "portal/catalog.html", products=products)


@router.get("/products/{code}")
def configure_page(
    request: Request, actor: ActorDep, code: str, from_order: str | None = None
) -> Response:
    platform = _platform(request)
    handle = _handle(platform, actor, code)
    configurator = handle.configurator
    choices: dict[str, Any] = {g.code: None for g in configurator.definition.option_groups}
    quantity = 1
    if from_order:
        order = platform.orders.get(actor, from_order)
        choices.update(order.choices)
        quantity = order.quantity
    view = build_view(platform, configurator, choices, quantity)
    return render(
        request,
        "portal/configure.html",
        definition=configurator.definition,
        view=view,
        quantity=quantity,
        order_problems=[],
        orderable=handle.status == ACTIVE,
    )


@router.post("/products/{code}/preview")
def preview(request: Request, actor: ActorDep, code: str, form: FormDep) -> Response:
    """The live part of the configurator (htmx swaps it on every change)."""
    platform = _platform(request)
    handle = _handle(platform, actor, code)
    configurator = handle.configurator
    choices = choices_from_form(configurator.definition, form)
    quantity = _quantity(form)
    view = build_view(platform, configurator, choices, quantity)
    return render(
        request,
        "portal/_configurator.html",
        definition=configurator.definition,
        view=view,
        quantity=quantity,
        order_problems=[],
        orderable=handle.status == ACTIVE,
    )


@router.post("/products/{code}/order")
def place_order(request: Request, actor: ActorDep, code: str, form: FormDep) -> Response:
    platform = _platform(request)
    handle = _handle(platform, actor, code)
    configurator = handle.configurator
    choices = choices_from_form(configurator.definition, form)
    quantity = _quantity(form)
    try:
        order = platform.orders.place(
            actor, OrderCreate(product=code, choices=choices, quantity=quantity)
        )
    except (InvalidInput, Conflict) as exc:  # a draft refused too: shown in the form
        view = build_view(platform, configurator, choices, quantity)
        return render(
            request,
            "portal/configure.html",
            status=exc.status,
            definition=configurator.definition,
            view=view,
            quantity=quantity,
            order_problems=exc.problems,
            orderable=handle.status == ACTIVE,
        )
    return redirect(request, f"/portal/orders/{order.id}?placed=1")


@router.get("/orders")
def my_orders(request: Request, actor: ActorDep, offset: int = 0) -> Response:
    platform = _platform(request)
    orders = platform.orders.list(actor, limit=50, offset=max(offset, 0))
    return render(request, "portal/orders.html", orders=orders, offset=max(offset, 0))


@router.get("/orders/{order_id}")
def track(request: Request, actor: ActorDep, order_id: str, placed: int = 0) -> Response:
    platform = _platform(request)
    tracking = platform.orders.track(actor, order_id)
    detail = platform.orders.get(actor, order_id)
    chart = order_gantt(platform, actor, tracking.order.number)
    text = translator(request).text
    labels = choice_labels(platform, actor, detail.product_code, detail.choices, text)
    template = "portal/_tracking.html" if request.headers.get("HX-Request") else "portal/track.html"
    return render(
        request,
        template,
        tracking=tracking,
        detail=detail,
        chart=chart,
        labels=labels,
        placed=bool(placed),
    )


def choice_labels(
    platform: Platform,
    actor: Actor,
    product: str,
    choices: dict[str, Any],
    text: Callable[[str], str] = str,
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
            shown = f"{shown} {text(group.unit)}"
        rows.append((text(group.label) if group else key, shown))
    return rows


@router.post("/orders/{order_id}/reorder")
def reorder(request: Request, actor: ActorDep, order_id: str) -> Response:
    """The same product, choices and quantity again (checked against today's catalog)."""
    platform = _platform(request)
    old = platform.orders.get(actor, order_id)
    try:
        order = platform.orders.place(
            actor,
            OrderCreate(product=old.product_code, choices=old.choices, quantity=old.quantity),
        )
    except OpenFabError as exc:
        raise InvalidInput(
            "this order cannot be placed again as it was; change the choices and order anew",
            exc.problems,
        ) from exc
    return redirect(request, f"/portal/orders/{order.id}?placed=1")


@router.post("/orders/{order_id}/cancel")
def cancel(request: Request, actor: ActorDep, order_id: str) -> Response:
    _platform(request).orders.cancel(actor, order_id, note="cancelled in the portal")
    return redirect(request, f"/portal/orders/{order_id}")


register_page(WebPage("catalog", "/portal", "nav.catalog", router, order=10))
register_page(WebPage("orders", "/portal/orders", "nav.orders", None, order=20))
