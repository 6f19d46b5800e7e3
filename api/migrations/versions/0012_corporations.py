"""Corporation tokens and prestatieafspraken

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 19:00:00

A token may speak for one housing corporation (``tokens.corporation``, set only for the role
``corporation``; null for every token made before). ``prestatieafspraken`` holds how many
homes each corporation agreed to offer a municipality's statushouders in a year.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("corporation", sa.String(length=200), nullable=True))
    op.create_table(
        "prestatieafspraken",
        sa.Column("municipality", sa.String(length=200), nullable=False),
        sa.Column("corporation", sa.String(length=200), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("homes", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("municipality", "corporation", "year"),
    )


def downgrade() -> None:
    op.drop_table("prestatieafspraken")
    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.drop_column("corporation")
