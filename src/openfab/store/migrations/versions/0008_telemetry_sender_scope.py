"""telemetry readings keyed by sender: primary key (path, message_id)

A message id is the sender's own numbering, so two machines may use the same one; with the
id alone as the key, the second machine's reading was dropped as a duplicate. Existing rows
keep their data (they were unique by id, so they are unique by (path, id) too).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PK = "pk_telemetry_reading"


def upgrade() -> None:
    # batch mode: PostgreSQL alters in place, SQLite (no ALTER of a key) copies the table
    with op.batch_alter_table("telemetry_reading") as batch:
        batch.drop_constraint(_PK, type_="primary")
        batch.create_primary_key(_PK, ["path", "message_id"])


def downgrade() -> None:
    # Only one reading per message id fits the old key: keep the first path's.
    op.execute(
        "DELETE FROM telemetry_reading WHERE EXISTS (SELECT 1 FROM telemetry_reading AS other "
        "WHERE other.message_id = telemetry_reading.message_id "
        "AND other.path < telemetry_reading.path)"
    )
    with op.batch_alter_table("telemetry_reading") as batch:
        batch.drop_constraint(_PK, type_="primary")
        batch.create_primary_key(_PK, ["message_id"])
