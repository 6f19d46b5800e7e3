"""Authorisation, proved over the OpenAPI document: one explicit table says who may call each
operation (anything not in it is denied to everyone), every operation is tried with every kind
of token, a municipality's token never reaches another municipality's ids, fields the service
owns cannot be sent, and a refused input is never echoed back."""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from service_helpers import EXAMPLE as EXAMPLE_DIR
from service_helpers import Service, csv_rows, error_of, load_example, typed

from api.app import create_app
from api.auth import CORPORATION, ROLES, create_token
from api.db import make_engine, make_sessionmaker, session_scope
from api.models import Run, ScenarioRun

# Who may call what: the lowest role, "public" (no token), "any" (every role, the
# corporation's too), or "admin-unscoped" (admin without a municipality). An operation
# missing here is expected to refuse every token.
ACCESS: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): "public",
    ("GET", "/readyz"): "public",
    ("POST", "/v1/solve"): "officer",
    ("POST", "/v1/households/import"): "admin",
    ("POST", "/v1/households/batch"): "admin",
    ("GET", "/v1/households"): "viewer",
    ("GET", "/v1/households/{household_id}"): "viewer",
    ("PATCH", "/v1/households/{household_id}"): "admin",
    ("DELETE", "/v1/households/{household_id}"): "admin",
    ("POST", "/v1/households/{household_id}/events"): "wbb",
    ("GET", "/v1/households/{household_id}/timeline"): "viewer",
    ("POST", "/v1/units/import"): "admin",
    ("POST", "/v1/units/batch"): "admin",
    ("POST", "/v1/pool/import"): "admin",
    ("GET", "/v1/units"): "viewer",
    ("GET", "/v1/units/{unit_id}"): "viewer",
    ("PATCH", "/v1/units/{unit_id}"): "admin",
    ("DELETE", "/v1/units/{unit_id}"): "admin",
    ("POST", "/v1/units/{unit_id}/events"): "wbb",
    ("GET", "/v1/units/{unit_id}/events"): "viewer",
    ("POST", "/v1/runs"): "wbb",
    ("GET", "/v1/runs"): "viewer",
    ("GET", "/v1/runs/{run_id}"): "viewer",
    ("GET", "/v1/runs/{run_id}/proposal"): "viewer",
    ("GET", "/v1/runs/{run_id}/proposal.xlsx"): "viewer",
    ("GET", "/v1/runs/{run_id}/diff"): "viewer",
    ("POST", "/v1/runs/{run_id}/decisions"): "wbb",
    ("GET", "/v1/runs/{run_id}/decisions"): "viewer",
    ("GET", "/v1/regional-runs"): "viewer",
    ("GET", "/v1/regional-runs/{run_id}/proposal"): "viewer",
    ("GET", "/v1/regional-runs/{run_id}/proposal.xlsx"): "viewer",
    ("GET", "/v1/decisions"): "viewer",
    ("GET", "/v1/taakstelling"): "viewer",
    ("GET", "/v1/taakstelling/report.xlsx"): "viewer",
    ("PUT", "/v1/taakstelling/{municipality}/{half_year}"): "wbb",
    ("POST", "/v1/pipeline/import"): "admin",
    ("GET", "/v1/pipeline"): "officer",
    ("GET", "/v1/municipalities/{municipality}/settings"): "viewer",
    ("PUT", "/v1/municipalities/{municipality}/settings"): "wbb",
    ("POST", "/v1/tokens"): "admin",
    ("GET", "/v1/tokens"): "admin",
    ("DELETE", "/v1/tokens/{token_id}"): "admin",
    ("POST", "/v1/tokens/revoke"): "admin",
    ("GET", "/v1/audit"): "admin-unscoped",
    ("GET", "/v1/audit/override-rate"): "viewer",
    ("POST", "/v1/scenarios"): "officer",
    ("GET", "/v1/scenarios"): "viewer",
    ("GET", "/v1/scenarios/compare"): "viewer",
    ("GET", "/v1/scenarios/{scenario_id}"): "viewer",
    ("POST", "/v1/scenarios/{scenario_id}/cancel"): "officer",
    ("GET", "/v1/me"): "any",
    ("GET", "/v1/dashboard"): "viewer",
    ("GET", "/v1/prestatieafspraken"): "viewer",
    ("PUT", "/v1/prestatieafspraken/{municipality}/{corporation}/{year}"): "wbb",
    ("GET", "/v1/corporation/units"): "corporation",
    ("GET", "/v1/corporation/offers"): "corporation",
    ("POST", "/v1/corporation/units/{unit_id}/events"): "corporation",
}
SAMPLE_PARAMS = {
    "household_id": "H-none",
    "unit_id": "U-none",
    "run_id": "999",
    "scenario_id": "998",
    "token_id": "tok-none",
    "municipality": "Nijmegen",
    "half_year": "2025-H1",
    "corporation": "Portaal",
    "year": "2025",
}
SAMPLE_QUERY = {
    "/v1/scenarios/compare": {"base": 998, "variant": 997},
    "/v1/runs/{run_id}/diff": {"against": 1},
    "/v1/prestatieafspraken": {"year": 2025},
}
SAMPLE_BODY: dict[tuple[str, str], Any] = {
    ("POST", "/v1/solve"): {"households": [], "units": []},
    ("POST", "/v1/households/batch"): {"rows": []},
    ("PATCH", "/v1/households/{household_id}"): {},
    ("POST", "/v1/units/batch"): {"rows": []},
    ("PATCH", "/v1/units/{unit_id}"): {},
    ("POST", "/v1/runs"): {"policy": {"planning_date": "2025-03-03"}},
    ("POST", "/v1/runs/{run_id}/decisions"): {"household_id": "H", "unit_id": "U", "kind": "pin"},
    ("PUT", "/v1/taakstelling/{municipality}/{half_year}"): {"persons": 1},
    ("POST", "/v1/households/{household_id}/events"): {"kind": "moved_in", "date": "2025-03-10"},
    ("POST", "/v1/units/{unit_id}/events"): {"kind": "withdrawn", "date": "2025-03-10", "reason": "other", "by": "wbb"},
    ("PUT", "/v1/municipalities/{municipality}/settings"): {"count_family_arrivals": True},
    ("POST", "/v1/tokens"): {"role": "viewer", "municipality": "Nijmegen", "owner": "T. Tester"},
    ("POST", "/v1/scenarios"): {"scenario": {"horizon_weeks": 0}},
    ("POST", "/v1/tokens/revoke"): {"owner": "Niemand Bekend"},
    ("PUT", "/v1/prestatieafspraken/{municipality}/{corporation}/{year}"): {"homes": 1},
    ("POST", "/v1/corporation/units/{unit_id}/events"): {"kind": "moved_in", "date": "2025-03-10"},
}
UPLOADS = {
    ("POST", "/v1/households/import"),
    ("POST", "/v1/units/import"),
    ("POST", "/v1/pool/import"),
    ("POST", "/v1/pipeline/import"),
}
WHO = ["none", "revoked", *ROLES, *(f"{role}@Nijmegen" for role in ROLES), CORPORATION, f"{CORPORATION}@Nijmegen"]


def _operations() -> list[tuple[str, str]]:
    spec = create_app().openapi()
    return sorted((method.upper(), path) for path, item in spec["paths"].items() for method in item)


def _expected(rule: str | None, who: str) -> int | None:
    """The status class expected: 401, 403, or None for 'let through'."""
    if rule == "public":
        return None
    if who in ("none", "revoked"):
        return 401
    if rule is None:
        return 403  # default deny
    if rule == "any":
        return None
    role, _, municipality = who.partition("@")
    lowest = "admin" if rule == "admin-unscoped" else rule
    if CORPORATION in (role, lowest):  # outside the ladder: its own operations only, and no one else's
        return None if role == lowest else 403
    if ROLES.index(role) < ROLES.index(lowest) or (rule == "admin-unscoped" and municipality):
        return 403
    return None


def _call(service: Service, method: str, template: str, headers: dict[str, str]) -> Any:
    path = template.format(**SAMPLE_PARAMS)
    kwargs: dict[str, Any] = {"headers": headers, "params": SAMPLE_QUERY.get(template)}
    if (method, template) in UPLOADS:
        kwargs["files"] = {"households" if "pool" in template else "file": ("empty.csv", b"", "text/csv")}
    elif (method, template) in SAMPLE_BODY:
        kwargs["json"] = SAMPLE_BODY[(method, template)]
    return service.client.request(method, path, **kwargs)


def test_every_operation_is_in_the_access_table() -> None:
    """The table names exactly the operations of the OpenAPI document (none missing, none stale)."""
    assert set(_operations()) == set(ACCESS)


def test_role_operation_matrix_has_no_mismatch(service: Service) -> None:
    """Every operation x (no token, a revoked token, each role, each role scoped to a municipality):
    401/403 exactly where the table (default deny) says so, and never where it allows."""
    created = service.client.post(
        "/v1/tokens", headers=service.auth("admin"), json={"role": "admin", "owner": "T. Tester"}
    ).json()
    assert service.client.delete(f"/v1/tokens/{created['id']}", headers=service.auth("admin")).status_code == 204
    secrets = service.tokens | {"revoked": created["token"]}
    mismatches = []
    for method, template in _operations():
        for who in WHO:
            headers = {} if who == "none" else {"Authorization": f"Bearer {secrets[who]}"}
            got = _call(service, method, template, headers).status_code
            expected = _expected(ACCESS.get((method, template)), who)
            refused = got if got in (401, 403) else None
            if refused != expected:
                mismatches.append((method, template, who, expected, got))
    assert mismatches == []


def test_default_deny_for_an_operation_not_in_the_table() -> None:
    """An operation the table does not know is expected to refuse every token (401 or 403)."""
    assert {_expected(None, who) for who in WHO} == {401, 403}


# -- one municipality never reaches another's ids -------------------------------------------

OTHER = "Arnhem"


def _seed_other_municipality(service: Service) -> dict[str, list[str]]:
    """The example week for Nijmegen, a copy for Arnhem, and Arnhem's runs, scenario run and tokens."""
    load_example(service.client, service.auth("admin"))
    households = [typed(r) | {"household_id": "A" + r["household_id"], "municipality": OTHER} for r in csv_rows("households.csv")]
    units = [
        typed(r) | {"unit_id": "A" + r["unit_id"], "municipality": OTHER, "neighbourhood": "A-" + r["neighbourhood"]}
        for r in csv_rows("units.csv")
    ]
    for kind, rows in (("households", households), ("units", units)):
        response = service.client.post(f"/v1/{kind}/batch", headers=service.auth("admin"), json={"rows": rows[:20]})
        assert response.status_code == 200, response.text
    engine = make_engine(service.url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            runs = [
                Run(scope=OTHER, created_by="t", status=s, stage=s, progress=1.0, policy={}, snapshot={}, proposal_json="{}")
                for s in ("done", "failed")
            ]
            scenario = ScenarioRun(
                scope=OTHER, name="x", created_by="t", status="done", stage="done", progress=1.0, replicates=1, scenario={}
            )
            session.add_all([*runs, scenario])
            tokens = [create_token(session, role, OTHER, None, owner="Arnhem Beheer")[0] for role in ("viewer", "admin")]
            session.flush()
            ids = {
                "run_id": [str(r.id) for r in runs],
                "scenario_id": [str(scenario.id)],
                "token_id": [t.id for t in tokens],
            }
    finally:
        engine.dispose()
    return ids | {
        "household_id": [h["household_id"] for h in households[:20]],
        "unit_id": [u["unit_id"] for u in units[:20]],
        "municipality": [OTHER],
        "half_year": ["2025-H1"],
        "corporation": ["Portaal"],
        "year": ["2025"],
    }


def _id_operations() -> list[tuple[str, str]]:
    """Operations that take an id (a corporation's own ones are proved in test_corporations.py)."""
    return [(m, p) for m, p in _operations() if "{" in p and ACCESS.get((m, p)) != CORPORATION]


@pytest.fixture
def other(service: Service) -> dict[str, list[str]]:
    return _seed_other_municipality(service)


def test_scoped_token_gets_404_for_every_id_of_another_municipality(service: Service, other: dict[str, list[str]]) -> None:
    """Hypothesis draws an id-taking operation and ids of Arnhem; Nijmegen's admin token (the
    strongest scoped token) gets 404, worded as for an id that does not exist, and nothing changes."""
    before = {
        k: service.client.get(f"/v1/{k}?limit=1000", headers=service.auth("admin")).json()["total"]
        for k in ("households", "units")
    }

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(operation=st.sampled_from(_id_operations()), data=st.data())
    def check(operation: tuple[str, str], data: st.DataObject) -> None:
        method, template = operation
        names = [part[1:-1] for part in template.split("/") if part.startswith("{")]
        values = {name: data.draw(st.sampled_from(other[name]), label=name) for name in names}
        missing = {
            name: (
                "2025-H1"
                if name == "half_year"
                else "2025"
                if name == "year"
                else "999999"
                if name.endswith("run_id") or name == "scenario_id"
                else "Nowhere"
            )
            for name in names
        }
        body = SAMPLE_BODY.get(operation)
        if template.endswith("/decisions") and method == "POST":
            body = {"household_id": other["household_id"][0], "unit_id": other["unit_id"][0], "kind": "pin"}
        headers = service.auth("admin@Nijmegen")
        query = SAMPLE_QUERY.get(template)
        response = service.client.request(method, template.format(**values), headers=headers, json=body, params=query)
        reference = service.client.request(method, template.format(**missing), headers=headers, json=body, params=query)
        message = error_of(response, 404)["message"]
        expected = error_of(reference, 404)["message"]
        for name in names:
            expected = expected.replace(missing[name], values[name])
        assert message == expected

    check()
    after = {
        k: service.client.get(f"/v1/{k}?limit=1000", headers=service.auth("admin")).json()["total"]
        for k in ("households", "units")
    }
    assert after == before
    tokens = {t["id"]: t["revoked"] for t in service.client.get("/v1/tokens", headers=service.auth("admin")).json()}
    assert all(tokens[t] is False for t in other["token_id"])


def test_compare_of_another_municipalitys_scenario_runs_is_404(service: Service, other: dict[str, list[str]]) -> None:
    """The compare operation takes its ids in the query: another municipality's ids are 404 too."""
    sid = other["scenario_id"][0]
    error_of(service.client.get(f"/v1/scenarios/compare?base={sid}&variant={sid}", headers=service.auth("viewer@Nijmegen")), 404)


def test_diff_against_another_municipalitys_run_is_404(service: Service, other: dict[str, list[str]]) -> None:
    """The run diff takes the earlier run in the query: a run of another municipality there is 404 as well."""
    run = service.client.post("/v1/runs", headers=service.auth("wbb@Nijmegen"), json={}).json()
    arnhem = other["run_id"][0]
    response = service.client.get(f"/v1/runs/{run['id']}/diff?against={arnhem}", headers=service.auth("viewer@Nijmegen"))
    assert error_of(response, 404)["message"] == f"Run {arnhem} not found."


# -- fields the service owns ------------------------------------------------------------------

SERVER_OWNED: list[tuple[str, str, str, dict[str, Any], str]] = [
    ("PATCH", "/v1/households/H-0001", "admin", {"status": "housed"}, "status"),
    ("PATCH", "/v1/households/H-0001", "admin", {"housed_on": "2025-03-10"}, "housed_on"),
    ("PATCH", "/v1/households/H-0001", "admin", {"created_at": "2020-01-01T00:00:00Z"}, "created_at"),
    ("PATCH", "/v1/households/H-0001", "admin", {"household_id": "H-9999"}, "household_id"),
    ("PATCH", "/v1/units/U-0001", "admin", {"status": "let"}, "status"),
    ("PATCH", "/v1/units/U-0001", "admin", {"beds_taken": 2}, "beds_taken"),
    ("PATCH", "/v1/units/U-0001", "admin", {"updated_at": "2020-01-01T00:00:00Z"}, "updated_at"),
    ("POST", "/v1/runs", "wbb", {"status": "done"}, "status"),
    ("POST", "/v1/runs", "wbb", {"created_by": "tok-other"}, "created_by"),
    ("POST", "/v1/runs", "wbb", {"id": 1}, "id"),
    ("POST", "/v1/tokens", "admin", {"role": "viewer", "owner": "T. Tester", "revoked": True}, "revoked"),
    ("POST", "/v1/tokens", "admin", {"role": "viewer", "owner": "T. Tester", "created_by": "tok-other"}, "created_by"),
    ("POST", "/v1/tokens", "admin", {"role": "viewer", "owner": "T. Tester", "id": "tok-mine"}, "id"),
    ("PUT", "/v1/taakstelling/Nijmegen/2025-H1", "wbb", {"persons": 3, "updated_by": "tok-other"}, "updated_by"),
    ("PUT", "/v1/taakstelling/Nijmegen/2025-H1", "wbb", {"persons": 3, "updated_at": "2020-01-01T00:00:00Z"}, "updated_at"),
]


@pytest.mark.parametrize(
    ("method", "path", "who", "body", "field"), SERVER_OWNED, ids=[f"{m} {p} {f}" for m, p, _, _, f in SERVER_OWNED]
)
def test_server_owned_fields_are_refused(
    service: Service, method: str, path: str, who: str, body: dict[str, Any], field: str
) -> None:
    """Sending a field the service sets itself (state, ids, who, when) is refused with 422 naming it; nothing is stored."""
    load_example(service.client, service.auth("admin"))
    audit_before = service.client.get("/v1/audit?limit=1", headers=service.auth("admin")).json()["total"]
    error = error_of(service.client.request(method, path, headers=service.auth(who), json=body), 422)
    assert [p["column"] for p in error["problems"]] == [field]
    assert service.client.get("/v1/audit?limit=1", headers=service.auth("admin")).json()["total"] == audit_before


def test_decision_fields_of_the_service_are_refused(service: Service) -> None:
    """A decision cannot carry the sending token, its own id or time: 422 naming each field."""
    body = {"household_id": "H", "unit_id": "U", "kind": "pin"}
    for field, value in (("created_by", "tok-other"), ("id", 7), ("created_at", "2020-01-01T00:00:00Z"), ("persons", 9)):
        error = error_of(
            service.client.post("/v1/runs/1/decisions", headers=service.auth("wbb"), json=body | {field: value}), 422
        )
        assert [p["column"] for p in error["problems"]] == [field]


@pytest.mark.parametrize("kind", ["households", "units"])
def test_import_rows_with_a_server_owned_column_are_refused(service: Service, kind: str) -> None:
    """An import (JSON rows or a file) with a column the service sets (status) is refused whole, naming the column."""
    rows = [typed(r) for r in csv_rows(f"{kind}.csv")][:3]
    rows[1]["status"] = "housed" if kind == "households" else "let"
    error = error_of(service.client.post(f"/v1/{kind}/batch", headers=service.auth("admin"), json={"rows": rows}), 422)
    assert [(p["row"], p["column"]) for p in error["problems"]] == [(3, "status")]
    text = (EXAMPLE_DIR / f"{kind}.csv").read_text().splitlines()
    text = [text[0] + ",status", *(line + ",waiting" for line in text[1:4])]
    upload = {"file": (f"{kind}.csv", io.BytesIO(("\n".join(text) + "\n").encode()), "text/csv")}
    error = error_of(service.client.post(f"/v1/{kind}/import", headers=service.auth("admin"), files=upload), 422)
    assert [(p["row"], p["column"]) for p in error["problems"]] == [(1, "status")]
    assert service.client.get(f"/v1/{kind}", headers=service.auth("admin")).json()["total"] == 0


# -- refused input is never echoed ----------------------------------------------------------

MARKER = "Zq7Marker"


def _marker_requests() -> list[tuple[str, str, str, dict[str, Any]]]:
    household = typed(csv_rows("households.csv")[0])
    unit = typed(csv_rows("units.csv")[0])
    csv_text = (EXAMPLE_DIR / "households.csv").read_text().splitlines()
    first = csv_text[1].split(",")
    first[3] = MARKER
    bad_csv = "\n".join([csv_text[0], ",".join(first)]) + "\n"
    return [
        ("POST", "/v1/households/batch", "admin", {"json": {"rows": [household | {"adults": MARKER}]}}),
        ("POST", "/v1/households/batch", "admin", {"json": {"rows": [household | {"gender": MARKER}]}}),
        ("POST", "/v1/households/batch", "admin", {"json": {"rows": [household | {"vulnerabilities": [MARKER]}]}}),
        ("POST", "/v1/households/batch", "admin", {"json": {"rows": [household | {"koppeling_date": MARKER}]}}),
        ("POST", "/v1/units/batch", "admin", {"json": {"rows": [unit | {"rent": MARKER}]}}),
        ("POST", "/v1/households/import", "admin", {"files": {"file": ("h.csv", bad_csv.encode(), "text/csv")}}),
        ("PATCH", "/v1/households/H-0001", "admin", {"json": {"head_age": MARKER}}),
        ("PATCH", "/v1/households/H-0001", "admin", {"json": {"head_age": 400, "gender": MARKER}}),
        ("POST", "/v1/solve", "officer", {"json": {"households": [household | {"children": MARKER}], "units": [unit]}}),
        ("POST", "/v1/solve", "officer", {"json": {"households": [], "units": [], "policy": {"objective": [{MARKER: 1}]}}}),
        ("POST", "/v1/runs", "wbb", {"json": {"policy": {"planning_date": MARKER}}}),
        ("POST", "/v1/runs", "wbb", {"json": {"strategy": MARKER}}),
        (
            "POST",
            "/v1/runs/1/decisions",
            "wbb",
            {"json": {"household_id": "H", "unit_id": "U", "kind": MARKER}},
        ),
        (
            "POST",
            "/v1/runs/1/decisions",
            "wbb",
            {"json": {"household_id": "H", "unit_id": "U", "kind": "pin", "decided_by": "1" + MARKER}},
        ),
        ("PUT", "/v1/taakstelling/Nijmegen/2025-H1", "wbb", {"json": {"persons": MARKER}}),
        ("PUT", f"/v1/taakstelling/Nijmegen/{MARKER}", "wbb", {"json": {"persons": 1}}),
        ("PUT", "/v1/prestatieafspraken/Nijmegen/Portaal/2025", "wbb", {"json": {"homes": MARKER}}),
        ("PUT", f"/v1/prestatieafspraken/Nijmegen/Portaal/{MARKER}", "wbb", {"json": {"homes": 1}}),
        ("PUT", f"/v1/prestatieafspraken/Nijmegen/%20{MARKER}/2025", "wbb", {"json": {"homes": 1}}),
        ("GET", f"/v1/prestatieafspraken?year={MARKER}", "viewer", {}),
        ("POST", "/v1/tokens", "admin", {"json": {"role": "viewer", "owner": "T. Tester", "corporation": MARKER}}),
        ("POST", "/v1/corporation/units/U-0003/events", "corporation", {"json": {"kind": MARKER, "date": "2025-03-10"}}),
        ("POST", "/v1/tokens", "admin", {"json": {"role": MARKER}}),
        ("POST", "/v1/scenarios", "officer", {"json": {"scenario": {"horizon_weeks": MARKER}}}),
        ("GET", f"/v1/runs/{MARKER}", "viewer", {}),
        ("GET", f"/v1/households?limit={MARKER}", "viewer", {}),
        ("GET", f"/v1/dashboard?on={MARKER}", "viewer", {}),
    ]


def test_refused_input_is_never_echoed(service: Service) -> None:
    """Bad values holding a unique marker, at every endpoint that takes input: each 422 names
    row and column but its body never contains the marker."""
    load_example(service.client, service.auth("admin"))
    echoed = []
    for method, path, who, kwargs in _marker_requests():
        response = service.client.request(method, path, headers=service.auth(who), **kwargs)
        error = error_of(response, 422)
        assert error["problems"], (method, path)
        if MARKER.lower() in response.text.lower():
            echoed.append((method, path, response.text))
    assert echoed == []


@pytest.mark.parametrize(
    "path",
    ["/v1/runs/99999999999999999999", "/v1/scenarios/99999999999999999999", "/v1/runs?offset=99999999999999999999",
     "/v1/households?offset=9999999999", "/v1/scenarios/compare?base=1&variant=99999999999999999999",
     "/v1/runs/1/diff?against=99999999999999999999"],
)  # fmt: skip
def test_ids_and_offsets_beyond_the_database_integer_are_422(service: Service, path: str) -> None:
    """A number too large for the database's integer column is refused as input (422), never a 500."""
    error_of(service.client.get(path, headers=service.auth("viewer")), 422)
