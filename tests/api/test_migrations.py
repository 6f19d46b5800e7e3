"""The schema comes from the Alembic migrations, and they match the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
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
