"""``matcher audit verify``: does the audit log still hold what was written, and do the
decisions and case events in the database still say what their entries say?

Three checks, each independent of the database's own word:

1. the chain: in id order, every entry names the hash of the one before it, and its hash is
   the HMAC of its content under the audit key (plain SHA-256 for entries from before the
   keying, up to the keying entry ``audit.keyed``, whose MAC covers the last of them). The
   log must hold that keying entry: a log recomputed with plain SHA-256 has none that fits;
2. the rows: every decision and case event matches the fields its entry keeps
   (``api.audit_records``), and every one newer than the keying has an entry;
3. the end: with a checkpoint (``api.audit_checkpoint``), the entry it signed is still
   there, with the same hash and the same number of entries up to it, so entries cut off
   at the end are found.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from api.audit import GENESIS, KEYED_ACTION, chain_hash, entry_mac
from api.audit_checkpoint import CheckpointError, Head, current_head, misfit, read, signed, write
from api.audit_records import TRACKED, Tracked, fields_of
from api.models import AuditEntry


class NotKeyed(RuntimeError):
    """The database's schema is older than the keyed chain: it has to be upgraded first."""


def _check_schema(session: Session) -> None:
    columns = {column["name"] for column in inspect(session.connection()).get_columns("audit_log")}
    if "details" not in columns:
        raise NotKeyed(
            "The database's audit log is not keyed yet: its schema is older. Upgrade it first "
            "(matcher serve or matcher token create upgrade it, with the audit key set), then verify."
        )


@dataclass(frozen=True)
class Break:
    """The first entry where the chain does not hold (None: the log as a whole), and why."""

    entry_id: int | None
    reason: str


@dataclass
class Report:
    """What verify found: entries checked, where the chain breaks, rows and checkpoint that do not fit."""

    entries: int = 0
    plain: int = 0
    chain: Break | None = None
    rows_checked: int = 0
    rows_before_keying: int = 0
    rows: list[str] = field(default_factory=list)
    checkpoint: str | None = None
    checkpoint_used: bool = False

    @property
    def intact(self) -> bool:
        return self.chain is None and not self.rows and self.checkpoint is None


def verify_chain(session: Session, key: bytes) -> tuple[int, int, Break | None, dict[str, Any] | None]:
    """Walk the log in id order: entries checked, how many of them are plain, the first break,
    and the keying entry's details."""
    checked, plain, previous = 0, 0, GENESIS
    keying: dict[str, Any] | None = None
    for entry in _entries(session):
        if entry.prev_hash != previous:
            reason = "its previous hash is not the hash of the entry before it: an entry before it was removed, changed or moved"
            return checked, plain, Break(entry.id, reason), keying
        if keying is not None or entry.action == KEYED_ACTION:
            expected = entry_mac(
                key,
                entry.prev_hash,
                entry.at,
                entry.token_id,
                entry.action,
                entry.object_type,
                entry.object_ids,
                entry.details,
                entry.actor,
            )
            if not hmac.compare_digest(expected, entry.entry_hash):
                reason = (
                    "its MAC does not match its content under the audit key: the entry was changed, or the log was "
                    "recomputed without the key or with another one (or this is not the service's key)"
                )
                return checked, plain, Break(entry.id, reason), keying
            if keying is None:
                keying = entry.details or {}
        else:
            if (
                entry.details is not None
                or entry.actor is not None
                or chain_hash(entry.prev_hash, entry.at, entry.token_id, entry.action, entry.object_type, entry.object_ids)
                != entry.entry_hash
            ):
                return checked, plain, Break(entry.id, "its content does not match its hash: the entry was changed"), keying
            plain += 1
        checked, previous = checked + 1, entry.entry_hash
    if keying is None:
        reason = (
            f"the log holds no keying entry ({KEYED_ACTION}), which every log upgraded to a keyed chain starts its keyed "
            "part with: it was removed, or the log was recomputed with plain SHA-256"
        )
        return checked, plain, Break(None, reason), keying
    if keying.get("plain_entries") != plain:
        reason = f"the keying entry counted {keying.get('plain_entries')} entries before it, the log holds {plain}"
        return checked, plain, Break(None, reason), keying
    return checked, plain, None, keying


def _entries(session: Session) -> Iterator[Any]:
    """The entries as plain rows (no ORM objects: a long log is walked several times faster)."""
    columns = [column for column in AuditEntry.__table__.columns]
    query = select(*columns).order_by(AuditEntry.id).execution_options(yield_per=1000)
    yield from session.execute(query)


def verify_rows(session: Session, tracked: Tracked, before: int, report: Report) -> None:
    """Compare every row of ``tracked`` with the fields its entry keeps."""
    kept: dict[str, tuple[int, dict[str, Any]]] = {}
    query = select(AuditEntry.id, AuditEntry.object_ids, AuditEntry.details).where(
        AuditEntry.action.startswith(tracked.action_prefix, autoescape=True), AuditEntry.details.is_not(None)
    )
    for entry_id, ids, details in session.execute(query.order_by(AuditEntry.id)):
        row = details.get(tracked.name) if isinstance(details, dict) else None
        if isinstance(row, dict) and ids:
            kept[str(ids[0])] = (int(entry_id), row)
    model: Any = tracked.model
    for row in session.scalars(select(model).order_by(model.id).execution_options(yield_per=1000)):
        found = kept.pop(str(row.id), None)
        if found is None:
            if row.id <= before:
                report.rows_before_keying += 1
            else:
                report.rows.append(f"{tracked.name} {row.id} has no audit entry: it was added to the database directly")
            continue
        entry_id, stored = found
        report.rows_checked += 1
        now = fields_of(tracked, row)
        changed = [name for name in stored if now.get(name) != stored[name]]
        if changed:
            what = ", ".join(f"{name} is {now.get(name)!r} in the database, {stored.get(name)!r} in the log" for name in changed)
            report.rows.append(f"{tracked.name} {row.id} does not match audit entry {entry_id}: {what}")
    for row_id, (entry_id, _) in sorted(kept.items(), key=lambda item: item[1][0]):
        report.rows.append(f"{tracked.name} {row_id} of audit entry {entry_id} is missing from the database: it was removed")


def verify(session: Session, key: bytes, checkpoint: Path | None = None) -> Report:
    """All three checks; the chain's break stops the others (nothing after it can be trusted)."""
    report = Report()
    report.entries, report.plain, report.chain, keying = verify_chain(session, key)
    if report.chain is not None or keying is None:
        return report
    for tracked in TRACKED:
        before = keying.get(f"{tracked.name}s_before")
        verify_rows(session, tracked, before if isinstance(before, int) else 0, report)
    if checkpoint is not None:
        report.checkpoint_used = True
        try:
            signed = read(checkpoint, key)
        except CheckpointError as error:
            report.checkpoint = str(error)
            return report
        report.checkpoint = misfit(session.connection(), signed)
    return report


def verify_command(checkpoint: Path | None) -> Report:
    """What ``matcher audit verify`` does, on the database of ``DATABASE_URL`` with the key of the
    environment; the checkpoint is ``checkpoint``, else ``MATCHER_AUDIT_CHECKPOINT`` when set."""
    from api.audit_key import load_key
    from api.db import make_engine, make_sessionmaker
    from api.settings import Settings

    settings = Settings()
    key = load_key(settings)
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine, read_only=True)() as session:
            _check_schema(session)
            return verify(session, key, checkpoint if checkpoint is not None else settings.audit_checkpoint)
    finally:
        engine.dispose()


def first_problem(report: Report) -> str | None:
    """The first thing verify found, in words; None when the log holds."""
    if report.chain is not None:
        where = "" if report.chain.entry_id is None else f" at entry {report.chain.entry_id}"
        return f"the audit log is broken{where}: {report.chain.reason}"
    if report.rows:
        return f"the audit log does not match the database: {report.rows[0]}"
    if report.checkpoint is not None:
        return f"the audit log does not match its checkpoint: {report.checkpoint}"
    return None


def checkpoint_command(out: Path | None) -> tuple[Head, Path]:
    """What ``matcher audit checkpoint`` does: verify the log (and the checkpoint already at the
    path, if any), then sign its head and write it there. ``CheckpointError`` says why not."""
    from api.audit_key import load_key
    from api.db import make_engine, make_sessionmaker
    from api.settings import Settings

    settings = Settings()
    key = load_key(settings)
    path = out if out is not None else settings.audit_checkpoint
    if path is None:
        raise CheckpointError("give --out FILE or set MATCHER_AUDIT_CHECKPOINT")
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine, read_only=True)() as session:
            _check_schema(session)
            report = verify(session, key, path if path.exists() else None)
            problem = first_problem(report)
            if problem is not None:
                raise CheckpointError(problem)
            head = current_head(session.connection())
    finally:
        engine.dispose()
    if head is None:
        raise CheckpointError("the audit log is empty")
    write(path, signed(key, head, dt.datetime.now(dt.UTC)))
    return head, path
