"""Job leases, so that several service processes share one database; request ids on audit entries

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 16:00:00

A running proposal or scenario run now names the process that holds it and until when
(``lease_owner``, ``heartbeat_at``, ``lease_expires_at``) and counts its ``attempts``.
Runs stored as running by an earlier version have no lease: the first process that looks
for work takes them over, as an earlier version did at its start. Audit entries get the
``request_id`` of the request that wrote them (empty for entries written before).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None

JOB_TABLES = ("runs", "scenario_runs")


def upgrade() -> None:
    for table in JOB_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("lease_owner", sa.String(length=64), nullable=True))
            batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(), nullable=True))
            batch_op.add_column(sa.Column("lease_expires_at", sa.DateTime(), nullable=True))
            batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("request_id")
    for table in JOB_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("attempts")
            batch_op.drop_column("lease_expires_at")
            batch_op.drop_column("heartbeat_at")
            batch_op.drop_column("lease_owner")
