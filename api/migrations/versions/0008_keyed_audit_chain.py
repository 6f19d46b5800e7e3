"""The audit chain is keyed (HMAC-SHA256 under the audit key); entries get details

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 15:30:00

Entries get a ``details`` column (counts, a decision's or event's fields, the before and
after of a change) and an ``actor`` column (the person acting, when known), both covered by
the MAC. The entries already in the log keep their plain
SHA-256 hashes; this revision appends the keying entry ``audit.keyed``, keyed with the audit
key, after the last of them. Its MAC covers the hash of that last plain entry, so from now
on no plain entry can be changed either; its details hold how many plain entries there
are and the highest decision and case event ids at this moment (rows up to those ids have
no entry with their fields). The upgrade needs the audit key: the one handed over by
``api.db.upgrade``, else ``MATCHER_AUDIT_KEY`` or ``MATCHER_AUDIT_KEY_FILE``. The MAC is
computed here with a frozen copy of the canonical form of ``api.audit.entry_mac``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None

GENESIS = "0" * 64
DOMAIN = b"statushouder-matcher audit entry v2\x00"
CHAIN_LOCK = 7_040_201


def _mac(key: bytes, prev: str, at: dt.datetime, action: str, object_type: str, details: dict[str, Any]) -> str:
    canonical = json.dumps(
        {
            "prev": prev,
            "at": at.isoformat(timespec="seconds"),
            "token": None,
            "actor": None,
            "action": action,
            "type": object_type,
            "ids": [],
            "details": details,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hmac.new(key, DOMAIN + canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def _key() -> bytes:
    config = op.get_context().config
    key = config.attributes.get("audit_key") if config is not None else None
    if isinstance(key, bytes):
        return key
    from api.audit_key import load_key
    from api.settings import Settings

    return load_key(Settings())


def upgrade() -> None:
    key = _key()
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("details", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("actor", sa.String(length=64), nullable=True))

    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    log = sa.table(
        "audit_log",
        sa.column("id", sa.Integer()),
        sa.column("at", sa.DateTime()),
        sa.column("token_id", sa.String()),
        sa.column("action", sa.String()),
        sa.column("object_type", sa.String()),
        sa.column("object_ids", sa.JSON()),
        sa.column("details", sa.JSON()),
        sa.column("prev_hash", sa.String()),
        sa.column("entry_hash", sa.String()),
    )
    last = bind.execute(sa.select(log.c.entry_hash).order_by(log.c.id.desc()).limit(1)).scalar()
    plain = int(bind.execute(sa.select(sa.func.count()).select_from(log)).scalar() or 0)
    decisions = bind.execute(sa.text("SELECT max(id) FROM decisions")).scalar()
    events = bind.execute(sa.text("SELECT max(id) FROM case_events")).scalar()
    details = {"plain_entries": plain, "decisions_before": int(decisions or 0), "events_before": int(events or 0)}
    at = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    prev = last or GENESIS
    bind.execute(
        sa.insert(log).values(
            at=at,
            token_id=None,
            action="audit.keyed",
            object_type="audit",
            object_ids=[],
            details=details,
            prev_hash=prev,
            entry_hash=_mac(key, prev, at, "audit.keyed", "audit", details),
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("actor")
        batch_op.drop_column("details")
