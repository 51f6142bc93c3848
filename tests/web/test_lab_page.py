"""The AI lab page: a tenant's studies, a study's design space, results (failed runs marked),
models and the next batch on request, a Pareto chart for two objectives, translated labels,
empty and error states, and nothing of another tenant's lab. The last test drives it in
headless Chromium and saves docs/screenshots/lab.png."""

from __future__ import annotations

import itertools
import math
import re
import uuid
from typing import Any

import pytest

from openfab.identity.actor import Actor
from openfab.lab.schemas import ExperimentIn, ExperimentsCreate, StudyCreate, StudyDetail
from openfab.lab.study import parse_study
from openfab.platform import Platform
from openfab.web.pages.lab import _ticks, pareto_svg
from tests.conftest import TenantPeople
from tests.web.conftest import LiveServer, WebClient, csrf_of, email, shot, signed_in


def two_objective_study(platform: Platform, admin: Actor, runs: int = 8) -> StudyDetail:
    """Maximize a and b: a trade-off along x, so the front spreads; the odd runs are
    dominated and run 3 failed."""
    definition = {
        "name": f"slurry-{uuid.uuid4().hex[:6]}",
        "parameters": [
            {"name": "x", "type": "continuous", "low": 0, "high": 1, "unit": "-"},
            {"name": "solvent", "type": "categorical", "values": ["NMP", "water"]},
        ],
        "objectives": [
            {"name": "a", "goal": "maximize", "unit": "Wh/kg"},
            {"name": "b", "goal": "maximize"},
        ],
    }
    study = platform.lab.create_study(admin, StudyCreate(definition=definition))
    experiments = []
    for i in range(runs):
        x = (i + 0.5) / runs
        design = {"x": x, "solvent": "NMP" if i % 2 else "water"}
        if i == 3:
            experiments.append(ExperimentIn(design=design, status="failed", note="slurry gelled"))
            continue
        worse = 0.7 if i % 2 else 1.0  # the odd runs fall behind their neighbours
        results = {"a": worse * 100 * x, "b": worse * 100 * (1 - x) ** 2}
        experiments.append(ExperimentIn(design=design, results=results))
    platform.lab.add_experiments(admin, study.id, ExperimentsCreate(experiments=experiments))
    return study


def single_objective_study(platform: Platform, admin: Actor, runs: int = 0) -> StudyDetail:
    definition = {
        "name": f"binder-{uuid.uuid4().hex[:6]}",
        "parameters": [
            {"name": "binder", "type": "continuous", "low": 0.0, "high": 0.2},
            {"name": "minutes", "type": "integer", "low": 5, "high": 60},
        ],
        "objectives": [{"name": "capacity", "goal": "maximize", "unit": "mAh/g"}],
    }
    study = platform.lab.create_study(admin, StudyCreate(definition=definition))
    if runs:
        rows = [
            ExperimentIn(
                design={"binder": 0.02 * i, "minutes": 5 + 5 * i},
                results={"capacity": 150 + 10 * i - 0.4 * i**2},
            )
            for i in range(runs)
        ]
        platform.lab.add_experiments(admin, study.id, ExperimentsCreate(experiments=rows))
    return study


@pytest.fixture
def admin_web(web_app: Any, shop: TenantPeople) -> WebClient:
    return signed_in(web_app, email(shop, "admin"))


# -- list ----------------------------------------------------------------------------------------
def test_a_tenant_without_studies_sees_the_empty_state(web_app: Any, rival: TenantPeople) -> None:
    page = signed_in(web_app, email(rival, "admin")).get("/lab")
    assert page.status_code == 200
    assert "No studies yet" in page.text
    assert 'href="/lab"' in page.text  # the nav entry


def test_the_list_shows_the_tenants_studies_only(
    platform: Platform, admin_web: WebClient, shop: TenantPeople, rival: TenantPeople
) -> None:
    ours = single_objective_study(platform, shop.admin, runs=2)
    theirs = single_objective_study(platform, rival.admin)
    page = admin_web.get("/lab")
    assert f'href="/lab/{ours.id}"' in page.text
    assert theirs.id not in page.text and theirs.name not in page.text


# -- a study -----------------------------------------------------------------------------------
def test_a_study_page_shows_space_results_models_and_the_front(
    platform: Platform, admin_web: WebClient, shop: TenantPeople
) -> None:
    study = two_objective_study(platform, shop.admin)
    page = admin_web.get(f"/lab/{study.id}")
    assert page.status_code == 200, page.text
    html = page.text
    assert "Design space" in html and "NMP, water" in html and "0 … 1" in html
    assert html.count("data-failed") == 1 and "slurry gelled" in html  # the failed run
    assert "data-models-loading" in html and "Gaussian process" not in html  # fitted later
    models = admin_web.get(f"/lab/{study.id}/models").text
    assert "Gaussian process" in models and "CV R²" in models  # one model per objective
    assert re.search(r'<meter min="0" max="1" value="0\.\d+"', models)  # what matters
    svg = re.search(r'<svg[^>]*class="pareto".*?</svg>', html, re.S)
    assert svg and 'role="img"' in svg.group(0)
    front = [e.id for e in platform.lab.pareto(shop.admin, study.id).data]
    assert svg.group(0).count('class="front"') == len(front) >= 2
    assert svg.group(0).count("<circle") == 7  # failed runs are not drawn
    assert "data-suggest-form" in html  # an admin may ask for the next batch


def test_too_few_runs_say_why_there_is_no_model(
    platform: Platform, admin_web: WebClient, shop: TenantPeople
) -> None:
    study = single_objective_study(platform, shop.admin)
    html = admin_web.get(f"/lab/{study.id}").text
    assert "data-runs-empty" in html
    models = admin_web.get(f"/lab/{study.id}/models").text
    assert "data-models-empty" in models and "a model needs 3" in models
    assert 'class="pareto"' not in html  # one objective: no front to draw


def test_the_button_suggests_the_next_batch(
    platform: Platform, admin_web: WebClient, shop: TenantPeople
) -> None:
    study = single_objective_study(platform, shop.admin, runs=5)
    page = admin_web.get(f"/lab/{study.id}")
    admin_web.csrf = csrf_of(page.text)
    answer = admin_web.post(f"/lab/{study.id}/suggest", {"n": "3", "seed": "4"})
    assert answer.status_code == 200, answer.text
    table = re.search(r'<table class="compact suggestion">.*?</table>', answer.text, re.S)
    assert table and table.group(0).count("<tr>") == 4  # header + 3 designs
    assert "qLogNEI" in answer.text and "capacity (predicted)" in answer.text
    assert "±" in table.group(0)
    stored = platform.lab.list_studies(shop.admin)  # the suggestion did not add runs
    assert next(s for s in stored.data if s.id == study.id).experiments == 5


@pytest.mark.parametrize(
    ("n", "seed", "named"),
    [
        ("0", "0", "n"),  # a batch of none
        ("many", "0", "n"),  # not a number
        ("2", "-1", "seed"),  # seeds are not negative
    ],
)
def test_a_bad_request_is_answered_on_the_page(
    platform: Platform, admin_web: WebClient, shop: TenantPeople, n: str, seed: str, named: str
) -> None:
    study = single_objective_study(platform, shop.admin, runs=4)
    admin_web.csrf = csrf_of(admin_web.get(f"/lab/{study.id}").text)
    answer = admin_web.post(f"/lab/{study.id}/suggest", {"n": n, "seed": seed})
    assert answer.status_code == 422
    assert "data-problems" in answer.text and f"<code>{named}</code>" in answer.text
    assert "Design space" in answer.text  # the study is still shown


# -- who may see what -----------------------------------------------------------------------------
def test_another_tenants_study_is_not_found(
    platform: Platform, web_app: Any, shop: TenantPeople, rival: TenantPeople
) -> None:
    theirs = two_objective_study(platform, rival.admin, runs=4)
    client = signed_in(web_app, email(shop, "admin"))
    assert client.get(f"/lab/{theirs.id}").status_code == 404
    client.csrf = csrf_of(client.get("/lab").text)
    assert client.post(f"/lab/{theirs.id}/suggest", {"n": "2"}).status_code == 404
    assert client.post(f"/lab/{theirs.id}/suggest", {"n": "0"}).status_code == 404


def test_readers_see_no_button_and_customers_are_refused(
    platform: Platform, web_app: Any, shop: TenantPeople
) -> None:
    study = single_objective_study(platform, shop.admin, runs=4)
    planner = signed_in(web_app, email(shop, "planner"))
    page = planner.get(f"/lab/{study.id}")
    assert page.status_code == 200
    assert "data-suggest-form" not in page.text and "Only engineers and admins" in page.text
    planner.csrf = csrf_of(page.text)
    assert planner.post(f"/lab/{study.id}/suggest", {"n": "2"}).status_code == 403
    customer = signed_in(web_app, email(shop, "alice"))
    assert customer.get("/lab").status_code == 403
    assert 'href="/lab"' not in customer.get("/portal").text  # no nav entry either


def test_the_page_speaks_korean(platform: Platform, web_app: Any, shop: TenantPeople) -> None:
    study = two_objective_study(platform, shop.admin, runs=5)
    client = signed_in(web_app, email(shop, "admin"))
    html = client.get(f"/lab/{study.id}", headers={"accept-language": "ko-KR"}).text
    assert "설계 공간" in html and "파레토 전선" in html and "다음 배치 제안" in html


# -- the chart alone -------------------------------------------------------------------------------
def test_the_chart_needs_two_successful_runs(platform: Platform, shop: TenantPeople) -> None:
    study = two_objective_study(platform, shop.admin, runs=2)
    parsed = parse_study(study.definition)
    runs = platform.lab.list_experiments(shop.admin, study.id).data
    assert str(pareto_svg(parsed, runs[:1], set(), title="front")) == ""
    drawn = str(pareto_svg(parsed, runs, {runs[0].id}, title="a <b>"))
    assert "a &lt;b&gt;" in drawn and drawn.count('class="front"') == 1


@pytest.mark.parametrize(("low", "high"), [(0.0, 1.0), (-3.3, -0.2), (120.0, 380.0), (5.0, 5.1)])
def test_ticks_are_round_and_inside(low: float, high: float) -> None:
    ticks = _ticks(low, high)
    assert 2 <= len(ticks) <= 7
    assert all(low <= v <= high for v in ticks)
    steps = {round(b - a, 9) for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1
    mantissa = next(iter(steps)) / 10 ** math.floor(math.log10(next(iter(steps))))
    assert round(mantissa, 6) in (1.0, 2.0, 5.0)


# -- in a real browser --------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.xdist_group("web-e2e")
def test_an_engineer_asks_for_the_next_batch_in_the_browser(
    browser: Any, live_server: LiveServer
) -> None:
    from playwright.sync_api import expect

    people = live_server.people
    study = two_objective_study(live_server.platform, people.admin, runs=9)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-US"
    )
    try:
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("E-mail").fill(email(people, "admin"))
        page.get_by_label("Password").fill("correct-horse-battery")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        page.goto("/lab")
        page.get_by_role("link", name=study.name).click()
        expect(page.get_by_role("heading", name=study.name)).to_be_visible(timeout=15_000)
        expect(page.get_by_role("img", name="Pareto front")).to_be_visible()
        page.get_by_label("Designs to suggest").fill("3")
        # the request runs the optimizer: seconds, more on a loaded machine
        page.get_by_role("button", name="Suggest the next batch").click(timeout=180_000)
        expect(page.locator("[data-strategy]")).to_contain_text("qLogNEHVI")
        expect(page.locator("table.suggestion tbody tr")).to_have_count(3)
        shot(page, "lab")
    finally:
        context.close()
