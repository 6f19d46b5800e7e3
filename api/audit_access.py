"""Who read special-category data, and what a change of the pool changed.

Health needs and LHBTIQ+ (a household's ``vulnerabilities``) are read by officers, the WBB
and administrators. Every read that shows them, lists included, gets one audit entry per
request: who (the token), what (the action, the ids shown) and how many (``details.count``),
never one entry per row, so a list of 1000 households costs one entry.

A change of a household or unit records, per changed field, the value before and after.
Not for the personal fields that ``matcher retention`` erases (gender, age of the head,
expected reunification, vulnerabilities, preferred wijken): the chain cannot be erased, so
for those it records only that they changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from api import audit
from api.auth import Caller
from api.db import session_scope
from api.redaction import sees_special_categories
from api.retention import ERASED

PERSONAL_FIELDS = frozenset(ERASED)
"""Fields whose values stay out of the log: the ones retention erases."""


def read_details(caller: Caller, count: int, special_category: bool, **extra: Any) -> dict[str, Any]:
    """The details of a read's entry: how many records it showed, and whether they held
    special-category data (only when the document has it and the caller's role sees it)."""
    return {"count": count, "special_category": special_category and sees_special_categories(caller), **extra}


def record_read(
    sessions: sessionmaker[Session],
    caller: Caller,
    action: str,
    object_type: str,
    ids: Iterable[str | int],
    details: Mapping[str, Any],
) -> None:
    """One entry for a read whose own session only reads, in a transaction of its own. Called
    before the answer is sent: when it fails, the caller gets an error, not the data."""
    with session_scope(sessions) as session:
        audit.record_by(session, caller, action, object_type, ids, details=details)


def field_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """Per changed field ``[before, after]``; the personal fields under ``personal`` by name only."""
    changed = sorted(name for name in after if before.get(name) != after.get(name))
    return {
        "changes": {name: [_plain(before.get(name)), _plain(after.get(name))] for name in changed if name not in PERSONAL_FIELDS},
        "personal": [name for name in changed if name in PERSONAL_FIELDS],
    }


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str | list):
        return value
    return str(value)
