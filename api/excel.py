"""The proposal as an Excel workbook for the weekly WBB meeting, and its minutes.

With the run's particulars the workbook opens with a front sheet (Voorblad: run id,
planning date, pool, status, who started it and when, the input hash) and ends with the
sheet Besluiten: the decisions taken on the run (wanneer, wie, wat, reden), so the file
can serve as the minutes of the meeting. Dates are written in Dutch ("3 maart 2025"),
times in Dutch local time.

Text that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``,
or a tab or carriage return) is written with a leading ``'`` so it shows as plain text.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from api import words

if TYPE_CHECKING:
    from api.agreements import AgreementReport
    from api.models import Decision
    from api.schemas import TaakstellingReport
    from api.taakstelling import Counted

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november",
          "december")  # fmt: skip


KINDS = words.DECISION_KINDS
DECLINE_REASONS = words.DECLINE_REASONS
SHEETS = {
    "matches": "Voorstel",
    "unmatched": "Niet geplaatst",
    "unused": "Niet gebruikte woningen",
    "mismatch": "Vraag en aanbod",
}
MISMATCH_COLUMNS = {
    "persons": "Personen",
    "future_size": "Personen straks",
    "needs": "Zorgbehoefte",
    "households": "Huishoudens",
    "documents_incomplete": "Documenten onvolledig",
    "eligible_units": "Passende woningen",
    "placed": "Geplaatst",
    "unplaced": "Niet geplaatst",
    "explanation": "Toelichting",
}
DECISION_HEADER = [
    "Wanneer",
    "Tijd",
    "Wie",
    "Wat",
    "Huishouden",
    "Woning",
    "Personen",
    "Reden",
    "Verwachte verhuisdatum",
    "Token",
]


def _local_zone() -> dt.tzinfo:
    try:
        return ZoneInfo("Europe/Amsterdam")
    except ZoneInfoNotFoundError:  # no time zone data on this machine: say so by writing UTC
        return dt.UTC


LOCAL = _local_zone()


def local_time(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(LOCAL) if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC).astimezone(LOCAL)


def dutch_moment(moment: dt.datetime | None) -> str:
    """A moment as the minutes write it: 3 maart 2025, 14:05 (Dutch local time)."""
    if moment is None:
        return ""
    local = local_time(moment)
    suffix = "" if LOCAL is not dt.UTC else " UTC"
    return f"{dutch_date(local.date())}, {local:%H:%M}{suffix}"


@dataclass(frozen=True)
class DecisionLine:
    """One decision taken on the run, as the minutes list it."""

    created_at: dt.datetime
    decided_by: str
    kind: str
    household_id: str
    unit_id: str
    persons: int
    reason: str | None
    housed_on: dt.date | None
    created_by: str

    @staticmethod
    def of(decision: Decision) -> DecisionLine:
        """The line of a stored decision."""
        return DecisionLine(
            created_at=decision.created_at,
            decided_by=decision.decided_by,
            kind=decision.kind,
            household_id=decision.household_id,
            unit_id=decision.unit_id,
            persons=decision.persons,
            reason=decision.reason,
            housed_on=decision.housed_on,
            created_by=decision.created_by,
        )


@dataclass(frozen=True)
class Minutes:
    """The run's particulars for the front sheet, and the decisions taken on it."""

    run_id: int
    planning_date: dt.date | None
    scope: str | None
    status: str  # in words, e.g. "actueel" or "vervangen door run 9"
    created_by: str  # the person who started the run, with the token it used: "M. Bakker (tok-...)"
    created_at: dt.datetime
    finished_at: dt.datetime | None
    input_sha256: str | None
    households: int
    units: int
    decisions: list[DecisionLine] = field(default_factory=list)
    made_at: dt.datetime | None = None


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


def _front_sheet(book: Workbook, minutes: Minutes, doc: dict[str, Any]) -> None:
    sheet = book.create_sheet("Voorblad")
    planning = dutch_date(minutes.planning_date) or "onbekend"
    sheet.append([safe(f"Voorstel WBB, run {minutes.run_id}, planningsdatum {planning}")])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    rows: list[tuple[str, Any]] = [
        ("Run", minutes.run_id),
        ("Planningsdatum", planning),
        ("Gemeente", minutes.scope or "alle gemeenten"),
        ("Status", minutes.status),
        ("Gestart door", minutes.created_by),
        ("Gestart op", dutch_moment(minutes.created_at)),
        ("Klaar op", dutch_moment(minutes.finished_at)),
        ("Huishoudens in de invoer", minutes.households),
        ("Woningen in de invoer", minutes.units),
        ("Voorgestelde paren", len(doc.get("matches", []))),
        ("Besluiten op deze run", f"{len(minutes.decisions)} (zie het blad Besluiten)"),
        ("Invoer (SHA-256)", minutes.input_sha256 or ""),
    ]
    if minutes.made_at is not None:
        rows.append(("Werkmap gemaakt op", dutch_moment(minutes.made_at)))
    if doc.get("withheld"):
        rows.append(("Niet getoond voor deze rol", words.WITHHELD))
    for label, value in rows:
        sheet.append([safe(label), safe(value)])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 70


def _decisions_rows(decisions: list[DecisionLine]) -> list[list[Any]]:
    rows = []
    for d in sorted(decisions, key=lambda d: d.created_at):
        local = local_time(d.created_at)
        reason = DECLINE_REASONS.get(d.reason, d.reason) if d.reason else ""
        rows.append(
            [
                dutch_date(local.date()),
                f"{local:%H:%M}",
                d.decided_by,
                KINDS.get(d.kind, d.kind),
                d.household_id,
                d.unit_id,
                d.persons,
                reason,
                dutch_date(d.housed_on),
                d.created_by,
            ]
        )
    return rows


def proposal_workbook(proposal_json: str, minutes: Minutes | None = None) -> bytes:
    """Sheets Voorstel, Niet geplaatst, Niet gebruikte woningen and Vraag en aanbod from a
    proposal/v1 document, with Dutch headers, reasons and needs, and Regionale balans for a
    regional run with an agreement; with ``minutes`` also a front sheet Voorblad first and the
    sheet Besluiten last."""
    doc = json.loads(proposal_json)
    book = Workbook()
    book.remove(book.active)
    if minutes is not None:
        _front_sheet(book, minutes, doc)
    terms = sorted({t for m in doc["matches"] for t in m.get("terms", {})})
    _sheet(
        book,
        SHEETS["matches"],
        ["Huishouden", "Woning", "Personen", "Wijk", "Vastgezet", *(words.TERMS.get(t, t) for t in terms), "Toelichting"],
        [
            [m["household_id"], m["unit_id"], m["persons"], m.get("neighbourhood"), "ja" if m.get("fixed") else "nee"]
            + [m["terms"].get(t, 0) for t in terms]
            + [m["explanation"]]
            for m in doc["matches"]
        ],
        {"Toelichting"},
    )
    _sheet(
        book,
        SHEETS["unmatched"],
        ["Huishouden", "Reden", "Toelichting"],
        [
            [u["household_id"], words.HOUSEHOLD_REASONS.get(u["reason"], u["reason"]), u["explanation"]]
            for u in doc["unmatched_households"]
        ],
        {"Toelichting"},
    )
    _sheet(
        book,
        SHEETS["unused"],
        ["Woning", "Reden", "Toelichting"],
        [[u["unit_id"], words.UNIT_REASONS.get(u["reason"], u["reason"]), u["explanation"]] for u in doc["unused_units"]],
        {"Toelichting"},
    )
    mismatch: list[dict[str, Any]] = doc.get("mismatch", [])
    columns: list[str] = []
    for item in mismatch:
        columns.extend(k for k in item if k not in columns)
    _sheet(
        book,
        SHEETS["mismatch"],
        [MISMATCH_COLUMNS.get(c, c) for c in columns] or ["Groep"],
        [[_mismatch_cell(c, item.get(c)) for c in columns] for item in mismatch],
        {"Toelichting"},
    )
    if doc.get("regional_balance"):
        _sheet(book, "Regionale balans", list(BALANCE_COLUMNS.values()), _balance_rows(doc["regional_balance"]), {"Toelichting"})
    if minutes is not None:
        _sheet(book, "Besluiten", DECISION_HEADER, _decisions_rows(minutes.decisions), set())
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


BALANCE_COLUMNS = {
    "municipality": "Gemeente",
    "taakstelling": "Aandeel taakstelling",
    "homes_offered": "Woningen aangeboden",
    "persons_housed": "Gehuisvest in de gemeente",
    "persons_placed_elsewhere": "Eigen huishoudens elders",
    "persons_taken_in": "Van elders opgenomen",
    "persons_counted": "Telt voor de taakstelling",
    "explanation": "Toelichting",
}


def _balance_rows(section: dict[str, Any]) -> list[list[Any]]:
    """The sheet Regionale balans: one row per municipality of a regional run (persons)."""
    return [
        [("geen" if row.get(key) is None else row.get(key)) for key in BALANCE_COLUMNS]
        for row in section.get("municipalities", [])
    ]


def _mismatch_cell(column: str, value: Any) -> Any:
    """A cell of the sheet Vraag en aanbod: needs in Dutch words, separated by commas."""
    if column == "needs":
        return words.needs_text(value) if value is not None else None
    return value


def dutch_date(day: dt.date | None) -> str:
    """A date as the Provincie writes it: "3 maart 2025"."""
    return "" if day is None else f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def dutch_half_year(half_year: str) -> str:
    """ "2025-H1" as "1e halfjaar 2025"."""
    year, half = half_year.split("-H")
    return f"{half}e halfjaar {year}"


TAAKSTELLING_HEADER = [
    "Gemeente",
    "Halfjaar",
    "Taakstelling (personen)",
    "Achterstand meegenomen",
    "Opgave",
    "Gerealiseerd",
    "waarvan bij verhuizing",
    "waarvan nareizigers",
    "Nog te realiseren",
    "Stand wachtenden op",
    "Wachtende huishoudens",
    "Wachtende personen",
    "Langer dan 10 weken (huishoudens)",
    "Mediane wachttijd (weken)",
    "Langste wachttijd (weken)",
    "AMV-taakstelling (indicatief, personen)",
    "Ex-AMV gehuisvest (personen)",
]


def taakstelling_workbook(report: TaakstellingReport, events: list[Counted], agreements: AgreementReport | None = None) -> bytes:
    """The half-year report for the Provincie: sheet Taakstelling (one row per municipality
    and half year), sheet Gerealiseerd (the events that counted) and, given ``agreements``,
    sheet Prestatieafspraken (per corporation: homes agreed in the year against offered, let
    and persons moved in), Dutch headers and dates. The last two columns of Taakstelling are
    the AMV target and the ex-AMV persons housed, the latter "niet getoond" for a reader who
    may not see special-category data."""
    book = Workbook()
    book.remove(book.active)
    rows = [
        [
            place.municipality,
            dutch_half_year(half.half_year),
            half.target,
            half.carried_in,
            half.due,
            half.realised,
            half.realised_moved_in,
            half.realised_family_arrived,
            half.remaining,
            dutch_date(half.waiting_on),
            half.waiting_households,
            half.waiting_persons,
            half.waiting_over_deadline,
            half.median_waiting_weeks,
            half.longest_waiting_weeks,
            "geen" if half.amv_target is None else half.amv_target,
            "niet getoond" if half.amv_realised is None else half.amv_realised,
        ]
        for place in report.municipalities
        for half in place.half_years
    ]
    _sheet(book, "Taakstelling", TAAKSTELLING_HEADER, rows, set())
    sheet = book["Taakstelling"]
    sheet.insert_rows(1, 2)
    sheet["A1"] = safe(f"Taakstelling statushouders, peildatum {dutch_date(report.on)}")
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.freeze_panes = "A4"
    kinds = {"moved_in": "Verhuizing", "family_arrived": "Nareizigers"}
    _sheet(
        book,
        "Gerealiseerd",
        ["Gemeente", "Datum", "Halfjaar", "Huishouden", "Soort", "Personen"],
        [
            [
                e.municipality,
                dutch_date(e.date),
                dutch_half_year(_half(e.date)),
                e.household_id,
                kinds.get(e.kind, e.kind),
                e.persons,
            ]
            for e in events
        ],
        set(),
    )
    if agreements is not None:
        _sheet(
            book,
            "Prestatieafspraken",
            ["Gemeente", "Corporatie", "Jaar", "Afgesproken woningen", "Aangeboden", "Verhuurd", "Personen verhuisd"],
            [
                [
                    r.municipality,
                    r.corporation,
                    r.year,
                    "geen afspraak" if r.agreed is None else r.agreed,
                    r.offered,
                    r.let,
                    r.persons,
                ]
                for r in agreements.rows
            ],
            set(),
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _half(day: dt.date) -> str:
    return f"{day.year}-H{1 if day.month <= 6 else 2}"
