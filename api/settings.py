"""Service settings, read from the environment so that one variable switches the database.

``DATABASE_URL`` picks the database (a SQLite file in the working folder by default, so the
service runs with no set-up; a ``postgresql://`` URL for production). The other settings
carry the ``MATCHER_`` prefix.

Single sign-on is off until ``MATCHER_OIDC_ISSUER`` is set; its settings are checked here,
when the service starts, so a half-configured provider stops the start with a message that
names the variable instead of refusing every login later.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from matcher.errors import InputError, InputProblem

DEFAULT_DATABASE_URL = "sqlite:///matcher.db"
# Signature algorithms a token may use: public-key ones only. "none" and the HMAC family
# (HS256, ...) are never accepted, whatever MATCHER_OIDC_ALGORITHMS says: with HMAC, anyone
# who knows the provider's public key could sign.
ASYMMETRIC_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def is_safe_url(url: str) -> bool:
    """https, or plain http to this machine only (a provider started for a test)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return bool(parts.hostname)
    return parts.scheme == "http" and (parts.hostname or "") in LOOPBACK_HOSTS


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
    ray_address: str | None = Field(
        default=None,
        min_length=1,
        description="a Ray cluster (host:port of its head node) that simulates the scenario runs' replicates instead of "
        "local processes; needs the ray extra",
    )
    scenario_queue_max: int = Field(
        default=4, ge=1, le=1000, description="scenario runs that may wait; more are refused with 429"
    )
    scenario_max_replicates: int = Field(default=200, ge=1, le=10_000, description="most replicates one scenario run may ask for")
    migrate_on_start: bool = Field(default=True, description="upgrade the database schema when the service starts")
    audit_key: SecretStr | None = Field(
        default=None, description="the secret that keys the audit chain (HMAC-SHA256), at least 32 characters"
    )
    audit_key_file: Path | None = Field(default=None, description="a file holding the audit key, instead of MATCHER_AUDIT_KEY")
    audit_checkpoint: Path | None = Field(
        default=None, description="file the signed head of the audit log is written to after every change; keep it elsewhere"
    )
    development: bool = Field(
        default=False, description="development mode: start without an audit key (the chain is keyed with a published key)"
    )
    api_docs: bool = Field(default=False, description="serve the interactive API documentation at /docs and /redoc")
    auth_failure_burst: int = Field(
        default=20, ge=1, le=100_000, description="failed logins a client may make before it must wait (429)"
    )
    auth_failures_per_minute: float = Field(
        default=6.0, gt=0, le=100_000, description="failed logins a client is allowed again per minute after that"
    )
    denial_flush_seconds: float = Field(
        default=30.0, gt=0, le=3600, description="how often counts of refused requests are written to the audit log"
    )
    municipality: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="the one municipality this deployment serves: a single sign-on identity without a municipality claim is "
        "limited to it",
    )
    oidc_issuer: str | None = Field(
        default=None,
        description="single sign-on: the OpenID provider's issuer URL (discovery at {issuer}/.well-known/openid-configuration); "
        "unset: no single sign-on",
    )
    oidc_audience: str | None = Field(
        default=None, description="single sign-on: the audience (aud) the service's access tokens carry"
    )
    oidc_roles_claim: str = Field(default="roles", min_length=1, description="the claim with the matcher.* role values")
    oidc_municipality_claim: str = Field(default="municipality", min_length=1, description="the claim with the municipality")
    oidc_corporation_claim: str = Field(
        default="corporation", min_length=1, description="the claim with the corporation of a matcher.corporation identity"
    )
    oidc_client_id: str | None = Field(
        default=None, description="the client id of the pages (a public client with PKCE); unset: no sign-on button on the pages"
    )
    oidc_scope: str = Field(default="openid profile", description="the scopes the pages ask for")
    oidc_resource: str | None = Field(
        default=None, description="a resource indicator the pages send (RFC 8707), for providers that take one"
    )
    oidc_algorithms: str = Field(
        default="RS256,PS256,ES256", description="signature algorithms accepted, comma-separated, public-key ones only"
    )
    oidc_jwks_min_refresh_seconds: float = Field(
        default=60.0, ge=0, le=3600, description="least time between two reads of the provider's keys (an unknown key id)"
    )
    oidc_jwks_max_age_seconds: float = Field(
        default=3600.0, ge=1, le=7 * 24 * 3600, description="how long the provider's keys are used before they are read again"
    )
    lease_seconds: float = Field(
        default=30.0, ge=2, le=3600, description="a job whose process has not renewed its lease for this long is taken over"
    )
    job_poll_seconds: float = Field(
        default=2.0, gt=0, le=60, description="how often idle workers look for jobs queued by other processes"
    )
    job_max_attempts: int = Field(
        default=3, ge=1, le=100, description="a job whose process stopped this many times while running it fails"
    )
    drain_seconds: float = Field(
        default=20.0, ge=2, le=3600, description="after SIGTERM the process exits within this many seconds"
    )
    shutdown_grace_seconds: float = Field(
        default=5.0, ge=0, le=3600, description="after SIGTERM the port stays open this long, answering 503, before it closes"
    )
    log_format: Literal["text", "json"] = Field(default="text", description="text lines, or one JSON object per line")
    metrics_token: SecretStr | None = Field(
        default=None, description="bearer token for GET /metrics; without it /metrics is off (404)"
    )

    @model_validator(mode="after")
    def _single_sign_on(self) -> Self:
        if self.oidc_issuer is None:
            return self
        if not is_safe_url(self.oidc_issuer):
            raise ValueError("MATCHER_OIDC_ISSUER must be an https URL (plain http only to 127.0.0.1 or localhost)")
        if not self.oidc_audience:
            raise ValueError("MATCHER_OIDC_AUDIENCE is required when MATCHER_OIDC_ISSUER is set")
        if self.oidc_audience == self.oidc_client_id:
            raise ValueError(
                "MATCHER_OIDC_AUDIENCE must differ from MATCHER_OIDC_CLIENT_ID: the pages' ID tokens carry the client id as "
                "audience, and must not be taken for access tokens"
            )
        unknown = [a for a in self.algorithms() if a not in ASYMMETRIC_ALGORITHMS]
        if unknown or not self.algorithms():
            raise ValueError(
                f"MATCHER_OIDC_ALGORITHMS may only name {', '.join(ASYMMETRIC_ALGORITHMS)}; got {', '.join(unknown) or 'none'}"
            )
        return self

    def algorithms(self) -> tuple[str, ...]:
        """The accepted signature algorithms (MATCHER_OIDC_ALGORITHMS, split)."""
        return tuple(part.strip() for part in self.oidc_algorithms.split(",") if part.strip())


def check_environment() -> None:
    """Raise ``InputError`` naming every environment variable the service cannot use (what
    the service commands say instead of a traceback)."""
    try:
        Settings()
    except ValidationError as error:
        problems = []
        for item in error.errors():
            loc = [str(part) for part in item.get("loc", ())]
            variable = ("DATABASE_URL" if loc[0] == "database_url" else "MATCHER_" + loc[0].upper()) if loc else "environment"
            message = str(item.get("msg", "invalid")).removeprefix("Value error, ")
            problems.append(InputProblem(source=variable, message=message))
        raise InputError(problems) from None


def sqlalchemy_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs (SQLAlchemy would pick psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
