"""The command line as a user runs it: real processes, real files, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from matcher.input.instance import load_instance
from matcher.input.policy import TERMS
from matcher.validate import check_proposal

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "nijmegen-week"


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cli", *map(str, args)], capture_output=True, text=True, cwd=ROOT)


def _inputs() -> list[str | Path]:
    return [
        "--households",
        EXAMPLE / "households.csv",
        "--units",
        EXAMPLE / "units.csv",
        "--policy",
        EXAMPLE / "policy.json",
    ]


def test_propose_writes_valid_proposal_and_summary(tmp_path: Path) -> None:
    """propose on the example week writes a valid, optimal proposal and prints the summary."""
    out = tmp_path / "proposal.json"
    result = _run("propose", *_inputs(), "--out", out)
    assert result.returncode == 0, result.stderr
    assert "Households placed" in result.stdout and "Unmatched: outranked" in result.stdout
    proposal = json.loads(out.read_text())
    assert proposal["status"] == "optimal"
    instance = load_instance(EXAMPLE / "households.csv", EXAMPLE / "units.csv", EXAMPLE / "policy.json")
    assert check_proposal(instance, proposal) == []


def test_propose_to_stdout_is_json(tmp_path: Path) -> None:
    """Without --out the proposal JSON goes to standard output, the summary to standard error."""
    result = _run("propose", *_inputs(), "--lang", "en")
    assert result.returncode == 0
    assert json.loads(result.stdout)["format"] == "proposal/v1"


def test_bad_input_exits_2_without_traceback_or_output(tmp_path: Path) -> None:
    """A bad cell: exit 2, the located message, no traceback, no file written."""
    bad = tmp_path / "units.csv"
    text = (EXAMPLE / "units.csv").read_text().splitlines()
    cells = text[5].split(",")
    cells[10] = "drie"
    text[5] = ",".join(cells)
    bad.write_text("\n".join(text) + "\n")
    out = tmp_path / "proposal.json"
    result = _run("propose", "--households", EXAMPLE / "households.csv", "--units", bad, "--out", out)
    assert result.returncode == 2
    assert 'units.csv row 6, column max_occupants: expected an integer >= 1, got "drie"' in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_validate(tmp_path: Path) -> None:
    """validate reports the counts and the input hash."""
    result = _run("validate", *_inputs())
    assert result.returncode == 0 and "150 households, 40 units" in result.stdout


def test_generate_then_fifo(tmp_path: Path) -> None:
    """generate writes the three files; propose --strategy fifo runs on them and is valid."""
    assert _run("generate", "--profile", "nijmegen-week", "--seed", "5", "--out", tmp_path).returncode == 0
    out = tmp_path / "fifo.json"
    files = [
        "--households",
        tmp_path / "households.csv",
        "--units",
        tmp_path / "units.csv",
        "--policy",
        tmp_path / "policy.json",
    ]
    result = _run("propose", *files, "--strategy", "fifo", "--out", out, "--quiet")
    assert result.returncode == 0, result.stderr
    instance = load_instance(tmp_path / "households.csv", tmp_path / "units.csv", tmp_path / "policy.json")
    assert check_proposal(instance, json.loads(out.read_text())) == []


def test_unknown_profile() -> None:
    """An unknown profile is an error with the known ones listed."""
    result = _run("generate", "--profile", "amsterdam", "--out", "/tmp/never")
    assert result.returncode == 2 and "nijmegen-week" in result.stderr


def test_long_problem_lines_are_never_wrapped(tmp_path: Path) -> None:
    """Each problem stays on one line of stderr however long, so it can be searched for whole."""
    policy = tmp_path / "policy.json"
    policy.write_text('{"objective": [{"no_such_term": 1}]}')
    result = _run("validate", "--households", EXAMPLE / "households.csv", "--units", EXAMPLE / "units.csv", "--policy", policy)
    assert result.returncode == 2
    line = next(x for x in result.stderr.splitlines() if "no_such_term" in x)
    assert line.strip().startswith("policy.json column objective[0]: unknown term")
    assert line.rstrip().endswith("known terms: " + ", ".join(TERMS))


def test_service_commands_without_the_service_extra_say_what_to_install() -> None:
    """With the web packages absent (as after installing the engine alone), `matcher serve` and the
    token command exit 2 with the extra to install, never a traceback."""
    code = (
        "import sys\n"
        "for name in ('fastapi', 'uvicorn', 'sqlalchemy', 'alembic', 'pydantic_settings'):\n"
        "    sys.modules[name] = None\n"
        "from cli.main import main\n"
        "sys.argv = ['matcher', *sys.argv[1:]]\n"
        "main()\n"
    )
    for args in (["serve"], ["token", "create", "--role", "admin", "--owner", "Beheer"]):
        result = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT)
        assert result.returncode == 2, result.stderr
        assert "pip install 'statushouder-matcher[service]'" in result.stderr
        assert "Traceback" not in result.stderr


def test_regional_example_prints_the_balance_per_municipality(tmp_path: Path) -> None:
    """propose on the regional example prints each municipality's balance and the half-year caps,
    with the numbers of the proposal it writes (which the validator accepts)."""
    regional = ROOT / "examples" / "regional"
    out = tmp_path / "proposal.json"
    files = ("--households", regional / "households.csv", "--units", regional / "units.csv")
    result = _run("propose", *files, "--policy", regional / "policy.json", "--out", out)
    assert result.returncode == 0, result.stderr
    proposal = json.loads(out.read_text())
    instance = load_instance(regional / "households.csv", regional / "units.csv", regional / "policy.json")
    assert check_proposal(instance, proposal) == []
    assert "Regional balance (a placement counts for the household's municipality)" in result.stdout
    rows = proposal["regional_balance"]["municipalities"]
    assert len(rows) == 7
    for row in rows:
        line = next(x for x in result.stdout.splitlines() if x.startswith(f"│ {row['municipality']} "))
        numbers = [int(x) for x in line.replace("│", " ").split() if x.isdigit()]
        assert numbers == [row[k] for k in ("taakstelling", "homes_offered", "persons_housed",
                           "persons_placed_elsewhere", "persons_taken_in", "persons_counted")]  # fmt: skip
    for cap in proposal["half_year_caps"]:
        assert f"{cap['placed_before']} earlier + {cap['placed_now']} now of {cap['cap']}" in result.stdout


def test_propose_in_process_gives_the_collector_back(tmp_path: Path) -> None:
    """propose pauses Python's cyclic garbage collector for its own work only: called in a process that
    goes on (a test, a notebook), the collector is on again afterwards, after a proposal and after an
    input error alike; the proposal is the same as a separate process writes."""
    import gc

    from typer.testing import CliRunner

    from cli.main import app

    assert gc.isenabled()
    runner = CliRunner()
    out = tmp_path / "proposal.json"
    result = runner.invoke(app, ["propose", *map(str, _inputs()), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert gc.isenabled()
    bad = tmp_path / "missing.csv"
    failed = runner.invoke(app, ["propose", "--households", str(bad), "--units", str(EXAMPLE / "units.csv"), "--quiet"])
    assert failed.exit_code == 2
    assert gc.isenabled()
    separate = tmp_path / "separate.json"
    assert _run("propose", *_inputs(), "--out", separate, "--quiet").returncode == 0
    drop = ("wall_time_s", "build_s", "solve_s")

    def without_times(path: Path) -> dict[str, object]:
        doc = json.loads(path.read_text())
        doc["solver"] = {k: v for k, v in doc["solver"].items() if k not in drop}
        return doc

    assert without_times(out) == without_times(separate)
