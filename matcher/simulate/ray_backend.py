"""Running replicate tasks on a Ray cluster (``--backend ray --address ...``).

Ray is optional (the ``ray`` extra). Each task is the same ``run_task`` the local backend
runs, with the same inputs, so a Ray run gives exactly the figures of a local run. Without
an address a local Ray instance is started with ``workers`` CPUs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from matcher.errors import InputError


def run_on_ray(
    jobs: list[tuple[dict[str, Any], int, int]],
    workers: int,
    address: str | None,
    progress: Callable[[int, int], None] | None,
) -> tuple[list[dict[str, Any]], int]:
    """Run the tasks on Ray; returns the results and the CPUs the cluster offered."""
    try:
        import ray
    except ImportError:
        raise InputError.single(
            "--backend", "ray is not installed; install the ray extra: pip install 'statushouder-matcher[ray]'"
        ) from None
    from matcher.simulate.montecarlo import run_task

    started_here = not ray.is_initialized()
    if started_here:
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
    try:
        cpus = int(ray.cluster_resources().get("CPU", 0))  # type: ignore[no-untyped-call]
        remote = ray.remote(num_cpus=1)(run_task)
        pending = [remote.remote(document, replicate, tag) for document, replicate, tag in jobs]
        results: list[dict[str, Any]] = []
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            results.extend(ray.get(done))
            if progress:
                progress(len(results), len(jobs))
        return results, cpus
    finally:
        if started_here:
            ray.shutdown()
