"""The one store: SQLAlchemy engine and sessions, migrations, event log, tenancy filter."""

from openfab.store.base import Base, TenantOwned, Timestamped, new_id
from openfab.store.database import Database, UnitOfWork
from openfab.store.events import EventRecord, verify_chain

__all__ = [
    "Base",
    "Database",
    "EventRecord",
    "TenantOwned",
    "Timestamped",
    "UnitOfWork",
    "new_id",
    "verify_chain",
]
