"""Request sessions: reads wait for no writer and cannot write; a write commits before its answer is sent."""

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
            create_token(session, "viewer", None, None, owner="Kijker")
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
            token_id = create_token(session, "viewer", None, None, owner="Kijker")[0].id
        with make_sessionmaker(engine, read_only=True)() as session, pytest.raises(RuntimeError, match="read-only"):
            session.execute(update(Token).where(Token.id == token_id).values(revoked=True))
        with make_sessionmaker(engine)() as session:
            assert session.get(Token, token_id) is not None
            assert session.scalars(select(Token.revoked).where(Token.id == token_id)).one() is False
    finally:
        engine.dispose()


def test_a_failed_commit_is_not_answered_with_success(database_url: str) -> None:
    """The request's session commits before the answer is sent: when the commit fails, the
    client gets a 500 in the one error shape (not the 200 of a change that was never
    stored), and the target is not there afterwards."""
    from fastapi.testclient import TestClient
    from service_helpers import error_of, make_tokens
    from sqlalchemy import event

    from api.app import create_app
    from api.settings import Settings

    tokens = make_tokens(database_url)
    headers = {"Authorization": f"Bearer {tokens['wbb']}"}
    app = create_app(Settings(database_url=database_url))
    with TestClient(app, raise_server_exceptions=False) as client:

        def fail(_session: object) -> None:
            raise RuntimeError("commit refused by the test")

        event.listen(app.state.sessions, "before_commit", fail)
        response = client.put("/v1/taakstelling/Nijmegen/2025-H1", headers=headers, json={"persons": 20})
        event.remove(app.state.sessions, "before_commit", fail)
        error_of(response, 500)
        assert client.get("/v1/taakstelling", headers=headers).json()["municipalities"] == []
