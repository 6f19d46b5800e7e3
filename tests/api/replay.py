"""A simulated year fed through the running service, step by step, as a municipality would
record it: the koppelingen of a week as one import, homes put on offer as one import, a run
each week, the WBB's accepts as decisions, and every event of a household's case (offer
refused, moved in, moved out, nareizigers expected and arrived, documents complete, left)
and every home that goes back to the market (withdrawn) through the endpoints the pages
use. The simulator's journal (``matcher.simulate.journal``) says what happened.

``replay`` checks each week's run against the simulator's as it goes (the same households,
units, excluded pairs and proposed pairs) and returns what the service reports at the end:
the taakstelling per half year and the households per state.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

import httpx

from matcher.simulate.journal import Entry
from matcher.simulate.simulator import Simulation, half_year_start

DECIDED_BY = "Replay"


@dataclass
class Replayed:
    """What the service said at the end, and how the replay went."""

    taakstelling: dict[str, Any]
    states: dict[str, int]
    runs: int = 0
    requests: int = 0
    seconds: float = 0.0
    kinds: dict[str, int] = field(default_factory=dict)


class Client:
    """The service over HTTP with the tokens of each role; every answer is checked."""

    def __init__(self, http: httpx.Client, tokens: dict[str, str]) -> None:
        self.http, self.tokens, self.requests = http, tokens, 0

    def call(self, method: str, path: str, role: str, expect: int = 200, **options: Any) -> Any:
        self.requests += 1
        response = self.http.request(method, path, headers={"Authorization": f"Bearer {self.tokens[role]}"}, **options)
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def household_rows(simulation: Simulation, entries: list[Entry]) -> list[dict[str, Any]]:
    """The households of a week's koppelingen as an import sends them: the world's row with the
    columns the case sets (where a household lives is never imported; an unknown date is left out)."""
    rows = {str(r["household_id"]): r for r in simulation.world.household_rows}
    out = []
    for entry in entries:
        assert entry.household_id is not None
        changes = {k: _json(v) for k, v in entry.data.items() if k != "current_unit_id" and v is not None}
        out.append({**rows[entry.household_id], **changes})
    return out


def unit_rows(simulation: Simulation, entries: list[Entry]) -> list[dict[str, Any]]:
    """The units put on offer in a week, available from that week, with their stay limit."""
    rows = {str(r["unit_id"]): r for r in simulation.world.unit_rows}
    out = []
    for entry in entries:
        assert entry.unit_id is not None
        row = {**rows[entry.unit_id], "available_from": entry.date.isoformat()}
        if entry.data.get("stay_limit_weeks") is not None:
            row["stay_limit_weeks"] = entry.data["stay_limit_weeks"]
        out.append(row)
    return out


def _wait(client: Client, run_id: int, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        run: dict[str, Any] = client.call("GET", f"/v1/runs/{run_id}", "viewer")
        if run["status"] in ("done", "failed"):
            assert run["status"] == "done", run
            return run
        assert time.monotonic() < deadline, f"run {run_id} still {run['status']}"
        time.sleep(0.02)


def _batches(journal: list[Entry]) -> Iterator[tuple[str, list[Entry]]]:
    """The journal with the koppelingen and new units of one week taken together (one import each)."""
    for (_, kind), group in groupby(journal, key=lambda e: (e.week, e.kind)):
        entries = list(group)
        if kind in ("koppeling", "unit"):
            yield kind, entries
        else:
            yield from ((kind, [entry]) for entry in entries)


def replay(simulation: Simulation, client: Client, targets: dict[str, int], peildatum: dt.date) -> Replayed:
    """Feed the simulation's journal to the service (see the module docstring); the targets are
    set first, per half year (``2025-H1``), and the taakstelling is read at ``peildatum``."""
    assert simulation.journal is not None
    started = time.perf_counter()
    for half_year, persons in targets.items():
        client.call("PUT", f"/v1/taakstelling/Nijmegen/{half_year}", "wbb", json={"persons": persons})
    run_id = 0
    runs = 0
    kinds: dict[str, int] = {}
    for kind, entries in _batches(simulation.journal):
        kinds[kind] = kinds.get(kind, 0) + len(entries)
        entry = entries[0]
        day = entry.date.isoformat()
        household = f"/v1/households/{entry.household_id}/events"
        match kind:
            case "koppeling":
                answer = client.call("POST", "/v1/households/batch", "admin", json={"rows": household_rows(simulation, entries)})
                assert answer["created"] == len(entries), answer
            case "unit":
                answer = client.call("POST", "/v1/units/batch", "admin", json={"rows": unit_rows(simulation, entries)})
                assert answer["created"] == len(entries), answer
            case "run":
                run_id = _run(client, entry)
                runs += 1
            case "accept":
                body = {"household_id": entry.household_id, "unit_id": entry.unit_id, "kind": "accept"}
                client.call("POST", f"/v1/runs/{run_id}/decisions", "wbb", 201, json=body | {"housed_on": day})
            case "withdrawn":
                body = {"kind": "withdrawn", "date": day, "reason": entry.data["reason"], "by": "corporation"}
                client.call("POST", f"/v1/units/{entry.unit_id}/events", "wbb", 201, json=body)
            case _:
                fields = {k: v for k, v in entry.data.items() if v is not None}
                recorded = client.call("POST", household, "wbb", 201, json={"kind": kind, "date": day, **fields})
                if entry.unit_id is not None:
                    assert recorded["unit_id"] == entry.unit_id, (entry, recorded)
    taakstelling = client.call("GET", f"/v1/taakstelling?on={peildatum.isoformat()}", "viewer")
    states = client.call("GET", "/v1/dashboard", "viewer")["states"]
    return Replayed(taakstelling, states, runs, client.requests, time.perf_counter() - started, kinds)


def _run(client: Client, entry: Entry) -> int:
    """The week's run with the simulator's policy (the service adds the refused offers itself,
    and no earlier pairs); asserts it saw what the simulator saw and proposed the same pairs."""
    policy = {**entry.data["policy"], "previous_pairs": []}
    started = client.call("POST", "/v1/runs", "wbb", 202, json={"policy": policy})
    run = _wait(client, started["id"])
    week = f"week {entry.week} ({entry.date.isoformat()})"
    assert (run["households"], run["units"]) == (len(entry.data["households"]), len(entry.data["units"])), week
    excluded = {tuple(pair) for pair in run["policy"].get("excluded_pairs", [])}
    assert excluded == {tuple(pair) for pair in entry.data["excluded_pairs"]}, week
    document = client.call("GET", f"/v1/runs/{run['id']}/proposal", "viewer")
    pairs = sorted([m["household_id"], m["unit_id"]] for m in document["matches"])
    assert pairs == entry.data["pairs"], week
    return int(run["id"])


def simulated_half_years(simulation: Simulation, weekly: dict[str, list[float]]) -> dict[str, dict[str, int]]:
    """Per half year (``2025-H1``) the simulator's persons housed, and its remaining taakstelling and
    households waiting at the last simulated week of the half year."""
    out: dict[str, dict[str, int]] = {}
    for week in range(simulation.scenario.horizon_weeks):
        start = half_year_start(simulation.scenario.week_date(week))
        name = f"{start.year}-H{1 if start.month == 1 else 2}"
        half = out.setdefault(name, {"realised": 0})
        half["realised"] += int(weekly["persons_housed"][week])
        half["remaining"] = int(weekly["taakstelling_remaining"][week])
        half["waiting_households"] = int(weekly["pool_households"][week])
    return out


def targets_of(simulation: Simulation) -> dict[str, int]:
    """The simulator's target per half year as the service is told it: the first half year's
    target includes the backlog carried in and is pro rata from the start date (as the
    simulator counts it); the service carries what is left over itself."""
    scenario = simulation.scenario
    out: dict[str, int] = {}
    first = True
    for week in range(scenario.horizon_weeks):
        start = half_year_start(scenario.week_date(week))
        name = f"{start.year}-H{1 if start.month == 1 else 2}"
        if name not in out:
            out[name] = simulation.weekly["taakstelling_target"][0] if first else scenario.taakstelling.persons_per_half_year
            first = False
    return {k: int(v) for k, v in out.items()}
