"""Alembic environment: runs on the connection handed over by :func:`api.db.upgrade`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from api.models import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when alembic is run by hand with a URL
    from sqlalchemy import create_engine

    from api.settings import Settings, sqlalchemy_url

    engine = create_engine(sqlalchemy_url(Settings().database_url))
    with engine.begin() as new_connection:
        _run(new_connection)
else:
    _run(connection)
