"""English a person should never read on a page, in a workbook or in an error message shown there.

Words that give English away (and are no Dutch word or loanword the pages use on purpose, such
as "run", "token" or "status"), the service's English codes for reasons, needs, stages and
terms, and ISO dates (the pages write "3 maart 2025"). Column names of the interchange files
(``household_id``, ``max_occupants``) are not listed: an error names the column as the file
spells it, so the reader can find it, and so are file names (``units.csv``).
"""

from __future__ import annotations

import re

WORDS = (
    "the", "should", "must", "expected", "required", "missing", "not found", "invalid", "error", "problem",
    "problems", "household", "households", "unit", "units", "superseded", "queued", "running", "solving",
    "explaining", "simulating", "summarising", "failed", "done", "outranked", "wheelchair", "mobility",
    "psychosocial", "medical", "lgbtiq", "ex_amv", "documents_incomplete", "no_eligible_unit",
    "no_eligible_household", "neighbourhood_cap", "not_available_yet", "explanation", "reason", "got",
    "cannot", "already", "are", "has", "have", "with", "and", "from", "this", "that", "please", "field",
    "row", "column", "value", "file", "save", "upload", "Matches", "Unmatched", "Mismatch", "Unused",
    "placed_persons", "waiting_days", "overdue", "vulnerable", "temporary", "underoccupancy", "preferred",
    "own_municipality", "housed", "offered", "waiting", "decline", "accept", "pin", "something", "else",
    "String", "Input", "characters", "difference", "tier", "persons", "days", "weeks",
)  # fmt: skip
# A word in a file name (units.csv, the name the user gave the file) is not read as English.
GIVEAWAY = re.compile(r"\b(" + "|".join(re.escape(w) for w in WORDS) + r")\b(?![.-]\w)|\b\d{4}-\d\d-\d\d\b")


def english(text: str) -> list[str]:
    """Every English giveaway in ``text``, with a little context, for a readable failure."""
    return [text[max(0, m.start() - 30) : m.end() + 30].replace("\n", " ") for m in GIVEAWAY.finditer(text)]
