"""The history of the runs: superseded runs stay readable, and the diff between two runs says
which pairs are new, kept and gone, and why, within the caller's municipality and role."""

from __future__ import annotations

import json
import re
from typing import Any

from service_helpers import (
    Service,
    accept_body,
    csv_rows,
    error_of,
    load_example,
    owner_of,
    pairs,
    policy,
    proposal,
    start_run,
    typed,
    wait_for,
)

NEED_WORDS = re.compile(
    r"wheelchair|rolstoel|mobility|traploos|step-free|medical|lgbtiq|lhbtiq|psychosocial|ex_amv|vulnerab", re.IGNORECASE
)


def _diff(service: Service, who: str, run_id: int, against: int) -> dict[str, Any]:
    response = service.client.get(f"/v1/runs/{run_id}/diff", params={"against": against}, headers=service.auth(who))
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def _decide(service: Service, run_id: int, body: dict[str, Any]) -> None:
    response = service.client.post(f"/v1/runs/{run_id}/decisions", headers=service.auth("wbb"), json=body)
    assert response.status_code == 201, response.text


def _check_counts(diff: dict[str, Any], before: set[tuple[str, str]], after: set[tuple[str, str]]) -> None:
    """new, kept and gone are exactly the set differences of the two proposals, and the counts add up."""
    listed = {kind: {(p["household_id"], p["unit_id"]) for p in diff[kind]} for kind in ("new", "kept", "gone")}
    assert listed == {"new": after - before, "kept": after & before, "gone": before - after}
    counts = diff["counts"]
    assert (counts["new"], counts["kept"], counts["gone"]) == tuple(len(diff[k]) for k in ("new", "kept", "gone"))
    assert sum(counts["gone_by_reason"].values()) == counts["gone"]
    assert sum(counts["new_by_reason"].values()) == counts["new"]


def _first_run(service: Service, who: str = "wbb") -> tuple[dict[str, Any], dict[str, Any]]:
    load_example(service.client, service.auth("admin"))
    run = start_run(service.client, service.auth(who))
    return run, proposal(service.client, service.auth(who), run["id"])


def test_superseded_runs_stay_readable(service: Service) -> None:
    """After a rerun the list shows both runs with planning date, who started them, when, and which
    is current or superseded; the superseded run, its proposal (redacted for a viewer), workbook and
    decisions are still readable, and deciding on it is refused."""
    first, document = _first_run(service, "wbb@Nijmegen")
    _decide(service, first["id"], accept_body(document["matches"][0], "2025-03-10"))
    second = start_run(service.client, service.auth("wbb@Nijmegen"), {"policy": {"planning_date": "2025-03-10"}})

    listed = service.client.get("/v1/runs", headers=service.auth("viewer@Nijmegen")).json()["items"]
    assert [(r["id"], r["planning_date"], r["current"], r["superseded"]) for r in listed] == [
        (second["id"], "2025-03-10", True, False),
        (first["id"], "2025-03-03", False, True),
    ]
    assert all(r["created_by"] and r["created_at"] and r["status"] == "done" for r in listed)

    for who in ("viewer@Nijmegen", "viewer", "officer@Nijmegen"):
        run = service.client.get(f"/v1/runs/{first['id']}", headers=service.auth(who)).json()
        assert (run["status"], run["current"], run["superseded"], run["planning_date"]) == ("done", False, True, "2025-03-03")
    viewed = proposal(service.client, service.auth("viewer@Nijmegen"), first["id"])
    assert viewed["withheld"] and all("vulnerable" not in m["terms"] for m in viewed["matches"])
    assert proposal(service.client, service.auth("officer@Nijmegen"), first["id"])["matches"] == document["matches"]
    xlsx = service.client.get(f"/v1/runs/{first['id']}/proposal.xlsx", headers=service.auth("viewer@Nijmegen"))
    assert xlsx.status_code == 200
    decisions = service.client.get(f"/v1/runs/{first['id']}/decisions", headers=service.auth("viewer@Nijmegen")).json()
    assert [d["kind"] for d in decisions["items"]] == ["accept"]
    error = error_of(
        service.client.post(
            f"/v1/runs/{first['id']}/decisions",
            headers=service.auth("wbb@Nijmegen"),
            json=accept_body(document["matches"][1]),
        ),
        409,
    )
    assert error["code"] == "run_superseded"

    other = service.client.post(
        "/v1/tokens", headers=service.auth("admin"), json={"role": "viewer", "municipality": "Arnhem", "owner": "T. Tester"}
    )
    arnhem = {"Authorization": f"Bearer {other.json()['token']}"}
    for path in (f"/v1/runs/{first['id']}", f"/v1/runs/{first['id']}/proposal", f"/v1/runs/{first['id']}/proposal.xlsx"):
        error_of(service.client.get(path, headers=arnhem), 404)
    assert service.client.get("/v1/runs", headers=arnhem).json()["total"] == 0


def test_diff_after_a_rerun_with_a_declined_and_an_accepted_pair(service: Service) -> None:
    """A declined pair is gone with reason declined and the decision (who, reason code); an accepted
    pair is gone because its household is housed; the pairs the meeting did not touch are kept."""
    first, document = _first_run(service)
    declined, accepted = document["matches"][0], document["matches"][1]
    _decide(
        service,
        first["id"],
        {**accept_body(declined), "kind": "decline", "reason": "household_refused"},
    )
    _decide(service, first["id"], accept_body(accepted, "2025-03-10"))
    second = start_run(service.client, service.auth("wbb"))
    after = pairs(proposal(service.client, service.auth("wbb"), second["id"]))
    diff = _diff(service, "wbb", second["id"], first["id"])

    assert (diff["run_id"], diff["against"]) == (second["id"], first["id"])
    assert diff["planning_date"] == diff["against_planning_date"] == "2025-03-03"
    _check_counts(diff, pairs(document), after)
    gone = {(p["household_id"], p["unit_id"]): p for p in diff["gone"]}
    first_gone = gone[(declined["household_id"], declined["unit_id"])]
    assert first_gone["reason"] == "declined"
    assert first_gone["decision"]["kind"] == "decline"
    assert (first_gone["decision"]["reason"], first_gone["decision"]["decided_by"]) == ("household_refused", owner_of("wbb"))
    housed = gone[(accepted["household_id"], accepted["unit_id"])]
    assert housed["reason"] == "housed" and housed["decision"]["housed_on"] == "2025-03-10"
    assert housed["now_unit_id"] is None and housed["now_unmatched_reason"] is None
    assert first_gone["now_unit_id"] != declined["unit_id"]
    assert diff["counts"]["gone_by_reason"]["declined"] == 1 and diff["counts"]["gone_by_reason"]["housed"] == 1
    assert diff["counts"]["kept"] >= len(document["matches"]) - 6
    assert diff["withheld"] is None


def test_diff_after_a_refused_offer_and_a_household_that_left(service: Service) -> None:
    """The WBB accepted two pairs; one household refused the offered home, the other left the
    municipality: the first pair is gone with reason offer_refused (its accept attached), the
    second with household_left, not housed."""
    first, document = _first_run(service)
    refused, left = document["matches"][0], document["matches"][1]
    for match in (refused, left):
        _decide(service, first["id"], accept_body(match, "2025-03-10"))
    events = {
        refused["household_id"]: {"kind": "offer_refused", "date": "2025-03-05", "reason": "household_refused"},
        left["household_id"]: {"kind": "left", "date": "2025-03-05", "reason": "moved_away"},
    }
    for household, event in events.items():
        response = service.client.post(f"/v1/households/{household}/events", headers=service.auth("wbb"), json=event)
        assert response.status_code in (200, 201), response.text
    second = start_run(service.client, service.auth("wbb"))
    assert [refused["household_id"], refused["unit_id"]] in second["policy"]["excluded_pairs"]
    diff = _diff(service, "viewer", second["id"], first["id"])

    _check_counts(diff, pairs(document), pairs(proposal(service.client, service.auth("wbb"), second["id"])))
    gone = {p["household_id"]: p for p in diff["gone"]}
    assert gone[refused["household_id"]]["reason"] == "offer_refused"
    assert gone[refused["household_id"]]["decision"]["kind"] == "accept"
    assert (gone[left["household_id"]]["reason"], gone[left["household_id"]]["decision"]) == ("household_left", None)


def test_diff_after_a_new_household(service: Service) -> None:
    """A household added after the first run that waited longer than anyone takes a home: its pair is
    new with reason new_household, the pair it replaces is gone as outranked, and the rest is kept."""
    first, document = _first_run(service)
    newcomer = {
        "household_id": "H-9001",
        "municipality": "Nijmegen",
        "koppeling_date": "2024-06-03",
        "adults": 2,
        "children": 2,
        "gender": "F",
        "head_age": 40,
        "documents_complete": True,
    }
    response = service.client.post("/v1/households/batch", headers=service.auth("admin"), json={"rows": [newcomer]})
    assert response.status_code == 200, response.text
    second = start_run(service.client, service.auth("wbb"))
    after = pairs(proposal(service.client, service.auth("wbb"), second["id"]))
    diff = _diff(service, "viewer", second["id"], first["id"])

    _check_counts(diff, pairs(document), after)
    new = {p["household_id"]: p for p in diff["new"]}
    assert new["H-9001"]["reason"] == "new_household"
    assert diff["counts"]["new_by_reason"] == {"new_household": 1}
    assert [p["reason"] for p in diff["gone"]] == ["outranked"]
    gone = diff["gone"][0]
    assert gone["unit_id"] == new["H-9001"]["unit_id"] and gone["now_unmatched_reason"] == "outranked"
    assert diff["counts"]["kept"] == len(document["matches"]) - 1


def test_diff_after_a_withdrawn_unit(service: Service) -> None:
    """A unit removed from the offer after the first run: its pair is gone with reason unit_withdrawn,
    and the diff says where its household is now (another home, or why none)."""
    first, document = _first_run(service)
    withdrawn = next(m for m in document["matches"] if m["persons"] > 1)
    assert service.client.delete(f"/v1/units/{withdrawn['unit_id']}", headers=service.auth("admin")).status_code == 204
    second = start_run(service.client, service.auth("wbb"))
    after = proposal(service.client, service.auth("wbb"), second["id"])
    diff = _diff(service, "officer", second["id"], first["id"])

    _check_counts(diff, pairs(document), pairs(after))
    gone = next(p for p in diff["gone"] if p["unit_id"] == withdrawn["unit_id"])
    assert gone["reason"] == "unit_withdrawn" and gone["decision"] is None
    placed = {m["household_id"]: m["unit_id"] for m in after["matches"]}
    unmatched = {u["household_id"]: u["reason"] for u in after["unmatched_households"]}
    assert (gone["now_unit_id"], gone["now_unmatched_reason"]) == (
        placed.get(withdrawn["household_id"]),
        unmatched.get(withdrawn["household_id"]),
    )
    assert diff["counts"]["gone_by_reason"]["unit_withdrawn"] == 1


def test_diff_after_a_later_planning_date(service: Service) -> None:
    """A week later, with nothing decided, homes that were not available yet are: their new pairs
    say unit_available, and pairs that gave way are gone as outranked, never for a decision."""
    first, document = _first_run(service)
    second = start_run(service.client, service.auth("wbb"), {"policy": {**policy(), "planning_date": "2025-03-10"}})
    diff = _diff(service, "wbb", second["id"], first["id"])

    _check_counts(diff, pairs(document), pairs(proposal(service.client, service.auth("wbb"), second["id"])))
    not_yet = {u["unit_id"] for u in document["unused_units"] if u["reason"] == "not_available_yet"}
    available = [p for p in diff["new"] if p["reason"] == "unit_available"]
    assert available and {p["unit_id"] for p in available} <= not_yet
    assert all(p["unit_id"] not in not_yet for p in diff["new"] if p["reason"] != "unit_available")
    assert {p["reason"] for p in diff["gone"]} <= {"outranked"}
    assert all(p["decision"] is None and p["changed"] == [] for p in diff["gone"])


def test_viewer_diff_names_no_vulnerability(service: Service) -> None:
    """A household whose only change is a new wheelchair need loses its home: an officer reads
    household_changed naming the field; a viewer's diff neither names the field nor tells the change
    apart from being outranked, nothing in it that names a household names a need, and it says what
    was withheld."""
    first, document = _first_run(service)
    units = {row["unit_id"]: row for row in csv_rows("units.csv")}
    needs = {row["household_id"]: row["vulnerabilities"] for row in csv_rows("households.csv")}
    match = next(m for m in document["matches"] if not needs[m["household_id"]] and units[m["unit_id"]]["wheelchair"] != "true")
    changed = service.client.patch(
        f"/v1/households/{match['household_id']}", headers=service.auth("admin"), json={"vulnerabilities": ["wheelchair"]}
    )
    assert changed.status_code == 200, changed.text
    second = start_run(service.client, service.auth("wbb"))

    officer = _diff(service, "officer", second["id"], first["id"])
    gone = next(p for p in officer["gone"] if p["household_id"] == match["household_id"])
    assert (gone["reason"], gone["changed"]) == ("household_changed", ["vulnerabilities"])

    viewer = _diff(service, "viewer", second["id"], first["id"])
    assert viewer["withheld"]
    gone = next(p for p in viewer["gone"] if p["household_id"] == match["household_id"])
    assert gone["reason"] == "outranked" and gone["changed"] == []
    assert "household_changed" not in viewer["counts"]["gone_by_reason"]
    with_needs = {hid for hid, listed in needs.items() if listed} | {match["household_id"]}
    for kind in ("new", "kept", "gone"):
        for item in viewer[kind]:
            if item["household_id"] in with_needs:
                assert not NEED_WORDS.search(json.dumps(item)), item
    assert not NEED_WORDS.search(json.dumps({k: v for k, v in viewer.items() if k != "withheld"}))


def test_diff_is_refused_outside_the_callers_runs(service: Service) -> None:
    """Either run outside the caller's municipality, or missing, is 404; comparing with a later run
    is 422; a run without a proposal or runs over different pools are 409."""
    first, _ = _first_run(service, "wbb@Nijmegen")
    second = start_run(service.client, service.auth("wbb@Nijmegen"))
    unscoped = start_run(service.client, service.auth("wbb"))
    other = service.client.post(
        "/v1/tokens", headers=service.auth("admin"), json={"role": "admin", "municipality": "Arnhem", "owner": "T. Tester"}
    )
    arnhem = {"Authorization": f"Bearer {other.json()['token']}"}

    def get(headers: dict[str, str], run_id: int, against: int) -> Any:
        return service.client.get(f"/v1/runs/{run_id}/diff", params={"against": against}, headers=headers)

    assert get(service.auth("viewer@Nijmegen"), second["id"], first["id"]).status_code == 200
    assert error_of(get(arnhem, second["id"], first["id"]), 404)["message"] == f"Run {second['id']} not found."
    assert error_of(get(service.auth("viewer@Nijmegen"), unscoped["id"], first["id"]), 404)["message"] == (
        f"Run {unscoped['id']} not found."
    )
    assert error_of(get(service.auth("viewer@Nijmegen"), second["id"], 999), 404)["message"] == "Run 999 not found."
    error = error_of(get(service.auth("viewer"), first["id"], second["id"]), 422)
    assert [p["column"] for p in error["problems"]] == ["against"]
    assert error_of(get(service.auth("viewer"), unscoped["id"], second["id"]), 409)["code"] == "not_comparable"
    failed = wait_for(
        service.client,
        service.auth("wbb"),
        service.client.post(
            "/v1/runs", headers=service.auth("wbb"), json={"policy": {"fixed_pairs": [["H-none", "U-0001"]]}}
        ).json()["id"],
    )
    assert failed["status"] == "failed"
    assert error_of(get(service.auth("viewer"), failed["id"], unscoped["id"]), 409)["code"] == "run_not_done"
    error_of(service.client.get(f"/v1/runs/{second['id']}/diff", headers=service.auth("viewer")), 422)


def test_a_decision_in_another_municipality_on_the_same_ids_is_not_a_reason(service: Service) -> None:
    """Ids are unique only within a municipality: Arnhem declining a pair with the same ids as a
    Nijmegen pair does not make the Nijmegen pair 'declined'. Gone because its unit was withdrawn
    in Nijmegen, it says unit_withdrawn, also to a token that sees both municipalities."""
    first, document = _first_run(service, "wbb@Nijmegen")
    rows = {
        "households": [typed(r) | {"municipality": "Arnhem"} for r in csv_rows("households.csv")],
        "units": [
            typed(r) | {"municipality": "Arnhem", "neighbourhood": "A-" + r["neighbourhood"]} for r in csv_rows("units.csv")
        ],
    }
    for kind, batch in rows.items():
        response = service.client.post(f"/v1/{kind}/batch", headers=service.auth("admin"), json={"rows": batch})
        assert response.status_code == 200, response.text
    token = service.client.post(
        "/v1/tokens", headers=service.auth("admin"), json={"role": "wbb", "municipality": "Arnhem", "owner": "T. Tester"}
    )
    arnhem = {"Authorization": f"Bearer {token.json()['token']}"}
    elsewhere = start_run(service.client, arnhem)
    both = pairs(document) & pairs(proposal(service.client, arnhem, elsewhere["id"]))
    household, unit = sorted(both)[0]
    body = {"household_id": household, "unit_id": unit, "kind": "decline", "reason": "other"}
    assert service.client.post(f"/v1/runs/{elsewhere['id']}/decisions", headers=arnhem, json=body).status_code == 201
    assert service.client.delete(f"/v1/units/{unit}", headers=service.auth("admin@Nijmegen")).status_code == 204
    second = start_run(service.client, service.auth("wbb@Nijmegen"))

    for who in ("viewer", "viewer@Nijmegen"):
        gone = {(p["household_id"], p["unit_id"]): p for p in _diff(service, who, second["id"], first["id"])["gone"]}
        assert (gone[(household, unit)]["reason"], gone[(household, unit)]["decision"]) == ("unit_withdrawn", None)
