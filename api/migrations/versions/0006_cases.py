"""The case of a household over time: states, events, places held; settings per municipality

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 13:30:00

Until this revision an accepted decision housed the household and let the unit at once.
From now on an accept makes the household ``offered`` and holds the unit until a
``moved_in`` event. Accepts already stored are carried over by one rule:

- the accept's housing date lies before the day of the upgrade: the household moved in on
  that date. It becomes ``housed`` (``housed_temporary`` in a temporary unit, without an end
  date), keeps its unit let, and gets a ``moved_in`` event on that date recorded by
  ``migration``, so its persons still count for the taakstelling in the same half year;
- otherwise (the date is today or later, or missing): the household is ``offered`` since
  the day of the decision (or its housing date, if earlier) and its unit is held for it.

Waiting households with incomplete documents are incomplete since their koppeling.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

ACTOR = "migration"


def upgrade() -> None:
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.add_column(sa.Column("state_since", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("documents_incomplete_since", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("documents_expected", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("offered_unit_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("offered_unit_municipality", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("offered_persons", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("offered_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("current_unit_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("current_unit_municipality", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("current_persons", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("home_state", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("temporary_until", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("move_on", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("previous_unit_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("previous_unit_municipality", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("previous_persons", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("counted", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index(batch_op.f("ix_households_offered_unit_id"), ["offered_unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_households_current_unit_id"), ["current_unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_households_previous_unit_id"), ["previous_unit_id"], unique=False)
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stay_limit_weeks", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("beds_held", sa.Integer(), server_default="0", nullable=False))

    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("household_id", sa.String(length=200), nullable=False),
        sa.Column("municipality", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("unit_id", sa.String(length=200), nullable=True),
        sa.Column("unit_municipality", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("temporary_until", sa.Date(), nullable=True),
        sa.Column("expected", sa.Date(), nullable=True),
        sa.Column("adults", sa.Integer(), nullable=True),
        sa.Column("children", sa.Integer(), nullable=True),
        sa.Column("persons_counted", sa.Integer(), nullable=False),
        sa.Column("state_before", sa.String(length=16), nullable=False),
        sa.Column("state_after", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.create_index("ix_case_events_household", ["household_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_events_municipality"), ["municipality"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_events_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_events_date"), ["date"], unique=False)

    op.create_table(
        "municipality_settings",
        sa.Column("municipality", sa.String(length=200), nullable=False),
        sa.Column("count_family_arrivals", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("municipality"),
    )
    _carry_over(op.get_bind(), dt.date.today())


def _carry_over(bind: sa.Connection, today: dt.date) -> None:
    """Accepted decisions become offered or housed cases (see the module docstring)."""
    households = sa.table(
        "households",
        sa.column("household_id", sa.String()),
        sa.column("municipality", sa.String()),
        sa.column("koppeling_date", sa.Date()),
        sa.column("documents_complete", sa.Boolean()),
        sa.column("status", sa.String()),
        sa.column("housed_on", sa.Date()),
        sa.column("state_since", sa.Date()),
        sa.column("documents_incomplete_since", sa.Date()),
        sa.column("offered_unit_id", sa.String()),
        sa.column("offered_unit_municipality", sa.String()),
        sa.column("offered_persons", sa.Integer()),
        sa.column("offered_on", sa.Date()),
        sa.column("current_unit_id", sa.String()),
        sa.column("current_unit_municipality", sa.String()),
        sa.column("current_persons", sa.Integer()),
        sa.column("home_state", sa.String()),
        sa.column("counted", sa.Boolean()),
    )
    units = sa.table(
        "units",
        sa.column("unit_id", sa.String()),
        sa.column("municipality", sa.String()),
        sa.column("temporary", sa.Boolean()),
        sa.column("shared", sa.Boolean()),
        sa.column("beds", sa.Integer()),
        sa.column("beds_taken", sa.Integer()),
        sa.column("beds_held", sa.Integer()),
        sa.column("status", sa.String()),
    )
    decisions = sa.table(
        "decisions",
        sa.column("id", sa.Integer()),
        sa.column("household_id", sa.String()),
        sa.column("unit_id", sa.String()),
        sa.column("kind", sa.String()),
        sa.column("municipality", sa.String()),
        sa.column("unit_municipality", sa.String()),
        sa.column("persons", sa.Integer()),
        sa.column("housed_on", sa.Date()),
        sa.column("created_at", sa.DateTime()),
    )
    events = sa.table(
        "case_events",
        sa.column("household_id", sa.String()),
        sa.column("municipality", sa.String()),
        sa.column("kind", sa.String()),
        sa.column("date", sa.Date()),
        sa.column("unit_id", sa.String()),
        sa.column("unit_municipality", sa.String()),
        sa.column("persons_counted", sa.Integer()),
        sa.column("state_before", sa.String()),
        sa.column("state_after", sa.String()),
        sa.column("created_at", sa.DateTime()),
        sa.column("created_by", sa.String()),
    )
    bind.execute(
        sa.update(households)
        .where(households.c.status == "waiting", households.c.documents_complete == sa.false())
        .values(documents_incomplete_since=households.c.koppeling_date)
    )
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    accepts = bind.execute(sa.select(decisions).where(decisions.c.kind == "accept").order_by(decisions.c.id)).all()
    for accept in accepts:
        unit = bind.execute(
            sa.select(units).where(units.c.unit_id == accept.unit_id, units.c.municipality == accept.unit_municipality)
        ).first()
        household = (households.c.household_id == accept.household_id) & (households.c.municipality == accept.municipality)
        housed_on: dt.date | None = accept.housed_on
        if housed_on is not None and housed_on < today:
            state = "housed_temporary" if unit is not None and unit.temporary else "housed"
            bind.execute(
                sa.update(households)
                .where(household)
                .values(
                    status=state,
                    home_state=state,
                    state_since=housed_on,
                    current_unit_id=accept.unit_id,
                    current_unit_municipality=accept.unit_municipality,
                    current_persons=accept.persons,
                    counted=True,
                )
            )
            bind.execute(
                sa.insert(events).values(
                    household_id=accept.household_id,
                    municipality=accept.municipality,
                    kind="moved_in",
                    date=housed_on,
                    unit_id=accept.unit_id,
                    unit_municipality=accept.unit_municipality,
                    persons_counted=accept.persons,
                    state_before="offered",
                    state_after=state,
                    created_at=now,
                    created_by=ACTOR,
                )
            )
            continue
        decided = accept.created_at.date() if accept.created_at is not None else today
        offered_on = min(decided, housed_on) if housed_on is not None else decided
        bind.execute(
            sa.update(households)
            .where(household)
            .values(
                status="offered",
                housed_on=None,
                state_since=offered_on,
                offered_unit_id=accept.unit_id,
                offered_unit_municipality=accept.unit_municipality,
                offered_persons=accept.persons,
                offered_on=offered_on,
            )
        )
        if unit is None:
            continue
        if unit.shared and unit.beds is not None:
            taken, held = max(0, unit.beds_taken - accept.persons), unit.beds_held + accept.persons
            full = taken + held >= unit.beds
            status = "available" if not full else ("offered" if held else "let")
        else:
            taken, held, status = 0, accept.persons, "offered"
        bind.execute(
            sa.update(units)
            .where(units.c.unit_id == unit.unit_id, units.c.municipality == unit.municipality)
            .values(beds_taken=taken, beds_held=held, status=status)
        )


def downgrade() -> None:
    op.drop_table("municipality_settings")
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_events_date"))
        batch_op.drop_index(batch_op.f("ix_case_events_kind"))
        batch_op.drop_index(batch_op.f("ix_case_events_municipality"))
        batch_op.drop_index("ix_case_events_household")
    op.drop_table("case_events")
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_column("beds_held")
        batch_op.drop_column("stay_limit_weeks")
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_households_previous_unit_id"))
        batch_op.drop_index(batch_op.f("ix_households_current_unit_id"))
        batch_op.drop_index(batch_op.f("ix_households_offered_unit_id"))
        for column in ("counted", "previous_persons", "previous_unit_municipality", "previous_unit_id", "move_on",
                       "temporary_until", "home_state", "current_persons", "current_unit_municipality", "current_unit_id",
                       "offered_on", "offered_persons", "offered_unit_municipality", "offered_unit_id",
                       "documents_expected", "documents_incomplete_since", "state_since"):  # fmt: skip
            batch_op.drop_column(column)
