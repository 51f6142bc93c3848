"""The web: customer portal, co-creation board and factory dashboard on the same app.

Server-rendered Jinja2 templates with htmx (vendored in ``static/``), server-drawn SVG
charts, server-sent events for live updates; no Node build. ``mount_web(app)`` adds it to
the FastAPI app; domains add pages through :mod:`openfab.web.registry`.
"""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from openfab.web.registry import (
    Kpi,
    KpiValue,
    Panel,
    WebPage,
    register_kpi,
    register_page,
    register_panel,
)

__all__ = [
    "Kpi",
    "KpiValue",
    "Panel",
    "WebPage",
    "mount_web",
    "register_kpi",
    "register_page",
    "register_panel",
]


def mount_web(app: FastAPI) -> None:
    """Serve the pages and static files from ``app`` (the REST API stays as it is)."""
    from openfab.web.pages import load_pages
    from openfab.web.registry import pages
    from openfab.web.render import install_html_errors

    load_pages()
    install_html_errors(app)
    seen: set[int] = set()
    for page in pages():
        if page.router is not None and id(page.router) not in seen:
            seen.add(id(page.router))
            app.include_router(page.router)
    static = resources.files("openfab.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
