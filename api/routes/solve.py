"""``POST /v1/solve``: the CLI's ``propose`` over HTTP, stateless."""

from __future__ import annotations

import logging
import time
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api import audit
from api.deps import Officer, SessionDep, SettingsDep
from api.errors import invalid_input, responses
from api.pool import check_rows
from api.schemas import Lang, SolveRequest, Strategy
from matcher.errors import InputError

router = APIRouter(prefix="/v1", tags=["solve"])
log = logging.getLogger(__name__)


@router.post(
    "/solve",
    summary="Solve the given inputs (nothing is stored)",
    response_description="proposal/v1, byte for byte what `matcher propose` writes for the same inputs",
    responses={
        200: {"content": {"application/json": {"example": {"format": "proposal/v1", "status": "optimal", "matches": []}}}},
        **responses(401, 403, 413, 422),
    },
)
def solve_inputs(
    body: SolveRequest,
    caller: Officer,
    session: SessionDep,
    settings: SettingsDep,
    strategy: Annotated[Strategy, Query(description="optimise, or fifo: oldest koppeling first")] = "optimise",
    lang: Annotated[Lang | None, Query(description="language of the explanations (default: the policy's, nl)")] = None,
    what_it_would_take: Annotated[
        bool, Query(description="for every unmatched household, the smallest single change that places it (slower)")
    ] = False,
) -> Response:
    """Rows as in households.csv and units.csv, one JSON object each (lists as arrays, booleans
    as booleans, dates as ISO strings, optional fields left out or null), and the policy.
    Row numbers in errors count as a spreadsheet does: the first row is row 2. The query
    options are the CLI's ``--strategy``, ``--lang`` and ``--what-it-would-take``."""
    from matcher import build_instance, solve

    started = time.perf_counter()
    try:
        check_rows(body.households, "households", settings.max_households_rows)
        check_rows(body.units, "units", settings.max_units_rows)
        instance = build_instance(
            body.households,
            body.units,
            body.policy or {},
            households_source="households",
            units_source="units",
            policy_source="policy",
        )
        result = solve(instance, strategy, started=started)
    except InputError as error:
        raise invalid_input(error) from None
    proposal = result.proposal(lang, what_it_would_take)
    audit.record_by(session, caller, "solve", "input", [instance.input_sha256])
    log.info("solve: %d households, %d units, %d matches", instance.n_households, instance.n_units, len(proposal.matches))
    return Response(proposal.to_json(), media_type="application/json")
