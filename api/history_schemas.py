"""Response bodies of the run history: the difference between two runs (``/v1/runs/{id}/diff``)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

GoneReason = Literal[
    "declined",
    "offer_refused",
    "excluded",
    "housed",
    "household_left",
    "unit_let",
    "unit_withdrawn",
    "pinned_elsewhere",
    "household_changed",
    "unit_changed",
    "outranked",
]
NewReason = Literal["new_household", "new_unit", "pinned", "unit_available", "reassigned", "was_unmatched"]


class DiffDecision(BaseModel):
    """The decision a reason rests on (a decline or an accept)."""

    id: int
    run_id: int
    kind: str
    reason: str | None = Field(description="a decline's reason code")
    decided_by: str
    created_at: dt.datetime
    housed_on: dt.date | None


class KeptPair(BaseModel):
    household_id: str
    unit_id: str
    persons: int
    neighbourhood: str | None
    fixed: bool = Field(description="a fixed (pinned) pair in the later run")


class NewPair(KeptPair):
    reason: NewReason
    before_unit_id: str | None = Field(description="reassigned: the home the household had in the earlier run")
    before_unmatched_reason: str | None = Field(
        description="was_unmatched: why the household had no home in the earlier run (the proposal's reason code)"
    )


class GonePair(BaseModel):
    household_id: str
    unit_id: str
    persons: int
    neighbourhood: str | None
    reason: GoneReason
    changed: list[str] = Field(
        description="household_changed, unit_changed: the fields that differ between the two runs' inputs "
        "(for the viewer role without vulnerabilities)"
    )
    decision: DiffDecision | None = Field(
        description="declined, offer_refused, housed, unit_let: the decision behind the reason (the accept, for a refused offer)"
    )
    now_unit_id: str | None = Field(description="the home the household has in the later run, if any")
    now_unmatched_reason: str | None = Field(
        description="why the household has no home in the later run (the proposal's reason code), when it is in its pool"
    )


class DiffCounts(BaseModel):
    new: int
    kept: int
    gone: int
    new_by_reason: dict[str, int]
    gone_by_reason: dict[str, int]


class RunDiff(BaseModel):
    """Which pairs of the later run are new, which of the earlier run were kept, which are gone and why."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "run_id": 8,
                    "against": 7,
                    "planning_date": "2025-03-10",
                    "against_planning_date": "2025-03-03",
                    "counts": {
                        "new": 1,
                        "kept": 35,
                        "gone": 2,
                        "new_by_reason": {"was_unmatched": 1},
                        "gone_by_reason": {"declined": 1, "housed": 1},
                    },
                    "new": [],
                    "kept": [],
                    "gone": [],
                    "withheld": None,
                }
            ]
        }
    )

    run_id: int = Field(description="the later run")
    against: int = Field(description="the earlier run it is compared with")
    planning_date: dt.date | None
    against_planning_date: dt.date | None
    counts: DiffCounts
    new: list[NewPair] = Field(description="pairs of the later run that the earlier run did not have")
    kept: list[KeptPair] = Field(description="pairs in both runs")
    gone: list[GonePair] = Field(description="pairs of the earlier run that the later run does not have, with the reason")
    withheld: list[str] | None = Field(
        description="for the viewer role: what is left out because it could reveal health or sexual orientation"
    )
