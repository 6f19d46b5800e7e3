"""The audit log: who (token id), what (action), when, which ids and details, in a keyed chain.

Append-only by construction: this module only ever inserts, and no route updates or
deletes a row. Entries hold pseudonymous ids, action names and ``details`` (counts, the
fields of a decision, the before and after of a changed field), never free text.

Each entry stores the hash of the entry before it (``prev_hash``) and its own
(``entry_hash``): HMAC-SHA256 under the audit key (``api.audit_key``) over the previous hash
and the entry's canonical content, details included. Someone who can write to the database
but does not hold the key cannot change, remove or move an entry, or recompute the chain,
without ``matcher audit verify`` noticing (``api.audit_verify``). Entries written before the
chain was keyed keep their plain SHA-256 (``chain_hash``); the entry ``audit.keyed``, written
with the key when the database was upgraded, marks where the keyed part begins.

Entries are chained in the order of their ids; writers take the chain one at a time (SQLite
holds the write lock for the whole transaction, PostgreSQL takes a transaction-level
advisory lock). After every commit that added entries, the signed head of the log is
written to the checkpoint file, when one is set (``api.audit_checkpoint``).

An entry also keeps the id of the request that wrote it (``request_id``, see ``api.logs``),
to find the request's log lines; it is outside the chained content.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session, sessionmaker

from api.auth import Caller
from api.logs import request_id
from api.models import AuditEntry, utcnow

GENESIS = "0" * 64
CHAIN_LOCK = 7_040_201  # the advisory lock key that serialises appends on PostgreSQL
KEYED_ACTION = "audit.keyed"  # the entry where the keyed part of the chain begins
KEY_INFO = "matcher.audit_key"  # Session.info: the audit key of the session's service
CHECKPOINT_INFO = "matcher.audit_checkpoint"  # Session.info: where to write the checkpoint, if anywhere
APPENDED_INFO = "matcher.audit_appended"  # Session.info: entries were added in the open transaction
ENTRY_DOMAIN = b"statushouder-matcher audit entry v2\x00"


def _moment(at: dt.datetime) -> str:
    return (at.astimezone(dt.UTC).replace(tzinfo=None) if at.tzinfo else at).isoformat(timespec="seconds")


def chain_hash(
    prev_hash: str, at: dt.datetime, token_id: str | None, action: str, object_type: str, object_ids: list[str]
) -> str:
    """Plain SHA-256 of the previous hash and the entry's content: entries from before the keying."""
    canonical = json.dumps(
        [prev_hash, _moment(at), token_id, action, object_type, [str(i) for i in object_ids]],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def entry_mac(
    key: bytes,
    prev_hash: str,
    at: dt.datetime,
    token_id: str | None,
    action: str,
    object_type: str,
    object_ids: list[str],
    details: Mapping[str, Any] | None,
    actor: str | None = None,
) -> str:
    """HMAC-SHA256 under ``key`` of the previous hash and the entry's content, details and actor included."""
    canonical = json.dumps(
        {
            "prev": prev_hash,
            "at": _moment(at),
            "token": token_id,
            "actor": actor,
            "action": action,
            "type": object_type,
            "ids": [str(i) for i in object_ids],
            "details": details,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hmac.new(key, ENTRY_DOMAIN + canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def plain_json(value: Any) -> Any:
    """``value`` as it reads back from a JSON column (dates as ISO text), so what is stored is what was keyed."""

    def default(item: Any) -> Any:
        if isinstance(item, dt.date | dt.datetime):
            return item.isoformat()
        raise TypeError(f"{type(item).__name__} is not allowed in audit details")

    return json.loads(json.dumps(value, default=default))


def session_key(session: Session) -> bytes:
    """The audit key that comes with the session (the service's), else the one of the environment."""
    key = session.info.get(KEY_INFO)
    if isinstance(key, bytes):
        return key
    from api.audit_key import load_key
    from api.settings import Settings

    return load_key(Settings())


def _last_hash(session: Session) -> str:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    last = session.scalar(select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1))
    return last or GENESIS


def record(
    session: Session,
    token_id: str | None,
    action: str,
    object_type: str,
    object_ids: Iterable[str | int],
    details: Mapping[str, Any] | None = None,
    actor: str | None = None,
) -> AuditEntry:
    """Add one entry in the caller's transaction, so it is stored exactly when the change is.
    ``actor`` names the person acting, when known (kept in the chain like the rest)."""
    key = session_key(session)
    ids = [str(i) for i in object_ids]
    content = None if details is None else plain_json(dict(details))
    at = utcnow()
    prev = _last_hash(session)
    entry = AuditEntry(
        at=at,
        token_id=token_id,
        actor=actor,
        action=action,
        object_type=object_type,
        object_ids=ids,
        details=content,
        prev_hash=prev,
        entry_hash=entry_mac(key, prev, at, token_id, action, object_type, ids, content, actor),
        request_id=request_id.get(),
    )
    session.add(entry)
    session.flush()
    session.info[APPENDED_INFO] = True
    return entry


def record_by(
    session: Session,
    caller: Caller,
    action: str,
    object_type: str,
    object_ids: Iterable[str | int],
    details: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """``record`` for a request's caller: its token id (or single sign-on id) and the person acting."""
    return record(session, caller.token_id, action, object_type, object_ids, details=details, actor=caller.actor)


def attach(factory: sessionmaker[Session], key: bytes, checkpoint: Path | None) -> None:
    """Give the factory's sessions the audit key, and write the checkpoint after each commit
    that added entries (when ``checkpoint`` is set)."""
    factory.configure(info={KEY_INFO: key, CHECKPOINT_INFO: checkpoint})
    if checkpoint is not None:
        event.listen(factory, "after_commit", _after_commit)
    event.listen(factory, "after_rollback", _after_rollback)


def _after_commit(session: Session) -> None:
    if not session.info.pop(APPENDED_INFO, False):
        return
    from api.audit_checkpoint import refresh

    path = session.info.get(CHECKPOINT_INFO)
    key = session.info.get(KEY_INFO)
    bind = session.get_bind()
    if isinstance(path, Path) and isinstance(key, bytes):
        refresh(bind.engine, key, path)


def _after_rollback(session: Session) -> None:
    session.info.pop(APPENDED_INFO, None)
