"""What proposal runs and scenario runs share as background jobs: workers, leases, draining.

A job is a row (``runs`` or ``scenario_runs``) whose ``status`` goes queued -> running ->
done or failed, with a ``stage`` and a ``progress`` for whoever follows it. The HTTP call
only stores the row and wakes this process's workers. Idle workers of every process look
for work: they claim the oldest queued job, or one whose process stopped renewing its lease
(see ``api.leases``), so a job is run by whichever process is free, and a job whose process
died is taken over once its lease expires. Starting a process touches no job another live
process holds.

While it holds jobs, the process renews their leases from a heartbeat thread. Each stage
is recorded in its own short transaction; a job ends by storing its result in one step or
by being marked failed: with the input problems when the input is refused, with the kind
of error when something unexpected happens (a failed job never takes the worker down).

On shutdown (``begin_drain``, then ``finish_drain``) the workers take no new job; the jobs
they hold may finish until the drain's job deadline, and whatever is still running then is
handed back: queued again with its lease released, for another process or the next start.

A job whose starter may no longer act (``_refusal``: for a proposal run, its token was
revoked or expired) is ``cancelled`` with the reason in ``error``: when it is claimed, it
is not started; when its result is ready, the result is not stored. Both checks sit in the
transaction that claims or finishes the job.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Generic

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.db import schema_version
from api.drain import Drain
from api.leases import Claim, Job, LeaseLost, Leases
from api.metrics import Metrics
from api.models import utcnow
from matcher.errors import InputError

log = logging.getLogger(__name__)


class Interrupted(Exception):
    """The job stopped because the process is draining; it is handed back, not failed."""


class JobQueue(Generic[Job]):
    """The jobs of one table for this process: ``workers`` threads claim and run them; subclasses do the work in ``_work``."""

    kind = "job"  # the metrics label: "run" or "scenario"
    label = "job"  # how the log names one

    def __init__(
        self,
        leases: Leases[Job],
        workers: int,
        limit: int,
        drain: Drain,
        metrics: Metrics,
        poll_seconds: float,
        thread_name: str,
        schema_head: str | None = None,
    ) -> None:
        self.leases: Leases[Job] = leases
        self.schema_head = schema_head  # claim jobs only while the database's schema is this one
        self._schema_behind: str | None = None
        self.model: type[Job] = leases.model
        self.limit = limit
        self.drain = drain
        self.metrics = metrics
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._held: set[int] = set()  # the jobs this process holds now
        self._lost: set[int] = set()  # ... and of those, the ones another process has taken over
        self._unreachable = False
        self._held_lock = threading.Lock()
        self._threads = [threading.Thread(target=self._worker, name=f"{thread_name}-{i}", daemon=True) for i in range(workers)]
        self._heartbeat = threading.Thread(target=self._renew, name=f"{thread_name}-heartbeat", daemon=True)

    def start(self) -> None:
        """Start the workers and the heartbeat; they pick up what is waiting, from any process."""
        with self.leases.read_sessions() as session:
            model = self.model
            counts = {status: int(n) for status, n in session.execute(select(model.status, func.count()).group_by(model.status))}
        log.info(
            "%s workers started (%d): %d waiting, %d running in this or other processes",
            self.label, len(self._threads), counts.get("queued", 0), counts.get("running", 0),
        )  # fmt: skip
        for thread in [*self._threads, self._heartbeat]:
            thread.start()

    def waiting(self, session: Session) -> int:
        query = select(func.count()).select_from(self.model).where(self.model.status == "queued")
        return int(session.scalar(query) or 0)

    def full(self, session: Session) -> bool:
        """Whether a new job must be refused; call it in the transaction that stores the job."""
        return self.waiting(session) >= self.limit

    def submit(self, job_id: int) -> None:
        """Wake this process's idle workers for a job just stored (any process may claim it)."""
        self._wake.set()

    def alive(self) -> bool:
        """Whether every worker thread and the heartbeat are running (false once draining)."""
        return not self.drain.draining and all(t.is_alive() for t in [*self._threads, self._heartbeat])

    def held(self) -> list[int]:
        with self._held_lock:
            return sorted(self._held)

    def idle(self) -> bool:
        """True when no worker thread is left running (after ``finish_drain``)."""
        return not any(t.is_alive() for t in self._threads)

    def begin_drain(self) -> None:
        """Take no new job from now on (the drain has begun)."""
        self._wake.set()

    def finish_drain(self) -> None:
        """Wait until the drain's job deadline for the jobs held to finish; hand back the rest."""
        for thread in self._threads:
            thread.join(timeout=max(self.drain.job_deadline - time.monotonic(), 0.0))
        for job_id in self.held():
            self._hand_back(job_id)
        self._stopped.set()
        self._heartbeat.join(timeout=5)

    # -- the worker --------------------------------------------------------------------------

    def _worker(self) -> None:
        while not self.drain.draining:
            try:
                claim = self._claim() if self._schema_current() and self.leases.anything_to_claim() else None
            except Exception as error:  # the database may be away for a while; keep looking
                if not self._unreachable:
                    log.warning("%s workers cannot look for work (%s); trying again", self.label, type(error).__name__)
                self._unreachable, claim = True, None
            else:
                if self._unreachable:
                    log.info("%s workers can look for work again", self.label)
                self._unreachable = False
            if claim is None:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()
                continue
            try:
                self._execute(claim)
            except Exception as error:  # the job could not even be settled (the database went away):
                # its lease expires and another worker takes it over; this worker goes on
                log.warning("%s %d could not be settled (%s)", self.label, claim.row.id, type(error).__name__)
            finally:
                with self._held_lock:
                    self._held.discard(claim.row.id)
                    self._lost.discard(claim.row.id)

    def _schema_current(self) -> bool:
        """Whether the database's schema is the one this process was written for. During a
        rolling deploy a newer version may upgrade it; an older process then takes no job
        (it could not read or write the new tables correctly) until it is replaced."""
        if self.schema_head is None:
            return True
        with self.leases.read_sessions() as session:
            version = schema_version(session)
        if version == self.schema_head:
            if self._schema_behind is not None:
                log.info("%s workers: the database schema is %s again; taking jobs", self.label, version)
            self._schema_behind = None
            return True
        if self._schema_behind != version:
            log.warning(
                "%s workers: the database schema is %s, this process needs %s; it takes no job until they agree",
                self.label, version, self.schema_head,
            )  # fmt: skip
        self._schema_behind = version or "none"
        return False

    def _claim(self) -> Claim[Job] | None:
        if self.drain.draining:
            return None
        claim = self.leases.claim_next(*self._first_stage(), refusal=self._refusal)
        if claim is None:
            return None
        job_id = claim.row.id
        with self._held_lock:
            self._held.add(job_id)
        self.metrics.jobs_started.labels(self.kind).inc()
        if claim.takeover:
            self.metrics.takeovers.labels(self.kind).inc()
            log.warning(
                "%s %d taken over from %s, whose lease expired (attempt %d)",
                self.label, job_id, claim.previous_owner or "an earlier version", claim.row.attempts,
            )  # fmt: skip
        log.info("%s %d started by %s (attempt %d)", self.label, job_id, self.leases.owner, claim.row.attempts)
        return claim

    def _first_stage(self) -> tuple[str, float]:
        return "running", 0.0

    def _execute(self, claim: Claim[Job]) -> None:
        job_id = claim.row.id
        try:
            self._work(claim.row)
        except LeaseLost:
            self.metrics.leases_lost.labels(self.kind).inc()
            log.warning("%s %d is no longer held by this process; its work here is dropped", self.label, job_id)
        except Interrupted:
            self._hand_back(job_id)
        except Exception as error:  # a failed job must never take the worker down
            if self.drain.draining and self._interrupted(error):
                self._hand_back(job_id)
                return
            log.exception("%s %d failed unexpectedly", self.label, job_id)
            self._fail(job_id, error=f"internal error: {type(error).__name__}")

    def _work(self, row: Job) -> None:
        raise NotImplementedError

    def _refusal(self, session: Session, row: Job) -> str | None:
        """Why the job may not run, or its result not be stored, now; None when it may."""
        return None

    def _interrupted(self, error: Exception) -> bool:
        """Whether an error is the work being cut off by the shutdown (the job is then handed back)."""
        return False

    def is_lost(self, job_id: int) -> bool:
        """Whether the heartbeat found the job taken over by another process."""
        with self._held_lock:
            return job_id in self._lost

    # -- writes to a held job ------------------------------------------------------------------

    def _stage(self, job_id: int, stage: str, progress: float, **values: Any) -> None:
        self.leases.update(job_id, stage=stage, progress=progress, **values)

    def _fail(self, job_id: int, **values: Any) -> None:
        finished = self.leases.finish(
            job_id, lambda _s, _r: None, status="failed", stage="failed", progress=1.0, finished_at=utcnow(), **values
        )
        self._release(job_id)
        if finished == "stored":
            self.metrics.jobs_finished.labels(self.kind, "failed").inc()

    def _refuse(self, job_id: int, message: str, error: InputError) -> None:
        """Fail the job because its stored input has problems, listing them."""
        self._fail(job_id, error=message, problems=[p.as_dict() for p in error.problems])

    def _finish(self, job_id: int, store: Callable[[Session, Job], None]) -> bool:
        """Store the result and mark the job done in one transaction; False when nothing is
        stored: the row is gone, this process no longer holds it, or the job is cancelled."""
        finished = self.leases.finish(
            job_id, store, refusal=self._refusal, status="done", stage="done", progress=1.0, finished_at=utcnow()
        )
        self._release(job_id)
        if finished == "stored":
            self.metrics.jobs_finished.labels(self.kind, "done").inc()
        elif finished == "cancelled":
            self.metrics.jobs_finished.labels(self.kind, "cancelled").inc()
            log.info("%s %d cancelled: its starter may no longer act; the result is not stored", self.label, job_id)
        else:
            log.warning("%s %d: result not stored, the job is gone or held by another process", self.label, job_id)
        return finished == "stored"

    def _release(self, job_id: int) -> None:
        """The job is settled: the heartbeat stops renewing it."""
        with self._held_lock:
            self._held.discard(job_id)

    def _hand_back(self, job_id: int) -> None:
        with self._held_lock:
            self._held.discard(job_id)
            self._lost.add(job_id)  # a worker still busy with it stores nothing
        try:
            handed = self.leases.hand_back(job_id)
        except Exception as error:
            log.warning("%s %d could not be handed back (%s); it is taken over when its lease expires", self.label, job_id,
                        type(error).__name__)  # fmt: skip
            return
        if handed:
            self.metrics.handed_back.labels(self.kind).inc()
            log.info("%s %d handed back unfinished: queued again for any process", self.label, job_id)

    # -- the heartbeat -----------------------------------------------------------------------------

    def _renew(self) -> None:
        interval = self.leases.lease.total_seconds() / 3
        while not self._stopped.wait(interval):
            held = set(self.held())
            if not held:
                continue
            try:
                kept = self.leases.renew(held)
            except Exception as error:
                log.warning("%s leases could not be renewed (%s); trying again", self.label, type(error).__name__)
                continue
            for job_id in held - kept:
                with self._held_lock:
                    if job_id not in self._held:  # finished meanwhile
                        continue
                    self._lost.add(job_id)
                log.warning("%s %d was taken over by another process (this one missed its lease)", self.label, job_id)
