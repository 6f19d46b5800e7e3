"""Proposal runs as background jobs: worker threads, with the job state in the database.

The HTTP call that starts a run only stores it (status ``queued``) and wakes the workers,
so a long solve never blocks the server. A run whose token is revoked (or expires) before
it is done is ``cancelled`` and never becomes the current run. The state lives in the
``runs`` table, not in memory: any process's idle worker may claim a run (see
``api.job_queue``), and a run whose process stopped is solved again from its stored input
snapshot.
"""

from __future__ import annotations

import json
import logging
import time

from sqlalchemy import text
from sqlalchemy.orm import Session

from api.auth import still_valid
from api.drain import Drain
from api.job_queue import JobQueue
from api.leases import Leases
from api.metrics import Metrics
from api.models import Run, RunPair
from matcher.errors import InputError

log = logging.getLogger(__name__)
QUEUE_LOCK = 7_040_202  # the advisory lock key that serialises admissions to the run queue on PostgreSQL


class RunQueue(JobQueue[Run]):
    """Runs waiting for a worker, bounded by ``limit``; ``workers`` solved at a time by this process."""

    kind = "run"
    label = "run"

    def __init__(
        self,
        leases: Leases[Run],
        workers: int,
        limit: int,
        drain: Drain,
        metrics: Metrics,
        poll_seconds: float,
        schema_head: str | None = None,
    ) -> None:
        super().__init__(leases, workers, limit, drain, metrics, poll_seconds, "matcher-run", schema_head)

    def full(self, session: Session) -> bool:
        """Whether a new run must be refused; call it in the transaction that stores the run.

        Checking and storing must be one step, or simultaneous requests all see room for one
        more and the queue overflows. SQLite's write lock (taken from the transaction's first
        statement) already makes it one; PostgreSQL takes a transaction-level advisory lock."""
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": QUEUE_LOCK})
        return super().full(session)

    def _refusal(self, session: Session, row: Run) -> str | None:
        """A run started with a token that has since been revoked (or has expired) is not
        solved, or not stored, so it never becomes the current run. The token's row is
        locked, so a revocation is either seen here or waits until the run is stored."""
        why = still_valid(session, row.created_by, lock=True)
        if why is None:
            return None
        return f"Cancelled: the token that started this run ({row.created_by}) was {why} before the run was done."

    def _first_stage(self) -> tuple[str, float]:
        return "checking input", 0.05

    def _work(self, run: Run) -> None:
        from matcher import build_instance, solve

        run_id = run.id
        snapshot, strategy, what_it_would_take = run.snapshot, run.strategy, run.what_it_would_take
        started = time.perf_counter()
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
            solving = time.perf_counter()
            result = solve(instance, strategy, started=started)
            self.metrics.solve_seconds.observe(time.perf_counter() - solving)
        except InputError as error:
            log.info("run %d refused: %d input problems", run_id, len(error.problems))
            self._refuse(run_id, "The input of this run has problems; see problems.", error)
            return
        self._stage(run_id, "explaining", 0.8)
        proposal = result.proposal(None, what_it_would_take)
        text = proposal.to_json()
        document = json.loads(text)

        def store(session: Session, row: Run) -> None:
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
            row.proposal_json = text
            row.input_sha256 = document["input_sha256"]
            row.solver = document["solver"]
            row.kpis = document["kpis"]

        if self._finish(run_id, store):
            log.info("run %d done: %d matches, status %s", run_id, len(document["matches"]), document["status"])
