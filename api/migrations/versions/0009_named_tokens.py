"""Tokens belong to a person and expire; case events name the person who recorded them

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 15:30:00

A token now has an ``owner`` (the person it was made for), an ``expires_at`` and a
``last_used``. Tokens made before this revision belonged to nobody in particular: they get
the owner ``onbekend`` and expire 90 days after the upgrade, so they keep working while
named tokens are handed out (a token without a known owner cannot take decisions or record
events, see ``api.auth``). Case events and unit events get ``actor``, the person who
recorded them; events recorded before this revision get ``onbekend``.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None

UNKNOWN = "onbekend"
DAYS = 90
EVENT_TABLES = ("case_events", "unit_events")


def upgrade() -> None:
    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_used", sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_tokens_created_by"), ["created_by"], unique=False)
    for table in EVENT_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("actor", sa.String(length=64), nullable=True))

    expires = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0) + dt.timedelta(days=DAYS)
    tokens = sa.table("tokens", sa.column("owner", sa.String()), sa.column("expires_at", sa.DateTime()))
    bind = op.get_bind()
    bind.execute(sa.update(tokens).values(owner=UNKNOWN, expires_at=expires))
    for table in EVENT_TABLES:
        bind.execute(sa.update(sa.table(table, sa.column("actor", sa.String()))).values(actor=UNKNOWN))

    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.alter_column("owner", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("expires_at", existing_type=sa.DateTime(), nullable=False)
    for table in EVENT_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("actor", existing_type=sa.String(length=64), nullable=False)


def downgrade() -> None:
    for table in EVENT_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("actor")
    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tokens_created_by"))
        batch_op.drop_column("last_used")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("owner")
