"""Message catalogs: every label the pages show, in English and Korean.

``i18n/en.json`` and ``i18n/ko.json`` hold the core messages; a domain adds its own as
``i18n/<domain>.en.json`` / ``<domain>.ko.json``, merged at start-up. A key missing in one
language falls back to English, then to the key itself (the tests keep both complete).
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

LANGUAGES = ("en", "ko")
DEFAULT = "en"
LANG_COOKIE = "openfab_lang"


@functools.cache
def catalog(lang: str) -> dict[str, str]:
    """All messages of one language (core file first, then each domain's file)."""
    folder = resources.files("openfab.web").joinpath("i18n")
    messages: dict[str, str] = {}
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(f"{lang}.json"))
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


class Translator:
    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else DEFAULT
        self._messages = catalog(self.lang)
        self._fallback = catalog(DEFAULT)

    def __call__(self, key: str, **values: Any) -> str:
        text = self._messages.get(key) or self._fallback.get(key) or key
        return text.format(**values) if values else text
