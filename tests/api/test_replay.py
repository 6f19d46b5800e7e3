"""A simulated year replayed through the real service gives the simulator's figures exactly.

One replicate of a small, busy scenario (a year of koppelingen, homes and temporary places
coming free, short stays and moves, declined offers, nareizigers expected and arriving,
documents coming in, households leaving, homes going back to the market) is simulated with
its journal, then fed into ``matcher serve`` over HTTP on SQLite and on PostgreSQL
(``tests/api/replay.py``). Every week the service's run must see the same pool and propose
the same pairs; at the end its taakstelling per half year (persons realised, what remains,
households waiting) and its households per state must equal the simulator's.

The figures of the replay are written to ``test-artifacts/replay-<database>.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from replay import Client, replay, simulated_half_years, targets_of
from service_helpers import ROOT, make_tokens, server

from matcher.simulate.scenario import parse_scenario
from matcher.simulate.simulator import LEFT, PERMANENT, TEMPORARY, WAITING, Simulation
from matcher.simulate.world import build_world

SCENARIO: dict[str, Any] = {
    "name": "replay",
    "seed": 5,
    "horizon_weeks": 52,
    "inflow": {
        "koppelingen_per_week": 3.0,
        "leave_share_per_year": 0.15,
        "documents_incomplete_share": 0.15,
        "reunification": {"date_known_weeks": 6},
    },
    "vacancies": {"statushouder_share": 0.06, "flex_per_week": 0.5, "transit_per_week": 0.5, "shared_per_week": 0.3},
    "stays": {"flex_weeks": 12, "transit_weeks": 8},
    "decline_probability": 0.1,
    "policy": {"matcher": {"neighbourhood_caps": {"Hatert": 2}}},
    "strategies": ["optimise"],
    "hindsight": False,
}
ARTIFACTS = ROOT / "test-artifacts"


def _simulated() -> tuple[Simulation, dict[str, list[float]]]:
    scenario = parse_scenario(SCENARIO, "replay")
    simulation = Simulation(scenario, build_world(scenario, 0), 0, "optimise", record=True)
    return simulation, simulation.run().weekly


def test_a_simulated_year_replayed_through_the_service_gives_the_same_figures(database_url: str, tmp_path: Path) -> None:
    """Each week the service proposes exactly the simulator's pairs from the same pool; at the
    end the persons realised, the taakstelling remaining and the households waiting per half
    year, the persons housed in all, and the households per state are the simulator's."""
    simulation, weekly = _simulated()
    assert simulation.journal is not None
    kinds = {entry.kind for entry in simulation.journal}
    every = {"koppeling", "unit", "run", "accept", "offer_refused", "moved_in", "moved_out", "family_expected",
             "family_arrived", "documents_complete", "left", "withdrawn"}  # fmt: skip
    assert every <= kinds, every - kinds
    tokens = make_tokens(database_url)
    last = simulation.scenario.week_date(simulation.scenario.horizon_weeks - 1)
    with server({"DATABASE_URL": database_url}, cwd=tmp_path) as http:
        replayed = replay(simulation, Client(http, tokens), targets_of(simulation), last)

    expected = simulated_half_years(simulation, weekly)
    [nijmegen] = replayed.taakstelling["municipalities"]
    found = {
        h["half_year"]: {"realised": h["realised"], "remaining": h["remaining"], "waiting_households": h["waiting_households"]}
        for h in nijmegen["half_years"]
    }
    assert found == expected
    assert sum(h["realised"] for h in found.values()) == weekly["persons_housed_cum"][-1]
    status = simulation.status
    assert replayed.states == {
        "waiting": int((status == WAITING).sum() - (simulation.world.arrival_week >= simulation.scenario.horizon_weeks).sum()),
        "offered": 0,
        "housed": int((status == PERMANENT).sum()),
        "housed_temporary": int((status == TEMPORARY).sum()),
        "left": int((status == LEFT).sum()),
    }
    ARTIFACTS.mkdir(exist_ok=True)
    name = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    figures = {
        "database": name,
        "half_years": found,
        "persons_housed": weekly["persons_housed_cum"][-1],
        "states": replayed.states,
        "runs": replayed.runs,
        "requests": replayed.requests,
        "seconds": round(replayed.seconds, 1),
        "steps": replayed.kinds,
    }
    (ARTIFACTS / f"replay-{name}.json").write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
