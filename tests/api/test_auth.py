"""Access: every endpoint refuses a missing token and every role below its own, and lets the
others through; tokens are stored as hashes, can be revoked, and are made by the CLI."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from typing import Any

import pytest
from service_helpers import ROOT, Service, error_of

from api.app import create_app
from api.auth import CORPORATION, ROLES

# (method, path, lowest role allowed, JSON body or None)
ENDPOINTS: list[tuple[str, str, str, Any]] = [
    ("POST", "/v1/solve", "officer", {"households": [], "units": []}),
    ("POST", "/v1/households/import", "admin", None),
    ("POST", "/v1/pool/import", "admin", None),
    ("POST", "/v1/households/batch", "admin", {"rows": []}),
    ("GET", "/v1/households", "viewer", None),
    ("GET", "/v1/households/H-none", "viewer", None),
    ("PATCH", "/v1/households/H-none", "admin", {}),
    ("DELETE", "/v1/households/H-none", "admin", None),
    ("POST", "/v1/households/H-none/events", "wbb", {"kind": "documents_complete", "date": "2025-03-01"}),
    ("GET", "/v1/households/H-none/timeline", "viewer", None),
    ("POST", "/v1/units/import", "admin", None),
    ("POST", "/v1/units/batch", "admin", {"rows": []}),
    ("GET", "/v1/units", "viewer", None),
    ("GET", "/v1/units/U-none", "viewer", None),
    ("PATCH", "/v1/units/U-none", "admin", {}),
    ("DELETE", "/v1/units/U-none", "admin", None),
    ("POST", "/v1/units/U-none/events", "wbb", {"kind": "withdrawn", "date": "2025-03-10", "reason": "other", "by": "wbb"}),
    ("GET", "/v1/units/U-none/events", "viewer", None),
    ("POST", "/v1/runs", "wbb", {}),
    ("GET", "/v1/runs", "viewer", None),
    ("GET", "/v1/runs/999", "viewer", None),
    ("GET", "/v1/runs/999/proposal", "viewer", None),
    ("GET", "/v1/runs/999/proposal.xlsx", "viewer", None),
    ("GET", "/v1/runs/999/diff?against=1", "viewer", None),
    ("POST", "/v1/runs/999/decisions", "wbb", {"household_id": "H", "unit_id": "U", "kind": "pin"}),
    ("GET", "/v1/runs/999/decisions", "viewer", None),
    ("GET", "/v1/decisions", "viewer", None),
    ("GET", "/v1/taakstelling", "viewer", None),
    ("PUT", "/v1/taakstelling/Nijmegen/2025-H1", "wbb", {"persons": 10}),
    ("GET", "/v1/taakstelling/report.xlsx", "viewer", None),
    ("GET", "/v1/municipalities/Nijmegen/settings", "viewer", None),
    ("PUT", "/v1/municipalities/Nijmegen/settings", "wbb", {"count_family_arrivals": True}),
    ("POST", "/v1/tokens", "admin", {"role": "viewer", "municipality": "Nijmegen", "owner": "T. Tester"}),
    ("GET", "/v1/tokens", "admin", None),
    ("DELETE", "/v1/tokens/tok-none", "admin", None),
    ("POST", "/v1/tokens/revoke", "admin", {"owner": "Niemand Bekend"}),
    ("GET", "/v1/audit", "admin", None),
    ("GET", "/v1/audit/override-rate", "viewer", None),
    ("POST", "/v1/scenarios", "officer", {"scenario": {"horizon_weeks": 0}}),
    ("GET", "/v1/scenarios", "viewer", None),
    ("GET", "/v1/scenarios/998", "viewer", None),
    ("GET", "/v1/scenarios/compare?base=998&variant=997", "viewer", None),
    ("GET", "/v1/me", "any", None),
    ("GET", "/v1/dashboard", "viewer", None),
    ("GET", "/v1/prestatieafspraken?year=2025", "viewer", None),
    ("PUT", "/v1/prestatieafspraken/Nijmegen/Portaal/2025", "wbb", {"homes": 12}),
    ("POST", "/v1/pipeline/import", "admin", None),
    ("GET", "/v1/pipeline", "officer", None),
    ("POST", "/v1/scenarios/998/cancel", "officer", None),
    ("GET", "/v1/regional-runs", "viewer", None),
    ("GET", "/v1/regional-runs/999/proposal", "viewer", None),
    ("GET", "/v1/regional-runs/999/proposal.xlsx", "viewer", None),
    ("GET", "/v1/corporation/units", "corporation", None),
    ("GET", "/v1/corporation/offers", "corporation", None),
    ("POST", "/v1/corporation/units/U-none/events", "corporation", {"kind": "moved_in", "date": "2025-03-10"}),
]


def _template(path: str) -> str:
    path = path.replace("/v1/scenarios/998", "/v1/scenarios/{scenario_id}").split("?")[0]
    replacements = {"H-none": "{household_id}", "U-none": "{unit_id}", "999": "{run_id}", "tok-none": "{token_id}"}
    for old, new in replacements.items():
        path = path.replace(old, new)
    path = path.replace("/municipalities/Nijmegen/", "/municipalities/{municipality}/")
    path = path.replace("/prestatieafspraken/Nijmegen/Portaal/2025", "/prestatieafspraken/{municipality}/{corporation}/{year}")
    return path.replace("Nijmegen/2025-H1", "{municipality}/{half_year}")


def test_the_table_covers_every_endpoint() -> None:
    """Every operation in the OpenAPI document appears in the access table (and /healthz and /readyz are open)."""
    spec = create_app().openapi()
    operations = {(method.upper(), path) for path, item in spec["paths"].items() for method in item}
    table = {(method, _template(path)) for method, path, _, _ in ENDPOINTS}
    assert operations - {("GET", "/healthz"), ("GET", "/readyz")} == table


@pytest.mark.parametrize(("method", "path", "lowest", "body"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _, _ in ENDPOINTS])
def test_roles_allowed_and_refused(service: Service, method: str, path: str, lowest: str, body: Any) -> None:
    """No token: 401. A role below the lowest allowed: 403. That role and higher: neither. The
    corporation role, outside the ladder: only the corporation's own operations (and "any",
    who is calling), which every other role is refused."""
    kwargs: dict[str, Any] = {} if body is None else {"json": body}
    error_of(service.client.request(method, path, **kwargs), 401)
    error_of(service.client.request(method, path, headers={"Authorization": "Bearer wbb_nope"}, **kwargs), 401)
    for role in (*ROLES, CORPORATION):
        response = service.client.request(method, path, headers=service.auth(role), **kwargs)
        if lowest == "any":
            refused = False
        elif CORPORATION in (role, lowest):
            refused = role != lowest
        else:
            refused = ROLES.index(role) < ROLES.index(lowest)
        if refused:
            assert error_of(response, 403)["code"] == "forbidden", role
        else:
            assert response.status_code not in (401, 403), (role, response.text)


def test_healthz_needs_no_token(service: Service) -> None:
    """/healthz answers without a token and says nothing about the data."""
    response = service.client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok", "database": "ok"}


def test_token_created_by_api_works_and_revoked_token_is_refused(service: Service) -> None:
    """A token made over the API works at once; after revoking it answers 401."""
    created = service.client.post("/v1/tokens", headers=service.auth("admin"), json={"role": "viewer", "owner": "T. Tester"})
    assert created.status_code == 201
    token = created.json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert service.client.get("/v1/households", headers=headers).status_code == 200
    listed = service.client.get("/v1/tokens", headers=service.auth("admin")).json()
    assert token not in str(listed) and any(t["id"] == created.json()["id"] for t in listed)
    assert service.client.delete(f"/v1/tokens/{created.json()['id']}", headers=service.auth("admin")).status_code == 204
    error_of(service.client.get("/v1/households", headers=headers), 401)


def test_scoped_admin_cannot_make_unscoped_tokens(service: Service) -> None:
    """An admin token for Nijmegen may only create Nijmegen tokens, and may not read the audit log."""
    error_of(
        service.client.post("/v1/tokens", headers=service.auth("admin@Nijmegen"), json={"role": "admin", "owner": "T. Tester"}),
        403,
    )
    body = {"role": "viewer", "municipality": "Nijmegen", "owner": "T. Tester"}
    assert service.client.post("/v1/tokens", headers=service.auth("admin@Nijmegen"), json=body).status_code == 201
    error_of(service.client.get("/v1/audit", headers=service.auth("admin@Nijmegen")), 403)


def test_cli_token_create_prints_a_working_token_stored_as_hash(service: Service) -> None:
    """`matcher token create` prints a token that the running service accepts; the database holds only its hash."""
    from sqlalchemy import create_engine, text

    from api.settings import sqlalchemy_url

    result = subprocess.run(
        [sys.executable, "-m", "cli", "token", "create", "--role", "wbb", "--owner", "M. Bakker", "--municipality", "Nijmegen"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": service.url},
    )
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    response = service.client.get("/v1/runs", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    engine = create_engine(sqlalchemy_url(service.url))
    with engine.connect() as connection:
        stored = [tuple(r) for r in connection.execute(text("SELECT secret_sha256, role, municipality FROM tokens"))]
    engine.dispose()
    assert (hashlib.sha256(token.encode()).hexdigest(), "wbb", "Nijmegen") in stored
    assert not any(token in str(row) for row in stored)
