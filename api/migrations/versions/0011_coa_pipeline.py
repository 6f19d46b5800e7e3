"""The COA's pipeline: announced koppelingen, expected arrivals and AMV turning 18; AMV homes

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 19:00:00

A new table ``coa_pipeline``, one row per line of an uploaded pipeline file; a database
without pipeline rows looks ahead as before. Units get ``amv_home`` (rule B2), false for
every unit stored before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "coa_pipeline",
        sa.Column("municipality", sa.String(length=200), nullable=False),
        sa.Column("pipeline_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("expected_date", sa.Date(), nullable=False),
        sa.Column("adults", sa.Integer(), nullable=False),
        sa.Column("children", sa.Integer(), nullable=False),
        sa.Column("expected_reunification", sa.Integer(), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("municipality", "pipeline_id"),
    )
    with op.batch_alter_table("coa_pipeline", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coa_pipeline_expected_date"), ["expected_date"], unique=False)
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("amv_home", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_column("amv_home")
    with op.batch_alter_table("coa_pipeline", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coa_pipeline_expected_date"))
    op.drop_table("coa_pipeline")
