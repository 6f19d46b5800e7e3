"""Database engine, sessions and schema upgrades (Alembic, run from code).

SQLite is the zero-set-up default; PostgreSQL is used when ``DATABASE_URL`` says so. The
schema always comes from the Alembic migrations shipped in ``api/migrations``, never from
``create_all``, so that a database made by an older version is upgraded in place.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from api.settings import sqlalchemy_url

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 7_040_203  # the advisory lock key that lets one process at a time upgrade a PostgreSQL schema
READ_ONLY = "matcher_read_only"  # execution option of the engine behind read-only sessions


class _NoResultRows(logging.Filter):
    """SQLAlchemy logs result rows at DEBUG; rows hold personal fields, so those records are dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


def _guard_sql_logging() -> None:
    engine_log = logging.getLogger("sqlalchemy.engine.Engine")
    if not any(isinstance(f, _NoResultRows) for f in engine_log.filters):
        engine_log.addFilter(_NoResultRows())


def make_engine(database_url: str) -> Engine:
    """An engine for the URL; SQLite gets foreign keys, a busy timeout and cross-thread use.

    SQLite transactions start with ``BEGIN IMMEDIATE``: a request that checks and then
    writes (a decision: is the household still waiting?) holds the write lock from its first
    read, so two simultaneous requests are serialised instead of both passing the check.
    PostgreSQL gets the same effect from ``SELECT ... FOR UPDATE``. Sessions made with
    ``make_sessionmaker(engine, read_only=True)`` begin with a plain ``BEGIN`` instead: in
    WAL mode they read a snapshot beside the writer and never wait for the write lock.

    ``hide_parameters``: statement values (personal fields) never appear in SQL logging or
    in the text of a database error, whatever the log level; result rows are never logged.
    """
    _guard_sql_logging()
    url = sqlalchemy_url(database_url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # transactions are begun below, not by the driver
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            _use_wal(cursor)
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection: Any) -> None:
            read_only = connection.get_execution_options().get(READ_ONLY, False)
            connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def _use_wal(cursor: Any, timeout_s: float = 30.0) -> None:
    """Put the database in WAL mode (a property of the file, kept once set).

    Switching needs a moment of exclusive access, and SQLite answers "database is locked"
    at once, without its busy timeout, when another connection is in the middle of its
    own switch: several processes opening a new database together (replicas starting at
    once) would fail. So the mode is read first, and only a database not yet in WAL mode
    is switched, retrying until the timeout."""
    import sqlite3
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")  # an in-memory database stays in memory mode
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
        time.sleep(0.02)


def make_sessionmaker(engine: Engine, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions for requests; ``read_only`` ones never take SQLite's write lock and refuse to write.

    Reads (the token lookup of every request, lists, the dashboard) need no lock: on SQLite
    taking the write lock for them made every request wait for every other one, and a
    waiting request polls with sleeps of up to 100 ms, so a few concurrent readers stretched
    the slowest answers to seconds. A read-only session that tries to write fails loudly
    instead of racing a writer."""
    if not read_only:
        return sessionmaker(engine, expire_on_commit=False)
    factory = sessionmaker(engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)
    event.listen(factory, "before_flush", _refuse_flush)
    event.listen(factory, "do_orm_execute", _refuse_changes)
    return factory


def _refuse_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("a read-only session cannot store changes")


def _refuse_changes(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise RuntimeError("a read-only session cannot store changes")


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _alembic_config() -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "head", audit_key: bytes | None = None) -> None:
    """Bring the schema to the newest migration (or to ``revision``). The migration that keys
    the audit chain uses ``audit_key``, else the key of the environment (``api.audit_key``).

    Several processes may start at once on one PostgreSQL database (replicas, a rolling
    deploy): the first takes a transaction-level advisory lock and upgrades, the others
    wait for it and then find nothing left to do. (SQLite's write lock does the same.)"""
    from alembic import command

    config = _alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        if audit_key is not None:
            config.attributes["audit_key"] = audit_key
        command.upgrade(config, revision)
    log.info("database schema is up to date")


def schema_head() -> str:
    """The newest migration this version of the service ships."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def schema_version(session: Session) -> str | None:
    """The migration the database is at (None for a database without the schema)."""
    try:
        value = session.scalar(text("SELECT version_num FROM alembic_version"))
        return None if value is None else str(value)
    except (OperationalError, ProgrammingError):  # no such table
        session.rollback()
        return None
