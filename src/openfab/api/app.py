"""The FastAPI application: routers, error mapping, body limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

import openfab
from openfab.api.errors import install_error_handlers
from openfab.api.limits import BodySizeLimit
from openfab.api.routers import auth, catalog, events, orders, schedule, tenants
from openfab.platform import Platform
from openfab.settings import get_settings


def create_app(platform: Platform | None = None) -> FastAPI:
    """Build the app; without a platform, one is opened from the settings on start-up."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = platform is None
        app.state.platform = platform or Platform.open()
        yield
        if owned:
            app.state.platform.close()

    app = FastAPI(
        title="OpenFab",
        version=openfab.__version__,
        description="Open smart-factory platform: configure, order, plan, build, trace.",
        lifespan=lifespan,
    )
    if platform is not None:
        app.state.platform = platform
    settings = platform.settings if platform else get_settings()
    app.add_middleware(BodySizeLimit, limit=settings.max_body_bytes)
    install_error_handlers(app)
    for module in (auth, tenants, catalog, orders, schedule, events):
        app.include_router(module.router)

    @app.get("/health", tags=["meta"], operation_id="health")
    def health() -> dict[str, str]:
        return {"status": "ok", "version": openfab.__version__}

    return app
