"""Message catalogs: every label the pages show, in English and Korean.

``i18n/en.json`` and ``i18n/ko.json`` hold the core messages; a domain adds its own as
``i18n/<domain>.en.json`` / ``<domain>.ko.json``, merged at start-up. A key missing in one
language falls back to English, then to the key itself (the tests keep both complete).

Data written in English (catalog names, option labels, rule messages) is translated like
gettext does: ``i18n/text.<lang>.json`` maps the English text itself to its translation.
The catalog's YAML stays the one source of the English, a translation can never attach to
another tenant's product that reuses a code, and text without a translation shows as written.
Problems of a known code (``problem.<code>``) and error details of a known status
(``error.detail.<status>``) have translated generic messages.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from openfab.errors import Problem

LANGUAGES = ("en", "ko")
DEFAULT = "en"
LANG_COOKIE = "openfab_lang"
TEXTS = "text."  # i18n/text.<lang>.json: English text → translation


@functools.cache
def texts(lang: str) -> dict[str, str]:
    """English text → its translation in ``lang`` (empty for English)."""
    file = resources.files("openfab.web").joinpath("i18n", f"{TEXTS}{lang}.json")
    if not file.is_file():
        return {}
    loaded: dict[str, str] = json.loads(file.read_text(encoding="utf-8"))
    return loaded


@functools.cache
def catalog(lang: str) -> dict[str, str]:
    """All messages of one language (core file first, then each domain's file)."""
    folder = resources.files("openfab.web").joinpath("i18n")
    messages: dict[str, str] = {}
    names = sorted(
        p.name
        for p in folder.iterdir()
        if p.name.endswith(f"{lang}.json") and not p.name.startswith(TEXTS)
    )
    for name in sorted(names, key=lambda n: n != f"{lang}.json"):
        messages.update(json.loads(folder.joinpath(name).read_text(encoding="utf-8")))
    return messages


def pick_language(cookie: str | None, accept: str | None) -> str:
    """The cookie wins; otherwise the first supported language the browser accepts."""
    if cookie in LANGUAGES:
        return str(cookie)
    for part in (accept or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT


def format_quantity(value: object, unit: str | None, lang: str = DEFAULT) -> str:
    """A number with its (already translated) unit: ``3 pcs``, in Korean ``3개`` (a
    Korean counter is written against the number)."""
    if not unit:
        return str(value)
    if lang == "ko" and any("\uac00" <= c <= "\ud7a3" for c in unit):
        return f"{value}{unit}"
    return f"{value} {unit}"


class Translator:
    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else DEFAULT
        self._messages = catalog(self.lang)
        self._fallback = catalog(DEFAULT)

    def __call__(self, key: str, **values: Any) -> str:
        text = self._messages.get(key) or self._fallback.get(key) or key
        return text.format(**values) if values else text

    def text(self, english: str | None) -> str:
        """Data written in English, translated where the text catalog knows it; a price
        line (``"Group: option"``) part by part."""
        if not english:
            return english or ""
        known = texts(self.lang)
        found = known.get(english)
        if found is not None or not known:
            return found or english
        head, sep, tail = english.partition(": ")
        if sep and head in known:
            return f"{known[head]}: {known.get(tail) or self._measure(tail)}"
        return english

    def _measure(self, english: str) -> str:
        """``"4 pcs"`` with its unit translated (``4개``); other text as written."""
        number, sep, unit = english.partition(" ")
        known = texts(self.lang)
        if sep and unit in known and number.replace(".", "", 1).isdigit():
            return format_quantity(number, known[unit], self.lang)
        return english

    def problem(self, problem: Problem) -> str:
        """A problem's message: translated as text, else the generic message of its code,
        else as the service wrote it (English has the specific message already)."""
        if self.lang == DEFAULT:
            return problem.msg
        found = texts(self.lang).get(problem.msg)
        if found is not None:
            return found
        return self._messages.get(f"problem.{problem.code}") or problem.msg

    def detail(self, status: int, detail: str) -> str:
        """An error's detail: translated as text, else the generic detail of its status."""
        if self.lang == DEFAULT:
            return detail
        found = texts(self.lang).get(detail)
        if found is not None:
            return found
        return self._messages.get(f"error.detail.{status}") or detail
