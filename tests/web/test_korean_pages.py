"""Korean pages read in Korean: every customer, lab, ideas and sign-in page, its labels,
validation messages, statuses and formats. A string a template or a page shows in English
on a Korean page (a missing translation, a hard-coded word, a code instead of a name)
fails here, beside the catalog-completeness test in test_i18n.py."""

from __future__ import annotations

import re
from typing import Any

import pytest

from openfab.platform import Platform
from tests.conftest import TenantPeople
from tests.web.conftest import FRIDGE, WebClient, email, place_fridge, signed_in
from tests.web.test_lab_page import two_objective_study

ALLOWED = {
    "OpenFab",  # the product's name
    "UTC",
    "LED",  # option labels that Korean writes in Latin letters
    "Wi-",
    "SO-",  # order numbers
    "YAML",
    "JSON",
    "CSV",
    "RMSE",
    # a study document's keys (typed in YAML, shown as they must be written)
    *[
        "name",
        "description",
        "parameters",
        "type",
        "low",
        "high",
        "values",
        "unit",
        "objectives",
        "goal",
        "constraints",
    ],
}
SKIP = re.compile(r"<(code|svg|textarea|script|title|style)\b[^>]*>.*?</\1>", re.S)


def english_words(html: str, data: set[str] = frozenset()) -> set[str]:  # type: ignore[assignment]
    """Latin words in the page's main part, markup, code and user data left out."""
    body = html.split("<main", 1)[-1].split(">", 1)[-1]
    body = SKIP.sub(" ", body)
    body = re.sub(r"<[^>]+>", " ", body)
    words = set(re.findall(r"\b[A-Za-z][A-Za-z'-]{2,}\b", body))
    return words - ALLOWED - data


def korean(client: WebClient) -> WebClient:
    client.http.cookies.set("openfab_lang", "ko")
    return client


@pytest.fixture
def customer(web_app: Any, shop: TenantPeople) -> WebClient:
    return korean(signed_in(web_app, email(shop, "alice")))


def form_of(**changes: Any) -> dict[str, Any]:
    return {**{k: v for k, v in FRIDGE.items() if v != []}, **changes}


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("GET", "/portal", None),
        ("GET", "/portal/products/fridge", None),
        ("POST", "/portal/products/fridge/preview", form_of(shelves="9")),
        ("POST", "/portal/products/fridge/preview", form_of(quantity="0")),
        ("POST", "/portal/products/fridge/preview", form_of(size="w55_250", shelves="5")),
        ("POST", "/portal/products/fridge/review", form_of(quantity="2")),
        ("POST", "/portal/products/fridge/order", form_of(address="")),
        ("GET", "/portal/orders", None),
        ("GET", "{order}", None),
        ("GET", "{order}/cancel", None),
        ("GET", "{order}/reorder", None),
        ("GET", "/portal/ideas", None),
    ],
)
def test_customer_pages_have_no_english_left(
    platform: Platform,
    customer: WebClient,
    shop: TenantPeople,
    method: str,
    path: str,
    data: dict[str, Any] | None,
) -> None:
    order = place_fridge(platform, shop.alice)
    url = path.format(order=f"/portal/orders/{order.id}")
    response = customer.get(url) if method == "GET" else customer.post(url, data)
    assert '<html lang="ko">' in response.text
    assert english_words(response.text) == set(), url


def test_a_cancelled_order_reads_in_korean(
    platform: Platform, customer: WebClient, shop: TenantPeople
) -> None:
    order = place_fridge(platform, shop.alice)
    page = customer.get(f"/portal/orders/{order.id}/cancel")
    customer.csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    done = customer.post(f"/portal/orders/{order.id}/cancel", follow_redirects=True)
    assert "포털에서 취소함" in done.text and "주문이 취소되었습니다." in done.text
    assert english_words(done.text) == set()


def test_lab_pages_have_no_english_left(
    platform: Platform, web_app: Any, shop: TenantPeople
) -> None:
    study = two_objective_study(platform, shop.admin, runs=5)
    admin = korean(signed_in(web_app, email(shop, "admin")))
    data = {"NMP", "water", "solvent", "slurry", "slurry-", "binder-", "gelled"}  # their data
    for path in ("/lab", "/lab/new", f"/lab/{study.id}", f"/lab/{study.id}/edit"):
        assert english_words(admin.get(path).text, data) == set(), path
    models = admin.get(f"/lab/{study.id}/models").text
    assert english_words(f"<main>{models}", data) == set()
    bad_csv = admin.post(f"/lab/{study.id}/results", {"csv": "x,solvent,a,b\n0.1,NMP,1,\n"})
    assert bad_csv.status_code == 422
    assert english_words(bad_csv.text, data) == set() and "line 2: b" in bad_csv.text


def test_the_sign_in_page_is_korean(web: WebClient) -> None:
    korean(web)
    assert english_words(web.get("/login").text) == set()


def test_the_scan_finds_english() -> None:
    """The check can fail: an untranslated label is found, code and data are not."""
    html = '<main id="main"><p>Review order</p><code>binder</code><p>3개</p></main>'
    assert english_words(html) == {"Review", "order"}
