"""The bad-input catalogue through the service: 422 (or 413) with the exact problem, and
the pool exactly as it was.

The same cases as the command line (``bad_inputs``) are uploaded to the import routes of a
service whose pool already holds the example week. Each answer must carry exactly the
CLI's problem (source, row, column, message; a refused value is not repeated), and every
stored household and unit, with its timestamps, must be unchanged afterwards.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from bad_inputs import ALL_CASES, POLICY_CASES, POLICY_HOUSEHOLDS, POLICY_UNITS, BadFile, BadPolicy
from fastapi.testclient import TestClient
from service_helpers import csv_rows, error_of, make_tokens, typed, upload

from api.app import create_app
from api.settings import Settings


@dataclass
class Pool:
    """A running service with the example week imported, and the pool as it was then."""

    client: TestClient
    headers: dict[str, str]
    before: dict[str, list[dict[str, Any]]]

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        return {
            kind: self.client.get(f"/v1/{kind}?limit=1000", headers=self.headers).json()["items"]
            for kind in ("households", "units")
        }

    def assert_unchanged(self) -> None:
        assert self.snapshot() == self.before


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def pool(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pool]:
    """One service per database for the whole catalogue (each case leaves it unchanged, which it asserts)."""
    dropped: str | None = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('bad-imports') / 'matcher.db'}"
    else:
        server: str = request.getfixturevalue("postgres_server")
        name = f"bad_imports_{os.getpid()}"
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'CREATE DATABASE "{name}"')
        url, dropped = server.rsplit("/", 1)[0] + "/" + name, name
    tokens = make_tokens(url)
    headers = {"Authorization": f"Bearer {tokens['admin']}"}
    with TestClient(create_app(Settings(database_url=url))) as client:
        upload(client, headers, "households")
        upload(client, headers, "units")
        state = Pool(client=client, headers=headers, before={})
        state.before = state.snapshot()
        assert len(state.before["households"]) == 150 and len(state.before["units"]) == 40
        yield state
    if dropped is not None:
        with psycopg.connect(request.getfixturevalue("postgres_server"), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{dropped}" WITH (FORCE)')


@pytest.mark.parametrize("mode", ["upsert", "replace"])
@pytest.mark.parametrize("case", ALL_CASES, ids=lambda case: case.id)
def test_bad_file_is_refused_whole_and_the_pool_is_unchanged(pool: Pool, case: BadFile, mode: str) -> None:
    """422 with exactly the CLI's problem (values withheld); in either mode nothing stored changes."""
    response = pool.client.post(
        f"/v1/{case.kind}/import?mode={mode}", headers=pool.headers, files={"file": (case.name, case.content)}
    )
    error = error_of(response, 422)
    assert error["message"] == "The input has 1 problem."
    assert error["problems"] == [case.problem()]
    pool.assert_unchanged()


def _rows(text: str) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if v != ""} for row in csv.DictReader(io.StringIO(text))]


@pytest.mark.parametrize("case", POLICY_CASES, ids=lambda case: case.id)
def test_bad_policy_is_refused_by_solve_with_the_field(pool: Pool, case: BadPolicy) -> None:
    """POST /v1/solve answers 422 naming the policy field, with the CLI's message (values withheld)."""
    body = {"households": _rows(POLICY_HOUSEHOLDS), "units": _rows(POLICY_UNITS), "policy": json.loads(case.text)}
    response = pool.client.post(
        "/v1/solve", headers={**pool.headers, "Content-Type": "application/json"}, content=json.dumps(body)
    )
    error = error_of(response, 422)
    assert error["problems"] == [
        {"source": "policy", "row": None, "column": case.column, "message": case.api_message or case.message}
    ]


def test_the_policy_week_solves_without_the_bad_policy(pool: Pool) -> None:
    """The rows the policy cases use solve fine on their own, so each 422 comes from its policy."""
    body = {"households": _rows(POLICY_HOUSEHOLDS), "units": _rows(POLICY_UNITS), "policy": {"planning_date": "2025-03-03"}}
    response = pool.client.post("/v1/solve", headers=pool.headers, json=body)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("kind", ["households", "units"])
def test_json_nan_and_infinity_are_refused_by_field(pool: Pool, kind: str) -> None:
    """NaN and Infinity (not JSON, though Python's parser reads them) are refused with row and column, never
    read as an empty cell that would silently take the default."""
    rows = [typed(r) for r in csv_rows(f"{kind}.csv")[:3]]
    column = "expected_reunification" if kind == "households" else "beds"
    rows[1][column] = float("nan")
    rows[2][column] = float("inf")
    text = json.dumps({"rows": rows})
    response = pool.client.post(f"/v1/{kind}/batch", headers={**pool.headers, "Content-Type": "application/json"}, content=text)
    message = "NaN and Infinity are not JSON numbers; leave the field out for its default"
    assert error_of(response, 422)["problems"] == [
        {"source": kind, "row": 3, "column": column, "message": message},
        {"source": kind, "row": 4, "column": column, "message": message},
    ]
    pool.assert_unchanged()


@pytest.mark.parametrize(("kind", "waiting"), [("households", "every waiting household"), ("units", "every available unit")])
def test_replace_with_no_rows_is_refused(pool: Pool, kind: str, waiting: str) -> None:
    """A replace-mode batch with no rows would empty the pool; it is refused and nothing is removed."""
    response = pool.client.post(f"/v1/{kind}/batch", headers=pool.headers, json={"rows": [], "mode": "replace"})
    assert error_of(response, 422)["problems"] == [
        {
            "source": "body",
            "row": None,
            "column": "rows",
            "message": f"mode replace needs at least one row; with none it would remove {waiting}",
        }
    ]
    pool.assert_unchanged()


def test_duplicate_id_across_the_batch_names_both_rows(pool: Pool) -> None:
    """Two JSON rows with one unit_id: the second is named with the row of the first; the pool keeps its units."""
    rows = [typed(r) for r in csv_rows("units.csv")[:3]]
    rows[2]["unit_id"] = rows[0]["unit_id"]
    error = error_of(pool.client.post("/v1/units/batch", headers=pool.headers, json={"rows": rows}), 422)
    assert error["problems"] == [
        {"source": "units", "row": 4, "column": "unit_id", "message": f'duplicate id "{rows[0]["unit_id"]}", first used in row 2'}
    ]
    pool.assert_unchanged()
