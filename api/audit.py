"""The audit log: who (token id), what (action), when, and which ids, hash-chained.

Append-only by construction: this module only ever inserts, and no route updates or
deletes a row. Entries hold pseudonymous ids and action names, never personal fields.

Each entry stores the hash of the entry before it (``prev_hash``) and its own hash
(``entry_hash``): SHA-256 over the previous hash and the entry's canonical content. A row
changed, removed or moved in the database directly no longer fits the chain, and
``matcher audit verify`` names the first entry where the chain breaks. Entries are chained
in the order of their ids; writers take the chain one at a time (SQLite holds the write
lock for the whole transaction, PostgreSQL takes a transaction-level advisory lock).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from api.models import AuditEntry, utcnow

GENESIS = "0" * 64
CHAIN_LOCK = 7_040_201  # the advisory lock key that serialises appends on PostgreSQL


def chain_hash(
    prev_hash: str, at: dt.datetime, token_id: str | None, action: str, object_type: str, object_ids: list[str]
) -> str:
    """SHA-256 of the previous hash and the entry's content in one canonical JSON form."""
    moment = (at.astimezone(dt.UTC).replace(tzinfo=None) if at.tzinfo else at).isoformat(timespec="seconds")
    canonical = json.dumps(
        [prev_hash, moment, token_id, action, object_type, [str(i) for i in object_ids]],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _last_hash(session: Session) -> str:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    last = session.scalar(select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1))
    return last or GENESIS


def record(session: Session, token_id: str | None, action: str, object_type: str, object_ids: Iterable[str | int]) -> None:
    """Add one entry in the caller's transaction, so it is stored exactly when the change is."""
    ids = [str(i) for i in object_ids]
    at = utcnow()
    prev = _last_hash(session)
    session.add(
        AuditEntry(
            at=at,
            token_id=token_id,
            action=action,
            object_type=object_type,
            object_ids=ids,
            prev_hash=prev,
            entry_hash=chain_hash(prev, at, token_id, action, object_type, ids),
        )
    )
    session.flush()


@dataclass(frozen=True)
class Break:
    """The first entry where the chain does not hold, and why."""

    entry_id: int
    reason: str


def verify(session: Session) -> tuple[int, Break | None]:
    """Walk the whole log in id order; returns the entries checked and the first break, if any."""
    checked, previous = 0, GENESIS
    for entry in _entries(session):
        if entry.prev_hash != previous:
            return checked, Break(
                entry.id, "its previous hash does not match the entry before it (an entry was removed or changed)"
            )
        content = chain_hash(entry.prev_hash, entry.at, entry.token_id, entry.action, entry.object_type, entry.object_ids)
        if entry.entry_hash != content:
            return checked, Break(entry.id, "its content does not match its hash (the entry was changed)")
        checked, previous = checked + 1, entry.entry_hash
    return checked, None


def _entries(session: Session) -> Iterator[AuditEntry]:
    yield from session.scalars(select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=1000))


def verify_command() -> tuple[int, Break | None]:
    """What ``matcher audit verify`` does, on the database of ``DATABASE_URL``."""
    from api.db import make_engine, make_sessionmaker
    from api.settings import Settings

    engine = make_engine(Settings().database_url)
    try:
        with make_sessionmaker(engine)() as session:
            return verify(session)
    finally:
        engine.dispose()
