"""Reading one input table from a CSV or XLSX file into raw rows, strictly.

A file that is not what it claims to be (another encoding, a workbook saved as .csv, a
damaged workbook, a title above the header) is refused here with one message that says
what the file is and how to save it, at the row and column where that can be told. The
CLI and the service read files through these functions, so a file gets the same message
from both. Cell values are checked later, by ``tables``.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from matcher.errors import InputError, ProblemCollector, TooLarge, TooManyRows
from matcher.input import cells

Rows = list[dict[str, Any] | None]

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls (and .doc) format
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
TEXT_CONTROLS = frozenset(b"\t\n\r\x0c")
HEADER_SEARCH_ROWS = 10  # how far down a misplaced header row is looked for
# With a row limit, a workbook may unpack to at most this much: far more than its rows need.
UNPACKED_BASE_BYTES = 2**20
UNPACKED_BYTES_PER_ROW = 4096
XLSX_SUFFIXES = (".xlsx", ".xlsm")


SEMICOLONS = (
    "the cells are separated by semicolons (;), as Dutch Excel saves CSV; "
    "save the file as CSV UTF-8 (comma delimited) or upload it as .xlsx"
)


def _semicolons(header: Sequence[str], required: Sequence[str]) -> bool:
    """True when the header holds the required columns once it is split at semicolons: a CSV
    file saved by a Dutch Excel, which separates cells with ``;`` (its decimal comma takes ``,``)."""
    names = {part.strip() for column in header for part in str(column).split(";")}
    return any(";" in str(column) for column in header) and all(column in names for column in required)


def read_table(
    path: Path, label: str | None = None, required: Sequence[str] = (), max_rows: int | None = None
) -> tuple[Rows, list[str], str]:
    """Read a CSV or XLSX file into raw rows; returns rows, header and the name used in errors."""
    name = label or path.name
    if not path.exists():
        raise InputError.single(name, f"file not found: {path}")
    if path.suffix.lower() in XLSX_SUFFIXES:
        with path.open("rb") as handle:
            return read_xlsx(handle, name, required, max_rows)
    return read_csv_bytes(path.read_bytes(), name, required, max_rows)


def read_csv_bytes(
    content: bytes, name: str, required: Sequence[str] = (), max_rows: int | None = None
) -> tuple[Rows, list[str], str]:
    """Decode (UTF-8, with or without byte-order mark) and parse a CSV file."""
    return read_csv_text(decode_csv(content, name), name, required, max_rows)


def decode_csv(content: bytes, name: str) -> str:
    """The file's text, or an error saying what the file is instead of UTF-8 CSV text."""
    if content.startswith(ZIP_MAGIC):
        raise InputError.single(
            name, "this is an Excel workbook (or another zip file), not CSV text; save it as CSV, or upload it as .xlsx"
        )
    if content.startswith(OLE2_MAGIC):
        raise InputError.single(name, "this is an old Excel .xls workbook, not CSV text; save it as CSV or .xlsx")
    if content.startswith(UTF16_BOMS) or _looks_utf16(content):
        raise InputError.single(name, "this is UTF-16 text (Excel's 'Unicode text'); save the file as UTF-8 CSV")
    if _looks_binary(content):
        raise InputError.single(name, "this is a binary file, not CSV text; save the table as UTF-8 CSV")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        row, column = _locate(content, error.start)
        raise InputError.single(
            name,
            "not UTF-8 text (perhaps Latin-1 or Windows-1252, as older Excel versions save CSV); save the file as UTF-8 CSV",
            row=row,
            column=column,
        ) from None
    return text


def _looks_utf16(content: bytes) -> bool:
    """UTF-16 without a byte-order mark: every other byte of ASCII-range text is zero."""
    sample = content[:400]
    half = len(sample) // 2
    if half < 4:
        return False
    return max(sample[0::2].count(0), sample[1::2].count(0)) >= 0.8 * half


def _looks_binary(content: bytes) -> bool:
    """Control bytes that no text file holds (text has tabs and line ends only)."""
    return any(byte < 32 and byte not in TEXT_CONTROLS for byte in content[:4096]) or b"\x00" in content


def _locate(content: bytes, offset: int) -> tuple[int | None, str | None]:
    """Spreadsheet row and column of a byte offset (the text before it is valid UTF-8)."""
    try:
        prefix = content[:offset].decode("utf-8-sig")
        records = list(csv.reader(io.StringIO(prefix)))
    except (UnicodeDecodeError, csv.Error):
        return None, None
    if not records or prefix.endswith(("\n", "\r")):
        return len(records) + 1, None if not records else _column_at(records[0], 0)
    row = len(records)
    if row == 1:
        return 1, None
    return row, _column_at(records[0], len(records[-1]) - 1)


def _column_at(header: list[str], index: int) -> str | None:
    return header[index].strip() if 0 <= index < len(header) and header[index].strip() else None


def read_csv_text(text: str, name: str, required: Sequence[str] = (), max_rows: int | None = None) -> tuple[Rows, list[str], str]:
    """Parse CSV text strictly: a row with more or fewer cells than the header is an error."""
    lines = _csv_records(text, name)
    if not any(cell.strip() for line in lines for cell in line):
        raise InputError.single(name, "the file is empty; expected a header row", row=1)
    header = [cell.strip() for cell in lines[0]]
    return _rows_of(name, header, iter(lines[1:]), required, max_rows, pad_short_rows=False)


def _csv_records(text: str, name: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text), strict=True)
    records: list[list[str]] = []
    try:
        for record in reader:
            records.append(record)
    except csv.Error as error:
        row = len(records) + 1
        if "unexpected end of data" in str(error):
            message = 'a quoted cell that starts in this row is never closed (a " is missing)'
        else:
            message = f'not valid CSV ({error}); write "" for a quote inside a quoted cell'
        raise InputError.single(name, message, row=row) from None
    return records


def _rows_of(
    name: str,
    header: list[str],
    records: Iterator[Sequence[Any]],
    required: Sequence[str],
    max_rows: int | None,
    *,
    pad_short_rows: bool,
    rows_in_sheet: Callable[[], int] | None = None,
) -> tuple[Rows, list[str], str]:
    """Check the header, then turn records into rows keyed by it (blank lines keep their number)."""
    problems = ProblemCollector()
    seen: set[str] = set()
    for column in header:
        if column and column in seen:
            problems.add(name, "column appears twice in the header", row=1, column=column)
        seen.add(column)
    problems.raise_if_any()
    missing = [column for column in required if column not in seen]
    buffered: list[Sequence[Any]] = []
    if missing:
        for _ in range(HEADER_SEARCH_ROWS):
            record = next(records, None)
            if record is None:
                break
            buffered.append(record)
            names = {str(cell).strip() for cell in record if not cells.is_missing(cell)}
            if all(column in names for column in required):
                raise InputError.single(
                    name,
                    f"the column names must be in row 1, but they are in row {len(buffered) + 1}; delete the rows above them",
                    row=1,
                )
    if not any(header):
        raise InputError.single(name, "row 1 is empty; the column names must be in row 1", row=1)
    if missing and _semicolons(header, required):
        raise InputError.single(name, SEMICOLONS, row=1)
    if missing:
        for column in missing:
            problems.add(name, "required column is missing", row=1, column=column)
        problems.raise_if_any()
    rows: Rows = []
    count = 0
    for offset, record in enumerate(_chain(buffered, records)):
        if all(cells.is_missing(cell) for cell in record):
            rows.append(None)  # a blank line keeps its row number but holds no record
            continue
        count += 1
        if max_rows is not None and count > max_rows:
            if rows_in_sheet is not None:
                count = max(count, rows_in_sheet())  # a workbook says its size; reading on could take long
                break
            continue  # only counted (the text is in memory anyway): the file is refused as a whole below
        width = len(record)
        while width > len(header) and cells.is_missing(record[width - 1]):
            width -= 1  # empty cells right of a workbook's table
        if width > len(header) or (width < len(header) and not pad_short_rows):
            problems.add(name, f"expected {len(header)} cells as in the header, got {width}", row=offset + 2)
            continue
        values = list(record[:width]) + [None] * (len(header) - width)
        rows.append({column: value for column, value in zip(header, values, strict=True) if column})
    if max_rows is not None and count > max_rows:
        raise TooManyRows(name, count, max_rows)
    problems.raise_if_any()
    while rows and rows[-1] is None:
        rows.pop()  # blank trailing lines a spreadsheet tends to leave behind
    return rows, header, name  # no rows is a week with nothing offered (or nobody waiting): not an error


def _chain(first: list[Sequence[Any]], rest: Iterable[Sequence[Any]]) -> Iterator[Sequence[Any]]:
    yield from first
    yield from rest


def read_xlsx(
    handle: IO[bytes], name: str, required: Sequence[str] = (), max_rows: int | None = None
) -> tuple[Rows, list[str], str]:
    """The first worksheet of an .xlsx workbook, cells typed as Excel typed them."""
    from openpyxl import load_workbook

    head = handle.read(len(OLE2_MAGIC))
    handle.seek(0)
    if head.startswith(OLE2_MAGIC):
        raise InputError.single(name, "this is an old Excel .xls workbook; save it as .xlsx or CSV")
    if not zipfile.is_zipfile(handle):
        raise InputError.single(name, "not an Excel workbook (.xlsx): the file is not a zip archive; save it as .xlsx or CSV")
    handle.seek(0)
    with zipfile.ZipFile(handle) as archive:
        members = archive.namelist()
        if "xl/workbook.xml" not in members:
            raise InputError.single(name, "a zip archive but not an Excel workbook (.xlsx); save the table as .xlsx or CSV")
        if not any(member.startswith("xl/worksheets/") for member in members):
            raise InputError.single(name, "the workbook has no worksheet (only charts, or nothing); put the table in a sheet")
        unpacked = sum(info.file_size for info in archive.infolist())
        if max_rows is not None and unpacked > UNPACKED_BASE_BYTES + max_rows * UNPACKED_BYTES_PER_ROW:
            # A few kilobytes can unpack to gigabytes; the rows could not be counted in time.
            message = f"the workbook unpacks to {unpacked // 2**20} MiB, more than {max_rows} rows can take; split it"
            raise TooLarge(name, message, f"Too large: {name} unpacks to {unpacked // 2**20} MiB.")
    handle.seek(0)
    try:
        book = load_workbook(handle, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for damaged files
        raise InputError.single(name, "the Excel workbook is damaged and cannot be read; save it again as .xlsx or CSV") from None
    try:
        if not book.worksheets:
            raise InputError.single(name, "the workbook has no worksheet")
        records = iter(book.worksheets[0].iter_rows(values_only=True))
        first = next(records, None)
        if first is None:
            raise InputError.single(name, "the first worksheet is empty; expected a header row", row=1)
        header = ["" if cells.is_missing(cell) else str(cell).strip() for cell in first]
        while header and not header[-1]:
            header.pop()
        sheet = book.worksheets[0]
        return _rows_of(
            name, header, records, required, max_rows, pad_short_rows=True, rows_in_sheet=lambda: (sheet.max_row or 1) - 1
        )
    finally:
        book.close()
