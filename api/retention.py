"""Retention: the personal fields of households housed long ago are erased; figures stay.

Once a household is housed, the WBB needs its personal fields (gender, age, vulnerabilities,
wishes, expected family reunification and when it is due) only for a while, for questions about the match.
After the period the municipality sets, ``matcher retention --older-than-days N`` blanks
those fields in the pool and in the input snapshots of stored runs. The household row, its
municipality, size, dates and the decisions stay, so the taakstelling, counts and waiting
times are the same before and after. Of the vulnerabilities only the ``ex_amv`` mark stays:
the ex-AMV persons housed are reported against the AMV target per half year, counted from
that mark, and a past half year's figure must not change when the fields are erased.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api import audit
from api.models import Household, Run

ERASED: dict[str, Any] = {
    "gender": "",
    "head_age": 0,
    "expected_reunification": 0,
    "expected_arrival_date": None,
    "vulnerabilities": [],
    "preferred_neighbourhoods": [],
}


KEPT_MARKS = ("ex_amv",)
"""Vulnerability marks retention keeps: the AMV report counts the persons housed with it."""


def _kept(vulnerabilities: Any) -> list[str]:
    """The marks that stay of a household's vulnerabilities."""
    held = {str(v) for v in vulnerabilities or []}
    return [mark for mark in KEPT_MARKS if mark in held]


def _erased_fields(vulnerabilities: Any) -> dict[str, Any]:
    """The values of the erased fields for a household with these vulnerabilities."""
    return {**{k: list(v) if isinstance(v, list) else v for k, v in ERASED.items()}, "vulnerabilities": _kept(vulnerabilities)}


def _is_erased(household: Household) -> bool:
    erased = _erased_fields(household.vulnerabilities)
    return all(getattr(household, field) == value for field, value in erased.items())


def erase_housed(session: Session, older_than_days: int, today: dt.date) -> list[str]:
    """Erase the personal fields of households housed before ``today - older_than_days``;
    returns the ids changed (households already erased are left alone)."""
    cutoff = today - dt.timedelta(days=older_than_days)
    # Housed for good: not a household that must still move on (the next run needs its fields).
    query = (
        select(Household)
        .where(Household.status == "housed", Household.move_on.is_(False), Household.housed_on < cutoff)
        .order_by(Household.household_id)
    )
    changed = [h for h in session.scalars(query) if not _is_erased(h)]
    for household in changed:
        for field, value in _erased_fields(household.vulnerabilities).items():
            setattr(household, field, value)
    keys = {(h.municipality, h.household_id) for h in changed}  # an id is unique within its municipality

    def erased(row: Any) -> bool:
        return isinstance(row, dict) and (row.get("municipality"), row.get("household_id")) in keys

    ids = sorted(h.household_id for h in changed)
    if keys:
        for run in session.scalars(select(Run)):
            rows = run.snapshot.get("households", []) if isinstance(run.snapshot, dict) else []
            if any(erased(r) for r in rows):
                scrubbed = [r | _erased_fields(r.get("vulnerabilities")) if erased(r) else r for r in rows]
                run.snapshot = run.snapshot | {"households": scrubbed}
        audit.record(session, None, "retention.erase", "household", ids)
    session.flush()
    return ids


def retention_command(older_than_days: int) -> tuple[int, dt.date]:
    """What ``matcher retention`` does, on the database of ``DATABASE_URL``."""
    from api.db import make_engine, make_sessionmaker, session_scope, upgrade
    from api.settings import Settings

    engine = make_engine(Settings().database_url)
    today = dt.date.today()
    try:
        upgrade(engine)
        with session_scope(make_sessionmaker(engine)) as session:
            ids = erase_housed(session, older_than_days, today)
    finally:
        engine.dispose()
    return len(ids), today - dt.timedelta(days=older_than_days)
