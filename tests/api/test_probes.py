"""`/readyz` and `/metrics`: readiness that checks database, schema and workers; metrics in
the Prometheus text format, parsed by Prometheus's own parser, readable only with the
metrics token and free of ids and personal fields."""

from __future__ import annotations

import time

import psycopg
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from service_helpers import EXAMPLE, Service, csv_rows, error_of, load_example, make_tokens, policy, proposal, start_run, wait_for
from sqlalchemy import text

from api.app import create_app
from api.db import make_engine, schema_head, upgrade
from api.settings import Settings

TOKEN = "scrape-me-7c1d"


def scrape(client: TestClient) -> dict[str, float]:
    """/metrics parsed by prometheus_client's parser: ``name{label=value,...}`` -> value."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    values: dict[str, float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            values[f"{sample.name}{{{labels}}}"] = sample.value
    return values


def test_readyz_reports_database_schema_and_workers(service: Service) -> None:
    """A started service is ready: the database answers at the newest migration and both kinds
    of job workers run; the probe needs no token and holds no data."""
    response = service.client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "ready",
        "database": "ok",
        "schema_version": schema_head(),
        "workers": {"run": "ok", "scenario": "ok"},
    }


def test_readyz_is_503_while_the_schema_is_behind(database_url: str) -> None:
    """A service started without migrating, on a database one migration behind, answers
    /healthz but not /readyz: 503 with Retry-After, naming both migrations."""
    from alembic.script import ScriptDirectory

    from api.db import MIGRATIONS

    previous = ScriptDirectory(str(MIGRATIONS)).get_revision(schema_head()).down_revision
    assert isinstance(previous, str)
    engine = make_engine(database_url)
    upgrade(engine, previous)
    engine.dispose()
    with TestClient(create_app(Settings(database_url=database_url, migrate_on_start=False))) as client:
        assert client.get("/healthz").status_code == 200
        response = client.get("/readyz")
        error = error_of(response, 503)
        assert response.headers["retry-after"] == "5" and error["code"] == "not_ready"
        assert [(p["source"], p["message"]) for p in error["problems"]] == [
            ("schema", f"the database is at migration {previous}, this version needs {schema_head()}")
        ]


def test_readyz_is_503_while_stopping(service: Service) -> None:
    """Once the process drains, /readyz says so (the load balancer stops sending traffic) and
    other requests get 503 with Retry-After; /healthz still answers."""
    service.client.app.state.drain.begin()  # type: ignore[attr-defined]
    error = error_of(service.client.get("/readyz"), 503)
    assert [p["source"] for p in error["problems"]] == ["service"]
    refused = service.client.get("/v1/households", headers=service.auth("viewer"))
    assert error_of(refused, 503)["code"] == "draining"
    assert refused.headers["retry-after"] == "2" and refused.headers["connection"] == "close"
    assert service.client.get("/healthz").status_code == 200


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # a SQLite file cannot be taken away
def test_readyz_and_metrics_when_the_database_is_gone(database_url: str, postgres_server: str) -> None:
    """PostgreSQL dropped under a running service: /readyz answers 503 naming the database (not
    a 500), and /metrics still answers, with matcher_database_up 0."""
    make_tokens(database_url)
    with TestClient(create_app(Settings(database_url=database_url, metrics_token=TOKEN))) as client:
        assert scrape(client)["matcher_database_up{}"] == 1.0
        with psycopg.connect(postgres_server, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE "{database_url.rsplit("/", 1)[1]}" WITH (FORCE)')
        error = error_of(client.get("/readyz"), 503)
        assert [p["source"] for p in error["problems"]] == ["database"]
        assert scrape(client)["matcher_database_up{}"] == 0.0


def test_metrics_are_off_without_a_token_and_need_it(service: Service, database_url: str) -> None:
    """Without MATCHER_METRICS_TOKEN /metrics is 404; with it, no token or a wrong one (or a
    user's token) is 401 and only the metrics token reads it."""
    assert error_of(service.client.get("/metrics"), 404)["code"] == "not_found"
    with TestClient(create_app(Settings(database_url=database_url, metrics_token=TOKEN))) as client:
        error_of(client.get("/metrics"), 401)
        error_of(client.get("/metrics", headers={"Authorization": "Bearer wrong"}), 401)
        error_of(client.get("/metrics", headers=service.auth("admin")), 401)
        assert "matcher_build_info" in client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text


def test_metrics_count_requests_jobs_and_failed_logins_without_ids(database_url: str) -> None:
    """After a weekly cycle, /metrics counts requests by route template and status (a
    household read is under /v1/households/{household_id}), failed logins, the run and its
    solve seconds, and the jobs by status; no label and no line names a household, a unit or
    a token."""
    tokens = make_tokens(database_url)
    wbb = {"Authorization": f"Bearer {tokens['wbb']}"}
    with TestClient(create_app(Settings(database_url=database_url, metrics_token=TOKEN))) as client:
        load_example(client, {"Authorization": f"Bearer {tokens['admin']}"})
        run = start_run(client, wbb)
        household = proposal(client, wbb, run["id"])["matches"][0]["household_id"]
        for _ in range(3):
            assert client.get(f"/v1/households/{household}", headers=wbb).status_code == 200
        for bad in ("Bearer nope", "Bearer also-nope"):
            assert client.get("/v1/households", headers={"Authorization": bad}).status_code == 401
        assert client.get("/v1/nothing-here", headers=wbb).status_code == 404
        text = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
        values = scrape(client)

    read = "matcher_http_request_duration_seconds_count{method=GET,route=/v1/households/{household_id},status=200}"
    assert values[read] == 3
    assert values["matcher_http_request_duration_seconds_count{method=GET,route=/v1/households,status=401}"] == 2
    assert values["matcher_http_request_duration_seconds_count{method=GET,route=unmatched,status=404}"] == 1
    assert values["matcher_failed_logins_total{}"] == 2
    assert values["matcher_jobs{kind=run,status=done}"] == 1 and values["matcher_jobs{kind=run,status=queued}"] == 0
    assert values["matcher_jobs_started_total{kind=run}"] == 1
    assert values["matcher_jobs_finished_total{kind=run,outcome=done}"] == 1
    assert values["matcher_run_solve_seconds_count{}"] == 1 and values["matcher_run_solve_seconds_sum{}"] > 0
    assert values["matcher_workers_alive{kind=run}"] == 1 and values["matcher_draining{}"] == 0
    ids = {row["household_id"] for row in csv_rows("households.csv")} | {row["unit_id"] for row in csv_rows("units.csv")}
    secrets = set(tokens.values())
    names = {row["neighbourhood"] for row in csv_rows("units.csv")}
    for word in ids | secrets | names:
        assert word not in text, word
    assert EXAMPLE.name not in text


def test_a_process_whose_schema_is_not_the_databases_takes_no_job(database_url: str) -> None:
    """During a rolling deploy a newer version may upgrade the schema under an older process:
    that process is then not ready (schema problem) and its workers leave a new run queued;
    once the schema is its own again it is ready and solves the run."""
    tokens = make_tokens(database_url)
    wbb = {"Authorization": f"Bearer {tokens['wbb']}"}
    engine = make_engine(database_url)

    def set_version(version: str) -> None:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": version})

    try:
        with TestClient(create_app(Settings(database_url=database_url, job_poll_seconds=0.1))) as client:
            load_example(client, {"Authorization": f"Bearer {tokens['admin']}"})
            set_version("9999")
            run_id = client.post("/v1/runs", headers=wbb, json={"policy": policy()}).json()["id"]
            error = error_of(client.get("/readyz"), 503)
            assert [p["source"] for p in error["problems"]] == ["schema"]
            time.sleep(1.0)  # ten looks for work
            assert client.get(f"/v1/runs/{run_id}", headers=wbb).json()["status"] == "queued"
            set_version(schema_head())
            assert client.get("/readyz").status_code == 200
            assert wait_for(client, wbb, run_id)["status"] == "done"
    finally:
        engine.dispose()
