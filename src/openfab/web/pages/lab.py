"""The AI lab page: a tenant's studies, and per study its design space, results, what the
surrogates have learnt, the next suggested batch and (several objectives) the Pareto front.

Everything goes through :class:`~openfab.lab.service.LabService`, so the page sees exactly
what the REST API shows a user of the same role: another tenant's study is not found, and a
reader without write rights gets no suggestion button (and a refusal if they post anyway).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from markupsafe import Markup
from pydantic import ValidationError

from openfab.errors import InvalidInput
from openfab.identity.actor import Actor
from openfab.lab.schemas import (
    ExperimentPublic,
    ModelReportPublic,
    StudyDetail,
    SuggestionPublic,
    SuggestionRequest,
)
from openfab.lab.service import LAB_READERS, LAB_WRITERS
from openfab.lab.study import Objective, Study, parse_study
from openfab.platform import Platform
from openfab.web.charts import escape
from openfab.web.pages.ideas import invalid
from openfab.web.registry import WebPage, register_page
from openfab.web.render import WebRoute, render
from openfab.web.session import require_actor

router = APIRouter(prefix="/lab", route_class=WebRoute, include_in_schema=False)
ActorDep = Annotated[Actor, Depends(require_actor)]
CHART_W, CHART_H, PAD = 640, 400, 56


def _platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


@router.get("")
def studies(request: Request, actor: ActorDep) -> Response:
    listed = _platform(request).lab.list_studies(actor)
    return render(request, "lab/list.html", studies=listed.data)


@router.get("/{study_id}")
def study(request: Request, actor: ActorDep, study_id: str) -> Response:
    return _study_page(request, actor, study_id)


@router.post("/{study_id}/suggest")
def suggest(
    request: Request,
    actor: ActorDep,
    study_id: str,
    n: Annotated[str, Form(max_length=10)] = "4",
    seed: Annotated[str, Form(max_length=12)] = "0",
) -> Response:
    """Runs the optimizer (seconds) and shows the batch on the study's page. Bad numbers or
    too few results come back on the same page, the study still shown."""
    platform = _platform(request)
    try:
        wanted = SuggestionRequest.model_validate({"n": _int(n), "seed": _int(seed)})
        suggestion = platform.lab.suggest(actor, study_id, wanted)
    except (ValidationError, InvalidInput) as exc:
        error = invalid(exc) if isinstance(exc, ValidationError) else exc
        platform.lab.get_study(actor, study_id)  # 404 before 422 for a stranger's study
        return _study_page(
            request, actor, study_id, status=422, form={"n": n, "seed": seed}, error=error
        )
    return _study_page(request, actor, study_id, suggestion=suggestion, form={"n": n, "seed": seed})


def _int(text: str) -> int | str:
    """A form field as an integer when it is one (else left for the schema to name)."""
    try:
        return int(text.strip())
    except ValueError:
        return text


def _study_page(
    request: Request,
    actor: Actor,
    study_id: str,
    *,
    status: int = 200,
    suggestion: SuggestionPublic | None = None,
    form: dict[str, str] | None = None,
    error: InvalidInput | None = None,
) -> Response:
    platform = _platform(request)
    detail = platform.lab.get_study(actor, study_id)
    parsed = parse_study(detail.definition)
    runs = platform.lab.list_experiments(actor, study_id).data
    models, models_error = _models(platform, actor, study_id)
    chart = Markup("")
    if len(parsed.objectives) > 1:
        front = {e.id for e in platform.lab.pareto(actor, study_id).data}
        chart = pareto_svg(parsed, runs, front, title=translate(request, "lab.pareto"))
    return render(
        request,
        "lab/study.html",
        status=status,
        study=detail,
        space=_space_rows(detail),
        objectives=parsed.objectives,
        properties=parsed.properties,
        runs=runs,
        models=models,
        models_error=models_error,
        suggestion=suggestion,
        can_write=bool(actor.roles & set(LAB_WRITERS)),
        form=form or {"n": "4", "seed": "0"},
        problems=error.problems if error else [],
        error_detail=error.detail if error else "",
        chart=chart,
    )


def translate(request: Request, key: str) -> str:
    from openfab.web.render import translator

    return translator(request)(key)


def _models(
    platform: Platform, actor: Actor, study_id: str
) -> tuple[list[ModelReportPublic], InvalidInput | None]:
    """Surrogate reports, or the reason there are none yet (too few successful runs)."""
    try:
        reports = platform.lab.models(actor, study_id)
    except InvalidInput as exc:
        return [], exc
    for r in reports:  # largest share first: "which parameters matter"
        r.importance = dict(sorted(r.importance.items(), key=lambda kv: -kv[1]))
    return reports, None


@dataclass(frozen=True)
class SpaceRow:
    name: str
    kind: str
    domain: str
    unit: str


def _space_rows(detail: StudyDetail) -> list[SpaceRow]:
    rows = []
    for p in detail.definition.get("parameters", []):
        if p["type"] == "categorical":
            domain = ", ".join(str(v) for v in p["values"])
        else:
            domain = f"{_num(p['low'])} … {_num(p['high'])}"
        rows.append(SpaceRow(p["name"], p["type"], domain, p.get("unit", "")))
    return rows


def _num(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


# -- the Pareto-front chart ------------------------------------------------------------------
def pareto_svg(
    study: Study, runs: Sequence[ExperimentPublic], front: set[str], *, title: str
) -> Markup:
    """First two objectives of every successful run as dots, the front's runs filled and
    joined by a step line; axes labelled with the objective, its goal and unit. An
    accessible SVG (role=img, a title per dot); empty when fewer than two runs succeeded."""
    a, b = study.objectives[0], study.objectives[1]
    ok = [r for r in runs if r.status == "ok" and a.name in r.results and b.name in r.results]
    if len(ok) < 2:
        return Markup("")
    xs = [r.results[a.name] for r in ok]
    ys = [r.results[b.name] for r in ok]
    sx, sy = _Axis.over(xs, PAD, CHART_W - 16), _Axis.over(ys, CHART_H - PAD, 16)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {CHART_W} {CHART_H}" '
        f'class="pareto" role="img" aria-label="{escape(title)}" font-size="12" '
        f'style="max-width: {CHART_W}px">'
        f"<title>{escape(title)}</title>",
        f'<rect x="{PAD}" y="16" width="{CHART_W - PAD - 16}" height="{CHART_H - PAD - 16}" '
        'fill="#f6f7f9" stroke="#dde1e6"/>',
    ]
    parts += _axis_labels(sx, sy, _label(a), _label(b))
    on_front = sorted((r for r in ok if r.id in front), key=lambda r: r.results[a.name])
    if len(on_front) > 1:
        points = " ".join(
            f"{sx(r.results[a.name]):.1f},{sy(r.results[b.name]):.1f}" for r in on_front
        )
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="#0b6bcb" stroke-width="1.5"/>'
        )
    for r in ok:
        x, y = sx(r.results[a.name]), sy(r.results[b.name])
        cls, fill = ("front", "#0b6bcb") if r.id in front else ("run", "#ffffff")
        tip = f"#{r.seq}: {a.name} {r.results[a.name]:.4g}, {b.name} {r.results[b.name]:.4g}"
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" class="{cls}" fill="{fill}" '
            f'stroke="#0b6bcb" stroke-width="1.5"><title>{escape(tip)}</title></circle>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _label(objective: Objective) -> str:
    arrow = "↑" if objective.goal == "maximize" else "↓"
    unit = f" [{objective.unit}]" if objective.unit else ""
    return f"{objective.name}{unit} {arrow}"


@dataclass(frozen=True)
class _Axis:
    """A linear map of a value range onto pixels [start, end]."""

    low: float
    high: float
    start: float
    end: float

    @classmethod
    def over(cls, values: Sequence[float], start: float, end: float) -> _Axis:
        """The values' range padded 5 % (a flat range widened) so no dot sits on the frame."""
        low, high = min(values), max(values)
        pad = 0.05 * (high - low) if high > low else max(abs(low) * 0.05, 1.0)
        return cls(low - pad, high + pad, start, end)

    def __call__(self, value: float) -> float:
        return self.start + (value - self.low) / (self.high - self.low) * (self.end - self.start)


def _axis_labels(sx: _Axis, sy: _Axis, x_label: str, y_label: str) -> list[str]:
    parts = []
    for v in _ticks(sx.low, sx.high):
        x = sx(v)
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="16" y2="{CHART_H - PAD}" stroke="#dde1e6"/>'
            f'<text x="{x:.1f}" y="{CHART_H - PAD + 16}" text-anchor="middle" class="tick">'
            f"{v:.4g}</text>"
        )
    for v in _ticks(sy.low, sy.high):
        y = sy(v)
        parts.append(
            f'<line x1="{PAD}" x2="{CHART_W - 16}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dde1e6"/>'
            f'<text x="{PAD - 4}" y="{y + 4:.1f}" text-anchor="end" class="tick">{v:.4g}</text>'
        )
    parts.append(
        f'<text x="{(PAD + CHART_W) / 2:.0f}" y="{CHART_H - 12}" text-anchor="middle" '
        f'class="axis-label">{escape(x_label)}</text>'
        f'<text x="14" y="{CHART_H / 2:.0f}" text-anchor="middle" class="axis-label" '
        f'transform="rotate(-90 14 {CHART_H / 2:.0f})">{escape(y_label)}</text>'
    )
    return parts


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values inside [low, high] (1, 2 or 5 times a power of ten apart)."""
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(count + 2) if first + i * step <= high]


register_page(
    WebPage(
        "lab",
        "/lab",
        "lab.nav",
        router,
        roles=frozenset(LAB_READERS),
        area="factory",
        order=55,
    )
)
