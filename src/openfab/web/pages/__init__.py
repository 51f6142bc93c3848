"""Every module here registers its pages, panels and KPIs on import (see ``registry``).

A domain adds its page by adding a module; :func:`load_pages` imports them all.
"""

from __future__ import annotations

import importlib
import pkgutil


def load_pages() -> None:
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        importlib.import_module(f"{__name__}.{module.name}")
