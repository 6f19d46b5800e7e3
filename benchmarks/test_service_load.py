"""The service under load: a fixed number of requests against the real server on loopback.

`matcher serve` runs as its own process (uvicorn, a fresh database), the example week is
imported and one proposal run made, then client threads fire a fixed plan of requests and
stop. Four phases, each a fixed list of calls:

- baseline: ``GET /healthz`` (no token, one ``SELECT 1``) at the read concurrency, so that
  the read latencies can be given as a multiple of the server's own plumbing;
- reads: the pages a viewer opens (households paged and one by one, units, a run, its
  proposal, the dashboard, the taakstelling, ``/v1/me``);
- solves: ``POST /v1/solve`` with the example week as JSON, compared with the same solve
  in this process (``build_instance``, ``solve``, ``build_proposal``), medians of 5;
- mixed: reads, solves and proposal runs at the same time, the case where a database that
  serialises writers could refuse or stall a request.

Errors (a refused connection, a time-out, any status other than the expected one) must be
zero. Bounds are on ratios only (the machine is shared and noisy); the figures land in
``.benchmarks/service-load-report.json`` and on screen.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "api"))

from pg_cluster import cluster  # noqa: E402
from service_helpers import EXAMPLE, csv_rows, make_tokens, policy, server, typed  # noqa: E402

# Sizes: about 75 s per database on 2 cores (see docs/benchmarks.md).
HEALTH_CALLS = 400
READ_CALLS = 2000
READ_CONCURRENCY = 8
SOLVE_CALLS = 40
SOLVE_CONCURRENCY = 4
MIXED_READS, MIXED_SOLVES, MIXED_RUNS, MIXED_CONCURRENCY = 600, 12, 3, 8
IN_PROCESS_ROUNDS = 5

# Generous bounds on ratios, so that only a real regression (a lock, a serialised queue)
# fails, not a busy neighbour on the machine.
MAX_READ_P50_OVER_HEALTH = 25.0
# Solves share the server's cores (and its GIL), so a solve waits behind the others in flight:
# the bound grows with the concurrency.
MAX_SOLVE_P50_OVER_IN_PROCESS = 3.0 * SOLVE_CONCURRENCY

SERVER_PROBLEMS = ("Traceback", " 500 ", "database is locked", "OperationalError", "TimeoutError")


@dataclass(frozen=True)
class Call:
    """One planned request and the status it must get."""

    group: str
    method: str
    path: str
    token: str | None = None
    body: bytes | None = None
    expected: int = 200


@dataclass
class Outcome:
    group: str
    status: int | None
    seconds: float
    error: str | None
    body: bytes


def fire(base_url: str, calls: list[Call], concurrency: int) -> tuple[list[Outcome], float]:
    """Send every call once from ``concurrency`` threads (one keep-alive client each); returns outcomes and wall time."""
    outcomes: list[Outcome | None] = [None] * len(calls)
    lock = threading.Lock()
    pending = iter(range(len(calls)))

    def worker() -> None:
        with httpx.Client(base_url=base_url, timeout=120) as client:
            while True:
                with lock:
                    index = next(pending, None)
                if index is None:
                    return
                call = calls[index]
                headers = {"Authorization": f"Bearer {call.token}"} if call.token else {}
                if call.body is not None:
                    headers["Content-Type"] = "application/json"
                start = time.perf_counter()
                try:
                    response = client.request(call.method, call.path, headers=headers, content=call.body)
                    status, error, body = response.status_code, None, response.content
                except httpx.HTTPError as problem:
                    status, error, body = None, f"{type(problem).__name__}: {problem}", b""
                seconds = time.perf_counter() - start
                if error is None and status != call.expected:
                    error = f"status {status}, expected {call.expected}: {body[:300]!r}"
                outcomes[index] = Outcome(call.group, status, seconds, error, body)

    threads = [threading.Thread(target=worker, name=f"load-{i}") for i in range(concurrency)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    done = [o for o in outcomes if o is not None]
    assert len(done) == len(calls), "a client thread died before finishing its calls"
    return done, wall


def summarise(outcomes: list[Outcome], wall: float) -> dict[str, dict[str, Any]]:
    """Per group: count, errors, status codes, latency percentiles (ms) and requests per second."""
    groups: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        groups.setdefault(outcome.group, []).append(outcome)
    groups["all"] = outcomes
    summary: dict[str, dict[str, Any]] = {}
    for name, items in groups.items():
        ms = np.array([o.seconds * 1000 for o in items])
        summary[name] = {
            "count": len(items),
            "errors": sum(o.error is not None for o in items),
            "codes": dict(sorted(Counter(str(o.status) for o in items).items())),
            "p50_ms": round(float(np.percentile(ms, 50)), 1),
            "p90_ms": round(float(np.percentile(ms, 90)), 1),
            "p99_ms": round(float(np.percentile(ms, 99)), 1),
            "max_ms": round(float(ms.max()), 1),
            "per_s": round(len(items) / wall, 1),
        }
    return summary


def assert_no_errors(phase: str, outcomes: list[Outcome]) -> None:
    errors = [f"{o.group}: {o.error}" for o in outcomes if o.error is not None]
    assert not errors, f"{phase}: {len(errors)} of {len(outcomes)} requests failed, e.g. {errors[:5]}"


def solve_body() -> bytes:
    body = {
        "households": [typed(r) for r in csv_rows("households.csv")],
        "units": [typed(r) for r in csv_rows("units.csv")],
        "policy": policy(),
    }
    return json.dumps(body).encode("utf-8")


def match_pairs(document: bytes | str) -> set[tuple[str, str]]:
    return {(m["household_id"], m["unit_id"]) for m in json.loads(document)["matches"]}


def solve_in_process(body: bytes) -> tuple[float, str]:
    """What the route does for one call, timed in this process: JSON, build, solve, explain."""
    from matcher import solve
    from matcher.explain.proposal import build_proposal
    from matcher.input.instance import build_instance

    start = time.perf_counter()
    data = json.loads(body)
    instance = build_instance(
        data["households"], data["units"], data["policy"], households_source="h", units_source="u", policy_source="p"
    )
    result = solve(instance, "optimise")
    prep, solution = result.prepared, result.solution
    text = build_proposal(prep, solution, time.perf_counter() - start, None, False).to_json()
    return time.perf_counter() - start, text


def read_calls(count: int, token: str, run_id: int, household_ids: list[str], unit_ids: list[str]) -> list[Call]:
    """A viewer's mix of reads, in a fixed round-robin order."""
    kinds = [
        lambda i: Call("households (paged)", "GET", f"/v1/households?limit=50&offset={50 * (i % 3)}", token),
        lambda i: Call("household (one)", "GET", f"/v1/households/{household_ids[i % len(household_ids)]}", token),
        lambda i: Call("units", "GET", "/v1/units?limit=100", token),
        lambda i: Call("unit (one)", "GET", f"/v1/units/{unit_ids[i % len(unit_ids)]}", token),
        lambda i: Call("run", "GET", f"/v1/runs/{run_id}", token),
        lambda i: Call("proposal", "GET", f"/v1/runs/{run_id}/proposal", token),
        lambda i: Call("dashboard", "GET", "/v1/dashboard", token),
        lambda i: Call("taakstelling", "GET", "/v1/taakstelling", token),
        lambda i: Call("me", "GET", "/v1/me", token),
    ]
    return [kinds[i % len(kinds)](i // len(kinds)) for i in range(count)]


def interleave(*lists: list[Call]) -> list[Call]:
    """Spread the shorter lists evenly through the longest, keeping each list's own order."""
    keyed = [(index / len(calls), n, call) for n, calls in enumerate(lists) for index, call in enumerate(calls)]
    return [call for _, _, call in sorted(keyed, key=lambda item: (item[0], item[1]))]


@contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    """A fresh SQLite file, or a fresh database in a throwaway PostgreSQL cluster."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'matcher.db'}"
        return
    try:
        with cluster() as url:
            with psycopg.connect(url, autocommit=True) as connection:
                connection.execute('CREATE DATABASE "load"')
            yield url.rsplit("/", 1)[0] + "/load"
    except FileNotFoundError:
        if os.environ.get("MATCHER_REQUIRE_SYSTEM") == "1":
            pytest.fail("no PostgreSQL here, and MATCHER_REQUIRE_SYSTEM=1 requires it")
        pytest.skip("no PostgreSQL here")


def prepare_pool(client: httpx.Client, admin: str, wbb: str) -> int:
    """Import the example week and make one proposal run; returns the run's id."""
    for kind in ("households", "units"):
        path = EXAMPLE / f"{kind}.csv"
        response = client.post(
            f"/v1/{kind}/import",
            headers={"Authorization": f"Bearer {admin}"},
            files={"file": (path.name, path.read_bytes(), "text/csv")},
        )
        assert response.status_code == 200, response.text
    run_id = start_run(client, wbb)
    wait_for_runs(client, wbb, [run_id])
    return run_id


def start_run(client: httpx.Client, wbb: str) -> int:
    response = client.post("/v1/runs", headers={"Authorization": f"Bearer {wbb}"}, json={"policy": policy()})
    assert response.status_code == 202, response.text
    run_id: int = response.json()["id"]
    return run_id


def wait_for_runs(client: httpx.Client, token: str, run_ids: list[int], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    for run_id in run_ids:
        while True:
            run = client.get(f"/v1/runs/{run_id}", headers={"Authorization": f"Bearer {token}"}).json()
            if run["status"] in ("done", "failed"):
                assert run["status"] == "done", run
                break
            assert time.monotonic() < deadline, f"run {run_id} still {run['status']}"
            time.sleep(0.1)


def print_phase(kind: str, phase: str, summary: dict[str, dict[str, Any]], wall: float) -> None:
    print(f"\n[{kind}] {phase}: {summary['all']['count']} requests in {wall:.1f} s")
    for name, row in summary.items():
        print(
            f"  {name:<20} n={row['count']:<5} errors={row['errors']} p50={row['p50_ms']:>7} p90={row['p90_ms']:>7}"
            f" p99={row['p99_ms']:>7} max={row['max_ms']:>7} ms  {row['per_s']:>6}/s  codes={row['codes']}"
        )


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_service_under_load(kind: str, tmp_path: Path, report: list[dict[str, object]]) -> None:
    """A fixed load on the real server: no errors, every status as expected, latencies within ratios of same-run baselines."""
    body = solve_body()
    with database(kind, tmp_path) as url:
        tokens = make_tokens(url)
        viewer, officer, wbb, admin = tokens["viewer"], tokens["officer"], tokens["wbb"], tokens["admin"]
        load_before = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
        started = time.perf_counter()
        with server({"DATABASE_URL": url}, log=tmp_path / "server.log") as client:
            base_url = str(client.base_url)
            run_id = prepare_pool(client, admin, wbb)
            households = [row["household_id"] for row in csv_rows("households.csv")]
            units = [row["unit_id"] for row in csv_rows("units.csv")]

            solve_in_process(body)  # warm-up: imports and first-call costs
            in_process = [solve_in_process(body) for _ in range(IN_PROCESS_ROUNDS)]
            in_process_s = statistics.median(seconds for seconds, _ in in_process)
            expected_pairs = match_pairs(in_process[0][1])

            phases: dict[str, tuple[list[Outcome], float]] = {}
            health = [Call("healthz", "GET", "/healthz") for _ in range(HEALTH_CALLS)]
            phases["baseline"] = fire(base_url, health, READ_CONCURRENCY)
            reads = read_calls(READ_CALLS, viewer, run_id, households, units)
            phases["reads"] = fire(base_url, reads, READ_CONCURRENCY)
            solves = [Call("solve", "POST", "/v1/solve", officer, body) for _ in range(SOLVE_CALLS)]
            phases["solves"] = fire(base_url, solves, SOLVE_CONCURRENCY)
            runs_before = client.get("/v1/runs", headers={"Authorization": f"Bearer {viewer}"}).json()["total"]
            mixed = interleave(
                read_calls(MIXED_READS, viewer, run_id, households, units),
                [Call("solve", "POST", "/v1/solve", officer, body) for _ in range(MIXED_SOLVES)],
                [Call("run (start)", "POST", "/v1/runs", wbb, json.dumps({"policy": policy()}).encode(), 202)] * MIXED_RUNS,
            )
            phases["mixed"] = fire(base_url, mixed, MIXED_CONCURRENCY)
            started_runs = [json.loads(o.body)["id"] for o in phases["mixed"][0] if o.group == "run (start)" and o.error is None]
            wait_for_runs(client, viewer, started_runs)
            runs_after = client.get("/v1/runs", headers={"Authorization": f"Bearer {viewer}"}).json()["total"]
        elapsed = time.perf_counter() - started
        load_after = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []

    summaries = {phase: summarise(*result) for phase, result in phases.items()}
    for phase, (_, wall) in phases.items():
        print_phase(kind, phase, summaries[phase], wall)
    health_p50 = summaries["baseline"]["healthz"]["p50_ms"]
    reads_p50 = summaries["reads"]["all"]["p50_ms"]
    solve_p50 = summaries["solves"]["solve"]["p50_ms"]
    ratios = {
        "reads_p50_over_healthz_p50": round(reads_p50 / health_p50, 2),
        "solve_p50_over_in_process": round(solve_p50 / (in_process_s * 1000), 2),
        "mixed_reads_p50_over_reads_p50": round(
            float(np.percentile([o.seconds for o in phases["mixed"][0] if o.group not in ("solve", "run (start)")], 50))
            * 1000
            / reads_p50,
            2,
        ),
        "mixed_solve_p50_over_in_process": round(summaries["mixed"]["solve"]["p50_ms"] / (in_process_s * 1000), 2),
    }
    print(f"[{kind}] in-process solve median {in_process_s * 1000:.1f} ms; ratios {ratios}")
    print(f"[{kind}] whole benchmark {elapsed:.0f} s; load average before {load_before}, after {load_after}")

    log_text = (tmp_path / "server.log").read_text(encoding="utf-8")
    record = {
        "database": kind,
        "sizes": {
            "healthz": [HEALTH_CALLS, READ_CONCURRENCY],
            "reads": [READ_CALLS, READ_CONCURRENCY],
            "solves": [SOLVE_CALLS, SOLVE_CONCURRENCY],
            "mixed": [MIXED_READS, MIXED_SOLVES, MIXED_RUNS, MIXED_CONCURRENCY],
        },
        "in_process_solve_ms": round(in_process_s * 1000, 1),
        "ratios": ratios,
        "phases": {phase: {"wall_s": round(wall, 2), "groups": summaries[phase]} for phase, (_, wall) in phases.items()},
        "loadavg_before": load_before,
        "loadavg_after": load_after,
        "elapsed_s": round(elapsed, 1),
    }
    write_report(record)
    report.append(
        {
            "benchmark": f"service-load-{kind}",
            "errors": sum(s["all"]["errors"] for s in summaries.values()),
            "reads_p50_ms": reads_p50,
            "reads_p99_ms": summaries["reads"]["all"]["p99_ms"],
            "solve_p50_ms": solve_p50,
            "solve_p99_ms": summaries["solves"]["solve"]["p99_ms"],
            **ratios,
        }
    )

    for phase, (outcomes, _) in phases.items():
        assert_no_errors(phase, outcomes)
    for outcome in (*phases["solves"][0], *phases["mixed"][0]):
        if outcome.group == "solve":
            assert match_pairs(outcome.body) == expected_pairs, "a solve under load gave other matches than in process"
    assert runs_after == runs_before + MIXED_RUNS
    problems = [line for line in log_text.splitlines() if any(p in line for p in SERVER_PROBLEMS)]
    assert not problems, f"the server logged problems: {problems[:5]}"
    assert ratios["reads_p50_over_healthz_p50"] < MAX_READ_P50_OVER_HEALTH
    assert ratios["solve_p50_over_in_process"] < MAX_SOLVE_P50_OVER_IN_PROCESS


def write_report(record: dict[str, Any]) -> None:
    """Keep every database's figures of this run in one file (SQLite and PostgreSQL side by side)."""
    out = ROOT / ".benchmarks" / "service-load-report.json"
    out.parent.mkdir(exist_ok=True)
    _RECORDS.append(record)
    out.write_text(json.dumps(_RECORDS, indent=2) + "\n", encoding="utf-8")


_RECORDS: list[dict[str, Any]] = []
