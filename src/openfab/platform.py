"""The services of one OpenFab installation, wired once and shared by every edge."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from openfab.audit.service import AuditService
from openfab.catalog.ideas import IdeaService
from openfab.catalog.service import CatalogService
from openfab.execution.service import ExecutionService
from openfab.gateway.equipment import EquipmentDirectory
from openfab.gateway.service import Gateway
from openfab.identity.service import IdentityService
from openfab.lab.service import LabService
from openfab.lifecycle.service import LifecycleService, plant_power
from openfab.maintenance.service import MaintenanceService
from openfab.orders.promise import PromisePolicy
from openfab.orders.service import EXPRESS_SURCHARGE, OrderService
from openfab.planning.demand.service import DemandService
from openfab.planning.mrp.service import MaterialService
from openfab.planning.service import PlanningService
from openfab.quality.control import ProcessControl
from openfab.quality.service import QualityService
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
    quality: QualityService
    spc: ProcessControl
    gateway: Gateway
    maintenance: MaintenanceService
    lifecycle: LifecycleService

    @classmethod
    def open(
        cls,
        database_url: str | None = None,
        *,
        settings: Settings | None = None,
        promise_policy: PromisePolicy | None = None,
        express_surcharge: Decimal = EXPRESS_SURCHARGE,
    ) -> Platform:
        """Connect and apply migrations (consumers of the events run in ``runtime``).

        ``promise_policy``: how the order desk quotes promise dates (default capacity-aware;
        ``PromisePolicy.fixed(5, 2)`` quotes fixed lead times); ``express_surcharge``: the
        share of the price an express order pays on top."""
        settings = settings or get_settings()
        db = Database(database_url or settings.database_url)
        db.migrate()
        catalog = CatalogService(db)
        materials = MaterialService(db, catalog)
        orders = OrderService(
            db,
            catalog,
            promise_policy=promise_policy,
            express_surcharge=express_surcharge,
            material_supply=materials.available,
        )
        directory = EquipmentDirectory.load(settings.plant_layout)
        paths = {machine: str(path) for machine, path in directory.paths.items()}
        execution = ExecutionService(db, catalog, orders, equipment_paths=paths)
        planning = PlanningService(db, catalog, material_release=materials.material_release_dates)
        quality = QualityService(db, execution)
        maintenance = MaintenanceService(
            db, planning.machines, ceiling_hours=settings.maintenance_ceiling_hours
        )
        materials.demand_sources.append(maintenance.spare_part_demand)
        machine_kw, machine_sites = plant_power(settings.plant_layout)
        lifecycle = LifecycleService(db, machine_kw=machine_kw, machine_sites=machine_sites)
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
            quality=quality,
            spc=ProcessControl(db, directory.specs, directory.machine_specs),
            gateway=Gateway(db, execution, materials, planning, directory, quality, lifecycle),
            maintenance=maintenance,
            lifecycle=lifecycle,
        )

    def close(self) -> None:
        self.db.dispose()
