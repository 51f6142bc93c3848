"""The maintenance page (plant staff): each machine's health index as bars coloured by
risk, its remaining useful life with the 90 % interval, the open maintenance orders with
their booked windows and evidence, and MTBF / MTTR per machine.

Everything comes through the maintenance service, so the page shows what the REST API shows
the same user.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from markupsafe import Markup

from openfab.identity.actor import PLANT_ROLES, Actor
from openfab.maintenance.schemas import MachineHealthPublic
from openfab.platform import Platform
from openfab.web.charts import escape
from openfab.web.registry import WebPage, register_page
from openfab.web.render import WebRoute, render
from openfab.web.session import require_actor

router = APIRouter(prefix="/dashboard/maintenance", route_class=WebRoute, include_in_schema=False)
ActorDep = Annotated[Actor, Depends(require_actor)]


@router.get("")
def page(request: Request, actor: ActorDep) -> Response:
    platform: Platform = request.app.state.platform
    actor.require_plant(*PLANT_ROLES)
    machines = platform.maintenance.health(actor)
    orders = platform.maintenance.orders(actor, limit=50)
    histories = [h for h in platform.maintenance.histories(actor) if h.failures or h.maintenances]
    return render(
        request,
        "maintenance/index.html",
        machines=machines,
        bars=health_bars_svg(machines, title="Health index by machine"),
        open_orders=[o for o in orders if o.status in ("Open", "Planned")],
        closed_orders=[o for o in orders if o.status not in ("Open", "Planned")][:12],
        histories=histories,
        at_risk=sum(m.failure_probability >= 0.2 for m in machines),
    )


def _colour(m: MachineHealthPublic) -> str:
    if m.failure_probability >= 0.2 or m.alarm:
        return "#c0392b"
    if m.health >= 0.3:
        return "#e0a100"
    return "#2e7d32"


def health_bars_svg(machines: Sequence[MachineHealthPublic], *, title: str) -> Markup:
    """One horizontal bar per machine: the health index (0..1), red when at risk."""
    if not machines:
        return Markup("")
    row, pad_l, w = 18, 150, 640
    h = row * len(machines) + 24
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" class="health-bars" '
        f'role="img" aria-label="{escape(title)}" font-size="11" style="max-width:{w}px">'
        f"<title>{escape(title)}</title>"
    ]
    span = w - pad_l - 50
    for i, m in enumerate(machines):
        y = 4 + i * row
        length = max(1.0, span * min(max(m.health, 0.0), 1.0))
        tip = f"{m.machine}: health {m.health:.2f}, failure risk {m.failure_probability:.0%}"
        parts.append(
            f'<text x="{pad_l - 6}" y="{y + 12}" text-anchor="end">{escape(m.machine)}</text>'
            f'<rect x="{pad_l}" y="{y + 2}" width="{span}" height="{row - 6}" fill="#eef0f3"/>'
            f'<rect x="{pad_l}" y="{y + 2}" width="{length:.1f}" height="{row - 6}" '
            f'fill="{_colour(m)}" class="bar" data-machine="{escape(m.machine)}">'
            f"<title>{escape(tip)}</title></rect>"
            f'<text x="{pad_l + span + 4}" y="{y + 12}">{m.health:.2f}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


register_page(
    WebPage(
        "maintenance",
        "/dashboard/maintenance",
        "maintenance.nav",
        router,
        roles=frozenset(PLANT_ROLES),
        area="factory",
        order=54,
    )
)
