"""`matcher explain` answers for one household or unit of a stored proposal, from the proposal and its inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "nijmegen-week"
runner = CliRunner()

INPUTS = ["--households", str(EXAMPLE / "households.csv"), "--units", str(EXAMPLE / "units.csv"),
          "--policy", str(EXAMPLE / "policy.json")]  # fmt: skip


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("explain") / "proposal.json"
    result = runner.invoke(app, ["propose", "--quiet", "--households", str(EXAMPLE / "households.csv"),
                                 "--units", str(EXAMPLE / "units.csv"), "--policy", str(EXAMPLE / "policy.json"),
                                 "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def test_matched_household_shows_its_unit_and_terms(stored: Path) -> None:
    """A placed household: its unit, the stored explanation, and the term values of the pair."""
    doc = json.loads(stored.read_text())
    match = doc["matches"][0]
    result = runner.invoke(app, ["explain", str(stored), "--household", match["household_id"]])
    assert result.exit_code == 0, result.output
    assert f"geplaatst in {match['unit_id']}" in result.output
    assert " ".join(match["explanation"].split()) in " ".join(result.output.split())


def test_unmatched_household_with_inputs_gets_a_verified_answer(stored: Path) -> None:
    """With the proposal's own inputs, an unmatched household hears what it would take, and that answer
    agrees with `--what-it-would-take` in a full run; asked alone, every candidate change is tried."""
    doc = json.loads(stored.read_text())
    item = next(x for x in doc["unmatched_households"] if x["reason"] == "no_eligible_unit")
    args = ["--households", str(EXAMPLE / "households.csv"), "--units", str(EXAMPLE / "units.csv"),
            "--policy", str(EXAMPLE / "policy.json")]  # fmt: skip
    result = runner.invoke(app, ["explain", str(stored), "--household", item["household_id"], "--lang", "en", *args])
    assert result.exit_code == 0, result.output
    assert "What it would take:" in result.output
    full = runner.invoke(app, ["propose", "--quiet", "--what-it-would-take", "--lang", "en", *args])
    full_item = next(x for x in json.loads(full.stdout)["unmatched_households"] if x["household_id"] == item["household_id"])
    from matcher.explain.counterfactual import render_counterfactual

    found = full_item["details"]["what_it_would_take"]
    if found is not None or full_item["details"]["all_changes_tried"]:
        # The run tried enough to answer; asked alone, the household gets the same answer.
        expected = render_counterfactual(found, "en", full_item["details"]["changes_tried"], complete=True)
        assert " ".join(expected.split()) in " ".join(result.output.split())
    else:
        # The run stopped after the first few changes; asked alone, every change is tried.
        assert "there are more to try" not in result.output


@pytest.fixture(scope="module")
def stored_with_answers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The weekly example's proposal with `--what-it-would-take`: at most 5 changes tried per household."""
    out = tmp_path_factory.mktemp("explain") / "proposal.json"
    result = runner.invoke(app, ["propose", "--quiet", "--what-it-would-take", *INPUTS, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("household_id", ["H-0001", "H-0134"])
def test_inputs_try_every_change_even_when_the_proposal_stopped_at_five(stored_with_answers: Path, household_id: str) -> None:
    """A household whose stored answer is "none of the 5 tried; there are more": with the inputs, every
    candidate change is tried and the answer is decided (H-0134: a lower rent at the 6th candidate places
    it; H-0001: none of its 14 does), the same answer as a search over all candidates."""
    import matcher
    from matcher.explain.counterfactual import Verifier, render_counterfactual

    doc = json.loads(stored_with_answers.read_text())
    item = next(x for x in doc["unmatched_households"] if x["household_id"] == household_id)
    assert item["details"]["what_it_would_take"] is None and item["details"]["changes_tried"] == 5
    assert item["details"]["all_changes_tried"] is False and "er zijn er meer mogelijk" in item["explanation"]

    week = matcher.solve(matcher.load_instance(EXAMPLE / "households.csv", EXAMPLE / "units.csv", EXAMPLE / "policy.json"))
    verifier = Verifier(week.prepared, week.solution)
    index = week.prepared.households.ids.index(household_id)
    found = verifier.find(index, max_candidates=None)
    tried, complete = verifier.searched[index]
    assert found is not None or complete
    assert (found is not None) == (household_id == "H-0134")
    expected = render_counterfactual(found, "nl", tried, complete)

    result = runner.invoke(app, ["explain", str(stored_with_answers), "--household", household_id, *INPUTS])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert f"Wat ervoor nodig is: {' '.join(expected.split())}" in text
    assert "er zijn er meer mogelijk" not in text, "the stored, undecided answer is not repeated"


def test_undecided_stored_answer_without_inputs_asks_for_them(stored_with_answers: Path) -> None:
    """Without the inputs, a household whose stored search stopped early hears how to search further;
    one whose stored answer is decided gets just the stored explanation."""
    doc = json.loads(stored_with_answers.read_text())
    undecided = next(x for x in doc["unmatched_households"] if x["details"]["all_changes_tried"] is False
                     and x["details"]["what_it_would_take"] is None)  # fmt: skip
    decided = next(x for x in doc["unmatched_households"] if x["details"]["all_changes_tried"])
    result = runner.invoke(app, ["explain", str(stored_with_answers), "--household", undecided["household_id"]])
    assert result.exit_code == 0 and "Geef --households en --units" in result.output
    result = runner.invoke(app, ["explain", str(stored_with_answers), "--household", decided["household_id"]])
    assert result.exit_code == 0 and "Geef --households" not in result.output


def test_fifo_proposal_with_inputs_says_it_is_not_searched(stored: Path, tmp_path: Path) -> None:
    """A FIFO proposal is not the optimiser's: with the inputs, a household FIFO leaves out and the
    optimiser places hears that what it would take is not searched, instead of an error."""
    out = tmp_path / "fifo.json"
    result = runner.invoke(app, ["propose", "--quiet", "--strategy", "fifo", *INPUTS, "--out", str(out)])
    assert result.exit_code == 0, result.output
    placed = {m["household_id"] for m in json.loads(stored.read_text())["matches"]}
    hid = next(x["household_id"] for x in json.loads(out.read_text())["unmatched_households"] if x["household_id"] in placed)
    result = runner.invoke(app, ["explain", str(out), "--household", hid, *INPUTS])
    assert result.exit_code == 0, result.output
    assert "niet bij FIFO" in result.output


def test_other_inputs_are_refused(stored: Path, tmp_path: Path) -> None:
    """Inputs that are not the proposal's own (hash differs) are refused with exit 2, not silently mixed."""
    doc = json.loads(stored.read_text())
    hid = doc["unmatched_households"][0]["household_id"]
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({**json.loads((EXAMPLE / "policy.json").read_text()), "seed": 99}))
    result = runner.invoke(app, ["explain", str(stored), "--household", hid, "--households", str(EXAMPLE / "households.csv"),
                                 "--units", str(EXAMPLE / "units.csv"), "--policy", str(policy)])  # fmt: skip
    assert result.exit_code == 2
    assert "input_sha256 differs" in result.output


def test_unit_used_and_unused(stored: Path) -> None:
    """A unit in the proposal: who gets it; an unused unit: its reason code."""
    doc = json.loads(stored.read_text())
    used = doc["matches"][0]["unit_id"]
    unused = doc["unused_units"][0]
    result = runner.invoke(app, ["explain", str(stored), "--unit", used])
    assert result.exit_code == 0 and f"Woning {used}: naar" in result.output
    result = runner.invoke(app, ["explain", str(stored), "--unit", unused["unit_id"]])
    assert result.exit_code == 0 and f"({unused['reason']})" in result.output


def test_unknown_id_and_bad_file(stored: Path, tmp_path: Path) -> None:
    """An unknown id or a file that is not a proposal is an input error (exit 2), never a traceback."""
    result = runner.invoke(app, ["explain", str(stored), "--household", "H-NOPE"])
    assert result.exit_code == 2 and 'no household "H-NOPE"' in result.output
    bad = tmp_path / "x.json"
    bad.write_text("[1, 2]")
    result = runner.invoke(app, ["explain", str(bad), "--unit", "U-1"])
    assert result.exit_code == 2 and "not a proposal" in result.output
    result = runner.invoke(app, ["explain", str(stored)])
    assert result.exit_code == 2 and "exactly one of --household and --unit" in result.output
