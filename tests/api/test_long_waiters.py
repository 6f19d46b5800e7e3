"""The longest waiters on the Overzicht say what the current run does for them: the home proposed, or why none."""

from __future__ import annotations

from service_helpers import Service, load_example, proposal, start_run

ON = "2025-03-03"


def test_long_waiters_carry_the_current_runs_answer(service: Service) -> None:
    """Before any run the long waiters have no answer; after a run each one carries the home it proposes them
    or the reason and explanation it gives for proposing none, exactly as the run's proposal says."""
    load_example(service.client, service.auth("admin"))
    before = service.client.get(f"/v1/dashboard?on={ON}", headers=service.auth("officer")).json()
    assert before["waiting_overdue"] and all(item["this_week"] is None for item in before["waiting_overdue"])

    run = start_run(service.client, service.auth("wbb"))
    document = proposal(service.client, service.auth("officer"), run["id"])
    unit_of = {m["household_id"]: m["unit_id"] for m in document["matches"]}
    why = {u["household_id"]: (u["reason"], u["explanation"]) for u in document["unmatched_households"]}
    figures = service.client.get(f"/v1/dashboard?on={ON}", headers=service.auth("officer")).json()
    items = figures["waiting_overdue"]
    weeks = [item["weeks_over"] for item in items]
    assert weeks == sorted(weeks, reverse=True)
    proposed = unplaced = 0
    for item in items:
        answer = item["this_week"]
        assert answer["run_id"] == run["id"]
        if item["household_id"] in unit_of:
            assert answer["proposed_unit"] == unit_of[item["household_id"]] and answer["reason"] is None
            proposed += 1
        else:
            assert (answer["reason"], answer["explanation"]) == why[item["household_id"]]
            assert answer["explanation"]
            unplaced += 1
    assert proposed and unplaced


def test_viewer_reads_the_reason_as_the_viewer_proposal_gives_it(service: Service) -> None:
    """A viewer gets the reason with the explanation of the viewer's proposal (no explanation that could reveal a need)."""
    load_example(service.client, service.auth("admin"))
    run = start_run(service.client, service.auth("wbb"))
    viewer = proposal(service.client, service.auth("viewer"), run["id"])
    officer = proposal(service.client, service.auth("officer"), run["id"])
    shown = {u["household_id"]: u["explanation"] for u in viewer["unmatched_households"]}
    full = {u["household_id"]: u["explanation"] for u in officer["unmatched_households"]}
    items = service.client.get(f"/v1/dashboard?on={ON}", headers=service.auth("viewer")).json()["waiting_overdue"]
    unplaced = [item for item in items if item["this_week"]["reason"] is not None]
    assert unplaced
    for item in unplaced:
        assert item["this_week"]["explanation"] == shown[item["household_id"]]
    assert any(shown[item["household_id"]] != full[item["household_id"]] for item in unplaced)
