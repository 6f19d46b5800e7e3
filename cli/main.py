"""The ``matcher`` command line: propose, validate, generate.

This is the presentation layer: it is the only place that prints. Input errors end the
command with exit code 2 and a list of problems (file, row, column), never a traceback,
and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from matcher.errors import InputError, InputProblem

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Housing-matching engine for statushouders (WBB).")
err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)

HouseholdsOpt = Annotated[Path, typer.Option("--households", help="households.csv or .xlsx")]
UnitsOpt = Annotated[Path, typer.Option("--units", help="units.csv or .xlsx")]
PolicyOpt = Annotated[Path | None, typer.Option("--policy", help="policy.json (optional)")]


def _fail(error: InputError) -> None:
    err.print(
        f"[bold red]Input error[/] ({len(error.problems)} problem{'s' if len(error.problems) != 1 else ''}):",
        highlight=False,
    )
    for line in str(error).splitlines():
        # One problem per line, never wrapped, so the line can be searched for and copied whole.
        err.print(f"  {line}", highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(code=2)


@app.command()
def propose(
    households: HouseholdsOpt,
    units: UnitsOpt,
    policy: PolicyOpt = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="write the proposal JSON here (default: standard output)")
    ] = None,
    strategy: Annotated[str, typer.Option(help="optimise (default) or fifo (baseline: oldest koppeling first)")] = "optimise",
    lang: Annotated[str | None, typer.Option(help="language of explanations: nl or en")] = None,
    what_it_would_take: Annotated[
        bool,
        typer.Option(
            "--what-it-would-take",
            help="for every unmatched household, find the smallest single change that places it (re-solves; slower)",
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="no summary")] = False,
    pipeline: Annotated[
        Path | None,
        typer.Option("--pipeline", help="the COA's pipeline.csv or .xlsx: the households of the look-ahead's forecast"),
    ] = None,
) -> None:
    """Make a weekly match proposal from the interchange files."""
    from matcher.explain.proposal import collector_paused

    # Nearly every object made on the way (rows, tables, the proposal) lives until the end,
    # so the cyclic garbage collector would only scan them again and again: 0.3 s of a
    # national week's 3 s, with the same peak memory without it (measured). Reference
    # counting still frees what is dropped.
    with collector_paused():
        _propose(households, units, policy, out_file, strategy, lang, what_it_would_take, quiet, pipeline)


def _propose(
    households: Path,
    units: Path,
    policy: Path | None,
    out_file: Path | None,
    strategy: str,
    lang: str | None,
    what_it_would_take: bool,
    quiet: bool,
    pipeline: Path | None,
) -> None:
    from matcher import load_instance, solve

    started = time.perf_counter()
    if strategy not in ("optimise", "fifo"):
        _fail(InputError.single("--strategy", f"expected optimise or fifo, got {strategy!r}"))
    if lang is not None and lang not in ("nl", "en"):
        _fail(InputError.single("--lang", f"expected nl or en, got {lang!r}"))
    try:
        with err.status("Reading and checking the input...", spinner="dots") if not quiet else _null():
            instance = load_instance(households, units, policy, pipeline_path=pipeline)
        with err.status("Solving...", spinner="dots") if not quiet else _null():
            result = solve(instance, strategy, started=started)
    except InputError as error:
        _fail(error)
        return
    if what_it_would_take and not quiet:
        with err.status("Trying what it would take for each unmatched household...", spinner="dots"):
            proposal = result.proposal(lang, what_it_would_take)
    else:
        proposal = result.proposal(lang, what_it_would_take)
    text = proposal.to_json()
    if out_file is None:
        sys.stdout.write(text)
    else:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = out_file.with_suffix(out_file.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out_file)
    if not quiet:
        _summary(proposal.model_dump(mode="json"), out_file)


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


def _summary(doc: dict[str, Any], out_file: Path | None) -> None:
    console = err if out_file is None else out
    k = doc["kpis"]
    solver = doc["solver"]
    households = len(doc["matches"]) + len(doc["unmatched_households"])
    persons_waiting = sum(m["persons"] for m in doc["matches"])
    table = Table(title=f"Weekvoorstel {doc['planning_date']} ({doc['status']})", show_header=False)
    table.add_column("", style="bold")
    table.add_column("", justify="right")
    table.add_row("Households placed", f"{k['placed_households']} of {households}")
    table.add_row("Persons placed", str(persons_waiting))
    table.add_row("Overdue households placed", str(k["overdue_placed"]))
    table.add_row("Temporary placements", str(k["temporary_placements"]))
    reasons: dict[str, int] = {}
    for item in doc["unmatched_households"]:
        reasons[item["reason"]] = reasons.get(item["reason"], 0) + 1
    for reason in ("documents_incomplete", "no_eligible_unit", "neighbourhood_cap", "outranked"):
        table.add_row(f"Unmatched: {reason}", str(reasons.get(reason, 0)))
    table.add_row("Units unused", str(len(doc["unused_units"])))
    tried = [x for x in doc["unmatched_households"] if "what_it_would_take" in x["details"]]
    if tried:
        found = sum(1 for x in tried if x["details"]["what_it_would_take"] is not None)
        table.add_row("Placed by one change", f"{found} of {len(tried)} unmatched")
        hopeless = sum(1 for x in tried if x["details"]["what_it_would_take"] is None and x["details"].get("all_changes_tried"))
        table.add_row("No single change places", f"{hopeless} (every change of the kinds tried)")
    shortage = [row for row in doc.get("mismatch", []) if row["unplaced"] > 0][:1]
    if shortage:
        table.add_row("Largest shortage", shortage[0]["explanation"])
    tiers = ", ".join(
        f"{t['value']}" + ("" if t["bound"] is None or t["bound"] == t["value"] else f" (bound {t['bound']})")
        for t in solver["tiers"]
    )
    table.add_row("Tier values", tiers)
    table.add_row("Solver", f"{solver['name']} {solver['method']}, {solver['wall_time_s']:.2f} s")
    for cap in doc.get("half_year_caps") or []:
        table.add_row(
            f"Half-year cap {cap['neighbourhood']}",
            f"{cap['placed_before']} earlier + {cap['placed_now']} now of {cap['cap']}, {cap['left']} left",
        )
    console.print(table)
    if doc.get("regional_balance") is not None:
        console.print(_regional_table(doc["regional_balance"]))
    if out_file is not None:
        console.print(f"Proposal written to {out_file}", highlight=False)


def _regional_table(section: dict[str, Any]) -> Table:
    """The proposal's regional balance: one row per municipality, persons unless said otherwise."""
    whose = "household's" if section["counts_for"] == "household" else "home's"
    table = Table(title=f"Regional balance (a placement counts for the {whose} municipality)")
    table.add_column("Municipality", style="bold", no_wrap=True)
    for header in ("Share", "Homes offered", "Housed", "Placed elsewhere", "Taken in", "Counted"):
        table.add_column(header, justify="right")
    for row in section["municipalities"]:
        share = row["taakstelling"]
        table.add_row(
            row["municipality"],
            "-" if share is None else str(share),
            *(
                str(row[key])
                for key in ("homes_offered", "persons_housed", "persons_placed_elsewhere", "persons_taken_in", "persons_counted")
            ),
        )
    return table


@app.command()
def explain(
    proposal_file: Annotated[Path, typer.Argument(help="a proposal.json written by `matcher propose`")],
    household: Annotated[str | None, typer.Option("--household", help="household_id to explain")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="unit_id to explain")] = None,
    households: Annotated[
        Path | None,
        typer.Option("--households", help="the proposal's households file, to try what it would take for an unmatched household"),
    ] = None,
    units: Annotated[Path | None, typer.Option("--units", help="the proposal's units file")] = None,
    policy: PolicyOpt = None,
    lang: Annotated[str | None, typer.Option(help="language: nl or en (default: the proposal's)")] = None,
) -> None:
    """Why, why not and what it would take, for one household or unit of a stored proposal."""
    from matcher.explain.stored import explain_household, explain_unit, load_proposal

    if (household is None) == (unit is None):
        _fail(InputError.single("explain", "give exactly one of --household and --unit"))
    if lang is not None and lang not in ("nl", "en"):
        _fail(InputError.single("--lang", f"expected nl or en, got {lang!r}"))
    try:
        doc = load_proposal(proposal_file)
        if household is not None:
            lines = explain_household(doc, household, lang, households, units, policy)
        else:
            assert unit is not None
            lines = explain_unit(doc, unit, lang)
    except InputError as error:
        _fail(error)
        return
    for line in lines:
        out.print(line, highlight=False, markup=False)


@app.command()
def validate(households: HouseholdsOpt, units: UnitsOpt, policy: PolicyOpt = None) -> None:
    """Check the input files only; exit 2 with every problem found."""
    from matcher import check_instance, load_instance

    try:
        instance = load_instance(households, units, policy)
        n_pairs = check_instance(instance)
    except InputError as error:
        _fail(error)
        return
    out.print(
        f"OK: {instance.n_households} households, {instance.n_units} units, "
        f"{n_pairs} eligible pairs; input_sha256 {instance.input_sha256}",
        highlight=False,
    )


@app.command()
def generate(
    profile: Annotated[str, typer.Option(help="nijmegen-week, regional or national")],
    out_dir: Annotated[Path, typer.Option("--out", help="folder for households.csv, units.csv, policy.json")],
    seed: Annotated[int, typer.Option(help="random seed")] = 0,
    planning_date: Annotated[str | None, typer.Option(help="ISO date of the WBB meeting")] = None,
) -> None:
    """Write a synthetic instance calibrated to public figures (see docs/generator.md)."""
    from matcher.generate import PROFILES, generate_instance

    if profile not in PROFILES:
        _fail(InputError.single("--profile", f"expected one of {', '.join(PROFILES)}, got {profile!r}"))
    date = None
    if planning_date is not None:
        try:
            date = dt.date.fromisoformat(planning_date)
        except ValueError:
            _fail(InputError.single("--planning-date", f"expected an ISO date, got {planning_date!r}"))
    households, units, policy = generate_instance(profile, seed, date)
    out_dir.mkdir(parents=True, exist_ok=True)
    households.to_csv(out_dir / "households.csv", index=False)
    units.to_csv(out_dir / "units.csv", index=False)
    (out_dir / "policy.json").write_text(json.dumps(policy, indent=2) + "\n", encoding="utf-8")
    out.print(f"Wrote {len(households)} households and {len(units)} units to {out_dir}", highlight=False)


SERVICE_PACKAGES = ("fastapi", "uvicorn", "sqlalchemy", "alembic", "pydantic_settings", "jwt", "prometheus_client")


def _require_service() -> None:
    """The service commands need the ``service`` extra and settings they can use; say what
    is missing or wrong instead of a traceback."""
    from importlib import import_module

    missing = []
    for name in SERVICE_PACKAGES:
        try:
            import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        err.print(
            f"This command needs the service packages ({', '.join(missing)} missing). "
            "Install them with: pip install 'statushouder-matcher[service]'",
            highlight=False,
            markup=False,
        )
        raise typer.Exit(code=2)
    from api.settings import check_environment

    try:
        check_environment()
    except InputError as error:
        _fail(error)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="address to listen on (default MATCHER_HOST or 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default MATCHER_PORT or 8000)")] = None,
) -> None:
    """Start the WBB service (database from DATABASE_URL, default a SQLite file matcher.db).

    The web packages are imported here, inside the command, so the engine never needs them.
    """
    _require_service()
    from api.audit_key import AuditKeyError
    from api.serve import serve as run_service

    try:
        run_service(host, port)
    except AuditKeyError as error:
        _refuse(error)


token_app = typer.Typer(no_args_is_help=True, help="Access tokens for the service.")
NAME_RULE = "expected a person's name or initials: a letter first, then letters, digits, spaces, . ' or -; at most 64 characters"
app.add_typer(token_app, name="token")


@token_app.command("create")
def token_create(
    role: Annotated[str, typer.Option(help="viewer, officer, wbb, admin or corporation")],
    owner: Annotated[str, typer.Option(help="the person the token is for (name or initials); named on all they do")],
    municipality: Annotated[str | None, typer.Option(help="limit the token to one municipality")] = None,
    days: Annotated[int, typer.Option(help="days until the token stops working (1 to 366)")] = 90,
    corporation: Annotated[
        str | None, typer.Option(help="role corporation only: the corporation it speaks for, as in units.csv")
    ] = None,
) -> None:
    """Print a new token (only its hash is stored). Imports the service code lazily."""
    _require_service()
    from pydantic import TypeAdapter, ValidationError

    from api.audit_key import AuditKeyError
    from api.auth import MAX_DAYS, TOKEN_ROLES, corporation_problem, create_token_command
    from api.excel import dutch_date
    from api.schemas import OwnerName

    problems = []
    if role not in TOKEN_ROLES:
        problems.append(("--role", f"expected one of {', '.join(TOKEN_ROLES)}, got {role!r}"))
    elif (corporation_error := corporation_problem(role, corporation)) is not None:
        problems.append(("--corporation", corporation_error))
    try:
        owner = TypeAdapter(OwnerName).validate_python(owner)
    except ValidationError as error:
        first = error.errors()[0]
        problems.append(("--owner", first["msg"] if first["type"] == "owner_reserved" else NAME_RULE))
    if not 1 <= days <= MAX_DAYS:
        problems.append(("--days", f"expected a whole number from 1 to {MAX_DAYS}, got {days}"))
    if problems:
        _fail(InputError([InputProblem(source=source, message=message) for source, message in problems]))
    try:
        made = create_token_command(role, municipality, owner, days, corporation)
    except AuditKeyError as error:
        _refuse(error)
    sys.stdout.write(made.secret + "\n")
    scope = "".join(
        f", {kind} {name}" for kind, name in (("corporation", made.corporation), ("municipality", made.municipality)) if name
    )
    sys.stderr.write(
        f"{made.token_id}: {made.role} for {made.owner}{scope}, valid until {dutch_date(made.expires_at.date())} "
        f"({made.expires_at.isoformat()})\n"
    )


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[str | None, typer.Argument(help="the token's id (tok-...)")] = None,
    owner: Annotated[str | None, typer.Option(help="revoke every token of this person instead")] = None,
) -> None:
    """Revoke a token, or every token of a person, and the tokens made with them."""
    _require_service()
    from api.audit_key import AuditKeyError
    from api.auth import revoke_command

    if (token_id is None) == (owner is None):
        _fail(InputError.single("token revoke", "give a token id or --owner, not both"))
    try:
        matched, revoked = revoke_command(token_id, owner)
    except AuditKeyError as error:
        _refuse(error)
    if not matched:
        err.print("No token has this id or owner; nothing was revoked.", highlight=False, markup=False)
        raise typer.Exit(1)
    ids = ", ".join(revoked) if revoked else "none (already revoked)"
    sys.stdout.write(f"revoked {len(revoked)} token{'s' if len(revoked) != 1 else ''}: {ids}\n")


audit_app = typer.Typer(no_args_is_help=True, help="The service's audit log.")
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify(
    checkpoint: Annotated[
        Path | None,
        typer.Option(
            "--checkpoint", help="a checkpoint file to compare the end of the log with (default: MATCHER_AUDIT_CHECKPOINT)"
        ),
    ] = None,
) -> None:
    """Check the audit log (database from DATABASE_URL, key from MATCHER_AUDIT_KEY or
    MATCHER_AUDIT_KEY_FILE): its keyed chain, the decisions and case events against their
    entries, and the end of the log against a checkpoint. Exit 0 when all hold, 1 naming what
    does not, 2 when the key is missing or the database not yet upgraded. Imports the service
    code lazily."""
    _require_service()
    from api.audit_key import AuditKeyError
    from api.audit_verify import NotKeyed, verify_command

    try:
        report = verify_command(checkpoint)
    except (AuditKeyError, NotKeyed) as error:
        _refuse(error)
        return
    lines: list[str] = []
    if report.chain is not None:
        where = "" if report.chain.entry_id is None else f" at entry {report.chain.entry_id}"
        lines.append(f"audit log broken{where}: {report.chain.reason} ({report.entries} entries before it are intact)")
    lines += [f"audit log does not match the database: {problem}" for problem in report.rows]
    if report.checkpoint is not None:
        lines.append(f"audit log does not match its checkpoint: {report.checkpoint}")
    if lines:
        sys.stderr.write("".join(line + "\n" for line in lines))
        raise typer.Exit(1)
    keyed = report.entries - report.plain
    end = "its end matches the checkpoint"
    if not report.checkpoint_used:
        end = "no checkpoint given, so entries cut off at the end would not show"
    sys.stdout.write(
        f"audit log intact: {report.entries} entries ({report.plain} plain SHA-256 from before the keying, {keyed} keyed); "
        f"{report.rows_checked} decisions and events match their entries"
        + (f", {report.rows_before_keying} from before the keying not compared" if report.rows_before_keying else "")
        + f"; {end}\n"
    )


@audit_app.command("checkpoint")
def audit_checkpoint(
    out_file: Annotated[Path | None, typer.Option("--out", help="where to write it (default MATCHER_AUDIT_CHECKPOINT)")] = None,
) -> None:
    """Write the signed head of the audit log to a file, after checking the log (and that the
    file there, if any, still fits it). Exit 1 when the log does not hold. Imports the service
    code lazily."""
    _require_service()
    from api.audit_checkpoint import CheckpointError
    from api.audit_key import AuditKeyError
    from api.audit_verify import NotKeyed, checkpoint_command

    try:
        head, path = checkpoint_command(out_file)
    except (AuditKeyError, NotKeyed) as error:
        _refuse(error)
        return
    except CheckpointError as error:
        sys.stderr.write(f"no checkpoint written: {error}\n")
        raise typer.Exit(1) from None
    sys.stdout.write(f"checkpoint written to {path}: entry {head.entry_id}, {head.entries} entries, head {head.head}\n")


def _refuse(error: Exception) -> None:
    """A setting the command needs is missing or unusable: say which, exit 2, no traceback."""
    err.print(str(error), highlight=False, markup=False)
    raise typer.Exit(code=2)


@app.command()
def retention(
    older_than_days: Annotated[int, typer.Option(min=0, help="erase households housed more than this many days ago")],
) -> None:
    """Erase the personal fields of households housed long ago (database from DATABASE_URL).

    Gender, age, vulnerabilities, wishes and expected reunification are blanked, in the pool
    and in stored run inputs; ids, sizes, dates and decisions stay, so the taakstelling and
    the counts do not change. Imports the service code lazily."""
    _require_service()
    from api.audit_key import AuditKeyError
    from api.retention import retention_command

    try:
        count, cutoff = retention_command(older_than_days)
    except AuditKeyError as error:
        _refuse(error)
        return
    sys.stdout.write(f"erased the personal fields of {count} households housed before {cutoff.isoformat()}\n")


@app.command()
def backup(
    out_file: Annotated[Path, typer.Option("--out", help="the backup file to write (replaced only once complete)")],
) -> None:
    """Copy the whole database (DATABASE_URL) to one file, while the service may keep running:
    SQLite through its online backup API, PostgreSQL with pg_dump (custom format)."""
    _require_service()
    from api.backup import backup as make_backup
    from api.settings import Settings

    try:
        held = make_backup(Settings().database_url, out_file)
    except InputError as error:
        _fail(error)
        return
    sys.stdout.write(
        f"backup written to {out_file}: {held.kind}, {out_file.stat().st_size} bytes, {held.tables} tables, "
        f"{held.audit_entries} audit entries, schema {held.schema_version or 'none'}\n"
    )


@app.command()
def restore(
    backup_file: Annotated[Path, typer.Argument(help="a file written by `matcher backup`")],
    force: Annotated[
        bool, typer.Option("--force", help="replace what the database holds (default: refuse unless it is empty)")
    ] = False,
) -> None:
    """Restore a backup into the database of DATABASE_URL (stop the service first). Refuses a
    database that is not empty unless --force; a file that is not a backup changes nothing."""
    _require_service()
    from api.backup import restore as restore_backup
    from api.settings import Settings

    try:
        held = restore_backup(Settings().database_url, backup_file, force)
    except InputError as error:
        _fail(error)
        return
    sys.stdout.write(
        f"restored {backup_file}: {held.kind}, {held.tables} tables, {held.audit_entries} audit entries, "
        f"schema {held.schema_version or 'none'}; check it with: matcher audit verify\n"
    )


@app.command()
def simulate(
    scenarios: Annotated[list[Path], typer.Argument(help="scenario files (YAML or JSON), see docs/simulation.md")],
    replicates: Annotated[int, typer.Option(min=1, help="Monte Carlo replicates")] = 20,
    workers: Annotated[int, typer.Option(min=1, help="parallel worker processes")] = 1,
    out_dir: Annotated[Path, typer.Option("--out", help="folder for results, CSV and charts")] = Path("out/simulation"),
    backend: Annotated[str, typer.Option(help="local (processes) or ray")] = "local",
    address: Annotated[str | None, typer.Option(help="Ray cluster address (with --backend ray)")] = None,
    charts: Annotated[bool, typer.Option(help="write PNG and SVG charts")] = True,
    with_base: Annotated[bool, typer.Option(help="also run the base scenario a variant names, and compare")] = True,
    mix_advice: Annotated[bool, typer.Option("--mix-advice", help="also advise a koppeling mix for the supply")] = False,
    exact_hindsight: Annotated[
        bool | None,
        typer.Option(
            "--exact-hindsight/--no-exact-hindsight",
            help="compute (or skip) the exact hindsight reference per replicate, whatever the scenario files say",
        ),
    ] = None,
) -> None:
    """Simulate weeks of matching for what-if scenarios, with bands over replicates (several files: one sweep)."""
    from cli.simulate import run_simulate_command

    try:
        run_simulate_command(
            scenarios, replicates, workers, out_dir, backend, address, charts, with_base, out, err, mix_advice, exact_hindsight
        )
    except InputError as error:
        _fail(error)


@app.command()
def frontier(
    scenarios: Annotated[list[Path], typer.Argument(help="scenario files (YAML or JSON), see docs/simulation.md")],
    replicates: Annotated[int, typer.Option(min=1, help="Monte Carlo replicates")] = 20,
    workers: Annotated[int, typer.Option(min=1, help="parallel worker processes")] = 1,
    out_dir: Annotated[Path, typer.Option("--out", help="folder for frontier.json, frontier.csv and the chart")] = Path(
        "out/frontier"
    ),
    exact_replicates: Annotated[
        int,
        typer.Option(
            min=0, help="replicates (the first ones) the exact hindsight optimum is solved for; seconds to minutes each"
        ),
    ] = 0,
    tail_weeks: Annotated[
        str, typer.Option(help="weeks T of the tail frontier, comma-separated (first scenario only), e.g. 50,55,60")
    ] = "",
    tail_replicates: Annotated[int, typer.Option(min=0, help="replicates the tail frontier is solved for")] = 0,
) -> None:
    """Persons housed against the 90th percentile of waiting: FIFO, today's engine, waiting-first and the look-ahead,
    on the same replicates of each scenario, with the exact hindsight optimum of persons housed (or, without
    --exact-replicates, the relaxed reference) as a line and the tail frontier as a curve."""
    from cli.simulate import run_frontier_command

    try:
        weeks = [int(w) for w in tail_weeks.split(",") if w.strip()]
    except ValueError:
        err.print(f"--tail-weeks: expected whole weeks separated by commas, got {tail_weeks!r}", highlight=False)
        raise typer.Exit(2) from None
    try:
        run_frontier_command(scenarios, replicates, workers, out_dir, out, err, exact_replicates, weeks, tail_replicates)
    except InputError as error:
        _fail(error)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
