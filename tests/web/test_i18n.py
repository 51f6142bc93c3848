"""Every label in both languages; the switch and the browser's language pick one."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from openfab.catalog.ideas_schemas import IdeaStatus
from openfab.catalog.sample import load_sample_catalog
from openfab.orders.states import OrderStatus
from openfab.planning.mrp.schemas import PurchaseStatus
from openfab.web.dashboard_data import DECISION_TYPES, SUMMARY_FIELDS
from openfab.web.i18n import LANGUAGES, Translator, catalog, pick_language, texts
from tests.conftest import TenantPeople
from tests.web.conftest import WebClient, email, signed_in

WEB = Path(str(resources.files("openfab.web")))
KEY = re.compile(r"""\bt\(\s*["']([a-z_]+(?:\.[A-Za-z_]+)+)["']""")
LABEL = re.compile(r"""["']((?:nav|kpi|panel|kpi\.hint)\.[a-z_.]+)["']""")


def used_keys() -> set[str]:
    keys: set[str] = set()
    for path in [*WEB.rglob("*.html"), *WEB.rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        keys |= set(KEY.findall(text)) | set(LABEL.findall(text))
    keys |= {f"status.{s}" for s in [*OrderStatus, *IdeaStatus, "Draft", "Active"]}
    keys |= {f"machine.{s}" for s in ("Running", "Idle", "Setup", "Down", "Maintenance")}
    keys |= {f"error.{s}" for s in (400, 401, 403, 404, 409, 413, 422, 500)}
    keys |= {f"decision.{d}" for d in DECISION_TYPES}
    keys |= {"panel.purchase_orders.pending"} | {f"field.{k}" for k in SUMMARY_FIELDS}
    keys |= {f"po.status.{s}" for s in PurchaseStatus}
    return keys


def test_both_catalogs_have_the_same_keys() -> None:
    assert set(catalog("en")) == set(catalog("ko"))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_label_the_pages_use_is_translated(lang: str) -> None:
    missing = sorted(k for k in used_keys() if k not in catalog(lang))
    assert missing == []
    assert len(used_keys()) > 100  # the scan found the templates


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_match_across_languages(lang: str) -> None:
    field = re.compile(r"\{(\w+)\}")
    for key, text in catalog("en").items():
        assert set(field.findall(text)) == set(field.findall(catalog(lang)[key])), key


def test_korean_labels_are_korean() -> None:
    hangul = re.compile("[\uac00-\ud7a3]")
    untranslated = [
        k for k, v in catalog("ko").items() if not hangul.search(v) and k not in ("app.name",)
    ]
    assert untranslated == []


@pytest.mark.parametrize(
    ("cookie", "accept", "expected"),
    [
        ("ko", "en-US,en", "ko"),  # the switch wins
        (None, "ko-KR,ko;q=0.9,en;q=0.8", "ko"),
        (None, "de-DE,en;q=0.5", "en"),
        (None, None, "en"),
        ("xx", "fr", "en"),  # a forged cookie falls back
    ],
)
def test_the_language_is_picked(cookie: str | None, accept: str | None, expected: str) -> None:
    assert pick_language(cookie, accept) == expected


def test_a_missing_key_falls_back_to_english_then_the_key() -> None:
    t = Translator("ko")
    assert t("no.such.key") == "no.such.key"
    assert Translator("xx").lang == "en"
    assert t("orders.count", count=3) == "주문 3건"


def test_the_switch_sets_the_cookie_and_the_lang_attribute(
    web_app: Any, web: WebClient, shop: TenantPeople
) -> None:
    response = web.get("/lang/ko?next=/login", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    page = web.get("/login")
    assert '<html lang="ko">' in page.text and "로그인" in page.text
    client = signed_in(web_app, email(shop, "planner"))
    client.get("/lang/ko?next=/dashboard")
    dashboard = client.get("/dashboard").text
    assert '<html lang="ko">' in dashboard
    assert "공장 현황" in dashboard and "Factory" not in dashboard.split("<main")[1]
    evil = web.get("/lang/en?next=https://evil.example.com", follow_redirects=False)
    assert evil.headers["location"] == "/"


def sample_catalog_text() -> set[str]:
    """Every English text of the sample catalog a customer (or the dashboard) shows."""
    found: set[str] = set()
    for product in load_sample_catalog().products.values():
        found |= {product.name, product.description} | {r.message for r in product.rules}
        for group in product.option_groups:
            found |= {group.label, group.unit or ""} | {o.label for o in group.options}
    found |= {center.name for center in load_sample_catalog().work_centers.values()}
    return {text for text in found if text}


def test_the_sample_catalog_reads_in_korean_and_nothing_in_the_text_file_is_stale() -> None:
    """The YAML is the one source of the English; ``text.ko.json`` translates that text."""
    known = texts("ko")
    needed = sample_catalog_text()
    assert sorted(needed - set(known)) == []
    assert sorted(set(known) - needed) == []  # a label changed in the YAML: translate anew
    assert texts("en") == {}  # English is the source


def test_catalog_text_is_translated_only_where_known() -> None:
    t = Translator("ko")
    assert t.text("Glossy white") == "글로시 화이트"
    assert t.text("Color and finish: Matte black") == "색상과 마감: 매트 블랙"  # a price line
    assert t.text("Glass shelves: 4 pcs") == "유리 선반: 4개"  # a count takes the Korean counter
    assert t.text("Pearl white (a tenant's own label)") == "Pearl white (a tenant's own label)"
    assert Translator("en").text("Glossy white") == "Glossy white"


def test_the_portal_shows_the_catalog_in_korean(web_app: Any, shop: TenantPeople) -> None:
    client = signed_in(web_app, email(shop, "alice"))
    client.get("/lang/ko?next=/portal")
    catalog_page = client.get("/portal").text
    assert "쿨라인 냉장고" in catalog_page and "CoolLine refrigerator" not in catalog_page
    configure = client.get("/portal/products/fridge").text
    assert "글로시 화이트" in configure and "색상과 마감" in configure
    conflict = client.post(
        "/portal/products/fridge/preview",
        {"size": "w55_250", "door": "single_door", "shelves": "5"},
    ).text
    assert "55 cm 모델에는 선반을 최대 3개까지 넣을 수 있습니다." in conflict
    assert "The 55 cm model takes at most 3 shelves." not in conflict
