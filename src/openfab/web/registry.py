"""The frame every domain plugs its pages into, without touching the others.

A domain adds a module to ``openfab.web.pages`` that calls :func:`register_page` (a nav entry
and its router), :func:`register_panel` (a dashboard panel) or :func:`register_kpi` (a KPI
tile). Registering a key that exists replaces it, so a domain that lands later takes over
its placeholder (e.g. the execution domain's real OEE replaces the "—" tile).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import APIRouter

from openfab.identity.actor import STAFF, Actor, Role
from openfab.platform import Platform

Area = Literal["portal", "factory"]


@dataclass(frozen=True)
class WebPage:
    """A nav entry (``label`` is a message key) and the router that serves it."""

    key: str
    path: str
    label: str
    router: APIRouter | None = None
    roles: frozenset[Role] | None = None  # None: everyone signed in
    area: Area = "portal"
    order: int = 100
    nav: bool = True  # False: routes only (sign-in, language switch)

    def visible_to(self, actor: Actor) -> bool:
        return self.roles is None or bool(self.roles & actor.roles)


@dataclass(frozen=True)
class KpiValue:
    """A KPI as shown: ``value`` None means "no data yet" and ``hint`` says why."""

    value: str | None
    detail: str = ""
    hint: str = ""


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    compute: Callable[[Platform, Actor], KpiValue]
    order: int = 100


PanelContext = Callable[[Platform, Actor], Mapping[str, Any]]


@dataclass(frozen=True)
class Panel:
    """A dashboard panel: a template rendered with ``context(platform, actor)``."""

    key: str
    title: str
    template: str
    context: PanelContext
    roles: frozenset[Role] = STAFF
    order: int = 100
    live: bool = True  # re-rendered when events arrive
    wide: bool = False


_pages: dict[str, WebPage] = {}
_panels: dict[str, Panel] = {}
_kpis: dict[str, Kpi] = {}


def register_page(page: WebPage) -> WebPage:
    _pages[page.key] = page
    return page


def register_panel(panel: Panel) -> Panel:
    _panels[panel.key] = panel
    return panel


def register_kpi(kpi: Kpi) -> Kpi:
    _kpis[kpi.key] = kpi
    return kpi


def pages() -> list[WebPage]:
    return sorted(_pages.values(), key=lambda p: (p.order, p.key))


def nav_for(actor: Actor | None) -> list[WebPage]:
    if actor is None:
        return []
    return [p for p in pages() if p.nav and p.visible_to(actor)]


def panels_for(actor: Actor) -> list[Panel]:
    return sorted(
        (p for p in _panels.values() if p.roles & actor.roles), key=lambda p: (p.order, p.key)
    )


def panel(key: str) -> Panel | None:
    return _panels.get(key)


def kpis() -> list[Kpi]:
    return sorted(_kpis.values(), key=lambda k: (k.order, k.key))
