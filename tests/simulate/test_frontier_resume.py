"""The frontier's exact solves land in a journal as they finish, and a rerun resumes from it: same figures, no solve
twice, nothing reused for another scenario or other settings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from simhelpers import small
from typer.testing import CliRunner

import matcher.simulate.hindsight as hindsight
from cli.main import app
from cli.simulate import SOLVE_JOURNAL
from matcher.errors import InputError
from matcher.simulate.frontier_hindsight import hindsight_references, solve_key
from matcher.simulate.scenario import scenario_document
from matcher.simulate.solve_journal import SolveJournal, document_hash

REAL_SOLVE = hindsight.exact_hindsight


class Solves:
    """Counts the calls of ``exact_hindsight``; with ``stop_at`` n, the n-th call raises KeyboardInterrupt (Ctrl-C)."""

    def __init__(self, stop_at: int | None = None) -> None:
        self.calls: list[tuple[int, int | None]] = []
        self.stop_at = stop_at

    def __call__(self, scenario: Any, replicate: int, **kwargs: Any) -> Any:
        self.calls.append((replicate, kwargs.get("tail_weeks")))
        if self.stop_at is not None and len(self.calls) == self.stop_at:
            raise KeyboardInterrupt
        return REAL_SOLVE(scenario, replicate, **kwargs)


@pytest.fixture
def solves(monkeypatch: pytest.MonkeyPatch) -> Iterator[Solves]:
    counter = Solves()
    monkeypatch.setattr(hindsight, "exact_hindsight", counter)
    yield counter


def _without_timings(value: Any) -> Any:
    """A frontier.json document without the solves' wall-clock times, which differ between any two runs."""
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if k != "solve_s"}
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


def _lines(journal: Path) -> list[dict[str, Any]]:
    text = journal.read_text(encoding="utf-8")
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def test_an_interrupted_frontier_resumes_with_the_same_figures_and_solves_only_what_is_missing(
    tmp_path: Path, solves: Solves
) -> None:
    """Ctrl-C during the third of three exact solves ends `matcher frontier` with exit code 130 and writes no
    frontier.json, but leaves the two finished solves in the journal as whole JSON lines; the same command with the
    same --out then solves only the third, and its frontier.json (wall-clock times aside) and frontier.csv are those of
    a run that was never interrupted."""
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(json.dumps({**scenario_document(small({"horizon_weeks": 5})), "name": "tiny"}), encoding="utf-8")
    arguments = ["frontier", str(scenario), "--replicates", "2", "--exact-replicates", "2"]
    arguments += ["--tail-weeks", "56", "--tail-replicates", "1"]

    whole = tmp_path / "whole"
    assert CliRunner().invoke(app, [*arguments, "--out", str(whole)]).exit_code == 0
    assert len(solves.calls) == 3

    cut = tmp_path / "cut"
    solves.calls.clear()
    solves.stop_at = 3
    stopped = CliRunner().invoke(app, [*arguments, "--out", str(cut)])
    assert stopped.exit_code == 130, stopped.output
    assert not (cut / "frontier.json").exists()
    journalled = _lines(cut / SOLVE_JOURNAL)
    assert len(journalled) == 2 and "2 exact solves" in stopped.output

    solves.calls.clear()
    solves.stop_at = None
    resumed = CliRunner().invoke(app, [*arguments, "--out", str(cut)])
    assert resumed.exit_code == 0, resumed.output
    done = {(line["key"]["replicate"], line["key"]["tail_weeks"]) for line in journalled}
    assert len(solves.calls) == 1 and solves.calls[0] not in done
    assert len(_lines(cut / SOLVE_JOURNAL)) == 3

    def figures(folder: Path) -> Any:
        return _without_timings(json.loads((folder / "frontier.json").read_text(encoding="utf-8")))

    assert figures(cut) == figures(whole)
    assert figures(cut)["scenarios"][0]["hindsight_exact"]["replicates"] == 2
    assert (cut / "frontier.csv").read_text(encoding="utf-8") == (whole / "frontier.csv").read_text(encoding="utf-8")


def test_a_changed_scenario_or_setting_is_solved_anew(tmp_path: Path, solves: Solves) -> None:
    """A journalled solve is reused only for the same scenario content, replicate and T: another seed is solved
    again (and gives its own answer), another T is solved, and the first scenario run again solves nothing."""
    journal = tmp_path / SOLVE_JOURNAL
    first, other = small({"horizon_weeks": 5}), small({"horizon_weeks": 5, "seed": 8})

    one = hindsight_references([first], 1, journal=journal)
    assert len(solves.calls) == 1
    changed = hindsight_references([other], 1, journal=journal)
    assert len(solves.calls) == 2
    assert changed[0]["exact"]["per_replicate"][0]["value"] == REAL_SOLVE(other, 0, measure="persons_housed").value
    hindsight_references([first], 1, tail_weeks=[56], tail_replicates=1, journal=journal)
    assert solves.calls[2:] == [(0, 56)]
    again = hindsight_references([first], 1, journal=journal)
    assert len(solves.calls) == 3 and again == one
    assert len(SolveJournal(journal)) == 3


def test_the_key_names_the_content_not_the_order_of_its_fields() -> None:
    """The scenario's hash is of its content: the same document with its keys in another order has the same hash and
    key, a changed field another; the replicate and T are part of the key."""
    document = scenario_document(small({"horizon_weeks": 5}))
    reordered = dict(reversed(list(document.items())))
    assert list(reordered) != list(document)
    assert document_hash(reordered) == document_hash(document)
    assert solve_key(reordered, 0, None) == solve_key(document, 0, None)
    assert document_hash({**document, "seed": document["seed"] + 1}) != document_hash(document)
    keys = {solve_key(document, r, t).digest() for r in (0, 1) for t in (None, 50, 55)}
    assert len(keys) == 6


def test_a_torn_last_line_is_dropped_and_cut_off_before_the_next(tmp_path: Path) -> None:
    """A line cut off in the middle (a machine stopped while writing) does not count when the journal is read, and the
    next solve is appended after the last whole line, so the file is whole lines again."""
    journal = tmp_path / SOLVE_JOURNAL
    document = scenario_document(small({"horizon_weeks": 5}))
    book = SolveJournal(journal)
    book.record(solve_key(document, 0, None), {"value": 1.0}, "small")
    whole = journal.read_bytes()
    journal.write_bytes(whole + whole[: len(whole) // 2])
    reread = SolveJournal(journal)
    assert len(reread) == 1 and reread.get(solve_key(document, 0, None)) == {"value": 1.0}
    reread.record(solve_key(document, 1, None), {"value": 2.0}, "small")
    assert [line["figures"] for line in _lines(journal)] == [{"value": 1.0}, {"value": 2.0}]


def test_a_damaged_line_is_an_error_naming_the_file_and_line(tmp_path: Path) -> None:
    """A line in the middle of the journal that is not a journalled solve stops the run with an error naming the file
    and the line, rather than a traceback or a silent re-solve."""
    journal = tmp_path / SOLVE_JOURNAL
    document = scenario_document(small({"horizon_weeks": 5}))
    SolveJournal(journal).record(solve_key(document, 0, None), {"value": 1.0}, "small")
    journal.write_text(journal.read_text(encoding="utf-8") + "{not json\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        SolveJournal(journal)
    assert str(journal) in str(error.value) and "row 2" in str(error.value)


def test_the_command_reports_a_damaged_journal_before_it_simulates(tmp_path: Path, solves: Solves) -> None:
    """`matcher frontier` with a damaged journal in its --out folder ends with exit code 2 and a message naming the
    journal and its line, without a traceback and without a solve."""
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(json.dumps({**scenario_document(small({"horizon_weeks": 4})), "name": "tiny"}), encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / SOLVE_JOURNAL).write_text("{not json\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["frontier", str(scenario), "--exact-replicates", "1", "--out", str(out)])
    assert result.exit_code == 2 and SOLVE_JOURNAL in result.output and "row 1" in result.output
    assert "Traceback" not in result.output and solves.calls == [] and not (out / "frontier.json").exists()


def test_a_changed_start_file_changes_the_key(tmp_path: Path) -> None:
    """A scenario that starts from a households file names the file, not its rows: the key holds the file's content,
    so the same path with other rows is another key, and the same rows again the first key."""
    households = tmp_path / "households.csv"
    header = "household_id,municipality,koppeling_date,adults,children,gender,head_age\n"
    households.write_text(header + "H-1,Nijmegen,2025-01-01,1,0,M,30\n", encoding="utf-8")
    document = {**scenario_document(small({"horizon_weeks": 5})), "start": {"profile": None, "households": str(households)}}
    first = solve_key(document, 0, None)
    households.write_text(header + "H-1,Nijmegen,2025-01-01,2,0,M,30\n", encoding="utf-8")
    assert solve_key(document, 0, None) != first
    households.write_text(header + "H-1,Nijmegen,2025-01-01,1,0,M,30\n", encoding="utf-8")
    assert solve_key(document, 0, None) == first
    households.unlink()
    with pytest.raises(InputError, match=r"start\.households"):
        solve_key(document, 0, None)
