"""Database tables (SQLAlchemy 2, typed).

The pool holds pseudonymous ids and the interchange fields only. Runs keep the exact input
they were computed from (snapshot and hash), decisions are never edited, and the audit
log only ever grows.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    TypeDecorator,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, validates


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Stores UTC without a zone (SQLite has none) and always returns aware UTC times."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Token(Base):
    """An access token of one person (``owner``); only the SHA-256 of the secret is stored.

    ``created_by`` is the token that made it (null: ``matcher token create``): revoking a
    token revokes the tokens made with it as well. A token stops working at ``expires_at``;
    ``last_used`` is kept to the minute."""

    __tablename__ = "tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    municipality: Mapped[str | None] = mapped_column(String(200))
    owner: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(32), index=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_used: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # A token of the role ``corporation`` speaks for this housing corporation (the ``corporation``
    # of units.csv); null for every other role.
    corporation: Mapped[str | None] = mapped_column(String(200))


class Household(Base):
    """A gekoppeld household and its case: where it stands (``status``: waiting, offered, housed,
    housed_temporary, left) and the places it holds (see ``matcher.case.Case``).

    A household is known by its id within its municipality: the same id in two municipalities
    is two households, so a token of one municipality cannot learn which ids another uses.
    The interchange fields come from imports; the case fields are set by decisions and
    events only, so an import replayed later never undoes what happened. A unit the case
    names is known by its id and its municipality (they differ only after a regional run)."""

    __tablename__ = "households"

    household_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    municipality: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)
    koppeling_date: Mapped[dt.date] = mapped_column(Date)
    adults: Mapped[int] = mapped_column(Integer)
    children: Mapped[int] = mapped_column(Integer)
    gender: Mapped[str] = mapped_column(String(1))
    head_age: Mapped[int] = mapped_column(Integer)
    expected_reunification: Mapped[int] = mapped_column(Integer, default=0)
    expected_arrival_date: Mapped[dt.date | None] = mapped_column(Date)
    documents_complete: Mapped[bool] = mapped_column(Boolean, default=True)
    vulnerabilities: Mapped[list[Any]] = mapped_column(JSON, default=list)
    preferred_neighbourhoods: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="waiting", index=True)
    housed_on: Mapped[dt.date | None] = mapped_column(Date)
    # The case (matcher.case.Case), written only by decisions and events.
    state_since: Mapped[dt.date | None] = mapped_column(Date)
    documents_incomplete_since: Mapped[dt.date | None] = mapped_column(Date)
    documents_expected: Mapped[dt.date | None] = mapped_column(Date)
    offered_unit_id: Mapped[str | None] = mapped_column(String(200), index=True)
    offered_unit_municipality: Mapped[str | None] = mapped_column(String(200))
    offered_persons: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    offered_on: Mapped[dt.date | None] = mapped_column(Date)
    current_unit_id: Mapped[str | None] = mapped_column(String(200), index=True)
    current_unit_municipality: Mapped[str | None] = mapped_column(String(200))
    current_persons: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    home_state: Mapped[str | None] = mapped_column(String(16))
    temporary_until: Mapped[dt.date | None] = mapped_column(Date)
    move_on: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    previous_unit_id: Mapped[str | None] = mapped_column(String(200), index=True)
    previous_unit_municipality: Mapped[str | None] = mapped_column(String(200))
    previous_persons: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    counted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Unit(Base):
    """An offered home or shared place: ``available``, ``offered`` (held for a household the
    WBB accepted), ``let`` (lived in), or ``withdrawn``; known by its id within its
    municipality, as a household. A shared place counts persons: those living there
    (``beds_taken``) and those it is held for (``beds_held``)."""

    __tablename__ = "units"

    unit_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    municipality: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)
    neighbourhood: Mapped[str] = mapped_column(String(200))
    corporation: Mapped[str] = mapped_column(String(200), default="")
    unit_type: Mapped[str] = mapped_column(String(16))
    temporary: Mapped[bool] = mapped_column(Boolean)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    beds: Mapped[int | None] = mapped_column(Integer)
    bedrooms: Mapped[int] = mapped_column(Integer)
    min_occupants: Mapped[int] = mapped_column(Integer, default=1)
    max_occupants: Mapped[int] = mapped_column(Integer)
    rent: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    step_free: Mapped[bool] = mapped_column(Boolean, default=False)
    wheelchair: Mapped[bool] = mapped_column(Boolean, default=False)
    gender: Mapped[str] = mapped_column(String(1), default="")
    lgbtiq_safe: Mapped[bool] = mapped_column(Boolean, default=False)
    support: Mapped[bool] = mapped_column(Boolean, default=False)
    available_from: Mapped[dt.date] = mapped_column(Date)
    amv_home: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    stay_limit_weeks: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="available", index=True)
    beds_taken: Mapped[int] = mapped_column(Integer, default=0)
    beds_held: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Leased:
    """The lease of a running job: which process holds it (``lease_owner``), when that
    process last renewed it (``heartbeat_at``) and until when it holds it
    (``lease_expires_at``). A job whose lease has expired is taken over by another process.
    ``attempts`` counts the claims that did not end with the job handed back."""

    lease_owner: Mapped[str | None] = mapped_column(String(64))
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    lease_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Run(Leased, Base):
    """A proposal run over the pool: its input snapshot, job state and result."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(32))
    strategy: Mapped[str] = mapped_column(String(16), default="optimise")
    what_it_would_take: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    stage: Mapped[str] = mapped_column(String(32), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    policy: Mapped[dict[str, Any]] = mapped_column(JSON)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    # How many households and units the snapshot holds, kept beside it so that a list of runs
    # need not read the snapshots (a national one runs to megabytes). Set with the snapshot
    # (below); the server default only let migration 0014 add the columns NOT NULL in place.
    households_count: Mapped[int] = mapped_column(Integer, server_default="0")
    units_count: Mapped[int] = mapped_column(Integer, server_default="0")
    input_sha256: Mapped[str | None] = mapped_column(String(64))
    proposal_json: Mapped[str | None] = mapped_column(Text)
    solver: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    kpis: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    problems: Mapped[list[Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    @validates("snapshot")
    def _count_snapshot(self, _key: str, snapshot: dict[str, Any]) -> dict[str, Any]:
        """Set the counts whenever the snapshot is set (when the run is made, or when retention
        rewrites it), so that no code path can store a snapshot with counts that disagree."""
        self.households_count = snapshot_count(snapshot, "households")
        self.units_count = snapshot_count(snapshot, "units")
        return snapshot


def snapshot_count(snapshot: Any, table: str) -> int:
    """How many rows of ``table`` (households or units) a run's snapshot holds; 0 when it holds
    none or is not the usual mapping (migration 0014 counts stored snapshots the same way)."""
    rows = snapshot.get(table) if isinstance(snapshot, dict) else None
    return len(rows) if isinstance(rows, list) else 0


class RunPair(Base):
    """One proposed pair of a finished run, so decisions can refer to it."""

    __tablename__ = "run_pairs"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    household_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(200))
    persons: Mapped[int] = mapped_column(Integer)
    fixed: Mapped[bool] = mapped_column(Boolean, default=False)


class Decision(Base):
    """A human decision on a proposed pair: accept, decline or pin. Never edited.

    ``created_by`` is the token that sent it; ``decided_by`` the person who took it: the
    owner of that token (the request cannot name anyone else). ``municipality`` is the
    household's, ``unit_municipality`` the unit's (they differ only in a regional run)."""

    __tablename__ = "decisions"
    __table_args__ = (Index("ix_decisions_pair", "household_id", "unit_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    household_id: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    municipality: Mapped[str] = mapped_column(String(200))
    unit_municipality: Mapped[str] = mapped_column(String(200))
    persons: Mapped[int] = mapped_column(Integer)
    housed_on: Mapped[dt.date | None] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(32))
    decided_by: Mapped[str] = mapped_column(String(64))


class CaseEvent(Base):
    """Something that happened to a household's case on a date (see ``matcher.case``). Never edited.

    The household is ``household_id`` in ``municipality``; ``unit_id`` (in
    ``unit_municipality``) is the unit the event concerns (the home refused, moved into, or left);
    ``persons_counted`` the persons it adds to the taakstelling on ``date``. ``created_by``
    is the token that recorded it, ``actor`` the person (the token's owner)."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_household", "household_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    household_id: Mapped[str] = mapped_column(String(200))
    municipality: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    unit_id: Mapped[str | None] = mapped_column(String(200))
    unit_municipality: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(String(32))
    temporary_until: Mapped[dt.date | None] = mapped_column(Date)
    expected: Mapped[dt.date | None] = mapped_column(Date)
    adults: Mapped[int | None] = mapped_column(Integer)
    children: Mapped[int | None] = mapped_column(Integer)
    persons_counted: Mapped[int] = mapped_column(Integer, default=0)
    state_before: Mapped[str] = mapped_column(String(16))
    state_after: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))


class UnitEvent(Base):
    """Something that happened to a unit on a date: ``withdrawn`` (taken off offer by its
    corporation or the WBB, ``withdrawn_by``). Never edited. ``households`` lists the
    households whose offer of the unit it ended (each got an ``unit_withdrawn`` case event);
    ``created_by`` is the token that recorded it, ``actor`` the person (the token's owner)."""

    __tablename__ = "unit_events"
    __table_args__ = (Index("ix_unit_events_unit", "unit_id", "municipality", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    unit_id: Mapped[str] = mapped_column(String(200))
    municipality: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    date: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(32))
    withdrawn_by: Mapped[str] = mapped_column(String(16))
    households: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status_before: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))


class MunicipalitySetting(Base):
    """Per municipality: whether nareizigers joining a housed household count for the taakstelling."""

    __tablename__ = "municipality_settings"

    municipality: Mapped[str] = mapped_column(String(200), primary_key=True)
    count_family_arrivals: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(32))


class Target(Base):
    """Taakstelling: persons a municipality must house in a half year, and the indicative
    AMV taakstelling beside it (ex-AMV youngsters; null when none is set)."""

    __tablename__ = "targets"

    municipality: Mapped[str] = mapped_column(String(200), primary_key=True)
    half_year: Mapped[str] = mapped_column(String(7), primary_key=True)
    persons: Mapped[int] = mapped_column(Integer)
    amv_persons: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(32))


class AuditEntry(Base):
    """Who did what, when, to which ids, with details (counts, a decision's fields, the before
    and after of a change). Rows are only ever added, each chained to the one before."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    token_id: Mapped[str | None] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(String(64))  # the person acting, when known; in the chain
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(32))
    object_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))
    # The request that wrote the entry (also in the service's log lines and error answers);
    # not part of the chained content.
    request_id: Mapped[str | None] = mapped_column(String(64))


class ScenarioRun(Leased, Base):
    """A what-if scenario run: the resolved scenario, its job state and the summarised result."""

    __tablename__ = "scenario_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    stage: Mapped[str] = mapped_column(String(32), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    replicates: Mapped[int] = mapped_column(Integer)
    scenario: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    problems: Mapped[list[Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class PipelineRow(Base):
    """The COA's pipeline: announced koppelingen, expected arrivals and AMV turning 18 (no personal fields).

    An upload replaces the pipeline of every municipality it names; the next run that looks
    ahead reads it for the households of its forecast (``api.forecast``)."""

    __tablename__ = "coa_pipeline"

    municipality: Mapped[str] = mapped_column(String(200), primary_key=True)
    pipeline_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    expected_date: Mapped[dt.date] = mapped_column(Date, index=True)
    adults: Mapped[int] = mapped_column(Integer)
    children: Mapped[int] = mapped_column(Integer)
    expected_reunification: Mapped[int] = mapped_column(Integer, default=0)
    households: Mapped[int] = mapped_column(Integer, default=1)
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by: Mapped[str] = mapped_column(String(32))


class Agreement(Base):
    """Prestatieafspraak: how many homes a corporation agreed to offer a municipality's
    statushouders in a year. ``updated_by`` is the token that set it last (the audit log
    names the person)."""

    __tablename__ = "prestatieafspraken"

    municipality: Mapped[str] = mapped_column(String(200), primary_key=True)
    corporation: Mapped[str] = mapped_column(String(200), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    homes: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(32))
