"""Runs keep how many households and units their snapshot holds

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-28 02:30:00

``runs.households_count`` and ``runs.units_count``: the number of households and units in
the run's input snapshot, so that the list of runs can show them without reading every
snapshot. Runs stored before this revision are counted from their snapshot, a few at a time
(a national snapshot runs to megabytes, and a year of weekly runs would not fit in memory
at once); a snapshot without a list of households or units counts 0 of them.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | None = None
depends_on: str | None = None

# Snapshots read per query: small enough that a batch of national snapshots fits in memory.
BATCH = 20


def _count(snapshot: Any, table: str) -> int:
    """The rows of ``table`` in a stored snapshot (as ``api.models.snapshot_count`` counts them)."""
    rows = snapshot.get(table) if isinstance(snapshot, dict) else None
    return len(rows) if isinstance(rows, list) else 0


def upgrade() -> None:
    # Added NOT NULL with a default, in place: SQLite cannot make a column NOT NULL later
    # without copying the table, and it cannot drop ``runs`` for the copy while decisions and
    # run pairs refer to it. Every run the service makes sets both counts from its snapshot.
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("households_count", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("units_count", sa.Integer(), server_default="0", nullable=False))

    runs = sa.table(
        "runs",
        sa.column("id", sa.Integer()),
        sa.column("snapshot", sa.JSON()),
        sa.column("households_count", sa.Integer()),
        sa.column("units_count", sa.Integer()),
    )
    bind = op.get_bind()
    last = 0
    while True:
        # Walk the runs by id, one batch at a time, so only a batch of snapshots is in memory.
        query = sa.select(runs.c.id, runs.c.snapshot).where(runs.c.id > last).order_by(runs.c.id).limit(BATCH)
        batch = bind.execute(query).all()
        if not batch:
            break
        for run_id, snapshot in batch:
            counts = {"households_count": _count(snapshot, "households"), "units_count": _count(snapshot, "units")}
            bind.execute(sa.update(runs).where(runs.c.id == run_id).values(**counts))
        last = batch[-1][0]


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_column("units_count")
        batch_op.drop_column("households_count")
