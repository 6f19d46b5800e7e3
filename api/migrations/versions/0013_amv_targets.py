"""The indicative AMV taakstelling beside the target

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27 20:10:00

``targets.amv_persons``: the ex-AMV youngsters a municipality is asked to house in the half
year, indicative and counted apart from the main target; null for every target set before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("amv_persons", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.drop_column("amv_persons")
