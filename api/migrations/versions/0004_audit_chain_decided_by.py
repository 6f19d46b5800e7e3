"""The audit log is hash-chained; decisions name the person who took them

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 22:50:00

Entries already in the log are chained in id order, as they are; decisions taken before
this revision get their token id as ``decided_by``. The hash is computed here with a frozen
copy of the canonical form of ``api.audit.chain_hash``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

GENESIS = "0" * 64


def _hash(prev: str, at: dt.datetime, token_id: str | None, action: str, object_type: str, ids: Any) -> str:
    moment = (at.astimezone(dt.UTC).replace(tzinfo=None) if at.tzinfo else at).isoformat(timespec="seconds")
    canonical = json.dumps(
        [prev, moment, token_id, action, object_type, [str(i) for i in (ids or [])]], separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("entry_hash", sa.String(length=64), nullable=True))
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decided_by", sa.String(length=64), nullable=True))

    bind = op.get_bind()
    log = sa.table(
        "audit_log",
        sa.column("id", sa.Integer()),
        sa.column("at", sa.DateTime()),
        sa.column("token_id", sa.String()),
        sa.column("action", sa.String()),
        sa.column("object_type", sa.String()),
        sa.column("object_ids", sa.JSON()),
        sa.column("prev_hash", sa.String()),
        sa.column("entry_hash", sa.String()),
    )
    previous = GENESIS
    rows = bind.execute(
        sa.select(log.c.id, log.c.at, log.c.token_id, log.c.action, log.c.object_type, log.c.object_ids).order_by(log.c.id)
    ).all()
    for row in rows:
        entry_hash = _hash(previous, row.at, row.token_id, row.action, row.object_type, row.object_ids)
        bind.execute(sa.update(log).where(log.c.id == row.id).values(prev_hash=previous, entry_hash=entry_hash))
        previous = entry_hash
    decisions = sa.table("decisions", sa.column("decided_by", sa.String()), sa.column("created_by", sa.String()))
    bind.execute(sa.update(decisions).values(decided_by=decisions.c.created_by))

    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("entry_hash", existing_type=sa.String(length=64), nullable=False)
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.alter_column("decided_by", existing_type=sa.String(length=64), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_column("decided_by")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("entry_hash")
        batch_op.drop_column("prev_hash")
