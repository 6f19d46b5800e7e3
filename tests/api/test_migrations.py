"""The schema comes from the Alembic migrations, and they match the models exactly."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from service_helpers import audit_key
from sqlalchemy import inspect

from api.db import make_engine, upgrade
from api.models import Base


def test_migrations_create_what_the_models_describe(database_url: str) -> None:
    """After upgrading an empty database, Alembic finds no difference between it and the models."""
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        upgrade(engine)  # a second upgrade is a no-op
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
            tables = set(inspect(connection).get_table_names())
    finally:
        engine.dispose()
    assert differences == []
    assert {
        "households",
        "units",
        "runs",
        "run_pairs",
        "decisions",
        "targets",
        "tokens",
        "audit_log",
        "alembic_version",
    } <= tables


def test_upgrade_keeps_rows_written_by_the_first_schema(database_url: str) -> None:
    """A database made at revision 0001 with a stored run is upgraded in place; the run stays, with the new column's default."""
    from sqlalchemy import text

    engine = make_engine(database_url)
    try:
        upgrade(engine, "0001")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO runs (created_at, created_by, strategy, status, stage, progress, policy, snapshot) "
                    "VALUES (CURRENT_TIMESTAMP, 'tok-old', 'optimise', 'done', 'done', 1.0, '{}', '{}')"
                )
            )
        upgrade(engine)
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT created_by, what_it_would_take FROM runs")).all()
    finally:
        engine.dispose()
    assert [(r[0], bool(r[1])) for r in rows] == [("tok-old", False)]


def test_upgrade_chains_the_audit_entries_already_there(database_url: str) -> None:
    """A log written before the hash chain is chained in place (verify finds it intact), and an
    earlier decision gets its token id as the deciding person."""
    from sqlalchemy import text

    from api.audit_verify import verify
    from api.db import make_sessionmaker

    engine = make_engine(database_url)
    try:
        upgrade(engine, "0003")
        with engine.begin() as connection:
            for action in ("households.import", "run.create", "decision.pin"):
                connection.execute(
                    text(
                        "INSERT INTO audit_log (at, token_id, action, object_type, object_ids) "
                        "VALUES (CURRENT_TIMESTAMP, 'tok-old', :action, 'x', '[\"H-1\"]')"
                    ),
                    {"action": action},
                )
            connection.execute(
                text(
                    "INSERT INTO runs (id, created_at, created_by, strategy, status, stage, progress, policy, snapshot) "
                    "VALUES (1, CURRENT_TIMESTAMP, 'tok-old', 'optimise', 'done', 'done', 1.0, '{}', '{}')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO decisions (run_id, household_id, unit_id, kind, municipality, persons, created_at, created_by) "
                    "VALUES (1, 'H-1', 'U-1', 'pin', 'Nijmegen', 2, CURRENT_TIMESTAMP, 'tok-old')"
                )
            )
        upgrade(engine)
        with make_sessionmaker(engine)() as session:
            report = verify(session, audit_key())
        with engine.connect() as connection:
            decided_by = connection.scalar(text("SELECT decided_by FROM decisions"))
    finally:
        engine.dispose()
    assert report.intact and (report.entries, report.plain) == (4, 3)
    assert decided_by == "tok-old"


def test_upgrade_keys_households_and_units_by_their_municipality(database_url: str) -> None:
    """Rows stored before revision 0005 keep their ids; afterwards the same id can be stored for a second
    municipality (not twice for one), and an earlier decision names its unit's municipality."""
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    household = (
        "INSERT INTO households (household_id, municipality, koppeling_date, adults, children, gender, head_age, "
        "expected_reunification, documents_complete, vulnerabilities, preferred_neighbourhoods, status, created_at, "
        "updated_at) VALUES ('H-1', :place, '2025-01-06', 1, 0, 'F', 30, 0, true, '[]', '[]', 'waiting', "
        "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    )
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0004")
        with engine.begin() as connection:
            connection.execute(text(household), {"place": "Nijmegen"})
            connection.execute(
                text(
                    "INSERT INTO units (unit_id, municipality, neighbourhood, corporation, unit_type, temporary, shared, "
                    "bedrooms, min_occupants, max_occupants, rent, step_free, wheelchair, gender, lgbtiq_safe, support, "
                    "available_from, status, beds_taken, created_at, updated_at) VALUES ('U-1', 'Heumen', 'Centrum', '', "
                    "'social', false, false, 1, 1, 2, 500, false, false, '', false, false, '2025-03-01', 'available', 0, "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO runs (id, created_at, created_by, strategy, status, stage, progress, policy, snapshot) "
                    "VALUES (1, CURRENT_TIMESTAMP, 'tok-old', 'optimise', 'done', 'done', 1.0, '{}', '{}')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO decisions (run_id, household_id, unit_id, kind, municipality, persons, created_at, created_by, "
                    "decided_by) VALUES (1, 'H-1', 'U-1', 'pin', 'Nijmegen', 1, CURRENT_TIMESTAMP, 'tok-old', 'JdV')"
                )
            )
        upgrade(engine)
        with engine.begin() as connection:
            connection.execute(text(household), {"place": "Heumen"})
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(text(household), {"place": "Nijmegen"})
        with engine.connect() as connection:
            places = connection.execute(text("SELECT municipality FROM households ORDER BY municipality")).scalars().all()
            unit_place = connection.scalar(text("SELECT unit_municipality FROM decisions"))
    finally:
        engine.dispose()
    assert places == ["Heumen", "Nijmegen"] and unit_place == "Heumen"


def test_upgrade_turns_accepted_decisions_into_offered_or_housed_cases(database_url: str) -> None:
    """Accepts stored before cases existed: one whose housing date lay in the past becomes
    housed with a moved_in event on that date (so its persons still count for the
    taakstelling), one into a temporary unit becomes housed_temporary; one dated today or
    later becomes offered and its unit (or its beds in a shared place) is held, no longer let.
    A waiting household with incomplete documents is incomplete since its koppeling."""
    import datetime as dt

    from sqlalchemy import text

    from api.db import make_sessionmaker
    from api.taakstelling import report

    later = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0004")
        with engine.begin() as connection:
            household = (
                "INSERT INTO households (household_id, municipality, koppeling_date, adults, children, gender, head_age, "
                "expected_reunification, documents_complete, vulnerabilities, preferred_neighbourhoods, status, housed_on, "
                "created_at, updated_at) VALUES (:id, 'Nijmegen', '2025-01-06', :adults, 0, 'F', 30, 0, :docs, '[]', '[]', "
                ":status, :housed_on, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
            for hid, adults, docs, status, housed_on in (
                ("H-past", 2, True, "housed", "2025-03-10"),
                ("H-flex", 1, True, "housed", "2025-03-11"),
                ("H-future", 3, True, "housed", later),
                ("H-bed", 1, True, "housed", later),
                ("H-wait", 1, False, "waiting", None),
            ):
                connection.execute(
                    text(household), {"id": hid, "adults": adults, "docs": docs, "status": status, "housed_on": housed_on}
                )
            unit = (
                "INSERT INTO units (unit_id, municipality, neighbourhood, corporation, unit_type, temporary, shared, beds, "
                "bedrooms, min_occupants, max_occupants, rent, step_free, wheelchair, gender, lgbtiq_safe, support, "
                "available_from, status, beds_taken, created_at, updated_at) VALUES (:id, 'Nijmegen', 'Hatert', '', :type, "
                ":temporary, :shared, :beds, 2, 1, 4, 500, false, false, '', false, false, '2025-03-01', :status, :taken, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
            for uid, kind, temporary, shared, beds, status, taken in (
                ("U-past", "social", False, False, None, "let", 2),
                ("U-flex", "flex", True, False, None, "let", 1),
                ("U-future", "social", False, False, None, "let", 3),
                ("U-shared", "flex", True, True, 3, "available", 1),
            ):
                connection.execute(
                    text(unit),
                    {"id": uid, "type": kind, "temporary": temporary, "shared": shared, "beds": beds, "status": status,
                     "taken": taken},
                )  # fmt: skip
            connection.execute(
                text(
                    "INSERT INTO runs (id, created_at, created_by, strategy, status, stage, progress, policy, snapshot) "
                    "VALUES (1, CURRENT_TIMESTAMP, 'tok-old', 'optimise', 'done', 'done', 1.0, '{}', '{}')"
                )
            )
            for hid, uid, persons, housed_on in (
                ("H-past", "U-past", 2, "2025-03-10"),
                ("H-flex", "U-flex", 1, "2025-03-11"),
                ("H-future", "U-future", 3, later),
                ("H-bed", "U-shared", 1, later),
            ):
                connection.execute(
                    text(
                        "INSERT INTO decisions (run_id, household_id, unit_id, kind, municipality, persons, housed_on, "
                        "created_at, created_by, decided_by) VALUES (1, :h, :u, 'accept', 'Nijmegen', :p, :d, "
                        "'2025-03-03 10:00:00', 'tok-old', 'JdV')"
                    ),
                    {"h": hid, "u": uid, "p": persons, "d": housed_on},
                )
        upgrade(engine)
        with engine.connect() as connection:
            households = {
                row[0]: tuple(row[1:])
                for row in connection.execute(
                    text(
                        "SELECT household_id, status, current_unit_id, offered_unit_id, offered_on, documents_incomplete_since "
                        "FROM households"
                    )
                )
            }
            units = {
                row[0]: tuple(row[1:])
                for row in connection.execute(text("SELECT unit_id, status, beds_taken, beds_held FROM units"))
            }
            events = connection.execute(
                text("SELECT household_id, kind, date, persons_counted, created_by FROM case_events")
            ).all()
        with make_sessionmaker(engine)() as session:
            realised = report(session, None, on=dt.date(2025, 6, 30)).municipalities[0].half_years[-1].realised
    finally:
        engine.dispose()

    def day(value: object) -> str | None:
        return None if value is None else str(value)[:10]

    assert {h: (s, c, o, day(on), day(since)) for h, (s, c, o, on, since) in households.items()} == {
        "H-past": ("housed", "U-past", None, None, None),
        "H-flex": ("housed_temporary", "U-flex", None, None, None),
        "H-future": ("offered", None, "U-future", "2025-03-03", None),
        "H-bed": ("offered", None, "U-shared", "2025-03-03", None),
        "H-wait": ("waiting", None, None, None, "2025-01-06"),
    }
    assert units == {
        "U-past": ("let", 2, 0),
        "U-flex": ("let", 1, 0),
        "U-future": ("offered", 0, 3),
        "U-shared": ("available", 0, 1),
    }
    assert sorted((h, k, day(d), p, by) for h, k, d, p, by in events) == [
        ("H-flex", "moved_in", "2025-03-11", 1, "migration"),
        ("H-past", "moved_in", "2025-03-10", 2, "migration"),
    ]
    assert realised == 3


def test_upgrade_adds_the_family_date_and_unit_events_and_keeps_every_row(database_url: str) -> None:
    """A database at revision 0006 with a household and a unit is upgraded: the household is
    there with no expected arrival date (unknown, as before), the unit keeps its status, and
    the table of unit events exists and is empty."""
    from sqlalchemy import text

    engine = make_engine(database_url)
    try:
        upgrade(engine, "0006")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO households (household_id, municipality, koppeling_date, adults, children, gender, head_age, "
                    "expected_reunification, documents_complete, vulnerabilities, preferred_neighbourhoods, status, "
                    "offered_persons, current_persons, move_on, previous_persons, counted, created_at, updated_at) "
                    "VALUES ('H-1', 'Nijmegen', '2025-01-06', 1, 0, 'F', 30, 2, true, '[]', '[]', 'waiting', 0, 0, false, 0, "
                    "false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO units (unit_id, municipality, neighbourhood, corporation, unit_type, temporary, shared, "
                    "bedrooms, min_occupants, max_occupants, rent, step_free, wheelchair, gender, lgbtiq_safe, support, "
                    "available_from, status, beds_taken, beds_held, created_at, updated_at) VALUES ('U-1', 'Nijmegen', "
                    "'Hatert', '', 'social', false, false, 2, 1, 4, 500, false, false, '', false, false, '2025-03-01', "
                    "'available', 0, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
        upgrade(engine)
        with engine.connect() as connection:
            household = connection.execute(
                text("SELECT expected_reunification, expected_arrival_date FROM households WHERE household_id = 'H-1'")
            ).one()
            status = connection.scalar(text("SELECT status FROM units WHERE unit_id = 'U-1'"))
            events = connection.scalar(text("SELECT count(*) FROM unit_events"))
    finally:
        engine.dispose()
    assert (household[0], household[1], status, events) == (2, None, "available", 0)


def test_upgrade_gives_older_tokens_an_unknown_owner_and_an_expiry(database_url: str) -> None:
    """Tokens made before revision 0009 keep working, with the owner 'onbekend' and an expiry 90
    days after the upgrade; case and unit events recorded before it name 'onbekend' as who
    recorded them."""
    import datetime as dt
    import hashlib

    from sqlalchemy import text

    from api.auth import authenticate
    from api.db import make_sessionmaker

    secret = "wbb_tok-0ld_secret"
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0008")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO tokens (id, secret_sha256, role, municipality, created_at, created_by, revoked) "
                    "VALUES ('tok-0ld', :digest, 'wbb', NULL, '2025-01-01 00:00:00', NULL, false)"
                ),
                {"digest": hashlib.sha256(secret.encode()).hexdigest()},
            )
            connection.execute(
                text(
                    "INSERT INTO case_events (household_id, municipality, kind, date, persons_counted, state_before, "
                    "state_after, created_at, created_by) VALUES ('H-1', 'Nijmegen', 'documents_complete', '2025-02-01', 0, "
                    "'waiting', 'waiting', CURRENT_TIMESTAMP, 'tok-0ld')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO unit_events (unit_id, municipality, kind, date, reason, withdrawn_by, households, "
                    "status_before, created_at, created_by) VALUES ('U-1', 'Nijmegen', 'withdrawn', '2025-02-01', "
                    "'other', 'wbb', '[]', 'available', CURRENT_TIMESTAMP, 'tok-0ld')"
                )
            )
        upgrade_started = dt.datetime.now(dt.UTC).replace(microsecond=0)
        upgrade(engine)
        upgrade_ended = dt.datetime.now(dt.UTC)
        with engine.connect() as connection:
            owner, expires_at, last_used = connection.execute(text("SELECT owner, expires_at, last_used FROM tokens")).one()
            actor = connection.scalar(text("SELECT actor FROM case_events"))
            unit_actor = connection.scalar(text("SELECT actor FROM unit_events"))
        caller = authenticate(f"Bearer {secret}", make_sessionmaker(engine, read_only=True), make_sessionmaker(engine))
    finally:
        engine.dispose()
    expires = (expires_at if isinstance(expires_at, dt.datetime) else dt.datetime.fromisoformat(str(expires_at))).replace(
        tzinfo=dt.UTC
    )
    assert (owner, last_used, actor, unit_actor) == ("onbekend", None, "onbekend", "onbekend")
    assert upgrade_started + dt.timedelta(days=90) <= expires <= upgrade_ended + dt.timedelta(days=90)
    assert (caller.token_id, caller.actor, caller.named) == ("tok-0ld", "onbekend", False)


def test_processes_starting_at_once_upgrade_the_schema_once(database_url: str) -> None:
    """Four processes' worth of upgrades started at the same moment on an empty database (two
    replicas and a rolling deploy starting together): all succeed, and the schema is at the
    newest migration exactly once, as the models describe it."""
    import threading

    from api.db import schema_head

    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def upgrade_once() -> None:
        engine = make_engine(database_url)
        try:
            start.wait()
            upgrade(engine)
        except BaseException as error:
            errors.append(error)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=upgrade_once) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            from sqlalchemy import text

            versions = [row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))]
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
    assert versions == [schema_head()] and differences == []


def test_a_new_sqlite_file_opened_while_another_process_writes_waits_instead_of_failing(tmp_path: Path) -> None:
    """Opening a connection switches a new SQLite file to WAL mode, which needs a moment of exclusive
    access. While another process holds the write lock, SQLite refuses the switch at once ("database is
    locked"), without waiting its busy timeout; the service's engine waits for the lock instead."""
    import sqlite3
    import threading
    import time

    path = tmp_path / "matcher.db"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("CREATE TABLE t (x INTEGER)")
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t VALUES (1)")
    release = threading.Timer(0.5, other.commit)
    release.start()
    started = time.monotonic()
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
    finally:
        engine.dispose()
        release.join()
        other.close()
    assert mode == "wal"
    assert time.monotonic() - started >= 0.4
