"""POST /v1/solve on arbitrary JSON rows and policies: always a proposal or a located 422, never a 500."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from service_helpers import Service

from matcher.input.policy import Policy
from matcher.input.tables import HOUSEHOLD_COLUMNS, UNIT_COLUMNS

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 12),
    st.floats(-5, 2000, allow_nan=False),
    st.sampled_from(
        ["", "Nijmegen", "Hatert", "2025-02-01", "2025-03-01", "social", "flex", "F", "M", "X", "ja", "drie", "=1+1"]
    ),
)
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3), st.dictionaries(st.text(max_size=3), SCALARS, max_size=2))


def _rows(columns: tuple[Any, ...], prefix: str) -> st.SearchStrategy[list[dict[str, Any]]]:
    names = [c.name for c in columns]
    row = st.fixed_dictionaries({}, optional={name: VALUES for name in names[1:]})
    ids = st.sampled_from([f"{prefix}-1", f"{prefix}-2", f"{prefix}-3", 7, None])
    return st.lists(st.tuples(ids, row).map(lambda pair: {names[0]: pair[0], **pair[1]}), max_size=4)


POLICY = st.fixed_dictionaries({}, optional={name: VALUES for name in list(Policy.model_fields)[:12]})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(households=_rows(HOUSEHOLD_COLUMNS, "H"), units=_rows(UNIT_COLUMNS, "U"), policy=POLICY)
def test_solve_answers_a_proposal_or_a_located_422(
    service: Service, households: list[dict[str, Any]], units: list[dict[str, Any]], policy: dict[str, Any]
) -> None:
    """Whatever the rows hold, the answer is 200 with a proposal or 422 with problems that each name a source."""
    response = service.client.post(
        "/v1/solve", headers=service.auth("officer"), json={"households": households, "units": units, "policy": policy}
    )
    assert response.status_code in (200, 422), response.text
    body = response.json()
    if response.status_code == 200:
        assert body["format"] == "proposal/v1"
    else:
        assert body["error"]["problems"] and all(p["source"] for p in body["error"]["problems"])
