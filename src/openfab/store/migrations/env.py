"""Alembic environment: runs on the connection OpenFab hands it (``Database.migrate``), or on
``OPENFAB_DATABASE_URL`` when called from the ``alembic`` command line."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from openfab.models import metadata
from openfab.settings import get_settings, normalize_database_url


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        url = normalize_database_url(get_settings().database_url)
        with create_engine(url).connect() as conn:
            _migrate(conn)
            conn.commit()
    else:
        _migrate(connection)


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
