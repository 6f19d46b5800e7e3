"""The engine stays free of web code: importing it (CLI included) loads no FastAPI, SQLAlchemy or Alembic."""

from __future__ import annotations

import subprocess
import sys

from service_helpers import ROOT


def test_engine_and_cli_import_no_web_packages() -> None:
    """`import matcher.cli` and the engine modules leave fastapi, sqlalchemy, alembic and api unloaded."""
    code = (
        "import sys, matcher.cli, matcher.instance, matcher.solve, matcher.proposal\n"
        "loaded = sorted(m for m in ('fastapi', 'sqlalchemy', 'alembic', 'uvicorn', 'api') if m in sys.modules)\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
