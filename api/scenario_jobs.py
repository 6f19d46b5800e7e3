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
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from api.job_queue import JobQueue
from api.models import ScenarioRun
from matcher.errors import InputError

log = logging.getLogger(__name__)


class ScenarioQueue(JobQueue[ScenarioRun]):
    """Scenario runs waiting for the simulator; one runs at a time, its replicates on ``processes``."""

    def __init__(self, sessions: sessionmaker[Session], processes: int, limit: int) -> None:
        super().__init__(sessions, ScenarioRun, "scenario run", 1, limit, thread_name="matcher-scenario")
        self.processes = processes
        self.stopping = threading.Event()
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def shutdown(self) -> None:
        self.stopping.set()
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
        super().shutdown()

    def _processes(self) -> ProcessPoolExecutor:
        """The worker processes, started on first use; spawned, so no server thread or lock is copied."""
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(max_workers=self.processes, mp_context=multiprocessing.get_context("spawn"))
            return self._pool

    def _interrupted(self) -> bool:
        return self.stopping.is_set()

    def _work(self, scenario_id: int) -> None:
        from matcher.simulate.montecarlo import run_task, summarise
        from matcher.simulate.scenario import parse_scenario, scenario_document
        from matcher.simulate.world import check_start

        if self.stopping.is_set():
            return
        row = self._claim(scenario_id, "checking scenario", 0.02)
        if row is None:
            return
        document, replicates = row.scenario, row.replicates
        started = time.perf_counter()
        log.info("scenario run %d started: %d replicates", scenario_id, replicates)
        try:
            scenario = parse_scenario(document, "scenario")
            check_start(scenario)
        except InputError as error:
            self._refuse(scenario_id, "The scenario has problems; see problems.", error)
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

        def store(_session: Session, row: ScenarioRun) -> None:
            row.result = result

        if self._finish(scenario_id, store):
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
