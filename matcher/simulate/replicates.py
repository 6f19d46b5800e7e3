"""Replicates as they finish: workers that can be stopped, and a result that grows.

A long simulation should answer before it ends and stop when asked. ``Replicates`` hands
the tasks to worker processes (local ones, or a Ray cluster) and gives the results as they
come; ``stop`` ends the workers at once (local processes are terminated, Ray tasks
cancelled with force), so a cancelled run frees its CPUs.

Replicates finish in any order, but a growing answer must not depend on that order: the
figures shown after k replicates are always those of replicates 0..k-1 of each scenario
(``Finished.prefix``), exactly what a run asked for k replicates gives. Replicates that
finished beyond the first gap wait until the gap is filled.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from matcher.errors import InputError

Job = tuple[dict[str, Any], int, int]  # scenario document, replicate, scenario index


def worker_start(parent: int) -> None:
    """In each local worker: leave Ctrl-C to the parent (it stops the workers itself), and
    end when the parent is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="matcher-parent-watch", daemon=True).start()


class Replicates:
    """The replicate tasks of one run, on ``workers`` local processes or on Ray at ``address``."""

    def __init__(self, jobs: list[Job], workers: int, backend: str = "local", address: str | None = None) -> None:
        from matcher.simulate.montecarlo import run_task

        if backend not in ("local", "ray"):
            raise ValueError(f"unknown backend {backend!r}; expected local or ray")
        self.total = len(jobs)
        self.backend = backend
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._futures: set[Future[dict[str, Any]]] = set()
        self._refs: list[Any] = []
        self._ray_started_here = False
        if backend == "ray":
            ray = _ray()
            if not ray.is_initialized():
                if address:
                    ray.init(address=address, log_to_driver=False)
                else:
                    ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
                self._ray_started_here = True
            self.workers = int(ray.cluster_resources().get("CPU", 0))
            remote = ray.remote(num_cpus=1, max_retries=0)(run_task)
            ordered = sorted(jobs, key=lambda job: (job[1], job[2]))  # see below
            self._refs = [remote.remote(document, replicate, tag) for document, replicate, tag in ordered]
            return
        self._pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=worker_start,
            initargs=(os.getpid(),),
        )
        # submitted in replicate order, so the first replicates tend to finish first
        # and replicate by replicate across scenarios, so a sweep cut short has the first k of each
        ordered = sorted(jobs, key=lambda job: (job[1], job[2]))
        self._futures = {self._pool.submit(run_task, d, r, t) for d, r, t in ordered}

    @property
    def pending(self) -> int:
        return len(self._refs) if self.backend == "ray" else len(self._futures)

    def next(self, timeout: float | None) -> list[dict[str, Any]]:
        """The results finished within ``timeout`` seconds (None: wait for at least one)."""
        if self.backend == "ray":
            if not self._refs:
                return []
            ray = _ray()
            done, self._refs = ray.wait(self._refs, num_returns=1, timeout=timeout)
            if done and self._refs:  # and whatever else is ready now
                more, self._refs = ray.wait(self._refs, num_returns=len(self._refs), timeout=0)
                done = [*done, *more]
            return list(ray.get(done)) if done else []
        if not self._futures:
            return []
        done, self._futures = wait(self._futures, timeout=timeout, return_when=FIRST_COMPLETED)
        return [future.result() for future in done]

    def pids(self) -> list[int]:
        """The process ids of the local workers (empty on Ray)."""
        if self._pool is None:
            return []
        return sorted(p.pid for p in getattr(self._pool, "_processes", {}).values() if p.pid is not None)

    def stop(self) -> None:
        """End every worker now; results not yet in are dropped."""
        if self.backend == "ray":
            ray = _ray()
            for ref in self._refs:
                ray.cancel(ref, force=True)
            self._refs = []
            return
        self._stop_local(terminate=True)

    def close(self) -> None:
        """Release the workers after a run that ended normally (or was stopped)."""
        if self.backend == "ray":
            if self._refs:
                self.stop()
            if self._ray_started_here:
                _ray().shutdown()
                self._ray_started_here = False
            return
        self._stop_local(terminate=bool(self._futures))

    def _stop_local(self, terminate: bool) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        processes = list(getattr(pool, "_processes", {}).values())
        if terminate:
            for future in self._futures:
                future.cancel()
            self._futures = set()
            for process in processes:
                if process.is_alive():
                    process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join(timeout=5)

    def __enter__(self) -> Replicates:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise InputError.single(
            "--backend", "ray is not installed; install the ray extra: pip install 'statushouder-matcher[ray]'"
        ) from None
    return ray


class Finished:
    """Results by scenario and replicate; the figures use each scenario's first k replicates only."""

    def __init__(self, scenarios: int) -> None:
        self._by: list[dict[int, dict[str, Any]]] = [{} for _ in range(scenarios)]

    def add(self, results: list[dict[str, Any]]) -> None:
        for result in results:
            self._by[int(result["tag"])][int(result["replicate"])] = result

    def prefix(self, tag: int) -> list[dict[str, Any]]:
        """Replicates 0..k-1 of scenario ``tag``, k as large as the finished ones allow."""
        found = self._by[tag]
        out: list[dict[str, Any]] = []
        while len(out) in found:
            out.append(found[len(out)])
        return out

    def common(self) -> int:
        """The k that every scenario has finished its first k replicates of (paired comparisons need the same k)."""
        return min((len(self.prefix(tag)) for tag in range(len(self._by))), default=0)

    def count(self) -> int:
        return sum(len(found) for found in self._by)


def seconds_left(done: int, total: int, elapsed: float) -> float | None:
    """A plain estimate of the time left: the pace so far times what is left; None before the first result."""
    if done <= 0:
        return None
    return round(elapsed / done * (total - done), 1)
