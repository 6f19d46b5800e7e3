"""What the service counts and measures, for Prometheus (``GET /metrics``, text format).

One registry per app (not the library's global one), so that apps made side by side in one
process, as the tests do, do not mix their figures. No label carries an id, a name or any
value from a request: HTTP requests are labelled with the route's template
(``/v1/runs/{run_id}``, never ``/v1/runs/7``), the method and the status; jobs with their
kind (``run`` or ``scenario``) and outcome.

The job counts by status (``matcher_jobs``) and the expired leases are read from the
database when scraped, so every process reports the same figures for the whole service;
the counters and histograms (requests, solve and simulation seconds, takeovers, hand-backs,
failed logins) are this process's own since it started.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from importlib.metadata import version

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info, ProcessCollector
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from api.leases import database_now, lease_expired
from api.models import Run, ScenarioRun

log = logging.getLogger(__name__)

JOB_MODELS: dict[str, type[Run] | type[ScenarioRun]] = {"run": Run, "scenario": ScenarioRun}
JOB_STATUSES = ("queued", "running", "done", "failed", "cancelled")
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
JOB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)


class Metrics:
    """The registry and every metric the service updates."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Histogram(
            "matcher_http_request_duration_seconds",
            "HTTP requests by method, route template and status, with their duration",
            ["method", "route", "status"],
            buckets=REQUEST_BUCKETS,
            registry=r,
        )
        self.in_flight = Gauge("matcher_http_requests_in_flight", "HTTP requests being answered", registry=r)
        self.failed_logins = Counter(
            "matcher_failed_logins", "Requests refused for a missing, unknown, revoked or expired token (401)", registry=r
        )
        self.jobs_started = Counter("matcher_jobs_started", "Jobs this process claimed", ["kind"], registry=r)
        self.jobs_finished = Counter(
            "matcher_jobs_finished",
            "Jobs this process ended, by outcome (done, failed, cancelled)",
            ["kind", "outcome"],
            registry=r,
        )
        self.takeovers = Counter(
            "matcher_lease_takeovers", "Jobs this process took over after their process stopped renewing its lease", ["kind"],
            registry=r,
        )  # fmt: skip
        self.handed_back = Counter(
            "matcher_jobs_handed_back", "Jobs this process queued again unfinished while stopping", ["kind"], registry=r
        )
        self.leases_lost = Counter(
            "matcher_leases_lost", "Jobs this process was running when another process took them over", ["kind"], registry=r
        )
        self.solve_seconds = Histogram(
            "matcher_run_solve_seconds", "Seconds a proposal run spent solving (matcher.solve)", buckets=JOB_BUCKETS, registry=r
        )
        self.simulation_seconds = Histogram(
            "matcher_scenario_simulation_seconds", "Seconds a scenario run spent simulating its replicates",
            buckets=JOB_BUCKETS, registry=r,
        )  # fmt: skip
        for kind in JOB_MODELS:  # every series from the start, at 0, so rates and alerts see them
            for counter in (self.jobs_started, self.takeovers, self.handed_back, self.leases_lost):
                counter.labels(kind)
            for outcome in ("done", "failed", "cancelled"):
                self.jobs_finished.labels(kind, outcome)
        Info("matcher_build", "The installed version", registry=r).info({"version": version("statushouder-matcher")})
        ProcessCollector(registry=r)

    def watch(
        self,
        read_sessions: Callable[[], sessionmaker[Session] | None],
        workers_alive: Callable[[], dict[str, bool]],
        draining: Callable[[], bool],
    ) -> None:
        """Add the figures read when scraped: jobs by status, expired leases, workers, draining.
        ``read_sessions`` gives the app's sessions once it has started (None before)."""
        self.registry.register(_State(read_sessions, workers_alive, draining))


class _State(Collector):
    def __init__(
        self,
        read_sessions: Callable[[], sessionmaker[Session] | None],
        workers_alive: Callable[[], dict[str, bool]],
        draining: Callable[[], bool],
    ) -> None:
        self.read_sessions = read_sessions
        self.workers_alive = workers_alive
        self.draining = draining

    def describe(self) -> Iterator[Metric]:
        return iter(())  # read at every scrape; nothing to check at registration

    def collect(self) -> Iterator[Metric]:
        jobs = GaugeMetricFamily(
            "matcher_jobs", "Jobs in the database by kind and status (all processes)", labels=["kind", "status"]
        )
        expired = GaugeMetricFamily(
            "matcher_jobs_lease_expired", "Running jobs whose lease has expired, waiting to be taken over", labels=["kind"]
        )
        up = GaugeMetricFamily("matcher_database_up", "Whether the database answered this scrape")
        try:
            factory = self.read_sessions()
            if factory is None:
                raise RuntimeError("not started")
            with factory() as session:
                for kind, model in JOB_MODELS.items():
                    counts = {
                        status: int(n) for status, n in session.execute(select(model.status, func.count()).group_by(model.status))
                    }
                    for status in JOB_STATUSES:
                        jobs.add_metric([kind, status], float(counts.get(status, 0)))
                    stale = select(func.count()).select_from(model).where(lease_expired(model, database_now(session)))
                    expired.add_metric([kind], float(session.scalar(stale) or 0))
            up.add_metric([], 1.0)
            yield jobs
            yield expired
        except Exception as error:  # a scrape must answer even when the database does not
            log.warning("metrics: the database did not answer (%s)", type(error).__name__)
            up.add_metric([], 0.0)
        yield up
        alive = GaugeMetricFamily("matcher_workers_alive", "Whether every worker thread of a kind is running", labels=["kind"])
        for kind, ok in self.workers_alive().items():
            alive.add_metric([kind], 1.0 if ok else 0.0)
        yield alive
        draining = GaugeMetricFamily("matcher_draining", "1 while the process is stopping")
        draining.add_metric([], 1.0 if self.draining() else 0.0)
        yield draining
