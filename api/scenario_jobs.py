"""What-if scenario runs as background jobs, beside the proposal runs.

A scenario run is CPU-heavy (many replicates of a year of weekly matching), so the
replicates are simulated in separate processes: the server process only hands out the
tasks, records progress after each replicate and stores the summarised result. As with
proposal runs, the job state lives in the database (``scenario_runs``): after a restart,
runs that were waiting or running are queued again from their stored scenario.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from collections.abc import AsyncIterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from api.db import session_scope
from api.models import ScenarioRun, utcnow
from matcher.errors import InputError

log = logging.getLogger(__name__)


class ScenarioQueue:
    """Scenario runs waiting for the simulator; one runs at a time, its replicates on ``processes``."""

    def __init__(self, sessions: sessionmaker[Session], processes: int, limit: int) -> None:
        self.sessions = sessions
        self.processes = processes
        self.limit = limit
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="matcher-scenario")
        self.stopping = threading.Event()
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def waiting(self, session: Session) -> int:
        query = select(func.count()).select_from(ScenarioRun).where(ScenarioRun.status == "queued")
        return int(session.scalar(query) or 0)

    def full(self, session: Session) -> bool:
        return self.waiting(session) >= self.limit

    def submit(self, scenario_id: int) -> None:
        self.executor.submit(self._execute, scenario_id)

    def resume(self) -> None:
        """Queue again what an earlier process left waiting or running."""
        with session_scope(self.sessions) as session:
            session.execute(
                update(ScenarioRun).where(ScenarioRun.status == "running").values(status="queued", stage="queued", progress=0.0)
            )
            ids = list(session.scalars(select(ScenarioRun.id).where(ScenarioRun.status == "queued").order_by(ScenarioRun.id)))
        for scenario_id in ids:
            log.info("scenario run %d queued again after a restart", scenario_id)
            self.submit(scenario_id)

    def shutdown(self) -> None:
        self.stopping.set()
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
        self.executor.shutdown(wait=True, cancel_futures=True)

    def _processes(self) -> ProcessPoolExecutor:
        """The worker processes, started on first use; spawned, so no server thread or lock is copied."""
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(max_workers=self.processes, mp_context=multiprocessing.get_context("spawn"))
            return self._pool

    def _stage(self, scenario_id: int, stage: str, progress: float, **values: Any) -> None:
        with session_scope(self.sessions) as session:
            session.execute(
                update(ScenarioRun).where(ScenarioRun.id == scenario_id).values(stage=stage, progress=progress, **values)
            )

    def _execute(self, scenario_id: int) -> None:
        try:
            self._simulate(scenario_id)
        except Exception as error:  # a failed run must never take the worker down
            if self.stopping.is_set():
                log.info("scenario run %d interrupted by shutdown; it is queued again on the next start", scenario_id)
                return
            log.exception("scenario run %d failed unexpectedly", scenario_id)
            self._stage(
                scenario_id,
                "failed",
                1.0,
                status="failed",
                error=f"internal error: {type(error).__name__}",
                finished_at=utcnow(),
            )

    def _simulate(self, scenario_id: int) -> None:
        from matcher.simulate.montecarlo import run_task, summarise
        from matcher.simulate.scenario import parse_scenario, scenario_document
        from matcher.simulate.world import check_start

        if self.stopping.is_set():
            return
        with session_scope(self.sessions) as session:
            # Claim the run atomically, so it is simulated once even if it was submitted twice.
            claimed = session.execute(
                update(ScenarioRun)
                .where(ScenarioRun.id == scenario_id, ScenarioRun.status == "queued")
                .values(status="running", stage="checking scenario", progress=0.02, started_at=utcnow())
            )
            if getattr(claimed, "rowcount", 0) != 1:
                return
            row = session.get(ScenarioRun, scenario_id)
            assert row is not None
            document, replicates = row.scenario, row.replicates
        started = time.perf_counter()
        log.info("scenario run %d started: %d replicates", scenario_id, replicates)
        try:
            scenario = parse_scenario(document, "scenario")
            check_start(scenario)
        except InputError as error:
            self._stage(
                scenario_id,
                "failed",
                1.0,
                status="failed",
                error="The scenario has problems; see problems.",
                problems=[p.as_dict() for p in error.problems],
                finished_at=utcnow(),
            )
            return
        resolved = scenario_document(scenario)
        self._stage(scenario_id, "simulating", 0.05)
        pool = self._processes()
        pending: set[Future[dict[str, Any]]] = {pool.submit(run_task, resolved, r, 0) for r in range(replicates)}
        tasks: list[dict[str, Any]] = []
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                tasks.append(future.result())
            self._stage(scenario_id, "simulating", round(0.05 + 0.9 * len(tasks) / replicates, 4))
        self._stage(scenario_id, "summarising", 0.96)
        result = summarise(scenario, tasks, time.perf_counter() - started, self.processes, "local").to_json()
        with session_scope(self.sessions) as session:
            row = session.get(ScenarioRun, scenario_id)
            if row is None:
                return
            row.result = result
            row.status, row.stage, row.progress, row.finished_at = "done", "done", 1.0, utcnow()
        log.info("scenario run %d done in %.1f s", scenario_id, time.perf_counter() - started)


def install(app: FastAPI) -> None:
    """Start the scenario queue with the app (after the database is ready) and stop it with the app."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        async with inner(app) as state:
            settings = app.state.settings
            queue = ScenarioQueue(app.state.sessions, settings.scenario_processes, settings.scenario_queue_max)
            app.state.scenarios = queue
            queue.resume()
            try:
                yield state
            finally:
                queue.shutdown()

    app.router.lifespan_context = lifespan
