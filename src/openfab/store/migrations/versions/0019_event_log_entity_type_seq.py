"""store: an index on the event log by entity type and sequence

The planner's Gantt keeps the plan's bars until an order or pin event arrives; finding the
newest such event must not scan the log, which on a live plant grows by telemetry and machine
states every second.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:  # a plain index: no batch copy of the append-only log
    op.create_index("ix_event_log_entity_type_seq", "event_log", ["entity_type", "seq"])


def downgrade() -> None:
    op.drop_index("ix_event_log_entity_type_seq", table_name="event_log")
