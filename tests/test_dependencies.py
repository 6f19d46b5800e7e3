"""Every runtime dependency declared in pyproject.toml (extras included, development tools not) is
used: imported by the engine, the service or the command line, or loaded by one of them by name
(listed below with what loads it)."""

from __future__ import annotations

import ast
import re
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Distributions no module of ours imports by name, and what needs them.
LOADED_BY_OTHERS = {
    "psycopg": "SQLAlchemy's driver for postgresql+psycopg:// URLs (api/settings.py)",
    "python-multipart": "FastAPI reads uploaded lists (UploadFile in api/pool_routes.py) with it",
}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    """The runtime dependencies and those of every extra but the development tools."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = list(project["dependencies"])
    for extra, more in project.get("optional-dependencies", {}).items():
        if extra != "dev":
            specs += more
    names = {_normal(re.split(r"[\[<>=!~; ]", spec, maxsplit=1)[0]) for spec in specs}
    return names - {_normal(project["name"])}


def _imported_modules() -> set[str]:
    names: set[str] = set()
    for package in ("matcher", "api", "cli"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names.add(node.module.split(".")[0])
    return names


def test_every_declared_dependency_is_used() -> None:
    """A dependency nobody imports only costs installing it; drop it or use it."""
    distributions = packages_distributions()
    modules = _imported_modules()
    # A module not installed here (an extra) counts under its own name.
    imported = {_normal(d) for module in modules for d in distributions.get(module, [])} | {_normal(m) for m in modules}
    unused = sorted(_declared() - imported - set(LOADED_BY_OTHERS))
    assert unused == [], f"declared in pyproject.toml but never imported: {unused}"


def test_dependencies_loaded_by_others_are_declared() -> None:
    """The list above names only what is declared, so it cannot hide a stale entry."""
    assert set(LOADED_BY_OTHERS) <= _declared()
