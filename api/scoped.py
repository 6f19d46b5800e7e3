"""Rows a token may see: a token limited to a municipality sees only runs and scenario runs over it."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.base import ExecutableOption

from api.auth import Caller
from api.errors import not_found
from api.models import Run, ScenarioRun

Scoped = TypeVar("Scoped", Run, ScenarioRun)


def visible(caller: Caller, model: type[Scoped]) -> Select[Scoped]:
    """The rows of ``model`` the caller sees: all of them, or those whose scope is its municipality."""
    query = select(model)
    if caller.municipality is not None:
        query = query.where(model.scope == caller.municipality)
    return query


def get_visible(
    session: Session, caller: Caller, model: type[Scoped], row_id: int, label: str, *options: ExecutableOption
) -> Scoped:
    """One row the caller sees; 404 naming ``label`` and the id when it does not exist or is out
    of scope. ``options`` shape the load (e.g. leave large columns unread)."""
    row = session.scalars(visible(caller, model).where(model.id == row_id).options(*options)).first()
    if row is None:
        raise not_found(f"{label} {row_id}")
    return row


def newest_first(
    session: Session, caller: Caller, model: type[Scoped], limit: int, offset: int, *options: ExecutableOption
) -> tuple[int, list[Scoped]]:
    """A page of the rows the caller sees, newest first, and how many it sees in all.
    ``options`` shape the load of the page (e.g. leave large columns unread)."""
    query = visible(caller, model)
    # Counted over the ids alone: the rows' other columns may be large (a run's snapshot).
    total = session.scalar(select(func.count()).select_from(query.with_only_columns(model.id).subquery())) or 0
    page = query.order_by(model.id.desc()).limit(limit).offset(offset).options(*options)
    return total, list(session.scalars(page))
