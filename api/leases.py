"""Leases on running jobs, so that any service process may run any job and none runs one twice.

Several ``matcher serve`` processes may share one PostgreSQL database. A job (a row of
``runs`` or ``scenario_runs``) is run by whichever idle worker claims it first, in any
process. The claim is one transaction: the oldest job that is queued, or running under a
lease that has expired, is locked (``FOR UPDATE SKIP LOCKED``: two workers never get the
same row, and neither waits for the other) and marked as held by this process until
``now + lease_seconds``. The process renews the leases it holds while it works on them; a
process that dies stops renewing, and its jobs are taken over once their leases expire.

Every write a worker makes to its job (a stage, the result, a failure, handing the job
back) holds only while this process still holds the lease, so a process that stalled past
its lease and finds its job taken over cannot overwrite or store anything: a result is
stored once. SQLite has no ``SKIP LOCKED``; there every claim takes the write lock
(``BEGIN IMMEDIATE``), which makes it just as atomic.

Times come from the database's clock on PostgreSQL, so processes on machines whose clocks
differ still agree on when a lease expires.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from api.db import session_scope
from api.models import Run, ScenarioRun

log = logging.getLogger(__name__)

Job = TypeVar("Job", Run, ScenarioRun)
Refusal = Callable[[Session, Any], "str | None"]  # why a job may not run or be stored now; None when it may
Finished = Literal["stored", "cancelled", "not_held"]


class LeaseLost(Exception):
    """The job's lease is no longer this process's: another process took it over (this one
    stalled past its lease), or it was handed back. Whatever the worker was doing is dropped."""


def process_owner() -> str:
    """The name this process holds leases under: host, process id and a random tag (a
    restarted process with the same pid is a new owner)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


def database_now(session: Session) -> dt.datetime:
    """The current time in UTC: the database's clock on PostgreSQL, this machine's on SQLite."""
    if session.get_bind().dialect.name == "postgresql":
        value = session.scalar(select(func.timezone("UTC", func.now())))
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=dt.UTC)
    return dt.datetime.now(dt.UTC)


def lease_expired(model: type[Run] | type[ScenarioRun], now: dt.datetime) -> ColumnElement[bool]:
    """A running job whose lease has expired (or that has none: left by an earlier version)."""
    return and_(model.status == "running", or_(model.lease_expires_at.is_(None), model.lease_expires_at < now))


@dataclass(frozen=True)
class Claim(Generic[Job]):
    """A job this process now holds: its row (detached), and whether it was taken over from
    a process whose lease expired (``previous_owner``)."""

    row: Job
    takeover: bool
    previous_owner: str | None


class Leases(Generic[Job]):
    """Claiming, renewing, finishing and handing back the jobs of one table for one process."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        read_sessions: sessionmaker[Session],
        model: type[Job],
        owner: str,
        lease_seconds: float,
        max_attempts: int,
    ) -> None:
        self.sessions = sessions
        self.read_sessions = read_sessions
        self.model: type[Job] = model
        self.owner = owner
        self.lease = dt.timedelta(seconds=lease_seconds)
        self.max_attempts = max_attempts

    def now(self, session: Session) -> dt.datetime:
        return database_now(session)

    def _claimable(self, now: dt.datetime) -> ColumnElement[bool]:
        return or_(self.model.status == "queued", lease_expired(self.model, now))

    def _held(self, job_id: int) -> ColumnElement[bool]:
        model = self.model
        return and_(model.id == job_id, model.status == "running", model.lease_owner == self.owner)

    def anything_to_claim(self) -> bool:
        """A cheap look without any lock (SQLite's write lock is taken only when there is work)."""
        with self.read_sessions() as session:
            now = self.now(session)
            found = session.scalar(select(self.model.id).where(self._claimable(now)).limit(1))
        return found is not None

    def claim_next(self, stage: str, progress: float, refusal: Refusal | None = None) -> Claim[Job] | None:
        """Claim the oldest job that is queued or whose lease expired; None when there is none.

        A job taken over after ``max_attempts`` claims that ended without its result (its
        process stopped each time) is marked failed instead of being run again; a job that
        ``refusal`` gives a reason for is cancelled with it instead of being started."""
        model = self.model
        with session_scope(self.sessions) as session:
            now = self.now(session)
            while True:
                query = select(model).where(self._claimable(now)).order_by(model.id).limit(1).with_for_update(skip_locked=True)
                row = session.scalars(query).first()
                if row is None:
                    return None
                takeover, previous = row.status == "running", row.lease_owner
                if takeover and row.attempts >= self.max_attempts:
                    table, attempts = model.__tablename__, row.attempts
                    log.warning("%s %d failed: its process stopped %d times while running it", table, row.id, attempts)
                    row.status, row.stage, row.progress, row.finished_at = "failed", "failed", 1.0, now
                    row.error = f"The service stopped {row.attempts} times while running this job; it is not tried again."
                    row.lease_owner, row.lease_expires_at = None, None
                    session.flush()
                    continue
                reason = None if refusal is None else refusal(session, row)
                if reason is not None:
                    log.info("%s %d cancelled: its starter may no longer act", model.__tablename__, row.id)
                    row.started_at = now  # picked up, and ended at once
                    _cancel(row, reason, now)
                    session.flush()
                    continue
                row.status, row.stage, row.progress, row.started_at = "running", stage, progress, now
                row.lease_owner, row.heartbeat_at, row.lease_expires_at = self.owner, now, now + self.lease
                row.attempts = row.attempts + 1
                session.flush()
                return Claim(row=row, takeover=takeover, previous_owner=previous)

    def renew(self, job_ids: Iterable[int]) -> set[int]:
        """Extend the leases of the jobs this process holds; returns the ids still held."""
        ids = list(job_ids)
        if not ids:
            return set()
        model = self.model
        with session_scope(self.sessions) as session:
            now = self.now(session)
            renewed = session.scalars(
                update(model)
                .where(model.id.in_(ids), model.status == "running", model.lease_owner == self.owner)
                .values(heartbeat_at=now, lease_expires_at=now + self.lease)
                .returning(model.id)
            )
            return set(renewed)

    def update(self, job_id: int, **values: Any) -> None:
        """Write to a held job (its stage, progress, hash); raises LeaseLost when it is not held."""
        with session_scope(self.sessions) as session:
            changed = session.execute(update(self.model).where(self._held(job_id)).values(**values))
            if getattr(changed, "rowcount", 0) != 1:
                raise LeaseLost(job_id)

    def finish(
        self, job_id: int, store: Callable[[Session, Job], None], refusal: Refusal | None = None, **values: Any
    ) -> Finished:
        """Store the result and end the job in one transaction (``values``: status and the
        like). Nothing is stored when the job is gone or no longer held (``not_held``), or
        when ``refusal`` gives a reason: the job is then cancelled with it (``cancelled``)."""
        with session_scope(self.sessions) as session:
            row = session.scalars(select(self.model).where(self._held(job_id)).with_for_update()).first()
            if row is None:
                return "not_held"
            reason = None if refusal is None else refusal(session, row)
            if reason is not None:
                _cancel(row, reason, self.now(session))
                return "cancelled"
            store(session, row)
            for key, value in values.items():
                setattr(row, key, value)
            row.lease_expires_at = None
        return "stored"

    def hand_back(self, job_id: int) -> bool:
        """Queue a held job again and release its lease, so that any process picks it up at
        once; the claim does not count as an attempt. False when the job was not held."""
        model = self.model
        with session_scope(self.sessions) as session:
            changed = session.execute(
                update(model)
                .where(self._held(job_id))
                .values(
                    status="queued",
                    stage="queued",
                    progress=0.0,
                    lease_owner=None,
                    heartbeat_at=None,
                    lease_expires_at=None,
                    attempts=model.attempts - 1,
                )
            )
            return getattr(changed, "rowcount", 0) == 1


def _cancel(row: Run | ScenarioRun, reason: str, now: dt.datetime) -> None:
    """End a job as cancelled, with the reason as its error; it holds no lease."""
    row.status, row.stage, row.progress, row.finished_at, row.error = "cancelled", "cancelled", 1.0, now, reason
    row.lease_expires_at = None
