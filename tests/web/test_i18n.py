"""Every label in both languages; the switch and the browser's language pick one."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from openfab.catalog.ideas_schemas import IdeaStatus
from openfab.orders.states import OrderStatus
from openfab.planning.mrp.schemas import PurchaseStatus
from openfab.web.dashboard_data import DECISION_TYPES, SUMMARY_FIELDS
from openfab.web.i18n import LANGUAGES, Translator, catalog, pick_language
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
    keys |= {f"machine.{s}" for s in ("Running", "Idle", "Down", "Maintenance")}
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
