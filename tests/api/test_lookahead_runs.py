"""Proposal runs that look ahead: the forecast comes from recent weeks or from an officer, and is stored with the run."""

from __future__ import annotations

import datetime as dt
from typing import Any

from service_helpers import Service, csv_rows, load_example, policy, proposal, start_run

LOOKAHEAD = [{"placed_persons": 10, "lookahead": 2, "long_wait": 65, "vulnerable": 3}, {"waiting_days": 1}]
PLANNING = dt.date(2025, 3, 3)


def _expected_household_rates() -> dict[tuple[int, int], float]:
    """The example's koppelingen of the 13 weeks before the planning date, per size and nareizigers, per week."""
    start = PLANNING - dt.timedelta(weeks=13)
    counts: dict[tuple[int, int], int] = {}
    for row in csv_rows("households.csv"):
        if start <= dt.date.fromisoformat(row["koppeling_date"]) < PLANNING:
            key = (int(row["adults"]) + int(row["children"]), int(row.get("expected_reunification") or 0))
            counts[key] = counts.get(key, 0) + 1
    return {key: round(count / 13, 6) for key, count in counts.items()}


def test_run_without_forecast_gets_the_recent_weeks(service: Service) -> None:
    """A run whose policy names lookahead and brings no forecast is solved with the koppelingen and homes of the
    13 weeks before its planning date, per week; the run's stored policy shows that forecast and the proposal
    carries the fluid model built on it."""
    load_example(service.client, service.auth("admin"))
    run = start_run(service.client, service.auth("wbb"), {"policy": policy() | {"objective": LOOKAHEAD, "long_wait_weeks": 40}})
    assert run["status"] == "done", run
    forecast = run["policy"]["forecast"]
    assert forecast["source"] == "recent_weeks" and forecast["weeks"] == 4
    rates = {(x["persons"], x["expected_reunification"]): x["per_week"] for x in forecast["households"]}
    assert rates == _expected_household_rates() and rates
    document = proposal(service.client, service.auth("wbb"), run["id"])
    model = document["lookahead"]
    assert model["source"] == "recent_weeks" and model["weeks"] == 4
    in_model = {(x["persons"], x["future_size"]): x["per_week"] for x in model["household_classes"]}
    for (persons, expected), rate in rates.items():
        assert in_model[(persons, persons + expected)] >= rate


def test_officer_forecast_is_kept_as_sent(service: Service) -> None:
    """An officer's forecast (households and homes of their own) is used and stored as sent."""
    load_example(service.client, service.auth("admin"))
    mine: dict[str, Any] = {
        "weeks": 6,
        "source": "officer",
        "households": [{"persons": 5, "per_week": 1.3}],
        "units": [{"min_occupants": 3, "max_occupants": 8, "per_week": 0.2}],
    }
    run = start_run(service.client, service.auth("wbb"), {"policy": policy() | {"objective": LOOKAHEAD, "forecast": mine}})
    assert run["status"] == "done"
    assert run["policy"]["forecast"] == mine
    model = proposal(service.client, service.auth("wbb"), run["id"])["lookahead"]
    five = next(x for x in model["household_classes"] if (x["persons"], x["future_size"]) == (5, 5))
    assert five["per_week"] == 1.3 and model["weeks"] == 6


def test_policy_without_the_term_gets_no_forecast(service: Service) -> None:
    """A policy that does not look ahead is stored without a forecast, and its proposal has no lookahead section."""
    load_example(service.client, service.auth("admin"))
    run = start_run(service.client, service.auth("wbb"))
    assert "forecast" not in run["policy"]
    assert "lookahead" not in proposal(service.client, service.auth("wbb"), run["id"])


def test_viewer_sees_the_lookahead_without_needs(service: Service) -> None:
    """The look-ahead's section holds counts per size only: a viewer's proposal carries it, and nothing in it
    names a vulnerability."""
    load_example(service.client, service.auth("admin"))
    run = start_run(service.client, service.auth("wbb"), {"policy": policy() | {"objective": LOOKAHEAD}})
    section = proposal(service.client, service.auth("viewer"), run["id"])["lookahead"]
    text = str(section).lower()
    for need in ("wheelchair", "mobility", "medical", "lgbtiq", "psychosocial", "ex_amv", "rolstoel", "kwetsba"):
        assert need not in text
