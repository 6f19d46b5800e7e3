"""The checkpoint: the signed head of the audit log, kept outside the database.

A keyed chain shows every entry changed, removed from the middle or moved, but not the
newest entries cut off at the end: what is left is still a valid chain. So the head of the
log (the newest entry's id and hash, and how many entries there are) is signed with the
audit key and written to a file the operator keeps elsewhere (``MATCHER_AUDIT_CHECKPOINT``,
for example on another machine's share or a write-once bucket synced from it), and to the
service log. ``matcher audit verify --checkpoint FILE`` then finds the entry the checkpoint
names, with the same hash and the same number of entries up to it.

The service rewrites the file (atomically: a new file renamed over the old) after every
commit that added entries. It never overwrites a checkpoint that no longer fits the log
(an entry it names is gone or changed): that file is the evidence, and an error is logged
instead. ``matcher audit checkpoint`` writes one on demand, after checking the chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from api.models import AuditEntry

log = logging.getLogger(__name__)

FORMAT = "statushouder-matcher audit checkpoint 1"
DOMAIN = b"statushouder-matcher audit checkpoint v1\x00"
_locks: dict[Path, threading.Lock] = {}
_locks_guard = threading.Lock()


class CheckpointError(RuntimeError):
    """A checkpoint file that cannot be read, or whose signature does not hold."""


@dataclass(frozen=True)
class Head:
    """The newest entry of the log and the number of entries up to it."""

    entry_id: int
    entries: int
    head: str


@dataclass(frozen=True)
class Checkpoint:
    """A signed head, as read from a file."""

    head: Head
    written_at: str


def current_head(connection: Connection) -> Head | None:
    """The head of the log now; None when the log is empty."""
    newest = connection.execute(select(AuditEntry.id, AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1)).first()
    if newest is None:
        return None
    entries = int(connection.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.id <= newest[0])) or 0)
    return Head(entry_id=int(newest[0]), entries=entries, head=str(newest[1]))


def _mac(key: bytes, fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, DOMAIN + canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def signed(key: bytes, head: Head, at: dt.datetime) -> dict[str, Any]:
    """The checkpoint document of ``head``, signed at ``at``."""
    fields: dict[str, Any] = {
        "format": FORMAT,
        "entry_id": head.entry_id,
        "entries": head.entries,
        "head": head.head,
        "written_at": at.astimezone(dt.UTC).isoformat(timespec="seconds"),
    }
    return fields | {"mac": _mac(key, fields)}


def read(path: Path, key: bytes) -> Checkpoint:
    """The checkpoint in ``path``; ``CheckpointError`` when unreadable or its signature does not hold."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CheckpointError(f"checkpoint {path} cannot be read: {error.strerror or error}") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise CheckpointError(f"checkpoint {path} is not a checkpoint file (not JSON)") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CheckpointError(f"checkpoint {path} is not a checkpoint file (field format)")
    for name, kind in (("entry_id", int), ("entries", int), ("head", str), ("written_at", str), ("mac", str)):
        if not isinstance(doc.get(name), kind):
            raise CheckpointError(f"checkpoint {path}, field {name}: missing or not a {kind.__name__}")
    fields = {k: v for k, v in doc.items() if k != "mac"}
    if not hmac.compare_digest(_mac(key, fields), doc["mac"]):
        raise CheckpointError(
            f"checkpoint {path}: its signature does not match (the file was changed, or signed with another key)"
        )
    return Checkpoint(Head(doc["entry_id"], doc["entries"], doc["head"]), doc["written_at"])


def misfit(connection: Connection, checkpoint: Checkpoint) -> str | None:
    """Why the log no longer holds what the checkpoint signed; None when it does."""
    head = checkpoint.head
    where = f"the checkpoint of {checkpoint.written_at} names entry {head.entry_id} ({head.entries} entries)"
    stored = connection.scalar(select(AuditEntry.entry_hash).where(AuditEntry.id == head.entry_id))
    if stored is None:
        newest = connection.scalar(select(func.max(AuditEntry.id)))
        if newest is None or int(newest) < head.entry_id:
            end = "the log is empty" if newest is None else f"the log ends at entry {newest}"
            return f"{where}, but {end}: entries were removed from the end of the log"
        return f"{where}, but that entry is missing from the log: it was removed"
    if stored != head.head:
        return f"{where}, but that entry's hash differs: the log up to it was changed or recomputed"
    entries = int(connection.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.id <= head.entry_id)) or 0)
    if entries != head.entries:
        return f"{where}, but the log holds {entries} entries up to it: entries were removed or added"
    return None


def _gone(connection: Connection, checkpoint: Checkpoint) -> str | None:
    """Why the entry the checkpoint names is no longer in the log as signed (a quick check
    after each commit; ``misfit`` also counts the entries)."""
    head = checkpoint.head
    stored = connection.scalar(select(AuditEntry.entry_hash).where(AuditEntry.id == head.entry_id))
    if stored == head.head:
        return None
    return misfit(connection, checkpoint) or f"entry {head.entry_id} differs from the checkpoint"


def write(path: Path, document: dict[str, Any]) -> None:
    """Write ``document`` to ``path`` atomically: a reader sees the old file or the new one, whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(json.dumps(document, indent=2) + "\n")
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _lock(path: Path) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(path.resolve(), threading.Lock())


def refresh(engine: Engine, key: bytes, path: Path) -> None:
    """Write the current head to ``path`` unless the file there no longer fits the log (then
    log an error and keep it) or already names this head or a newer one. Never raises for a
    file problem: the change is already committed, so it is logged instead."""
    from api.db import READ_ONLY

    with _lock(path), engine.execution_options(**{READ_ONLY: True}).connect() as connection:
        newest = connection.execute(select(AuditEntry.id, AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1)).first()
        if newest is None:
            return
        try:
            after, base = 0, 0
            if path.exists():
                previous = read(path, key)
                problem = _gone(connection, previous)
                if problem is not None:
                    log.error("audit checkpoint %s not overwritten: %s; run matcher audit verify", path, problem)
                    return
                if previous.head.entry_id >= newest[0]:
                    return
                after, base = previous.head.entry_id, previous.head.entries
            # Counting only the entries after the previous checkpoint keeps this cheap on a long
            # log; matcher audit verify counts them all.
            entries = base + int(
                connection.scalar(
                    select(func.count()).select_from(AuditEntry).where(AuditEntry.id > after, AuditEntry.id <= newest[0])
                )
                or 0
            )
            head = Head(entry_id=int(newest[0]), entries=entries, head=str(newest[1]))
            document = signed(key, head, dt.datetime.now(dt.UTC))
            write(path, document)
        except CheckpointError as error:
            log.error("audit checkpoint not overwritten: %s", error)
            return
        except OSError as error:
            log.error("audit checkpoint %s could not be written: %s", path, error.strerror or error)
            return
    log.info(
        "audit checkpoint: entry %d, %d entries, head %s, mac %s",
        head.entry_id,
        head.entries,
        head.head,
        document["mac"],
    )
