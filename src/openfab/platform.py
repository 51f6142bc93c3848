"""The services of one OpenFab installation, wired once and shared by every edge."""

from __future__ import annotations

from dataclasses import dataclass

from openfab.audit.service import AuditService
from openfab.catalog.ideas import IdeaService
from openfab.catalog.service import CatalogService
from openfab.execution.service import ExecutionService
from openfab.gateway.equipment import EquipmentDirectory
from openfab.gateway.service import Gateway
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
    gateway: Gateway

    @classmethod
    def open(
        cls,
        database_url: str | None = None,
        *,
        settings: Settings | None = None,
    ) -> Platform:
        """Connect and apply migrations (consumers of the events run in ``runtime``)."""
        settings = settings or get_settings()
        db = Database(database_url or settings.database_url)
        db.migrate()
        catalog = CatalogService(db)
        orders = OrderService(db, catalog)
        materials = MaterialService(db, catalog)
        directory = EquipmentDirectory.load(settings.plant_layout)
        paths = {machine: str(path) for machine, path in directory.paths.items()}
        execution = ExecutionService(db, catalog, orders, equipment_paths=paths)
        planning = PlanningService(db, catalog, material_release=materials.material_release_dates)
        return cls(
            settings=settings,
            db=db,
            identity=IdentityService(db, settings),
            catalog=catalog,
            orders=orders,
            audit=AuditService(db),
            planning=planning,
            ideas=IdeaService(db, catalog),
            execution=execution,
            materials=materials,
            demand=DemandService(db, catalog, materials),
            lab=LabService(db, catalog),
            gateway=Gateway(db, execution, materials, planning, directory),
        )

    def close(self) -> None:
        self.db.dispose()
