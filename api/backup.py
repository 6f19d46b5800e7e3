"""``matcher backup`` and ``matcher restore``: the whole database to one file and back.

SQLite is copied with its online backup API, so the service may keep running (and
writing) while the copy is made: the file is one consistent moment of the database.
PostgreSQL is dumped with ``pg_dump`` in its custom format (also consistent while the
service runs) and restored with ``pg_restore`` in a single transaction. Either way the
backup holds every table: the pool, runs, decisions, case events, targets, tokens' hashes
and the audit log with its hash chain, so ``matcher audit verify`` holds on a restored copy.

A restore goes only into an empty database, unless told to replace what is there
(``force``). The file is checked before anything is touched: one that is not a backup of
the right kind changes nothing. The password of a PostgreSQL URL reaches ``pg_dump`` and
``pg_restore`` through their environment, never their command line (which other users of
the machine can read).
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from api.settings import sqlalchemy_url
from matcher.errors import InputError

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"


@dataclass(frozen=True)
class Summary:
    """What a backup file or a restored database holds, for the command's one line."""

    kind: str  # "SQLite" or "PostgreSQL"
    tables: int
    audit_entries: int
    schema_version: str | None


def _read_only(path: Path) -> closing[sqlite3.Connection]:
    return closing(sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True))


def _writable(path: Path) -> closing[sqlite3.Connection]:
    return closing(sqlite3.connect(path))


def _is_sqlite(url: str) -> bool:
    return make_url(sqlalchemy_url(url)).get_backend_name() == "sqlite"


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise InputError.single("DATABASE_URL", "expected a SQLite file, not an in-memory database")
    return Path(database)


def summary(url: str) -> Summary:
    """Tables, audit entries and schema version of the database at ``url``."""
    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            entries = connection.scalar(text("SELECT count(*) FROM audit_log")) if "audit_log" in tables else 0
            version = connection.scalar(text("SELECT version_num FROM alembic_version")) if "alembic_version" in tables else None
    finally:
        engine.dispose()
    kind = "SQLite" if _is_sqlite(url) else "PostgreSQL"
    return Summary(kind, len(tables), int(entries or 0), None if version is None else str(version))


# -- PostgreSQL tools ------------------------------------------------------------------------


def pg_tool(name: str) -> str:
    """``pg_dump`` or ``pg_restore``: from PATH, else the newest under /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0
    )
    if not candidates:
        raise InputError.single(name, f"{name} is not installed; it comes with the PostgreSQL client (Debian: postgresql-client)")
    return candidates[-1]


def _pg_connection(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and the environment that carries it."""
    from psycopg.conninfo import make_conninfo

    parsed = make_url(url)
    params: dict[str, str] = {str(k): str(v) for k, v in parsed.query.items()}
    for key, value in (("host", parsed.host), ("port", parsed.port), ("user", parsed.username), ("dbname", parsed.database)):
        if value is not None:
            params[key] = str(value)
    env = {**os.environ}
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    return make_conninfo(**params), env


def _run(args: list[str], env: dict[str, str], source: str) -> None:
    """Run a PostgreSQL tool; its error becomes a problem of ``source`` (the file or the database)."""
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        said = " ".join(result.stderr.split())[-800:] or f"exit code {result.returncode}"
        raise InputError.single(source, f"{Path(args[0]).name} failed: {said}")


# -- backup ---------------------------------------------------------------------------------


def backup(url: str, out: Path) -> Summary:
    """Write the whole database to ``out`` (replaced only once the copy is complete)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    os.close(handle)
    partial = Path(temporary)
    try:
        if _is_sqlite(url):
            source = _sqlite_path(url)
            if not source.exists():
                raise InputError.single("DATABASE_URL", f"there is no SQLite database at {source}")
            with _writable(source) as src, _writable(partial) as dst:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, without -wal or -shm beside it
            with _read_only(partial) as copy:
                checked = copy.execute("PRAGMA integrity_check").fetchone()
            if checked is None or checked[0] != "ok":
                raise InputError.single(str(out), "the copy does not pass SQLite's integrity check")
            copied = summary(f"sqlite:///{partial}")
        else:
            conninfo, env = _pg_connection(url)
            args = [
                pg_tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--file={partial}",
                f"--dbname={conninfo}",
            ]
            _run(args, env, "DATABASE_URL")
            copied = summary(url)
        partial.replace(out)
        return copied
    finally:
        partial.unlink(missing_ok=True)


# -- restore --------------------------------------------------------------------------------


def _kind_of(file: Path) -> str:
    try:
        with file.open("rb") as handle:
            start = handle.read(len(SQLITE_MAGIC))
    except OSError:
        raise InputError.single(str(file), "cannot read the file") from None
    if start.startswith(SQLITE_MAGIC):
        return "SQLite"
    if start.startswith(PG_CUSTOM_MAGIC):
        return "PostgreSQL"
    raise InputError.single(
        str(file), "not a backup made by matcher backup (neither a SQLite database nor a pg_dump custom archive)"
    )


def restore(url: str, file: Path, force: bool = False) -> Summary:
    """Restore ``file`` into the database at ``url``; refuses a database that is not empty unless ``force``."""
    kind = _kind_of(file)
    target = "SQLite" if _is_sqlite(url) else "PostgreSQL"
    if kind != target:
        raise InputError.single(str(file), f"a {kind} backup restores into a {kind} database; DATABASE_URL is {target}")
    if kind == "SQLite":
        _check_sqlite_backup(file)
    else:
        conninfo, env = _pg_connection(url)
        _run([pg_tool("pg_restore"), "--list", str(file)], env, str(file))
    present = summary(url) if target == "PostgreSQL" or _sqlite_path(url).exists() else Summary(target, 0, 0, None)
    if present.tables and not force:
        raise InputError.single(
            "DATABASE_URL",
            f"the database is not empty ({present.tables} tables, {present.audit_entries} audit entries); "
            "restore into an empty database, or replace its contents with --force",
        )
    if kind == "SQLite":
        destination = _sqlite_path(url)
        destination.parent.mkdir(parents=True, exist_ok=True)
        with _read_only(file) as src, _writable(destination) as dst:
            src.backup(dst)  # replaces every page of the destination in one step
    else:
        if present.tables:
            _empty_postgres(url)
        args = [pg_tool("pg_restore"), "--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges",
                f"--dbname={conninfo}", str(file)]  # fmt: skip
        _run(args, env, str(file))
    return summary(url)


def _check_sqlite_backup(file: Path) -> None:
    try:
        with _read_only(file) as copy:
            checked = copy.execute("PRAGMA integrity_check").fetchone()
            tables = {row[0] for row in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError:
        raise InputError.single(str(file), "the SQLite file is damaged") from None
    if checked is None or checked[0] != "ok":
        raise InputError.single(str(file), "the SQLite file does not pass SQLite's integrity check")
    if "alembic_version" not in tables:
        raise InputError.single(str(file), "not a backup of the service's database (it has no alembic_version table)")


def _empty_postgres(url: str) -> None:
    """Remove every table of the database (with their sequences), in one transaction."""
    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.begin() as connection:
            names = inspect(connection).get_table_names()
            if names:
                quoted = ", ".join(connection.dialect.identifier_preparer.quote(name) for name in names)
                connection.execute(text(f"DROP TABLE {quoted} CASCADE"))
    finally:
        engine.dispose()
