"""The catalogue of bad input files: one row per problem, with the exact message.

Each case is a households or units file as a user could send it, and the one line the
CLI prints for it (`file row R, column C: message`). The service's import gives the same
problem (source, row, column, message) with 422; where the CLI quotes the refused value,
the service says "got something else" instead (``api_message``). The tables are shared by
the engine/CLI tests (tests/test_bad_files.py) and the service tests
(tests/api/test_bad_imports.py), so the two cannot drift apart.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import openpyxl

HH_HEADER = "household_id,municipality,koppeling_date,adults,children,gender,head_age"
UN_HEADER = "unit_id,municipality,neighbourhood,unit_type,bedrooms,max_occupants,rent,available_from"
GOOD_HH = "H-1,Nijmegen,2025-01-01,1,0,M,30"
GOOD_HH2 = "H-2,Nijmegen,2025-01-02,2,1,F,41"
GOOD_UN = "U-1,Nijmegen,Hatert,social,1,2,450.00,2025-03-01"
GOOD_UN2 = "U-2,Nijmegen,Lindenholt,social,2,4,610.00,2025-03-01"
GOOD_HOUSEHOLDS = f"{HH_HEADER}\n{GOOD_HH}\n{GOOD_HH2}\n"
GOOD_UNITS = f"{UN_HEADER}\n{GOOD_UN}\n{GOOD_UN2}\n"

LATIN1 = "perhaps Latin-1 or Windows-1252, as older Excel versions save CSV"
NOT_UTF8 = f"not UTF-8 text ({LATIN1}); save the file as UTF-8 CSV"
UTF16 = "this is UTF-16 text (Excel's 'Unicode text'); save the file as UTF-8 CSV"
LINE = re.compile(r"^(?P<source>[^ :]+)(?: row (?P<row>\d+))?(?:,? column (?P<column>[^:]+))?: (?P<message>.*)$")


@dataclass(frozen=True)
class BadFile:
    """One bad file: which table, its name and bytes, and the CLI's exact error line."""

    id: str
    kind: str  # "households" or "units"
    name: str
    content: bytes
    line: str
    api_message: str | None = None  # the service's message where it withholds a value
    service_only: bool = False  # the engine takes it (a week with nothing offered); an upload is refused

    def problem(self) -> dict[str, object]:
        """The problem the service answers: the CLI line split into its parts."""
        match = LINE.match(self.line)
        assert match, self.line
        row = match["row"]
        return {
            "source": match["source"],
            "row": int(row) if row else None,
            "column": match["column"],
            "message": self.api_message or match["message"],
        }


def csv(text: str, encoding: str = "utf-8") -> bytes:
    return text.encode(encoding)


def xlsx(*rows: list[object], sheet: Callable[[openpyxl.Workbook], None] | None = None) -> bytes:
    book = openpyxl.Workbook()
    if sheet is not None:
        sheet(book)
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _zip(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, text in members.items():
            archive.writestr(member, text)
    return buffer.getvalue()


def _chart_only(book: openpyxl.Workbook) -> None:
    book.create_chartsheet()
    book.remove(book.active)


def _no_worksheet() -> bytes:
    """A workbook whose only sheet is a chart sheet (openpyxl writes it; Excel makes these too)."""
    return xlsx(sheet=_chart_only)


HH = HH_HEADER.split(",")
ROW = ["H-1", "Nijmegen", "2025-01-01", 1, 0, "M", 30]
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))

# fmt: off
FILE_CASES: list[BadFile] = [
    # --- CSV structure ---
    BadFile("empty file", "households", "households.csv", b"",
            "households.csv row 1: the file is empty; expected a header row"),
    BadFile("blank lines only", "households", "households.csv", b"\n \n\n",
            "households.csv row 1: the file is empty; expected a header row"),
    BadFile("header only", "households", "households.csv", csv(f"{HH_HEADER}\n"),
            "households.csv row 2: the file has a header but no rows of data", service_only=True),
    BadFile("header and blank lines only", "units", "units.csv", csv(f"{UN_HEADER}\n\n,,,,,,,\n"),
            "units.csv row 2: the file has a header but no rows of data", service_only=True),
    BadFile("unclosed quote in a middle row", "households", "households.csv",
            csv(f'{HH_HEADER}\n{GOOD_HH}\nH-2,"Nijmegen,2025-01-02,1,0,M,30\n{GOOD_HH2}\n'),
            'households.csv row 3: a quoted cell that starts in this row is never closed (a " is missing)'),
    BadFile("unclosed quote in the last row", "units", "units.csv",
            csv(f'{UN_HEADER}\n{GOOD_UN}\nU-2,Nijmegen,"Hatert,social,1,2,450.00,2025-03-01\n'),
            'units.csv row 3: a quoted cell that starts in this row is never closed (a " is missing)'),
    BadFile("text after a closing quote", "households", "households.csv",
            csv(f'{HH_HEADER}\n"H-1"x,Nijmegen,2025-01-01,1,0,M,30\n'),
            "households.csv row 2: not valid CSV (',' expected after '\"'); "
            'write "" for a quote inside a quoted cell'),
    BadFile("cells separated by semicolons (Dutch Excel)", "units", "units.csv",
            csv(UN_HEADER.replace(",", ";") + "\nU-1;Nijmegen;Hatert;social;1;2;450,00;2025-03-01\n"),
            "units.csv row 1: the cells are separated by semicolons (;), as Dutch Excel saves CSV; "
            "save the file as CSV UTF-8 (comma delimited) or upload it as .xlsx"),
    BadFile("a row with too many cells", "households", "households.csv",
            csv(f"{HH_HEADER}\n{GOOD_HH}\n{GOOD_HH2},extra\n"),
            "households.csv row 3: expected 7 cells as in the header, got 8"),
    BadFile("a row with too few cells", "units", "units.csv",
            csv(f"{UN_HEADER}\nU-1,Nijmegen,Hatert,social,1,2\n"),
            "units.csv row 2: expected 8 cells as in the header, got 6"),
    BadFile("a required column missing", "households", "households.csv",
            csv("household_id,municipality,koppeling_date,adults,children,gender\nH-1,Nijmegen,2025-01-01,1,0,M\n"),
            "households.csv row 1, column head_age: required column is missing"),
    BadFile("a column name twice", "units", "units.csv",
            csv(f"{UN_HEADER},rent\n{GOOD_UN},500.00\n"),
            "units.csv row 1, column rent: column appears twice in the header"),
    BadFile("a title above the header", "households", "households.csv",
            csv(f"Huishoudens week 10\n\n{HH_HEADER}\n{GOOD_HH}\n"),
            "households.csv row 1: the column names must be in row 1, but they are in row 3; delete the rows above them"),
    # --- encodings and binary files given as CSV ---
    BadFile("Latin-1 byte in a cell", "households", "households.csv",
            csv(f"{HH_HEADER}\n{GOOD_HH}\nH-2,Nijmegén,2025-01-02,1,0,M,30\n", "latin-1"),
            f"households.csv row 3, column municipality: {NOT_UTF8}"),
    BadFile("Windows-1252 quote mark in a cell", "units", "units.csv",
            csv(f"{UN_HEADER}\nU-1,Nijmegen,’t Broek,social,1,2,450.00,2025-03-01\n", "cp1252"),
            f"units.csv row 2, column neighbourhood: {NOT_UTF8}"),
    BadFile("Latin-1 byte in the header", "households", "households.csv",
            csv(f"{HH_HEADER},opmerking é\n{GOOD_HH},x\n", "latin-1"),
            f"households.csv row 1: {NOT_UTF8}"),
    BadFile("UTF-16 with byte-order mark", "households", "households.csv", csv(GOOD_HOUSEHOLDS, "utf-16"),
            f"households.csv: {UTF16}"),
    BadFile("UTF-16 little-endian without byte-order mark", "households", "households.csv",
            csv(GOOD_HOUSEHOLDS, "utf-16-le"), f"households.csv: {UTF16}"),
    BadFile("UTF-16 big-endian without byte-order mark", "units", "units.csv",
            csv(GOOD_UNITS, "utf-16-be"), f"units.csv: {UTF16}"),
    BadFile("a picture uploaded as CSV", "households", "households.csv", PNG,
            "households.csv: this is a binary file, not CSV text; save the table as UTF-8 CSV"),
    BadFile("a workbook uploaded as CSV", "households", "households.csv", xlsx(HH, ROW),
            "households.csv: this is an Excel workbook (or another zip file), not CSV text; "
            "save it as CSV, or upload it as .xlsx"),
    BadFile("an old .xls workbook uploaded as CSV", "units", "units.csv", OLE2,
            "units.csv: this is an old Excel .xls workbook, not CSV text; save it as CSV or .xlsx"),
    # --- XLSX ---
    BadFile("CSV text named .xlsx", "households", "households.xlsx", csv(GOOD_HOUSEHOLDS),
            "households.xlsx: not an Excel workbook (.xlsx): the file is not a zip archive; save it as .xlsx or CSV"),
    BadFile("a zip archive that is not a workbook", "households", "households.xlsx",
            _zip({"word/document.xml": "<w/>"}),
            "households.xlsx: a zip archive but not an Excel workbook (.xlsx); save the table as .xlsx or CSV"),
    BadFile("an old .xls workbook named .xlsx", "units", "units.xlsx", OLE2,
            "units.xlsx: this is an old Excel .xls workbook; save it as .xlsx or CSV"),
    BadFile("a damaged workbook", "households", "households.xlsx",
            _zip({"xl/workbook.xml": "not xml", "xl/worksheets/sheet1.xml": "<"}),
            "households.xlsx: the Excel workbook is damaged and cannot be read; save it again as .xlsx or CSV"),
    BadFile("a workbook with no worksheet", "households", "households.xlsx", _no_worksheet(),
            "households.xlsx: the workbook has no worksheet (only charts, or nothing); put the table in a sheet"),
    BadFile("an empty worksheet", "households", "households.xlsx", xlsx(),
            "households.xlsx row 1: the first worksheet is empty; expected a header row"),
    BadFile("a worksheet with a header only", "households", "households.xlsx", xlsx(HH),
            "households.xlsx row 2: the file has a header but no rows of data", service_only=True),
    BadFile("a title row above the header", "households", "households.xlsx",
            xlsx(["Huishoudens week 10"], [], HH, ROW),
            "households.xlsx row 1: the column names must be in row 1, but they are in row 3; delete the rows above them"),
    BadFile("an empty first row above the header", "households", "households.xlsx", xlsx([], HH, ROW),
            "households.xlsx row 1: the column names must be in row 1, but they are in row 2; delete the rows above them"),
    BadFile("a workbook column name twice", "households", "households.xlsx", xlsx([*HH, "adults"], [*ROW, 2]),
            "households.xlsx row 1, column adults: column appears twice in the header"),
    BadFile("a workbook value right of the header", "households", "households.xlsx",
            xlsx(HH, ROW, [*ROW[:6], 31, "extra"]),
            "households.xlsx row 3: expected 7 cells as in the header, got 8"),
    BadFile("a workbook without a required column", "households", "households.xlsx", xlsx(HH[:-1], ROW[:-1]),
            "households.xlsx row 1, column head_age: required column is missing"),
]


def _hh(cells: str) -> bytes:
    return csv(f"{HH_HEADER},expected_reunification\n{GOOD_HH},0\n{cells}\n")


def _un(cells: str, extra: str = "") -> bytes:
    header = UN_HEADER + (f",{extra}" if extra else "")
    first = GOOD_UN + ("," * (extra.count(",") + 1) if extra else "")
    return csv(f"{header}\n{first}\n{cells}\n")


SOMETHING = "got something else"

VALUE_CASES: list[BadFile] = [
    # --- enormous, negative and non-numbers ---
    BadFile("adults 10**30", "households", "households.csv",
            _hh("H-2,Nijmegen,2025-01-01,1000000000000000000000000000000,0,M,30,0"),
            'households.csv row 3, column adults: expected an integer from 1 to 1000, '
            'got "1000000000000000000000000000000"',
            f"expected an integer from 1 to 1000, {SOMETHING}"),
    BadFile("adults 1e309", "households", "households.csv", _hh("H-2,Nijmegen,2025-01-01,1e309,0,M,30,0"),
            'households.csv row 3, column adults: expected an integer >= 1, got "1e309"',
            f"expected an integer >= 1, {SOMETHING}"),
    BadFile("negative children", "households", "households.csv", _hh("H-2,Nijmegen,2025-01-01,1,-2,M,30,0"),
            'households.csv row 3, column children: expected an integer >= 0, got "-2"',
            f"expected an integer >= 0, {SOMETHING}"),
    BadFile("head_age 10**6", "households", "households.csv", _hh("H-2,Nijmegen,2025-01-01,1,0,M,1000000,0"),
            'households.csv row 3, column head_age: expected an integer from 16 to 120, got "1000000"',
            f"expected an integer from 16 to 120, {SOMETHING}"),
    BadFile("negative expected_reunification", "households", "households.csv",
            _hh("H-2,Nijmegen,2025-01-01,1,0,M,30,-1"),
            'households.csv row 3, column expected_reunification: expected an integer >= 0, got "-1"',
            f"expected an integer >= 0, {SOMETHING}"),
    BadFile("rent 1e309", "units", "units.csv", _un("U-2,Nijmegen,Hatert,social,1,2,1e309,2025-03-01"),
            'units.csv row 3, column rent: expected an amount of at most 100000, got "1e309"',
            f"expected an amount of at most 100000, {SOMETHING}"),
    BadFile("rent inf", "units", "units.csv", _un("U-2,Nijmegen,Hatert,social,1,2,inf,2025-03-01"),
            'units.csv row 3, column rent: expected a decimal amount >= 0 (e.g. 612.50), got "inf"',
            f"expected a decimal amount >= 0 (e.g. 612.50), {SOMETHING}"),
    BadFile("rent nan", "units", "units.csv", _un("U-2,Nijmegen,Hatert,social,1,2,nan,2025-03-01"),
            'units.csv row 3, column rent: expected a decimal amount >= 0 (e.g. 612.50), got "nan"',
            f"expected a decimal amount >= 0 (e.g. 612.50), {SOMETHING}"),
    BadFile("negative rent", "units", "units.csv", _un("U-2,Nijmegen,Hatert,social,1,2,-0.01,2025-03-01"),
            'units.csv row 3, column rent: expected a decimal amount >= 0 (e.g. 612.50), got "-0.01"',
            f"expected a decimal amount >= 0 (e.g. 612.50), {SOMETHING}"),
    BadFile("beds huge", "units", "units.csv",
            _un("U-2,Nijmegen,Hatert,social,1,2,450.00,2025-03-01,true,99999999999", "shared,beds"),
            'units.csv row 3, column beds: expected an integer from 1 to 1000, got "99999999999"',
            f"expected an integer from 1 to 1000, {SOMETHING}"),
    BadFile("negative bedrooms", "units", "units.csv", _un("U-2,Nijmegen,Hatert,social,-1,2,450.00,2025-03-01"),
            'units.csv row 3, column bedrooms: expected an integer >= 0, got "-1"',
            f"expected an integer >= 0, {SOMETHING}"),
    # --- dates out of range ---
    BadFile("30 February", "households", "households.csv", _hh("H-2,Nijmegen,2025-02-30,1,0,M,30,0"),
            'households.csv row 3, column koppeling_date: expected an ISO date (YYYY-MM-DD), got "2025-02-30"',
            f"expected an ISO date (YYYY-MM-DD), {SOMETHING}"),
    BadFile("year 0", "households", "households.csv", _hh("H-2,Nijmegen,0000-01-01,1,0,M,30,0"),
            'households.csv row 3, column koppeling_date: expected an ISO date (YYYY-MM-DD), got "0000-01-01"',
            f"expected an ISO date (YYYY-MM-DD), {SOMETHING}"),
    BadFile("year 99999", "units", "units.csv", _un("U-2,Nijmegen,Hatert,social,1,2,450.00,99999-01-01"),
            'units.csv row 3, column available_from: expected an ISO date (YYYY-MM-DD), got "99999-01-01"',
            f"expected an ISO date (YYYY-MM-DD), {SOMETHING}"),
    BadFile("year 1", "households", "households.csv", _hh("H-2,Nijmegen,0001-01-01,1,0,M,30,0"),
            'households.csv row 3, column koppeling_date: expected a date from 1900-01-01 to 2199-12-31, got "0001-01-01"',
            f"expected a date from 1900-01-01 to 2199-12-31, {SOMETHING}"),
    BadFile("year 9999", "units", "units.csv", _un("U-2,Nijmegen,Hatert,social,1,2,450.00,9999-12-31"),
            'units.csv row 3, column available_from: expected a date from 1900-01-01 to 2199-12-31, got "9999-12-31"',
            f"expected a date from 1900-01-01 to 2199-12-31, {SOMETHING}"),
    # --- ids and names that must be unique ---
    BadFile("household_id twice", "households", "households.csv",
            csv(f"{HH_HEADER}\n{GOOD_HH}\n{GOOD_HH2}\nH-1,Wijchen,2025-01-05,1,0,F,25\n"),
            'households.csv row 4, column household_id: duplicate id "H-1", first used in row 2'),
    BadFile("unit_id twice", "units", "units.csv",
            csv(f"{UN_HEADER}\n{GOOD_UN}\n{GOOD_UN2}\nU-2,Nijmegen,Hatert,flex,1,1,400.00,2025-03-01\n"),
            'units.csv row 4, column unit_id: duplicate id "U-2", first used in row 3'),
    BadFile("a neighbourhood in two municipalities", "units", "units.csv",
            csv(f"{UN_HEADER}\n{GOOD_UN}\nU-2,Wijchen,Hatert,social,1,2,450.00,2025-03-01\n"),
            'units.csv row 3, column neighbourhood: neighbourhood "Hatert" is also used for municipality "Nijmegen" '
            'in row 2; prefix it, e.g. "Wijchen-Hatert"'),
]
# fmt: on

ALL_CASES = FILE_CASES + VALUE_CASES


# The week the policy cases run on: H-1 and H-3 one person, H-2 three; U-1 holds two,
# U-2 four, U-3 is a shared place with one bed.
POLICY_HOUSEHOLDS = f"{HH_HEADER}\n{GOOD_HH}\n{GOOD_HH2}\nH-3,Nijmegen,2025-01-03,1,0,M,35\n"
POLICY_UNITS = f"{UN_HEADER},shared,beds\n{GOOD_UN},,\n{GOOD_UN2},,\nU-3,Nijmegen,Hatert,transit,1,1,300.00,2025-03-01,true,1\n"


@dataclass(frozen=True)
class BadPolicy:
    """One bad policy.json (raw JSON text): the field it names and the exact message."""

    id: str
    text: str
    column: str
    message: str
    api_message: str | None = None

    @property
    def line(self) -> str:
        return f"policy.json column {self.column}: {self.message}"


WEIGHT = "must be an integer from -1000000 to 1000000"
SECONDS = "expected a number of seconds above 0 and at most 86400"
PLAN = '"planning_date": "2025-03-03"'

# fmt: off
POLICY_CASES: list[BadPolicy] = [
    # --- fixed pairs that contradict each other or the rules ---
    BadPolicy("the same household fixed twice", f'{{{PLAN}, "fixed_pairs": [["H-1", "U-1"], ["H-1", "U-2"]]}}',
              "fixed_pairs", "item 2 [H-1, U-2]: household H-1 is already fixed in item 1 (A1)"),
    BadPolicy("the same unit fixed twice", f'{{{PLAN}, "fixed_pairs": [["H-1", "U-1"], ["H-3", "U-1"]]}}',
              "fixed_pairs", "item 2 [H-3, U-1]: unit U-1 is already fixed to another household in item 1 (A2)"),
    BadPolicy("a shared unit fixed over its beds", f'{{{PLAN}, "fixed_pairs": [["H-1", "U-3"], ["H-3", "U-3"]]}}',
              "fixed_pairs", "item 2 [H-3, U-3]: shared unit U-3 would hold 2 persons in 1 bed (A3)"),
    BadPolicy("a fixed pair over a neighbourhood cap",
              f'{{{PLAN}, "neighbourhood_caps": {{"Hatert": 0}}, "fixed_pairs": [["H-1", "U-1"]]}}',
              "fixed_pairs", "item 1 [H-1, U-1]: neighbourhood Hatert would exceed its cap of 0 (A4)"),
    BadPolicy("a fixed pair breaking a rule", f'{{{PLAN}, "fixed_pairs": [["H-2", "U-1"]]}}',
              "fixed_pairs", "item 1 [H-2, U-1]: the pair breaks rule E4 and cannot be fixed"),
    BadPolicy("a fixed pair naming an unknown unit", f'{{{PLAN}, "fixed_pairs": [["H-1", "U-9"]]}}',
              "fixed_pairs", 'item 1: unknown unit_id "U-9"'),
    BadPolicy("a fixed pair naming an unknown household", f'{{{PLAN}, "fixed_pairs": [["H-7", "U-1"]]}}',
              "fixed_pairs", 'item 1: unknown household_id "H-7"'),
    BadPolicy("a pair both fixed and excluded",
              f'{{{PLAN}, "fixed_pairs": [["H-1", "U-1"]], "excluded_pairs": [["H-1", "U-1"]]}}',
              "fixed_pairs", "item 1 [H-1, U-1]: the pair is also in excluded_pairs (E9) and cannot be fixed"),
    BadPolicy("a fixed pair with one id", f'{{{PLAN}, "fixed_pairs": [["H-1"]]}}',
              "fixed_pairs", "item 1: expected [household_id, unit_id], got \"['H-1']\"",
              "item 1: expected [household_id, unit_id], got something else"),
    # --- enormous and impossible numbers ---
    BadPolicy("a weight of 10**30", '{"objective": [{"placed_persons": 1000000000000000000000000000000}]}',
              "objective[0].placed_persons",
              f'weight of placed_persons {WEIGHT}, got "1000000000000000000000000000000"',
              f"weight of placed_persons {WEIGHT}, got something else"),
    BadPolicy("an infinite weight", '{"objective": [{"placed_persons": 1e400}]}', "objective[0].placed_persons",
              f'weight of placed_persons {WEIGHT}, got "inf"', f"weight of placed_persons {WEIGHT}, got something else"),
    BadPolicy("a weight below the range", '{"objective": [{"waiting_days": -10000000}]}', "objective[0].waiting_days",
              f'weight of waiting_days {WEIGHT}, got "-10000000"', f"weight of waiting_days {WEIGHT}, got something else"),
    BadPolicy("a negative time limit", '{"time_limit_s": -1}', "time_limit_s", f'{SECONDS}, got "-1"',
              f"{SECONDS}, got something else"),
    BadPolicy("a zero time limit", '{"time_limit_s": 0}', "time_limit_s", f'{SECONDS}, got "0"',
              f"{SECONDS}, got something else"),
    BadPolicy("a time limit of 10**9 s", '{"time_limit_s": 1000000000}', "time_limit_s",
              f'{SECONDS}, got "1000000000"', f"{SECONDS}, got something else"),
    BadPolicy("an infinite time limit", '{"time_limit_s": 1e400}', "time_limit_s", f'{SECONDS}, got "inf"',
              f"{SECONDS}, got something else"),
    BadPolicy("a negative seed", '{"seed": -1}', "seed", 'expected an integer >= 0, got "-1"',
              "expected an integer >= 0, got something else"),
    BadPolicy("a horizon of 10**12 days", '{"horizon_days": 1000000000000}', "horizon_days",
              'expected an integer from 0 to 3650, got "1000000000000"',
              "expected an integer from 0 to 3650, got something else"),
    BadPolicy("an infinite neighbourhood cap", '{"neighbourhood_caps": {"Hatert": 1e400}}', "neighbourhood_caps.Hatert",
              'expected an integer >= 0, got "inf"', "expected an integer >= 0, got something else"),
    BadPolicy("rent cap infinite", '{"rent_caps": {"low": 1e400}}', "rent_caps.low",
              'expected a decimal amount >= 0 (e.g. 612.50), got "inf"',
              "expected a decimal amount >= 0 (e.g. 612.50), got something else"),
    # --- dates out of range ---
    BadPolicy("planning on 30 February", '{"planning_date": "2025-02-30"}', "planning_date",
              'expected an ISO date (YYYY-MM-DD), got "2025-02-30"', "expected an ISO date (YYYY-MM-DD), got something else"),
    BadPolicy("planning in year 9999", '{"planning_date": "9999-12-30"}', "planning_date",
              'expected a date from 1900-01-01 to 2199-12-31, got "9999-12-30"',
              "expected a date from 1900-01-01 to 2199-12-31, got something else"),
]
# fmt: on
