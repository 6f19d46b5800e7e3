"""Fairness figures: how long each group of households waits, per strategy, on the same arrivals.

Households are grouped nine ways (each grouping divides all households that arrived within
the horizon into groups, every household in exactly one): all households together, household size at koppeling,
single with family expected, any vulnerability, documents incomplete at koppeling, the
gender of the main applicant, whether the koppeling lies before the start (the start
pool, whose waiting began before week 0) or within the horizon, and the household type at
koppeling (alleengaande vrouw, eenoudergezin or another household, as defined in
``matcher.input.groups``), and whether the household has the ``ex_amv`` mark (a youngster
who came as an unaccompanied minor: the group the indicative AMV taakstelling counts).
Per group and replicate:

- waiting until the first offer, in weeks since koppeling (median, 90th percentile, max).
  A declined offer counts as an offer. A household without an offer at the horizon counts
  with the weeks it has waited so far (horizon minus koppeling: at least that long) and is
  *censored*; ``censored_share`` says how many of the group are.
- the 90th percentile of weeks from koppeling to the first home (first placement), counted the
  same way: a household not placed by the horizon counts with the weeks up to the horizon. It
  is what the tail rule of the exact hindsight (``hindsight_model.py``) bounds, and never
  shorter than the 90th percentile to a first offer (an offer comes no later than the home).
- the share offered a home within the deadline (10 weeks) of the koppeling, defined as the
  weekly KPI defines it: new koppelingen only (the start pool is already overdue), of those
  whose deadline has passed by the last week or who got an offer in time.
- the share housed (a first home accepted) by the horizon, and the persons (at koppeling)
  of those households: for the ex-AMV group, what counts against the AMV taakstelling.

Small cells: a group with fewer than ``MIN_HOUSEHOLDS`` households in a replicate gets null
figures for that replicate; the in-time share is also null when fewer than
``MIN_HOUSEHOLDS`` of the group count for it. Bands over replicates say how many replicates
they were computed over.

Everything is computed with array masks over the replicate's per-household arrays; the only
Python loop is over the 21 groups.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from matcher.input.groups import single_parent, single_woman
from matcher.simulate.world import World

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

MIN_HOUSEHOLDS = 5

GROUPINGS: dict[str, tuple[str, ...]] = {
    "all": ("all",),
    "household_size": ("1", "2-3", "4-5", "6+"),
    "single_expecting_family": ("yes", "no"),
    "vulnerability": ("yes", "no"),
    "documents_incomplete": ("yes", "no"),
    "gender": ("F", "M", "X"),
    "koppeling": ("before_start", "within_horizon"),
    "household_type": ("single_woman", "single_parent", "other"),
    "ex_amv": ("yes", "no"),
}

FIGURES = (
    "wait_median_weeks",
    "wait_p90_weeks",
    "wait_max_weeks",
    "home_wait_p90_weeks",
    "censored_share",
    "offered_within_deadline_share",
    "housed_share",
    "housed_persons",
)

LABELS_NL: dict[tuple[str, str], str] = {
    ("all", "all"): "alle huishoudens",
    ("household_size", "1"): "huishoudens van 1 persoon",
    ("household_size", "2-3"): "huishoudens van 2-3 personen",
    ("household_size", "4-5"): "huishoudens van 4-5 personen",
    ("household_size", "6+"): "huishoudens van 6 of meer personen",
    ("single_expecting_family", "yes"): "alleenstaanden met gezin op komst",
    ("single_expecting_family", "no"): "huishoudens zonder alleenstaande met gezin op komst",
    ("vulnerability", "yes"): "huishoudens met een kwetsbaarheid",
    ("vulnerability", "no"): "huishoudens zonder kwetsbaarheid",
    ("documents_incomplete", "yes"): "huishoudens met onvolledige documenten bij koppeling",
    ("documents_incomplete", "no"): "huishoudens met volledige documenten bij koppeling",
    ("gender", "F"): "hoofdaanvragers vrouw",
    ("gender", "M"): "hoofdaanvragers man",
    ("gender", "X"): "hoofdaanvragers X",
    ("koppeling", "before_start"): "huishoudens gekoppeld voor de start (de startpool)",
    ("koppeling", "within_horizon"): "huishoudens gekoppeld tijdens de periode",
    ("household_type", "single_woman"): "alleengaande vrouwen",
    ("household_type", "single_parent"): "eenoudergezinnen",
    ("household_type", "other"): "andere huishoudens (geen alleengaande vrouw of eenoudergezin)",
    ("ex_amv", "yes"): "ex-AMV-jongeren",
    ("ex_amv", "no"): "huishoudens zonder ex-AMV-jongere",
}


@dataclass(frozen=True)
class Households:
    """What the groupings read, one entry per household of a replicate (as at koppeling)."""

    arrival_week: IntArray
    koppeling_week: IntArray
    persons: IntArray
    declared: IntArray
    documents_week: IntArray
    vulnerable: BoolArray
    gender: npt.NDArray[np.str_]
    adults: IntArray
    children: IntArray
    ex_amv: BoolArray

    @staticmethod
    def from_world(world: World) -> Households:
        rows = world.household_rows
        return Households(
            arrival_week=world.arrival_week,
            koppeling_week=world.koppeling_week,
            persons=world.persons,
            declared=world.declared,
            documents_week=world.documents_week,
            vulnerable=np.array([bool(str(r.get("vulnerabilities") or "").strip()) for r in rows], dtype=bool),
            gender=np.array([str(r.get("gender") or "") for r in rows], dtype=str),
            adults=world.adults,
            children=world.children,
            ex_amv=np.array(["ex_amv" in str(r.get("vulnerabilities") or "").split(";") for r in rows], dtype=bool),
        )


def group_codes(households: Households) -> dict[str, IntArray]:
    """Per grouping, each household's group as an index into ``GROUPINGS[grouping]`` (-1: none)."""
    h = households
    size = np.select([h.persons <= 1, h.persons <= 3, h.persons <= 5], [0, 1, 2], default=3).astype(np.int64)
    single_expecting = (h.persons == 1) & (h.declared > 0)
    documents_incomplete = h.documents_week > h.arrival_week
    gender = np.full(len(h.gender), -1, dtype=np.int64)
    for k, value in enumerate(GROUPINGS["gender"]):
        gender[h.gender == value] = k
    # The two groups exclude each other (no children against at least one), so each household is in one.
    household_type = np.select(
        [single_woman(h.adults, h.children, h.gender), single_parent(h.adults, h.children)], [0, 1], default=2
    ).astype(np.int64)
    return {
        "all": np.zeros(len(h.persons), dtype=np.int64),
        "household_size": size,
        "single_expecting_family": np.where(single_expecting, 0, 1).astype(np.int64),
        "vulnerability": np.where(h.vulnerable, 0, 1).astype(np.int64),
        "documents_incomplete": np.where(documents_incomplete, 0, 1).astype(np.int64),
        "gender": gender,
        "koppeling": np.where(h.arrival_week == 0, 0, 1).astype(np.int64),
        "household_type": household_type,
        "ex_amv": np.where(h.ex_amv, 0, 1).astype(np.int64),
    }


def _null_figures() -> dict[str, float | None]:
    return {figure: None for figure in FIGURES}


def weeks_to_first(first_step: IntArray, koppeling_week: IntArray, horizon_weeks: int) -> npt.NDArray[np.float64]:
    """Weeks from koppeling to a household's first step (offer or placement; -1 for none by the
    horizon). A household without one counts the weeks up to the horizon; one of the start pool
    counts from its koppeling week, which lies before week 0."""
    step = np.asarray(first_step, dtype=np.int64)
    return np.where(step >= 0, step - koppeling_week, horizon_weeks - koppeling_week).astype(float)


def replicate_figures(
    households: Households,
    first_offer: IntArray,
    first_place: IntArray,
    horizon_weeks: int,
    deadline_weeks: int,
) -> dict[str, dict[str, dict[str, Any]]]:
    """grouping -> group -> {"households": n, figure: value or None} for one strategy on one replicate.

    ``first_offer`` and ``first_place`` hold the week of each household's first offer and
    first placement, -1 for none by the horizon.
    """
    h = households
    first_offer = np.asarray(first_offer, dtype=np.int64)
    first_place = np.asarray(first_place, dtype=np.int64)
    arrived = h.arrival_week < horizon_weeks
    offered = first_offer >= 0
    wait = weeks_to_first(first_offer, h.koppeling_week, horizon_weeks)
    home_wait = weeks_to_first(first_place, h.koppeling_week, horizon_weeks)
    censored = arrived & ~offered
    new = arrived & (h.arrival_week > 0)
    in_time = new & offered & (first_offer - h.koppeling_week <= deadline_weeks)
    decided = in_time | (new & (horizon_weeks - 1 - h.koppeling_week > deadline_weeks))
    housed = first_place >= 0
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for grouping, codes in group_codes(h).items():
        out[grouping] = {}
        for k, group in enumerate(GROUPINGS[grouping]):
            mask = arrived & (codes == k)
            n = int(mask.sum())
            figures: dict[str, Any] = {"households": n, **_null_figures()}
            if n >= MIN_HOUSEHOLDS:
                waits = wait[mask]
                median, p90 = np.percentile(waits, [50, 90])
                counted = int(decided[mask].sum())
                figures.update(
                    wait_median_weeks=float(median),
                    wait_p90_weeks=float(p90),
                    wait_max_weeks=float(waits.max()),
                    home_wait_p90_weeks=float(np.percentile(home_wait[mask], 90)),
                    censored_share=float(censored[mask].sum() / n),
                    offered_within_deadline_share=float(in_time[mask].sum() / counted) if counted >= MIN_HOUSEHOLDS else None,
                    housed_share=float(housed[mask].sum() / n),
                    housed_persons=float(h.persons[mask & housed].sum()),
                )
            out[grouping][group] = figures
    return out


def _value(x: Any) -> float:
    return float("nan") if x is None else float(x)


def _band(values: list[float]) -> dict[str, Any]:
    array = np.asarray(values, dtype=float)
    array = array[~np.isnan(array)]
    if len(array) == 0:
        return {"mean": None, "p10": None, "p50": None, "p90": None, "replicates": 0}
    p10, p50, p90 = np.percentile(array, [10, 50, 90])
    return {
        "mean": round(float(array.mean()), 4),
        "p10": round(float(p10), 4),
        "p50": round(float(p50), 4),
        "p90": round(float(p90), 4),
        "replicates": len(array),
    }


def summarise_fairness(per_replicate: list[dict[str, Any]], strategies: list[str], deadline_weeks: int) -> dict[str, Any]:
    """Bands over replicates per grouping, group, strategy and figure, and the paired difference of each
    strategy with FIFO (``optimise_minus_fifo``, ``lookahead_minus_fifo``).

    ``per_replicate`` holds one entry per replicate (in replicate order): strategy -> the
    output of ``replicate_figures``. Each band carries ``replicates``: how many replicates
    had a figure (the others were small cells).
    """
    paired = [s for s in strategies if s != "fifo"] if "fifo" in strategies else []
    groupings: dict[str, Any] = {}
    for grouping, groups in GROUPINGS.items():
        groupings[grouping] = {}
        for group in groups:
            cells = [{s: rep[s][grouping][group] for s in strategies} for rep in per_replicate]
            first = strategies[0]
            entry: dict[str, Any] = {"households": _band([float(c[first]["households"]) for c in cells])}
            for s in strategies:
                entry[s] = {f: _band([_value(c[s][f]) for c in cells]) for f in FIGURES}
            for s in paired:
                entry[f"{s}_minus_fifo"] = {f: _band([_value(c[s][f]) - _value(c["fifo"][f]) for c in cells]) for f in FIGURES}
            groupings[grouping][group] = entry
    return {
        "what": (
            "Per group of households (each grouping divides every household that arrived within the horizon "
            "into its groups): weeks from koppeling to the first offer (median, p90, max; households without "
            "an offer at the horizon count with the weeks waited so far and are censored, see censored_share), "
            "the 90th percentile of weeks from koppeling to the first home (home_wait_p90_weeks, counted the same "
            "way: households not housed at the horizon count with the weeks waited so far), "
            f"the share of new koppelingen offered a home within {deadline_weeks} weeks, and the share housed by "
            f"the horizon. A group with fewer than {MIN_HOUSEHOLDS} households in a replicate has no figures for "
            "that replicate; each band says over how many replicates it was computed."
        ),
        "min_households": MIN_HOUSEHOLDS,
        "deadline_weeks": deadline_weeks,
        "groupings": groupings,
    }


def largest_p90_gap(fairness: dict[str, Any], strategy: str = "optimise") -> tuple[str, str, dict[str, Any]] | None:
    """The group whose paired p90 waiting differs most (in absolute mean) between the strategy and FIFO."""
    best: tuple[str, str, dict[str, Any]] | None = None
    key = f"{strategy}_minus_fifo"
    for grouping, groups in fairness.get("groupings", {}).items():
        for group, entry in groups.items():
            gap = entry.get(key, {}).get("wait_p90_weeks")
            if gap is None or gap["mean"] is None:
                continue
            if best is None or abs(gap["mean"]) > abs(best[2][key]["wait_p90_weeks"]["mean"]):
                best = (grouping, group, entry)
    return best
