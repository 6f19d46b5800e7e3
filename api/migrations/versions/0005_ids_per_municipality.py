"""Households and units are known by their id within their municipality; decisions name the unit's municipality

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 14:00:00

The primary key of ``households`` and ``units`` becomes (id, municipality): the same id in
two municipalities is two rows, so a token limited to one municipality meets another's id
exactly as a new one. Ids were unique across the pool before, so every stored row keeps its
identity. A decision already stored gets the municipality of its unit (from ``units``, or
the household's municipality when the unit is gone).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

KEYS = (("households", "household_id"), ("units", "unit_id"))


def _primary_key(table: str, columns: list[str]) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # SQLite cannot change a primary key in place: batch mode copies the table into one
        # defined like it, with the new key.
        reflected = sa.Table(table, sa.MetaData(), autoload_with=bind)
        copy = sa.Table(
            table,
            sa.MetaData(),
            *(sa.Column(c.name, c.type, nullable=c.nullable, primary_key=c.name in columns) for c in reflected.columns),
            *(sa.Index(index.name, *(c.name for c in index.columns), unique=index.unique) for index in reflected.indexes),
        )
        with op.batch_alter_table(table, recreate="always", copy_from=copy):
            pass
    else:
        op.drop_constraint(f"{table}_pkey", table, type_="primary")
        op.create_primary_key(f"{table}_pkey", table, columns)


def upgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit_municipality", sa.String(length=200), nullable=True))
    op.execute(
        "UPDATE decisions SET unit_municipality = COALESCE("
        "(SELECT units.municipality FROM units WHERE units.unit_id = decisions.unit_id), decisions.municipality)"
    )
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.alter_column("unit_municipality", existing_type=sa.String(length=200), nullable=False)
    for table, key in KEYS:
        _primary_key(table, [key, "municipality"])


def downgrade() -> None:
    """Only while no id is used in two municipalities (the old key cannot hold both)."""
    for table, key in KEYS:
        _primary_key(table, [key])
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_column("unit_municipality")
