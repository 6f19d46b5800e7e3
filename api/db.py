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

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from api.settings import sqlalchemy_url

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"


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
    PostgreSQL gets the same effect from ``SELECT ... FOR UPDATE``.

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
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin_immediate(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


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


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to the newest migration (or to ``revision``)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    log.info("database schema is up to date")
