"""proposal.json as written: the bytes of the format, optional sections only where they belong."""

from __future__ import annotations

import json
from pathlib import Path

from matcher import load_instance, solve

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _proposal_text(
    folder: Path, policy_changes: dict[str, object] | None = None, tmp: Path | None = None
) -> tuple[str, dict[str, object]]:
    policy_path = folder / "policy.json"
    if policy_changes:
        assert tmp is not None
        policy = json.loads(policy_path.read_text(encoding="utf-8")) | policy_changes
        policy_path = tmp / "policy.json"
        policy_path.write_text(json.dumps(policy), encoding="utf-8")
    proposal = solve(load_instance(folder / "households.csv", folder / "units.csv", policy_path)).proposal()
    return proposal.to_json(), proposal.model_dump(mode="json")


def test_written_bytes_are_two_space_json_with_utf8_as_is() -> None:
    """The example week's proposal is written exactly as json.dumps(indent=2, ensure_ascii=False) writes
    its document, with one final newline: Dutch letters stay letters, no optional section is null."""
    text, document = _proposal_text(EXAMPLES / "nijmegen-week")
    assert text == json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    assert "\\u00" not in text
    for key in ("lookahead", "regional_balance", "half_year_caps"):
        assert key not in document
    assert all("move_on_from" not in match for match in document["matches"])  # type: ignore[attr-defined]


def test_regional_run_carries_its_balance(tmp_path: Path) -> None:
    """A regional run writes its regional_balance section, and the bytes still follow the same form."""
    text, document = _proposal_text(EXAMPLES / "regional", {"regional": True}, tmp_path)
    assert document.get("regional_balance")
    assert text == json.dumps(document, indent=2, ensure_ascii=False) + "\n"
