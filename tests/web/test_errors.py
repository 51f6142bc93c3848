"""Errors a person reads: a browser gets the error page in its language (unknown address, a
page that fails, a service's refusal with its problems); the REST API keeps problem JSON."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from openfab.errors import Conflict, Problem
from openfab.platform import Platform
from openfab.web.i18n import Translator
from openfab.web.render import WebRoute
from tests.conftest import TenantPeople, make_tenant
from tests.web.conftest import WebClient, email, signed_in

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
KOREAN = {**HTML, "Accept-Language": "ko-KR,ko;q=0.9"}


@pytest.fixture
def browser_client(web_app: Any) -> Iterator[TestClient]:
    with TestClient(web_app, raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize(
    ("headers", "title", "detail"),
    [
        (HTML, "Not found", "There is no page at this address."),
        (KOREAN, "찾을 수 없습니다", "이 주소에는 페이지가 없습니다."),
    ],
)
def test_a_browser_asking_for_an_unknown_page_gets_the_error_page(
    browser_client: TestClient, headers: dict[str, str], title: str, detail: str
) -> None:
    page = browser_client.get("/no/such/page", headers=headers)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert f"<h1>{title}</h1>" in page.text and detail in page.text
    assert 'href="/"' in page.text  # a way back


def test_an_api_client_keeps_problem_json(browser_client: TestClient) -> None:
    unknown = browser_client.get("/no/such/page", headers={"Accept": "application/json"})
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert unknown.json()["status"] == 404
    # A REST route answers JSON even to a browser: only web pages and no-route become HTML.
    rest = browser_client.get("/orders/nope", headers=KOREAN)
    assert rest.status_code == 401 and rest.headers["content-type"] == "application/problem+json"


def test_a_page_that_fails_shows_the_apology_in_the_pages_language(
    web_app: FastAPI, shop: TenantPeople
) -> None:
    router = APIRouter(route_class=WebRoute)

    @router.get("/test-only/explodes")
    def explodes() -> None:
        raise RuntimeError("boom: a bug, not for the reader")

    web_app.include_router(router)
    client = signed_in(web_app, email(shop, "planner"))
    client.http.cookies.set("openfab_lang", "ko")
    page = client.get("/test-only/explodes", headers=HTML)
    assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
    assert "죄송합니다" in page.text and "boom" not in page.text and "Traceback" not in page.text


def test_a_refusal_is_worded_in_korean_with_the_english_kept_beside(
    web_app: FastAPI, shop: TenantPeople
) -> None:
    router = APIRouter(route_class=WebRoute)

    @router.get("/test-only/refuses")
    def refuses() -> None:
        problems = [
            Problem("choices.shelves", "7 is above 6", "out_of_range"),
            Problem("choices.door", "The 90 cm model is not built with a single door."),
            Problem("x", "something nobody translated", "no_such_code"),
        ]
        raise Conflict("order SO-1 cannot move from Shipped to Planned", problems)

    web_app.include_router(router)
    client = signed_in(web_app, email(shop, "planner"))
    client.http.cookies.set("openfab_lang", "ko")
    page = client.get("/test-only/refuses", headers=HTML).text
    assert "현재 상태에서는 할 수 없습니다." in page  # the generic detail of a 409
    assert 'lang="en">order SO-1 cannot move from Shipped to Planned' in page  # kept beside
    assert "허용 범위를 벗어난 값입니다" in page  # by the problem's code
    assert "90 cm 모델은 1도어로 만들지 않습니다." in page  # a rule message, as text
    assert "something nobody translated" in page  # no translation: as written


@pytest.mark.parametrize(
    ("problem", "korean"),
    [
        (
            Problem("title", "String should have at least 3 characters", "string_too_short"),
            "너무 짧습니다",
        ),
        (Problem("product", "product 'x' not found", "not_found"), "찾을 수 없습니다"),
        (
            Problem("product", "product 'x' is Draft", "not_orderable"),
            "아직 주문할 수 없는 제품입니다 (초안)",
        ),
        (Problem("quantity", "Field required", "missing"), "필수 항목입니다"),
        (Problem("x", "anything", "conflict"), "현재 상태와 충돌합니다"),
    ],
)
def test_known_problem_codes_are_translated(problem: Problem, korean: str) -> None:
    assert Translator("ko").problem(problem) == korean
    assert Translator("en").problem(problem) == problem.msg  # English keeps the specific one


def test_too_many_failed_sign_ins_show_the_throttle_page_with_retry_after(
    web_app: Any, platform: Platform
) -> None:
    shop = make_tenant(platform, samples=False)  # its own accounts: the lock lasts 15 minutes
    own_address = TestClient(web_app, raise_server_exceptions=False, client=("198.51.100.7", 1))
    client = WebClient(own_address)  # its own address: other tests' failures never add up
    guesses = [client.login(email(shop, "bob"), "wrong-guess") for _ in range(6)]
    assert [g.status_code for g in guesses[:5]] == [401] * 5
    throttled = guesses[5]
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) > 0
    assert "Too many failed sign-ins" in throttled.text
    assert client.login(email(shop, "bob")).status_code == 429  # even the right password waits
