"""Service settings, read from the environment so that one variable switches the database.

``DATABASE_URL`` picks the database (a SQLite file in the working folder by default, so the
service runs with no set-up; a ``postgresql://`` URL for production). The other settings
carry the ``MATCHER_`` prefix.
"""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///matcher.db"


class Settings(BaseSettings):
    """Everything the service reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="MATCHER_", extra="ignore", populate_by_name=True)

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        validation_alias=AliasChoices("DATABASE_URL", "MATCHER_DATABASE_URL"),
        description="SQLAlchemy URL; postgresql://user:password@host/db uses PostgreSQL (driver psycopg 3)",
    )
    host: str = Field(default="127.0.0.1", description="address `matcher serve` listens on")
    port: int = Field(default=8000, ge=1, le=65535, description="port `matcher serve` listens on")
    workers: int = Field(default=1, ge=1, le=16, description="proposal runs solved at the same time")
    queue_max: int = Field(default=8, ge=1, le=1000, description="runs that may wait; more are refused with 429")
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, ge=1024, description="largest import file")
    max_body_bytes: int = Field(
        default=64 * 1024 * 1024, ge=1024, description="largest JSON request body (POST /v1/solve, batch imports, runs)"
    )
    max_households_rows: int = Field(default=100_000, ge=1, description="most households in one import or one POST /v1/solve")
    max_units_rows: int = Field(default=50_000, ge=1, description="most units in one import or one POST /v1/solve")
    scenario_processes: int = Field(
        default=1, ge=1, le=64, description="processes that simulate the replicates of a scenario run"
    )
    scenario_queue_max: int = Field(
        default=4, ge=1, le=1000, description="scenario runs that may wait; more are refused with 429"
    )
    scenario_max_replicates: int = Field(default=200, ge=1, le=10_000, description="most replicates one scenario run may ask for")
    migrate_on_start: bool = Field(default=True, description="upgrade the database schema when the service starts")


def sqlalchemy_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs (SQLAlchemy would pick psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
