"""Scenario files: defaults, base and changes merged, and errors that name the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from matcher.errors import InputError
from matcher.simulate.scenario import load_scenario, merge

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "scenarios"


def test_merge_is_deep_and_replaces_lists() -> None:
    """Nested objects merge key by key; lists and scalars in the changes replace the base's."""
    base = {"a": {"b": 1, "c": 2}, "l": [1, 2], "s": 1}
    assert merge(base, {"a": {"c": 3}, "l": [9], "s": 2}) == {"a": {"b": 1, "c": 3}, "l": [9], "s": 2}


def test_variant_overrides_only_what_it_names() -> None:
    """The half-social variant keeps every base field except the statushouder share."""
    base = load_scenario(EXAMPLES / "nijmegen-base.yaml")
    variant = load_scenario(EXAMPLES / "q2-half-social.yaml")
    assert variant.vacancies.statushouder_share == base.vacancies.statushouder_share / 2
    assert variant.vacancies.social_per_week == base.vacancies.social_per_week
    assert variant.policy == base.policy
    assert variant.base is not None and variant.base.endswith("nijmegen-base.yaml")


def test_every_example_loads() -> None:
    """Each example scenario in examples/scenarios is valid."""
    files = sorted(EXAMPLES.glob("*.yaml"))
    assert len(files) >= 5
    for path in files:
        load_scenario(path)


def _problems(tmp_path: Path, text: str, name: str = "s.yaml") -> list[str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    return [str(p) for p in caught.value.problems]


def test_unknown_field_is_named_with_its_path(tmp_path: Path) -> None:
    """A typo in a nested field is refused and named by its full path."""
    problems = _problems(tmp_path, "vacancies:\n  social_per_wek: 3\n")
    assert any("vacancies.social_per_wek" in p and "unknown field" in p for p in problems)


def test_wrong_value_says_what_was_expected(tmp_path: Path) -> None:
    """A share above 1 names the field, the limit and the value given."""
    problems = _problems(tmp_path, "vacancies:\n  statushouder_share: 1.5\n")
    assert any("vacancies.statushouder_share" in p and "1.5" in p and "less than or equal to 1" in p for p in problems)


def test_engine_policy_errors_are_reported_under_policy_matcher(tmp_path: Path) -> None:
    """A bad engine policy field inside the scenario is reported with its scenario path."""
    problems = _problems(tmp_path, "policy:\n  matcher:\n    deadline_weeks: lots\n")
    assert any("policy.matcher.deadline_weeks" in p for p in problems)


def test_bad_yaml_names_the_line(tmp_path: Path) -> None:
    """Broken YAML is reported with its line, not as a traceback."""
    problems = _problems(tmp_path, "name: x\nvacancies: [\n")
    assert any("not valid YAML" in p and "line" in p for p in problems)


def test_base_loop_is_refused(tmp_path: Path) -> None:
    """Two variants that name each other as base are an error, not an endless loop."""
    (tmp_path / "a.yaml").write_text("base: b.yaml\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("base: a.yaml\n", encoding="utf-8")
    with pytest.raises(InputError, match="loop"):
        load_scenario(tmp_path / "a.yaml")


def test_json_scenarios_are_read_too(tmp_path: Path) -> None:
    """The same document as JSON loads (the service will take JSON)."""
    path = tmp_path / "s.json"
    path.write_text('{"name": "j", "horizon_weeks": 3, "policy": {"hold_for_family": true}}', encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.horizon_weeks == 3 and scenario.policy.hold_for_family


def test_start_from_interchange_files(tmp_path: Path) -> None:
    """A scenario can start from a real pool: households.csv and units.csv in the interchange format."""
    from matcher.simulate.world import build_world

    week = EXAMPLES.parent / "nijmegen-week"
    path = tmp_path / "s.yaml"
    path.write_text(
        f"start:\n  profile: null\n  households: {week / 'households.csv'}\n  units: {week / 'units.csv'}\nhorizon_weeks: 4\n",
        encoding="utf-8",
    )
    world = build_world(load_scenario(path), 0)
    start_ids = [r["household_id"] for r in world.household_rows if r["household_id"].startswith("H-")]
    assert len(start_ids) == 150
    assert sum(1 for r in world.unit_rows if r["unit_id"].startswith("U-")) == 40


def test_bad_start_file_names_file_row_and_column(tmp_path: Path) -> None:
    """A broken households file in the start is reported with its row and column, like matcher propose does."""
    bad = tmp_path / "households.csv"
    bad.write_text(
        "household_id,municipality,koppeling_date,adults,children,gender,head_age\nH-1,Nijmegen,2025-01-01,twee,0,M,30\n",
        encoding="utf-8",
    )
    path = tmp_path / "s.yaml"
    path.write_text("start:\n  profile: null\n  households: households.csv\n", encoding="utf-8")
    from matcher.simulate.world import build_world

    with pytest.raises(InputError) as caught:
        build_world(load_scenario(path), 0)
    assert "households.csv row 2, column adults" in str(caught.value)
