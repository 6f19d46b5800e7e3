"""The day a household's family is expected; units withdrawn from the offer

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 16:00:00

- ``households.expected_arrival_date``: when the family members a household expects are
  due (interchange v1.1), from an import, a change by hand or a ``family_expected`` event.
  Households already stored have none (unknown, as before).
- ``unit_events``: a unit withdrawn from the offer by its corporation or the WBB, with the
  households whose offer it ended. Units already stored keep their status.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expected_arrival_date", sa.Date(), nullable=True))
    op.create_table(
        "unit_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("unit_id", sa.String(length=200), nullable=False),
        sa.Column("municipality", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("withdrawn_by", sa.String(length=16), nullable=False),
        sa.Column("households", sa.JSON(), nullable=False),
        sa.Column("status_before", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("unit_events", schema=None) as batch_op:
        batch_op.create_index("ix_unit_events_unit", ["unit_id", "municipality", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("unit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_unit_events_unit")
    op.drop_table("unit_events")
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.drop_column("expected_arrival_date")
