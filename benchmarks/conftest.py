"""Named benchmark instances, generated once per run into a temporary folder."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from matcher.generate import generate_instance

REPORT: list[dict[str, object]] = []

# The service refuses to start without an audit key; the service benchmark starts it.
os.environ.setdefault("MATCHER_AUDIT_KEY", "benchmark-audit-key-0123456789abcdef0123456789abcdef")


def write_instance(folder: Path, profile: str, seed: int, policy_changes: dict[str, object] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    households, units, policy = generate_instance(profile, seed)
    policy.update(policy_changes or {})
    households.to_csv(folder / "households.csv", index=False)
    units.to_csv(folder / "units.csv", index=False)
    (folder / "policy.json").write_text(json.dumps(policy), encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def instances(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("instances")
    return {
        "nijmegen-week": Path(__file__).resolve().parents[1] / "examples" / "nijmegen-week",
        "regional": write_instance(root / "regional", "regional", 1),
        "regional-families-shared": write_instance(root / "regional-knapsack", "regional", 1, {"shared_max_household_size": 4}),
        "national": write_instance(root / "national", "national", 1),
    }


@pytest.fixture(scope="session")
def report() -> Iterator[list[dict[str, object]]]:
    yield REPORT
    if REPORT:
        lines = ["", "benchmark results (medians; ratios measured in the same run)"]
        for row in REPORT:
            lines.append("  " + ", ".join(f"{k}={v}" for k, v in row.items()))
        print("\n".join(lines))
        out = Path(__file__).resolve().parents[1] / ".benchmarks" / "engine-report.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(REPORT, indent=2) + "\n", encoding="utf-8")
