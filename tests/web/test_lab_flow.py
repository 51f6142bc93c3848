"""The lab from the web: create and edit a study, upload results as CSV (bad rows named by
their line), the surrogates' report fetched after the page has painted."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from openfab.errors import InvalidInput, Problem
from openfab.lab.schemas import StudyCreate
from openfab.platform import Platform
from openfab.web.pages.lab import csv_line, read_document
from tests.conftest import TenantPeople
from tests.web.conftest import WebClient, csrf_of, email, signed_in
from tests.web.test_lab_page import single_objective_study


@pytest.fixture
def admin_web(web_app: Any, shop: TenantPeople) -> WebClient:
    client = signed_in(web_app, email(shop, "admin"))
    return client


def study_yaml(name: str, high: int = 60) -> str:
    return f"""name: {name}
parameters:
  - {{name: binder, type: continuous, low: 0.0, high: 0.2}}
  - {{name: minutes, type: integer, low: 5, high: {high}}}
objectives:
  - {{name: capacity, goal: maximize, unit: mAh/g}}
"""


def test_an_engineer_creates_a_study_from_the_web(
    platform: Platform, admin_web: WebClient, shop: TenantPeople
) -> None:
    form = admin_web.get("/lab/new")
    assert form.status_code == 200 and "name: cathode-slurry" in form.text  # an example
    name = f"web-{uuid.uuid4().hex[:6]}"
    created = admin_web.post("/lab/new", {"document": study_yaml(name)})
    assert created.status_code == 303
    study_id = created.headers["location"].split("/")[2].split("?")[0]
    assert platform.lab.get_study(shop.admin, study_id).name == name
    page = admin_web.get(created.headers["location"]).text
    assert "The study was created." in page and 'id="edit-study"' in page
    twice = admin_web.post("/lab/new", {"document": study_yaml(name)})
    assert twice.status_code == 409 and "already exists" in twice.text


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("name: x\nparameters: [\n", "line 3"),  # unclosed list: the line is named
        ("- just a list", "expected name, parameters and objectives"),
        ("name: x\nparameters: []\nobjectives: []\n", "parameters"),
    ],
)
def test_a_bad_study_document_comes_back_with_its_problems_and_text(
    admin_web: WebClient, document: str, expected: str
) -> None:
    response = admin_web.post("/lab/new", {"document": document})
    assert response.status_code == 422
    assert expected in response.text and "data-problems" in response.text
    assert "The study was not saved" in response.text


def test_an_edit_keeps_the_runs_and_refuses_a_range_that_orphans_one(
    platform: Platform, admin_web: WebClient, shop: TenantPeople
) -> None:
    study = single_objective_study(platform, shop.admin, runs=5)  # minutes up to 25
    page = admin_web.get(f"/lab/{study.id}/edit")
    assert page.status_code == 200 and f"name: {study.name}" in page.text
    narrowed = admin_web.post(
        f"/lab/{study.id}/edit", {"document": study_yaml(study.name, high=20)}
    )
    assert narrowed.status_code == 422 and "runs.5.minutes" in narrowed.text
    widened = admin_web.post(
        f"/lab/{study.id}/edit", {"document": study_yaml(study.name, high=120)}
    )
    assert widened.status_code == 303
    after = platform.lab.get_study(shop.admin, study.id)
    assert after.definition["parameters"][1]["high"] == 120 and after.experiments == 5


def test_results_upload_as_a_file_and_bad_rows_are_named_by_line(
    platform: Platform, admin_web: WebClient, shop: TenantPeople
) -> None:
    study = single_objective_study(platform, shop.admin)
    page = admin_web.get(f"/lab/{study.id}")
    assert "data-upload-form" in page.text and "binder,minutes,capacity,status,note" in page.text
    bad = "binder,minutes,capacity\n0.1,10,150\n0.1,10,high\n0.1,x,\n"
    refused = admin_web.post(
        f"/lab/{study.id}/results", files={"file": ("runs.csv", bad.encode(), "text/csv")}
    )
    assert refused.status_code == 422
    assert "line 3: capacity" in refused.text  # not a number
    assert "line 4: minutes" in refused.text and "line 4: capacity" in refused.text
    assert platform.lab.get_study(shop.admin, study.id).experiments == 0  # all or none
    good = "binder,minutes,capacity\n0.1,10,150\n0.15,20,155\n0.05,30,149\n"
    added = admin_web.post(
        f"/lab/{study.id}/results", files={"file": ("runs.csv", good.encode(), "text/csv")}
    )
    assert added.status_code == 303 and "added=3" in added.headers["location"]
    pasted = admin_web.post(
        f"/lab/{study.id}/results", {"csv": "binder,minutes,capacity\n0.2,40,151\n"}
    )
    assert pasted.status_code == 303
    assert platform.lab.get_study(shop.admin, study.id).experiments == 4
    assert "4 runs were added" not in admin_web.get(added.headers["location"]).text
    assert "3 runs were added." in admin_web.get(added.headers["location"]).text


def test_the_study_page_paints_before_the_models_are_fitted(
    platform: Platform, admin_web: WebClient, shop: TenantPeople
) -> None:
    study = single_objective_study(platform, shop.admin, runs=5)
    html = admin_web.get(f"/lab/{study.id}").text
    assert re.search(rf'hx-get="/lab/{study.id}/models" hx-trigger="load"', html)
    assert "data-models-ready" not in html
    models = admin_web.get(f"/lab/{study.id}/models").text
    assert "data-models-ready" in models


def test_readers_cannot_create_edit_or_upload(
    platform: Platform, web_app: Any, shop: TenantPeople, rival: TenantPeople
) -> None:
    study = single_objective_study(platform, shop.admin)
    planner = signed_in(web_app, email(shop, "planner"))
    assert 'id="new-study"' not in planner.get("/lab").text
    assert planner.get("/lab/new").status_code == 403
    assert planner.get(f"/lab/{study.id}/edit").status_code == 403
    page = planner.get(f"/lab/{study.id}")
    planner.csrf = csrf_of(page.text)
    assert planner.post("/lab/new", {"document": study_yaml("p")}).status_code == 403
    assert (
        planner.post(f"/lab/{study.id}/results", {"csv": "binder,minutes,capacity\n"}).status_code
        == 403
    )
    stranger = signed_in(web_app, email(rival, "admin"))
    assert stranger.get(f"/lab/{study.id}/edit").status_code == 404
    assert stranger.get(f"/lab/{study.id}/models").status_code == 404
    assert (
        stranger.post(
            f"/lab/{study.id}/results", {"csv": "binder,minutes,capacity\n0.1,10,150\n"}
        ).status_code
        == 404
    )


def test_read_document_and_csv_lines() -> None:
    assert read_document("name: a\n")["name"] == "a"
    with pytest.raises(InvalidInput) as exc:
        read_document("a: [")
    assert exc.value.problems[0].loc.startswith("line ")
    assert csv_line(Problem("row 2.capacity", "missing")).loc == "line 3: capacity"
    assert csv_line(Problem("row 7", "x")).loc == "line 8"
    assert csv_line(Problem("columns.x", "x")).loc == "columns.x"


def test_the_service_refuses_a_rename_onto_another_study(
    platform: Platform, shop: TenantPeople
) -> None:
    first = single_objective_study(platform, shop.admin)
    second = single_objective_study(platform, shop.admin)
    from openfab.errors import Conflict

    with pytest.raises(Conflict):
        platform.lab.update_study(
            shop.admin, second.id, StudyCreate(definition={**second.definition, "name": first.name})
        )
