"""The audit log: who (token id), what (action), when, and which ids.

Append-only by construction: this module only ever inserts, and no route updates or
deletes a row. Entries hold pseudonymous ids and action names, never personal fields.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from api.models import AuditEntry, utcnow


def record(session: Session, token_id: str | None, action: str, object_type: str, object_ids: Iterable[str | int]) -> None:
    """Add one entry in the caller's transaction, so it is stored exactly when the change is."""
    session.add(
        AuditEntry(
            at=utcnow(), token_id=token_id, action=action, object_type=object_type, object_ids=[str(i) for i in object_ids]
        )
    )
