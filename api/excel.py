"""The proposal as an Excel workbook for the weekly WBB meeting.

Text that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``,
or a tab or carriage return) is written with a leading ``'`` so it shows as plain text.
"""

from __future__ import annotations

import io
import json
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe(value: Any) -> Any:
    """A cell value that a spreadsheet will never evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    if isinstance(value, (dict, list)):
        return safe(json.dumps(value, ensure_ascii=False, sort_keys=True))
    return value


def _sheet(book: Workbook, title: str, header: list[str], rows: list[list[Any]], wide: set[str]) -> None:
    sheet = book.create_sheet(title)
    sheet.append([safe(h) for h in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([safe(v) for v in row])
    for index, name in enumerate(header, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = 80 if name in wide else max(12, len(name) + 2)
        if name in wide:
            for cell in sheet[letter][1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"


def proposal_workbook(proposal_json: str) -> bytes:
    """Sheets Matches, Unmatched, Unused units and Mismatch from a proposal/v1 document."""
    doc = json.loads(proposal_json)
    book = Workbook()
    book.remove(book.active)
    terms = sorted({t for m in doc["matches"] for t in m.get("terms", {})})
    _sheet(
        book,
        "Matches",
        ["household_id", "unit_id", "persons", "neighbourhood", "fixed", *terms, "explanation"],
        [
            [m["household_id"], m["unit_id"], m["persons"], m.get("neighbourhood"), m.get("fixed", False)]
            + [m["terms"].get(t, 0) for t in terms]
            + [m["explanation"]]
            for m in doc["matches"]
        ],
        {"explanation"},
    )
    _sheet(
        book,
        "Unmatched",
        ["household_id", "reason", "explanation"],
        [[u["household_id"], u["reason"], u["explanation"]] for u in doc["unmatched_households"]],
        {"explanation"},
    )
    _sheet(
        book,
        "Unused units",
        ["unit_id", "reason", "explanation"],
        [[u["unit_id"], u["reason"], u["explanation"]] for u in doc["unused_units"]],
        {"explanation"},
    )
    mismatch: list[dict[str, Any]] = doc.get("mismatch", [])
    columns: list[str] = []
    for item in mismatch:
        columns.extend(k for k in item if k not in columns)
    _sheet(book, "Mismatch", columns or ["group"], [[item.get(c) for c in columns] for item in mismatch], set())
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
