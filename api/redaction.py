"""Special-category data (health, sexual orientation) only for the roles that work with it.

A household's ``vulnerabilities`` say whether someone uses a wheelchair, has a medical or
psychosocial need, or needs an LHBTIQ+-safe place: health and sexual orientation, special
categories under AVG/GDPR article 9. Housing officers, the WBB and administrators match
and decide with them; a ``viewer`` (someone who follows the numbers) does not need them.

So for a viewer the service withholds them, and everything that would let a reader infer
them for one household: the ``vulnerable`` term of a match, the explanation and details of
an unmatched household (their rule counts name a household's accessibility needs), and
the rows of the mismatch report that are grouped by needs. What was withheld is listed in
the document's ``withheld`` field, so a reader knows that it was withheld rather than absent.
"""

from __future__ import annotations

import json
from typing import Any

from api.auth import Caller

SPECIAL_CATEGORY_ROLE = "officer"
"""The lowest role that sees special-category fields."""

WITHHELD_EXPLANATION = (
    "Toelichting niet getoond: die kan gezondheid of seksuele oriëntatie van het huishouden prijsgeven "
    "(zichtbaar voor de rollen officer, wbb en admin)."
)

WITHHELD_FIELDS = [
    "matches[].terms.vulnerable",
    "unmatched_households[].explanation",
    "unmatched_households[].details",
    "mismatch[] with needs",
]


def sees_special_categories(caller: Caller) -> bool:
    """True for the roles that match and decide with health and sexual-orientation data."""
    return caller.allows(SPECIAL_CATEGORY_ROLE)


def redacted_proposal(proposal: dict[str, Any]) -> dict[str, Any]:
    """A copy of a proposal/v1 document without special-category data about any one household."""
    doc: dict[str, Any] = json.loads(json.dumps(proposal))
    for match in doc.get("matches", []):
        match.get("terms", {}).pop("vulnerable", None)
    for item in doc.get("unmatched_households", []):
        item["explanation"] = WITHHELD_EXPLANATION
        item["details"] = {}
    if "mismatch" in doc:
        doc["mismatch"] = [row for row in doc["mismatch"] if not row.get("needs")]
    doc["withheld"] = list(WITHHELD_FIELDS)
    return doc


def proposal_for(caller: Caller, proposal_json: str) -> str:
    """The stored proposal as the caller may see it: unchanged for officer and above."""
    if sees_special_categories(caller):
        return proposal_json
    return json.dumps(redacted_proposal(json.loads(proposal_json)), indent=2, ensure_ascii=False) + "\n"
