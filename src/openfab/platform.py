"""The services of one OpenFab installation, wired once and shared by every edge."""

from __future__ import annotations

from dataclasses import dataclass

from openfab.audit.service import AuditService
from openfab.catalog.ideas import IdeaService
from openfab.catalog.service import CatalogService
from openfab.connect.bus import EventBus
from openfab.execution.service import ExecutionService
from openfab.identity.service import IdentityService
from openfab.lab.service import LabService
from openfab.orders.service import OrderService
from openfab.planning.demand.service import DemandService
from openfab.planning.mrp.service import MaterialService
from openfab.planning.service import PlanningService
from openfab.settings import Settings, get_settings
from openfab.store import Database


@dataclass
class Platform:
    settings: Settings
    db: Database
    identity: IdentityService
    catalog: CatalogService
    orders: OrderService
    audit: AuditService
    planning: PlanningService
    ideas: IdeaService
    execution: ExecutionService
    materials: MaterialService
    demand: DemandService
    lab: LabService

    @classmethod
    def open(
        cls,
        database_url: str | None = None,
        *,
        bus: EventBus | None = None,
        settings: Settings | None = None,
    ) -> Platform:
        """Connect, apply migrations and re-send events a crash left unpublished."""
        settings = settings or get_settings()
        db = Database(database_url or settings.database_url, bus=bus)
        db.migrate()
        db.relay()
        catalog = CatalogService(db)
        orders = OrderService(db, catalog)
        materials = MaterialService(db, catalog)
        return cls(
            settings=settings,
            db=db,
            identity=IdentityService(db, settings),
            catalog=catalog,
            orders=orders,
            audit=AuditService(db),
            planning=PlanningService(
                db, catalog, material_release=materials.material_release_dates
            ),
            ideas=IdeaService(db, catalog),
            execution=ExecutionService(db, catalog, orders),
            materials=materials,
            demand=DemandService(db, catalog, materials),
            lab=LabService(db, catalog),
        )

    def close(self) -> None:
        self.db.dispose()
