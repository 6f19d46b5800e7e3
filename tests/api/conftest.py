"""Fixtures for the service tests: a fresh database per test, on SQLite and on PostgreSQL.

Every API test runs twice, once per database. The PostgreSQL cluster is started once per
session; each test gets its own database in it. Without PostgreSQL binaries those tests
are skipped, unless MATCHER_REQUIRE_SYSTEM=1, where that is a failure.
"""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))

from pg_cluster import cluster
from service_helpers import Service, make_tokens

_counter = itertools.count()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    try:
        with cluster() as url:
            yield url
    except FileNotFoundError:
        if os.environ.get("MATCHER_REQUIRE_SYSTEM") == "1":
            pytest.fail("no PostgreSQL here, and MATCHER_REQUIRE_SYSTEM=1 requires it")
        pytest.skip("no PostgreSQL here")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database (schema not yet created)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'matcher.db'}"
        return
    server: str = request.getfixturevalue("postgres_server")
    name = f"test_{os.getpid()}_{next(_counter)}"
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield server.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def service(database_url: str) -> Iterator[Service]:
    """The app on a fresh database, with a token per role. Its failed-login limit is raised far
    above what the tests send from their one test client (the limit has tests of its own, over
    real HTTP from several addresses: tests/api/test_failed_logins.py)."""
    tokens = make_tokens(database_url)
    with TestClient(create_app(Settings(database_url=database_url, queue_max=4, auth_failure_burst=10_000))) as client:
        yield Service(client=client, url=database_url, tokens=tokens)
