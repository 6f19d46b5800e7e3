"""Read-only sessions: they read beside a writer without waiting, and they cannot write."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select, text, update

from api.auth import create_token
from api.db import make_engine, make_sessionmaker, session_scope, upgrade
from api.models import Token


def test_a_read_does_not_wait_for_a_writer(database_url: str) -> None:
    """While another session holds an open write transaction, a read-only session reads at once."""
    engine = make_engine(database_url)
    upgrade(engine)
    writer, reader = make_sessionmaker(engine)(), make_sessionmaker(engine, read_only=True)()
    try:
        writer.execute(text("SELECT 1"))  # on SQLite this takes the write lock (BEGIN IMMEDIATE)
        start = time.perf_counter()
        assert reader.scalar(select(Token.id).limit(1)) is None
        assert time.perf_counter() - start < 5.0  # a wait for the write lock lasts until the busy timeout (30 s)
    finally:
        reader.close()
        writer.close()
        engine.dispose()


def test_a_read_only_session_refuses_to_add_a_row(database_url: str) -> None:
    """Adding a row through a read-only session fails, and nothing is stored."""
    engine = make_engine(database_url)
    upgrade(engine)
    try:
        with make_sessionmaker(engine, read_only=True)() as session, pytest.raises(RuntimeError, match="read-only"):
            create_token(session, "viewer", None, None)
        with make_sessionmaker(engine)() as session:
            assert session.scalars(select(Token)).first() is None
    finally:
        engine.dispose()


def test_a_read_only_session_refuses_an_update_statement(database_url: str) -> None:
    """An UPDATE statement through a read-only session fails, and the row keeps its value."""
    engine = make_engine(database_url)
    upgrade(engine)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            token_id = create_token(session, "viewer", None, None)[0].id
        with make_sessionmaker(engine, read_only=True)() as session, pytest.raises(RuntimeError, match="read-only"):
            session.execute(update(Token).where(Token.id == token_id).values(revoked=True))
        with make_sessionmaker(engine)() as session:
            assert session.get(Token, token_id) is not None
            assert session.scalars(select(Token.revoked).where(Token.id == token_id)).one() is False
    finally:
        engine.dispose()
