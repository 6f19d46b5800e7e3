"""What-if scenario runs as background jobs, beside the proposal runs.

A scenario run is CPU-heavy (many replicates of a year of weekly matching), so the
replicates are simulated in separate processes, or on a Ray cluster when
``MATCHER_RAY_ADDRESS`` is set: the server process only hands out the tasks and stores the
results. As with proposal runs, the job state lives in the database (``scenario_runs``) and
any process may run a waiting scenario run (see ``api.job_queue``); a run whose process
stopped is simulated again from its stored scenario.

The answer grows while the run runs: about once a second the figures over the replicates
done so far are stored as the run's result, marked ``partial`` with the number done and an
estimate of the time left. They are always the figures of the first k replicates (see
``matcher.simulate.replicates``), so what a reader sees never depends on which worker was
fastest. A run cancelled over HTTP keeps its last partial result; the process running it
sees the cancel within a quarter second and ends its replicate processes (or cancels its
Ray tasks), so the workers are free at once.

While stopping, the process keeps simulating until the drain's job deadline; then it ends
the replicate processes and hands the run back, without its partial result (the next
attempt starts again from the first replicate). The job thread never waits on the
replicates without a time-out, so a shutdown cannot leave it waiting for a replicate that
will never run.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.drain import Drain
from api.job_queue import Interrupted, JobQueue
from api.leases import LeaseLost, Leases
from api.metrics import Metrics
from api.models import ScenarioRun
from matcher.errors import InputError
from matcher.simulate.replicates import Finished, Replicates, seconds_left

log = logging.getLogger(__name__)
WAIT_STEP = 0.25  # seconds between looks at the shutdown and at a cancel while replicates run
PARTIAL_EVERY = 1.0  # least seconds between two stored partial results


class ScenarioQueue(JobQueue[ScenarioRun]):
    """Scenario runs waiting for the simulator; one runs at a time per process, its replicates
    on ``processes`` local processes, or on the Ray cluster at ``ray_address``."""

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
        ray_address: str | None = None,
    ) -> None:
        super().__init__(leases, 1, limit, drain, metrics, poll_seconds, "matcher-scenario", schema_head)
        self.processes = processes
        self.ray_address = ray_address
        self._running: Replicates | None = None
        self._lock = threading.Lock()

    def finish_drain(self) -> None:
        super().finish_drain()
        self._end_processes()

    def worker_pids(self) -> list[int]:
        """The replicate processes of the run simulating now (none on Ray or when idle)."""
        with self._lock:
            return self._running.pids() if self._running is not None else []

    def _end_processes(self) -> None:
        """Stop the replicate processes at once: a replicate left running would hold up the exit."""
        with self._lock:
            running, self._running = self._running, None
        if running is not None:
            running.stop()
            running.close()

    def _replicates(self, jobs: list[tuple[dict[str, Any], int, int]]) -> Replicates:
        """The run's workers: spawned local processes (no server thread or lock is copied;
        each ends by itself if this process is killed), or tasks on the Ray cluster."""
        if self.ray_address is None:
            running = Replicates(jobs, self.processes)
        else:
            import ray

            if not ray.is_initialized():  # one connection for the life of the process
                ray.init(address=self.ray_address, log_to_driver=False)
            running = Replicates(jobs, self.processes, "ray")
        with self._lock:
            self._running = running
        return running

    def _first_stage(self) -> tuple[str, float]:
        return "checking scenario", 0.02

    def _hand_back(self, job_id: int) -> None:
        """A run handed back starts again from its first replicate: its partial result goes with it."""
        try:
            self.leases.update(job_id, result=None)
        except Exception as error:  # not held any more, or the database is away: the hand-back says which
            log.debug("scenario run %d: partial result not cleared (%s)", job_id, type(error).__name__)
        super()._hand_back(job_id)

    def _interrupted(self, error: Exception) -> bool:
        return isinstance(error, BrokenProcessPool)

    def _cancelled(self, scenario_id: int) -> bool:
        with self.leases.read_sessions() as session:
            return session.scalar(select(ScenarioRun.status).where(ScenarioRun.id == scenario_id)) == "cancelled"

    def _work(self, row: ScenarioRun) -> None:
        from matcher.simulate.montecarlo import summarise
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
        backend = "local" if self.ray_address is None else "ray"
        finished, stored, last, cancelled = Finished(1), 0, 0.0, False
        running = self._replicates([(resolved, r, 0) for r in range(replicates)])
        try:
            while running.pending:
                if self.drain.past_job_deadline():
                    raise Interrupted(scenario_id)
                if self._cancelled(scenario_id):
                    cancelled = True
                    break
                if self.is_lost(scenario_id):
                    raise LeaseLost(scenario_id)
                finished.add(running.next(WAIT_STEP))
                done = len(finished.prefix(0))
                if done > stored and running.pending and time.perf_counter() - last >= PARTIAL_EVERY:
                    elapsed = time.perf_counter() - started
                    partial = summarise(scenario, finished.prefix(0), elapsed, running.workers, backend)
                    partial.partial = {
                        "replicates_done": done,
                        "replicates_requested": replicates,
                        "seconds_left": seconds_left(finished.count(), replicates, elapsed),
                    }
                    progress = round(0.05 + 0.9 * finished.count() / replicates, 4)
                    try:
                        self._stage(scenario_id, "simulating", progress, result=partial.to_json())
                    except LeaseLost:
                        if not self._cancelled(scenario_id):
                            raise
                        cancelled = True
                        break
                    stored, last = done, time.perf_counter()
        finally:
            with self._lock:
                if self._running is running:
                    self._running = None
            running.close()
        if cancelled:
            self._release(scenario_id)
            self.metrics.jobs_finished.labels(self.kind, "cancelled").inc()
            log.info("scenario run %d cancelled; its replicate workers are stopped", scenario_id)
            return
        self.metrics.simulation_seconds.observe(time.perf_counter() - started)
        self._stage(scenario_id, "summarising", 0.96)
        seconds = time.perf_counter() - started
        result = summarise(scenario, finished.prefix(0), seconds, running.workers, backend).to_json()

        def store(_session: Session, row: ScenarioRun) -> None:
            row.result = result

        if self._finish(scenario_id, store):
            log.info("scenario run %d done in %.1f s", scenario_id, time.perf_counter() - started)
