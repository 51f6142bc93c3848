"""The quality page (plant staff): what inspection rejected and where (a Pareto), the recent
verdicts with their heat maps, a control chart of any process value, the likely causes of
recent defects, the SPC alarms and what the quality autopilot decided and why.

Everything comes through the quality services, so the page shows what the REST API shows the
same user; pictures are served here under the page's own sign-in (the API wants a token).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from markupsafe import Markup

from openfab.errors import OpenFabError
from openfab.identity.actor import PLANT_ROLES, Actor
from openfab.platform import Platform
from openfab.quality.control import CHARTS, ChartKind, ChartPoint, ControlChartPublic
from openfab.quality.schemas import UnitScanPublic
from openfab.web.charts import escape
from openfab.web.registry import WebPage, register_page
from openfab.web.render import WebRoute, render
from openfab.web.session import require_actor

router = APIRouter(prefix="/dashboard/quality", route_class=WebRoute, include_in_schema=False)
ActorDep = Annotated[Actor, Depends(require_actor)]
W, H, PAD_L, PAD_R, PAD_T, PAD_B = 760, 300, 64, 16, 16, 40
SHOWN = 24


def _platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


@router.get("")
def page(
    request: Request,
    actor: ActorDep,
    characteristic: Annotated[str, Query(max_length=128)] = "",
    kind: Annotated[str, Query(max_length=8)] = "imr",
) -> Response:
    platform = _platform(request)
    actor.require_plant(*PLANT_ROLES)
    scans = platform.quality.scans(actor, limit=200)
    measured = platform.spc.characteristics(actor)
    chosen = characteristic or _default(measured)
    chart, chart_error = _chart(platform, actor, chosen, kind)
    return render(
        request,
        "quality/index.html",
        tiles=_tiles(scans),
        pareto=pareto_svg(_pareto(scans), title="Rejects by product"),
        rejects=[s for s in scans if s.verdict == "defect"][:SHOWN],
        characteristics=measured,
        characteristic=chosen,
        kind=kind if kind in CHARTS else "imr",
        kinds=CHARTS,
        chart=chart,
        chart_svg=control_chart_svg(chart, title=chart.title) if chart else Markup(""),
        chart_error=chart_error,
        causes=platform.quality.causes(actor, days=7),
        alarms=platform.spc.alarms(actor, limit=12),
        decisions=platform.quality.decisions(actor, limit=12),
    )


@router.get("/scans/{scan_id}/{kind}.png")
def picture(request: Request, actor: ActorDep, scan_id: str, kind: str) -> Response:
    data = _platform(request).quality.picture(actor, scan_id, kind.replace("-", "_"))
    return Response(data, media_type="image/png", headers={"Cache-Control": "private"})


def _default(measured: Sequence[Any]) -> str:
    """The most reported value that has a spec (else the most reported one)."""
    with_spec = [c for c in measured if c.target is not None]
    pool = with_spec or list(measured)
    return max(pool, key=lambda c: c.values).key if pool else ""


def _chart(
    platform: Platform, actor: Actor, key: str, kind: str
) -> tuple[ControlChartPublic | None, str]:
    if not key:
        return None, ""
    chart_kind: ChartKind = kind if kind in CHARTS else "imr"
    try:
        return platform.spc.chart(actor, key, chart_kind), ""
    except OpenFabError as exc:  # too few values, constant data: say so on the page
        return None, exc.detail


def _tiles(scans: Sequence[UnitScanPublic]) -> dict[str, str]:
    judged = [s for s in scans if s.verdict]
    rejected = sum(s.verdict == "defect" for s in judged)
    pending = sum(s.status == "pending" for s in scans)
    rate = f"{rejected / len(judged):.1%}" if judged else "—"
    return {"inspected": str(len(judged)), "rejected": str(rejected), "rate": rate,
            "pending": str(pending)}  # fmt: skip


def _pareto(scans: Sequence[UnitScanPublic]) -> list[tuple[str, int]]:
    return Counter(s.product for s in scans if s.verdict == "defect").most_common(8)


# -- charts (server-rendered SVG) ----------------------------------------------------------
def _scale(low: float, high: float, start: float, end: float) -> Any:
    pad = 0.06 * (high - low) if high > low else max(abs(low) * 0.05, 1.0)
    low, high = low - pad, high + pad
    return lambda v: start + (v - low) / (high - low) * (end - start)


def control_chart_svg(chart: ControlChartPublic, *, title: str) -> Markup:
    """Points joined in time order, the centre line and control limits per point (steps
    where they vary), spec limits dashed, out-of-control points red with their time."""
    points = chart.points
    if not points:
        return Markup("")
    values = [p.value for p in points] + [p.ucl for p in points] + [p.lcl for p in points]
    specs = [v for v in (chart.lsl, chart.usl) if v is not None]
    low, high = min(values + specs), max(values + specs)
    sy = _scale(low, high, H - PAD_B, PAD_T)
    step = (W - PAD_L - PAD_R) / max(len(points) - 1, 1)

    def x(i: int) -> float:
        return PAD_L + i * step

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" class="control-chart" '
        f'role="img" aria-label="{escape(title)}" font-size="11" style="max-width:{W}px">',
        f"<title>{escape(title)}</title>",
        f'<rect x="{PAD_L}" y="{PAD_T}" width="{W - PAD_L - PAD_R}" '
        f'height="{H - PAD_T - PAD_B}" fill="#f6f7f9" stroke="#dde1e6"/>',
    ]
    for name, attr, colour in (("UCL", "ucl", "#c0392b"), ("CL", "center", "#2e7d32"),
                               ("LCL", "lcl", "#c0392b")):  # fmt: skip
        line = " ".join(f"{x(i):.1f},{sy(getattr(p, attr)):.1f}" for i, p in enumerate(points))
        parts.append(
            f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="1" '
            f'class="limit limit-{attr}"/>'
            f'<text x="{W - PAD_R - 2}" y="{sy(getattr(points[-1], attr)) - 3:.1f}" '
            f'text-anchor="end" fill="{colour}">{name} {getattr(points[-1], attr):.4g}</text>'
        )
    for name, value in (("LSL", chart.lsl), ("USL", chart.usl)):
        if value is not None:
            y = sy(value)
            parts.append(
                f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{y:.1f}" y2="{y:.1f}" '
                f'stroke="#6a1b9a" stroke-dasharray="5 4" class="spec"/>'
                f'<text x="{PAD_L + 4}" y="{y - 3:.1f}" fill="#6a1b9a">{name} {value:.4g}</text>'
            )
    line = " ".join(f"{x(i):.1f},{sy(p.value):.1f}" for i, p in enumerate(points))
    parts.append(f'<polyline points="{line}" fill="none" stroke="#0b6bcb" stroke-width="1.2"/>')
    parts += [_dot(x(i), sy(p.value), p) for i, p in enumerate(points)]
    parts += _time_axis(points, x)
    parts.append("</svg>")
    return Markup("".join(parts))


def _dot(cx: float, cy: float, p: ChartPoint) -> str:
    cls, fill, r = ("signal", "#c0392b", 3.5) if p.signal else ("point", "#0b6bcb", 2.2)
    tip = f"{p.at:%Y-%m-%d %H:%M} · {p.value:.4g}" + (f" · {p.machine}" if p.machine else "")
    return (
        f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r}" fill="{fill}" class="{cls}">'
        f"<title>{escape(tip)}</title></circle>"
    )


def _time_axis(points: Sequence[ChartPoint], x: Any) -> list[str]:
    marks = sorted({0, len(points) // 2, len(points) - 1})
    return [
        f'<text x="{x(i):.1f}" y="{H - PAD_B + 16}" text-anchor="middle" class="tick">'
        f"{points[i].at:%m-%d %H:%M}</text>"
        for i in marks
    ]


def pareto_svg(counts: Sequence[tuple[str, int]], *, title: str) -> Markup:
    """Bars by count, largest first, with the cumulative share as a line (the Pareto)."""
    if not counts:
        return Markup("")
    total = sum(n for _, n in counts)
    w, h, pad_b, pad_t, pad_l = 520, 220, 48, 14, 40
    bar = (w - pad_l - 10) / len(counts)
    top = max(n for _, n in counts)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" class="pareto-chart" '
        f'role="img" aria-label="{escape(title)}" font-size="11" style="max-width:{w}px">'
        f"<title>{escape(title)}</title>"
    ]
    running, line = 0, []
    for i, (label, n) in enumerate(counts):
        height = (h - pad_t - pad_b) * n / top
        x0 = pad_l + i * bar
        running += n
        line.append(f"{x0 + bar / 2:.1f},{pad_t + (h - pad_t - pad_b) * (1 - running / total):.1f}")
        parts.append(
            f'<rect x="{x0 + 4:.1f}" y="{h - pad_b - height:.1f}" width="{bar - 8:.1f}" '
            f'height="{height:.1f}" fill="#0b6bcb" class="bar"><title>{escape(label)}: {n}'
            f"</title></rect>"
            f'<text x="{x0 + bar / 2:.1f}" y="{h - pad_b + 14}" text-anchor="middle">'
            f"{escape(label[:14])}</text>"
            f'<text x="{x0 + bar / 2:.1f}" y="{h - pad_b - height - 3:.1f}" '
            f'text-anchor="middle">{n}</text>'
        )
    parts.append(
        f'<polyline points="{" ".join(line)}" fill="none" stroke="#c0392b" stroke-width="1.5"/>'
        "</svg>"
    )
    return Markup("".join(parts))


register_page(
    WebPage(
        "quality",
        "/dashboard/quality",
        "quality.nav",
        router,
        roles=frozenset(PLANT_ROLES),
        area="factory",
        order=52,
    )
)
