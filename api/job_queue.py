"""What proposal runs and scenario runs share as background jobs.

A job is a row (``runs`` or ``scenario_runs``) whose ``status`` goes queued -> running ->
done or failed, with a ``stage`` and a ``progress`` for whoever follows it. The HTTP call
only stores the row and hands its id to a worker thread. The worker claims the row
atomically (so a job submitted twice runs once), records each stage in its own short
transaction, and ends either by storing the result in one step or by marking the job
failed: with the input problems when the input is refused, with the kind of error when
something unexpected happens (a failed job must never take the worker down). After a
restart, jobs left waiting or running are queued again from their stored input.

A job whose starter may no longer act (``_refusal``: for a proposal run, its token was
revoked or expired) is ``cancelled`` with the reason in ``error``: when it is claimed, it
is not started; when its result is ready, the result is not stored. Both checks sit in the
transaction that claims or finishes the job.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Generic, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from api.db import session_scope
from api.models import Run, ScenarioRun, utcnow
from matcher.errors import InputError

log = logging.getLogger(__name__)

Job = TypeVar("Job", Run, ScenarioRun)


class JobQueue(Generic[Job]):
    """Jobs of one table waiting for a worker, bounded by ``limit``; subclasses do the work in ``_work``."""

    def __init__(
        self, sessions: sessionmaker[Session], model: type[Job], label: str, workers: int, limit: int, thread_name: str
    ) -> None:
        self.sessions = sessions
        self.model: type[Job] = model
        self.label = label  # "run", "scenario run": how the log names a job
        self.limit = limit
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=thread_name)
        self.futures: dict[int, Future[None]] = {}

    def waiting(self, session: Session) -> int:
        query = select(func.count()).select_from(self.model).where(self.model.status == "queued")
        return int(session.scalar(query) or 0)

    def full(self, session: Session) -> bool:
        """Whether a new job must be refused; call it in the transaction that stores the job."""
        return self.waiting(session) >= self.limit

    def submit(self, job_id: int) -> None:
        future = self.executor.submit(self._execute, job_id)
        self.futures[job_id] = future
        future.add_done_callback(lambda _: self.futures.pop(job_id, None))

    def resume(self) -> None:
        """Queue again what an earlier process left waiting or running."""
        model = self.model
        with session_scope(self.sessions) as session:
            session.execute(update(model).where(model.status == "running").values(status="queued", stage="queued", progress=0.0))
            ids = list(session.scalars(select(model.id).where(model.status == "queued").order_by(model.id)))
        for job_id in ids:
            log.info("%s %d queued again after a restart", self.label, job_id)
            self.submit(job_id)

    def shutdown(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)

    def _work(self, job_id: int) -> None:
        raise NotImplementedError

    def _refusal(self, session: Session, row: Job) -> str | None:
        """Why the job may not run, or its result not be stored, now; None when it may."""
        return None

    def _cancel(self, row: Job, reason: str) -> None:
        row.status, row.stage, row.progress, row.finished_at, row.error = "cancelled", "cancelled", 1.0, utcnow(), reason
        log.info("%s %d cancelled: its starter may no longer act", self.label, row.id)

    def _interrupted(self) -> bool:
        """Whether an error is the queue being shut down (the job is then queued again on the next start)."""
        return False

    def _execute(self, job_id: int) -> None:
        try:
            self._work(job_id)
        except Exception as error:  # a failed job must never take the worker down
            if self._interrupted():
                log.info("%s %d interrupted by shutdown; it is queued again on the next start", self.label, job_id)
                return
            log.exception("%s %d failed unexpectedly", self.label, job_id)
            self._fail(job_id, error=f"internal error: {type(error).__name__}")

    def _stage(self, job_id: int, stage: str, progress: float, **values: Any) -> None:
        with session_scope(self.sessions) as session:
            session.execute(update(self.model).where(self.model.id == job_id).values(stage=stage, progress=progress, **values))

    def _fail(self, job_id: int, **values: Any) -> None:
        self._stage(job_id, "failed", 1.0, status="failed", finished_at=utcnow(), **values)

    def _refuse(self, job_id: int, message: str, error: InputError) -> None:
        """Fail the job because its stored input has problems, listing them."""
        self._fail(job_id, error=message, problems=[p.as_dict() for p in error.problems])

    def _claim(self, job_id: int, stage: str, progress: float) -> Job | None:
        """Claim a queued job atomically and return its row (detached), or None when another
        worker has it or it is no longer queued: a job submitted twice runs once."""
        model = self.model
        with session_scope(self.sessions) as session:
            claimed = session.execute(
                update(model)
                .where(model.id == job_id, model.status == "queued")
                .values(status="running", stage=stage, progress=progress, started_at=utcnow())
            )
            if getattr(claimed, "rowcount", 0) != 1:
                return None
            row = session.get(model, job_id)
            assert row is not None
            reason = self._refusal(session, row)
            if reason is not None:
                self._cancel(row, reason)
                return None
            return row

    def _finish(self, job_id: int, store: Callable[[Session, Job], None]) -> bool:
        """Store the result and mark the job done in one transaction; False when the row is gone
        or the job is cancelled instead."""
        with session_scope(self.sessions) as session:
            row = session.get(self.model, job_id)
            if row is None:  # deleted meanwhile
                return False
            reason = self._refusal(session, row)
            if reason is not None:
                self._cancel(row, reason)
                return False
            store(session, row)
            row.status, row.stage, row.progress, row.finished_at = "done", "done", 1.0, utcnow()
        return True
