"""Every domain's tables, imported once so the metadata (and Alembic) sees all of them."""

from openfab.catalog import ideas_orm
from openfab.catalog import orm as catalog_orm
from openfab.connect import orm as connect_orm
from openfab.execution import orm as execution_orm
from openfab.gateway import orm as gateway_orm
from openfab.identity import orm as identity_orm
from openfab.lab import orm as lab_orm
from openfab.lifecycle import orm as lifecycle_orm
from openfab.maintenance import orm as maintenance_orm
from openfab.orders import orm as orders_orm
from openfab.planning import orm as planning_orm
from openfab.planning.demand import orm as demand_orm
from openfab.planning.mrp import orm as mrp_orm
from openfab.quality import orm as quality_orm
from openfab.store import events as event_orm
from openfab.store import inbox as inbox_orm
from openfab.store.base import Base

metadata = Base.metadata

__all__ = [
    "catalog_orm",
    "connect_orm",
    "demand_orm",
    "event_orm",
    "execution_orm",
    "gateway_orm",
    "ideas_orm",
    "identity_orm",
    "inbox_orm",
    "lab_orm",
    "lifecycle_orm",
    "maintenance_orm",
    "metadata",
    "mrp_orm",
    "orders_orm",
    "planning_orm",
    "quality_orm",
]
