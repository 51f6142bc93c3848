"""The AI lab page: a tenant's studies, and per study its design space, results, what the
surrogates have learnt, the next suggested batch and (several objectives) the Pareto front.

Everything goes through :class:`~openfab.lab.service.LabService`, so the page sees exactly
what the REST API shows a user of the same role: another tenant's study is not found, and a
reader without write rights gets no suggestion button (and a refusal if they post anyway).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Depends, Form, Request, Response
from markupsafe import Markup
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUpload

from openfab.errors import Conflict, InvalidInput, Problem
from openfab.identity.actor import Actor
from openfab.lab.schemas import (
    ExperimentPublic,
    ModelReportPublic,
    StudyCreate,
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
from openfab.web.render import WebRoute, redirect, render
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
    can_write = bool(actor.roles & set(LAB_WRITERS))
    return render(request, "lab/list.html", studies=listed.data, can_write=can_write)


EXAMPLE = """name: cathode-slurry
description: Solid content and mixing time of an NMP-free slurry
parameters:
  - {name: solids, type: continuous, low: 0.4, high: 0.7, unit: "-"}
  - {name: minutes, type: integer, low: 10, high: 90, unit: min}
  - {name: binder, type: categorical, values: [PVDF, CMC]}
objectives:
  - {name: capacity, goal: maximize, unit: mAh/g}
  - {name: viscosity, goal: minimize, unit: Pa s}
"""
MAX_DOCUMENT = 20_000


def read_document(text: str) -> dict[str, Any]:
    """A study document typed in the form: YAML (JSON is YAML too). A syntax error names
    its line; a document that is not a mapping says so."""
    if len(text) > MAX_DOCUMENT:
        raise InvalidInput(
            "the study is too long", [Problem("document", f"at most {MAX_DOCUMENT} characters")]
        )
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "document"
        problem = str(getattr(exc, "problem", None) or exc)
        raise InvalidInput("the study is not valid YAML", [Problem(where, problem)]) from exc
    if not isinstance(loaded, dict):
        raise InvalidInput(
            "the study is not valid",
            [Problem("document", "expected name, parameters and objectives", "wrong_type")],
        )
    return loaded


def _require_writer(actor: Actor) -> None:
    actor.require(*LAB_WRITERS)


@router.get("/new")
def new_study(request: Request, actor: ActorDep) -> Response:
    _require_writer(actor)
    return render(request, "lab/edit.html", study=None, document=EXAMPLE, problems=[])


@router.post("/new")
def create_study(
    request: Request,
    actor: ActorDep,
    document: Annotated[str, Form(max_length=MAX_DOCUMENT)] = "",
) -> Response:
    """A study from its document; every problem comes back on the form, the text kept."""
    platform = _platform(request)
    try:
        created = platform.lab.create_study(actor, StudyCreate(definition=read_document(document)))
    except (InvalidInput, Conflict) as exc:
        return render(
            request,
            "lab/edit.html",
            status=exc.status,
            study=None,
            document=document,
            problems=exc.problems or [Problem("document", exc.detail)],
        )
    return redirect(request, f"/lab/{created.id}?created=1")


@router.get("/{study_id}/edit")
def edit_study(request: Request, actor: ActorDep, study_id: str) -> Response:
    _require_writer(actor)
    detail = _platform(request).lab.get_study(actor, study_id)
    text = yaml.safe_dump(detail.definition, sort_keys=False, allow_unicode=True)
    return render(request, "lab/edit.html", study=detail, document=text, problems=[])


@router.post("/{study_id}/edit")
def save_study(
    request: Request,
    actor: ActorDep,
    study_id: str,
    document: Annotated[str, Form(max_length=MAX_DOCUMENT)] = "",
) -> Response:
    platform = _platform(request)
    try:
        definition = read_document(document)
        platform.lab.update_study(actor, study_id, StudyCreate(definition=definition))
    except (InvalidInput, Conflict) as exc:
        detail = platform.lab.get_study(actor, study_id)  # 404 before 422 for a stranger
        return render(
            request,
            "lab/edit.html",
            status=exc.status,
            study=detail,
            document=document,
            problems=exc.problems or [Problem("document", exc.detail)],
        )
    return redirect(request, f"/lab/{study_id}?saved=1")


@router.post("/{study_id}/results")
async def upload_results(request: Request, actor: ActorDep, study_id: str) -> Response:
    """Results as a CSV file (or pasted): all rows or none; a bad row is named by its line
    in the file (line 1 is the header)."""
    platform = _platform(request)
    form = await request.form()
    upload, pasted = form.get("file"), str(form.get("csv") or "")
    text = pasted
    if isinstance(upload, StarletteUpload) and upload.filename:
        raw = await upload.read(MAX_CSV + 1)
        if len(raw) > MAX_CSV:
            raise InvalidInput("the file is too large", [Problem("file", "at most 2 MB")])
        text = raw.decode("utf-8-sig", errors="replace")
    try:
        added = await run_in_threadpool(platform.lab.import_csv, actor, study_id, text)
    except InvalidInput as exc:
        platform.lab.get_study(actor, study_id)
        problems = [csv_line(p) for p in exc.problems]
        return _study_page(
            request, actor, study_id, status=422, upload_problems=problems, csv_text=pasted
        )
    return redirect(request, f"/lab/{study_id}?added={added.count}#runs-h")


MAX_CSV = 2 * 1024 * 1024
ROW = re.compile(r"^row (\d+)(\.|$)")


def csv_line(problem: Problem) -> Problem:
    """``row 3.capacity`` (the third data row) as ``line 4: capacity`` — what an editor
    showing the file calls it."""
    found = ROW.match(problem.loc)
    if found is None:
        return problem
    rest = problem.loc[found.end() :]
    loc = f"line {int(found.group(1)) + 1}" + (f": {rest}" if rest else "")
    return Problem(loc, problem.msg, problem.code)


@router.get("/{study_id}/models")
def models_panel(request: Request, actor: ActorDep, study_id: str) -> Response:
    """The surrogates' report, fetched after the page has painted: fitting and cross-
    validating them takes seconds to a minute on the first view of new results (they are
    remembered after), so the study page no longer waits for it."""
    models, models_error = _models(_platform(request), actor, study_id)
    return render(
        request,
        "lab/_models.html",
        study_id=study_id,
        models=models,
        models_error=models_error,
        deferred=False,
    )


@router.get("/{study_id}")
def study(
    request: Request,
    actor: ActorDep,
    study_id: str,
    created: int = 0,
    saved: int = 0,
    added: int = -1,
) -> Response:
    notice = (
        translate(request, "lab.created_notice")
        if created
        else translate(request, "lab.saved_notice")
        if saved
        else translate(request, "lab.added_notice").format(count=added)
        if added >= 0
        else ""
    )
    return _study_page(request, actor, study_id, notice=notice)


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
    notice: str = "",
    upload_problems: Sequence[Problem] = (),
    csv_text: str = "",
) -> Response:
    """The study without its surrogates' report (``/models`` fills that in after the page
    has painted; it took 21 s on a first view of new results, blocking the page)."""
    platform = _platform(request)
    detail = platform.lab.get_study(actor, study_id)
    parsed = parse_study(detail.definition)
    runs = platform.lab.list_experiments(actor, study_id).data
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
        suggestion=suggestion,
        notice=notice,
        upload_problems=list(upload_problems),
        csv_text=csv_text,
        csv_header=",".join(
            [p["name"] for p in detail.definition.get("parameters", [])]
            + list(parsed.properties)
            + ["status", "note"]
        ),
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
