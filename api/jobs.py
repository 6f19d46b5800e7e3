"""Proposal runs as background jobs: a small thread pool, with the job state in the database.

The HTTP call that starts a run only stores it (status ``queued``) and hands its id to the
pool, so a long solve never blocks the server. The state lives in the ``runs`` table, not
in memory: after a restart, runs that were waiting or running are queued again from their
stored input snapshot.
"""

from __future__ import annotations

import json
import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from api.db import session_scope
from api.models import Run, RunPair, utcnow
from matcher.errors import InputError

log = logging.getLogger(__name__)
QUEUE_LOCK = 7_040_202  # the advisory lock key that serialises admissions to the run queue on PostgreSQL


class RunQueue:
    """Runs waiting for a worker, bounded by ``limit``."""

    def __init__(self, sessions: sessionmaker[Session], workers: int, limit: int) -> None:
        self.sessions = sessions
        self.limit = limit
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="matcher-run")
        self.futures: dict[int, Future[None]] = {}

    def waiting(self, session: Session) -> int:
        return int(session.scalar(select(func.count()).select_from(Run).where(Run.status == "queued")) or 0)

    def full(self, session: Session) -> bool:
        """Whether a new run must be refused; call it in the transaction that stores the run.

        Checking and storing must be one step, or simultaneous requests all see room for one
        more and the queue overflows. SQLite's write lock (taken from the transaction's first
        statement) already makes it one; PostgreSQL takes a transaction-level advisory lock."""
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": QUEUE_LOCK})
        return self.waiting(session) >= self.limit

    def submit(self, run_id: int) -> None:
        future = self.executor.submit(self._execute, run_id)
        self.futures[run_id] = future
        future.add_done_callback(lambda _: self.futures.pop(run_id, None))

    def resume(self) -> None:
        """Queue again what an earlier process left waiting or running."""
        with session_scope(self.sessions) as session:
            session.execute(update(Run).where(Run.status == "running").values(status="queued", stage="queued", progress=0.0))
            ids = list(session.scalars(select(Run.id).where(Run.status == "queued").order_by(Run.id)))
        for run_id in ids:
            log.info("run %d queued again after a restart", run_id)
            self.submit(run_id)

    def shutdown(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)

    def _stage(self, run_id: int, stage: str, progress: float, **values: Any) -> None:
        with session_scope(self.sessions) as session:
            session.execute(update(Run).where(Run.id == run_id).values(stage=stage, progress=progress, **values))

    def _execute(self, run_id: int) -> None:
        try:
            self._solve(run_id)
        except Exception as error:  # a failed run must never take the worker down
            log.exception("run %d failed unexpectedly", run_id)
            self._stage(
                run_id, "failed", 1.0, status="failed", error=f"internal error: {type(error).__name__}", finished_at=utcnow()
            )

    def _solve(self, run_id: int) -> None:
        from matcher import build_instance, solve

        with session_scope(self.sessions) as session:
            # Claim the run atomically, so it is solved once even if it was submitted twice.
            claimed = session.execute(
                update(Run)
                .where(Run.id == run_id, Run.status == "queued")
                .values(status="running", stage="checking input", progress=0.05, started_at=utcnow())
            )
            if getattr(claimed, "rowcount", 0) != 1:
                return
            run = session.get(Run, run_id)
            assert run is not None
            snapshot, strategy, what_it_would_take = run.snapshot, run.strategy, run.what_it_would_take
        started = time.perf_counter()
        log.info("run %d started", run_id)
        try:
            instance = build_instance(
                snapshot["households"],
                snapshot["units"],
                snapshot["policy"],
                households_source="households",
                units_source="units",
                policy_source="policy",
            )
            self._stage(run_id, "solving", 0.2, input_sha256=instance.input_sha256)
            result = solve(instance, strategy, started=started)
        except InputError as error:
            log.info("run %d refused: %d input problems", run_id, len(error.problems))
            self._stage(
                run_id,
                "failed",
                1.0,
                status="failed",
                error="The input of this run has problems; see problems.",
                problems=[p.as_dict() for p in error.problems],
                finished_at=utcnow(),
            )
            return
        self._stage(run_id, "explaining", 0.8)
        proposal = result.proposal(None, what_it_would_take)
        text = proposal.to_json()
        document = json.loads(text)
        with session_scope(self.sessions) as session:
            run = session.get(Run, run_id)
            if run is None:  # deleted meanwhile
                return
            for match in document["matches"]:
                session.add(
                    RunPair(
                        run_id=run_id,
                        household_id=match["household_id"],
                        unit_id=match["unit_id"],
                        persons=match["persons"],
                        fixed=bool(match.get("fixed", False)),
                    )
                )
            run.proposal_json = text
            run.input_sha256 = document["input_sha256"]
            run.solver = document["solver"]
            run.kpis = document["kpis"]
            run.status, run.stage, run.progress, run.finished_at = "done", "done", 1.0, utcnow()
        log.info("run %d done: %d matches, status %s", run_id, len(document["matches"]), document["status"])
