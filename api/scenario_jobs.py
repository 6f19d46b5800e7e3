"""What-if scenario runs as background jobs, beside the proposal runs.

A scenario run is CPU-heavy (many replicates of a year of weekly matching), so the
replicates are simulated in separate processes: the server process only hands out the
tasks, records progress after each replicate and stores the summarised result. As with
proposal runs, the job state lives in the database (``scenario_runs``) and any process may
run a waiting scenario run (see ``api.job_queue``); a run whose process stopped is
simulated again from its stored scenario.

While stopping, the process keeps simulating until the drain's job deadline; then it
cancels the replicates not yet begun, ends the replicate processes and hands the run back.
The job thread never waits on the replicates without a time-out, so a shutdown cannot
leave it waiting for a replicate that will never run.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from sqlalchemy.orm import Session

from api.drain import Drain
from api.job_queue import Interrupted, JobQueue
from api.leases import LeaseLost, Leases
from api.metrics import Metrics
from api.models import ScenarioRun
from api.orphans import exit_with_parent
from matcher.errors import InputError

log = logging.getLogger(__name__)
WAIT_STEP = 0.25  # seconds between looks at the shutdown while replicates run


class ScenarioQueue(JobQueue[ScenarioRun]):
    """Scenario runs waiting for the simulator; one runs at a time per process, its replicates on ``processes``."""

    kind = "scenario"
    label = "scenario run"

    def __init__(
        self,
        leases: Leases[ScenarioRun],
        processes: int,
        limit: int,
        drain: Drain,
        metrics: Metrics,
        poll_seconds: float,
        schema_head: str | None = None,
    ) -> None:
        super().__init__(leases, 1, limit, drain, metrics, poll_seconds, "matcher-scenario", schema_head)
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def finish_drain(self) -> None:
        super().finish_drain()
        self._end_processes()

    def _end_processes(self) -> None:
        """Stop the replicate processes at once: a replicate left running would hold up the exit."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is None:
            return
        processes = list(getattr(pool, "_processes", {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=5)

    def _processes(self) -> ProcessPoolExecutor:
        """The worker processes, started on first use; spawned, so no server thread or lock is
        copied; each ends by itself if this process is killed (see ``api.orphans``)."""
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self.processes,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=exit_with_parent,
                    initargs=(os.getpid(),),
                )
            return self._pool

    def _first_stage(self) -> tuple[str, float]:
        return "checking scenario", 0.02

    def _interrupted(self, error: Exception) -> bool:
        return isinstance(error, BrokenProcessPool)

    def _work(self, row: ScenarioRun) -> None:
        from matcher.simulate.montecarlo import run_task, summarise
        from matcher.simulate.scenario import parse_scenario, scenario_document
        from matcher.simulate.world import check_start

        scenario_id, document, replicates = row.id, row.scenario, row.replicates
        started = time.perf_counter()
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
        try:
            while pending:
                if self.drain.past_job_deadline():
                    raise Interrupted(scenario_id)
                if self.is_lost(scenario_id):
                    raise LeaseLost(scenario_id)
                done, pending = wait(pending, timeout=WAIT_STEP, return_when=FIRST_COMPLETED)
                for future in done:
                    tasks.append(future.result())
                if done:
                    self._stage(scenario_id, "simulating", round(0.05 + 0.9 * len(tasks) / replicates, 4))
        finally:
            for future in pending:
                future.cancel()
        self.metrics.simulation_seconds.observe(time.perf_counter() - started)
        self._stage(scenario_id, "summarising", 0.96)
        result = summarise(scenario, tasks, time.perf_counter() - started, self.processes, "local").to_json()

        def store(_session: Session, row: ScenarioRun) -> None:
            row.result = result

        if self._finish(scenario_id, store):
            log.info("scenario run %d done in %.1f s", scenario_id, time.perf_counter() - started)
