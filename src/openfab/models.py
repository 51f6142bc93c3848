"""Every domain's tables, imported once so the metadata (and Alembic) sees all of them."""

from openfab.catalog import orm as catalog_orm
from openfab.identity import orm as identity_orm
from openfab.orders import orm as orders_orm
from openfab.planning import orm as planning_orm
from openfab.store import events as event_orm
from openfab.store.base import Base

metadata = Base.metadata

__all__ = ["catalog_orm", "event_orm", "identity_orm", "metadata", "orders_orm", "planning_orm"]
