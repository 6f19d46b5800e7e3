"""The layers hold: the engine imports no web code, nobody imports another module's private names.

The rules are read from the source (every import statement, also inside functions and
``TYPE_CHECKING`` blocks), so an import that only runs inside a command still counts.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WEB = ("api", "fastapi", "starlette", "sqlalchemy", "uvicorn", "alembic", "cli")


def _imports(path: Path) -> Iterator[tuple[int, str, list[str]]]:
    """(line, module, names) for every import in a file; names empty for ``import x``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module is not None:
            yield node.lineno, node.module, [alias.name for alias in node.names]


def _sources(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def web_imports_in(folder: Path) -> list[str]:
    found = []
    for path in sorted(folder.rglob("*.py")):
        for line, module, _ in _imports(path):
            if module.split(".")[0] in WEB:
                found.append(f"{path.relative_to(folder.parent)}:{line} imports {module}")
    return found


def test_engine_imports_no_web_code_anywhere() -> None:
    """No module under matcher/ imports the service, the command line or a web package, at any depth."""
    assert web_imports_in(ROOT / "matcher") == []


def test_the_check_sees_an_import_inside_a_function(tmp_path: Path) -> None:
    """The static check finds an import hidden inside a function body (it would miss nothing at runtime too)."""
    engine = tmp_path / "matcher"
    engine.mkdir()
    (engine / "late.py").write_text("def command() -> None:\n    from api.app import serve\n    serve()\n", encoding="utf-8")
    assert web_imports_in(engine) == ["matcher/late.py:2 imports api.app"]


def test_no_private_name_is_imported_across_modules() -> None:
    """A leading underscore means "this module only": no file imports such a name from another project module."""
    found = []
    for path in _sources("matcher", "api", "cli"):
        for line, module, names in _imports(path):
            if module.split(".")[0] not in ("matcher", "api", "cli"):
                continue
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if private or any(part.startswith("_") and not part.startswith("__") for part in module.split(".")):
                found.append(f"{path.relative_to(ROOT)}:{line} from {module} import {', '.join(names)}")
    assert found == []


def test_callers_use_the_public_entry_point() -> None:
    """The command line, POST /v1/solve, proposal runs and the simulator solve through ``matcher.solve``,
    never by composing the engine's internal steps (prepare, optimise, build_proposal) themselves."""
    callers = ["cli/main.py", "api/routes/solve.py", "api/jobs.py", "matcher/simulate/simulator.py"]
    internal = {"prepare", "optimise", "fifo", "build_proposal"}
    for name in callers:
        imported = {(module, n) for _, module, names in _imports(ROOT / name) for n in names}
        assert ("matcher", "solve") in imported or ("matcher.pipeline", "solve") in imported, name
        assert not {n for _, n in imported} & internal, name


def test_engine_and_cli_import_no_web_packages_at_runtime() -> None:
    """`import cli.main` and the public engine API leave fastapi, sqlalchemy, alembic and api unloaded."""
    code = (
        "import sys, cli.main, matcher\n"
        "matcher.solve, matcher.propose, matcher.load_instance, matcher.check_proposal\n"
        "loaded = sorted(m for m in ('fastapi', 'sqlalchemy', 'alembic', 'uvicorn', 'api') if m in sys.modules)\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
