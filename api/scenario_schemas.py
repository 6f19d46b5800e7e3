"""Request and response bodies of the what-if scenario runs (``/v1/scenarios``)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import Page

SCENARIO_EXAMPLE: dict[str, Any] = {
    "name": "ndw21-flexwoningen",
    "horizon_weeks": 26,
    "events": [
        {
            "kind": "add_units",
            "date": "2025-06-02",
            "count": 50,
            "unit_type": "flex",
            "neighbourhood": "Lankforst",
            "max_occupants": 2,
            "rent": 520,
        }
    ],
}


class ScenarioCreate(BaseModel):
    """A scenario exactly as in a scenario file (docs/simulation.md), and how many replicates to run."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"scenario": SCENARIO_EXAMPLE, "replicates": 20}]})

    scenario: dict[str, Any] = Field(
        description="the scenario's fields (every field optional); a complete scenario: no base file, no start files"
    )
    replicates: int = Field(20, ge=1, description="random replicates; figures are means with 10-90% bands over them")


class ScenarioRunSummary(BaseModel):
    """A scenario run's job state, without the scenario and the result."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    scope: str | None = Field(description="municipality of the token that started it; null: none")
    status: Literal["queued", "running", "done", "failed", "cancelled"] = Field(
        description="cancelled: stopped on request (POST /v1/scenarios/{id}/cancel); result then holds what was done"
    )
    stage: str
    progress: float = Field(ge=0, le=1)
    replicates: int
    replicates_done: int = Field(
        ge=0, description="replicates the result is over: while running and when cancelled the first k, as they finish"
    )
    seconds_left: float | None = Field(
        description="while running: a rough estimate of the seconds until all replicates are done; null otherwise"
    )
    horizon_weeks: int
    seed: int
    created_at: dt.datetime
    created_by: str
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    error: str | None
    problems: list[dict[str, Any]] | None


class ScenarioRunPublic(ScenarioRunSummary):
    """A scenario run with the resolved scenario and, when done, the result."""

    scenario: dict[str, Any] = Field(description="the scenario with every default filled in")
    result: dict[str, Any] | None = Field(
        description=(
            "simulation-result/v1 when done: per strategy and KPI the weekly mean, p10, p50 and p90 (`weekly`), "
            "end figures with bands (`summary`), optimiser minus FIFO, hindsight, placements per wijk; while running "
            "(and when cancelled) the same over the replicates done so far, with `partial`: replicates_done, "
            "replicates_requested, seconds_left"
        )
    )


class ScenarioRunList(Page):
    items: list[ScenarioRunSummary]


class ScenarioComparison(BaseModel):
    """A variant against its base: per strategy and end figure the two bands and the difference per replicate."""

    base_id: int
    variant_id: int
    paired: bool = Field(description="same seed: replicate k of both saw the same arrivals, so differences are paired")
    partial: bool = Field(
        description="a run is still running or was cancelled: the figures are over the replicates done (comparison.replicates)"
    )
    comparison: dict[str, Any] = Field(description="per strategy and figure: base, variant and difference (variant - base)")
