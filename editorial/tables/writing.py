"""Tables written for Excel: cells that would run as formulas escaped, CSV streamed in
chunks, XLSX through openpyxl's write-only mode with typed numbers and dates."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal

CSV_CHUNK_BYTES = 64 * 1024
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# --- Cells ----------------------------------------------------------------------------

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?")
# Characters an XLSX file cannot hold (C0 controls other than tab and line ends).
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def escape_formula(value: str) -> str:
    """Make a text cell inert in a spreadsheet: a leading = + - @ tab or CR gets a quote.

    A cell that is exactly a number (``-3.5``, ``+12%``) is data, not a formula, and is
    left alone so spreadsheets still read it as a number.
    """
    if value and value.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def plain_decimal(value: Decimal) -> str:
    """``65360.0000`` → ``65360``, ``-3.50`` → ``-3.5``; never an exponent."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in {"-0", ""} else text


def csv_cell(value) -> str:
    """A value as CSV text: numbers plain, dates ISO 8601, text formula-escaped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return plain_decimal(value)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return escape_formula(str(value))


# --- Generic writers ------------------------------------------------------------------


def stream_csv(*, headers: Iterable, rows: Iterable[Iterable]) -> Iterator[bytes]:
    """CSV as UTF-8 byte chunks starting with a BOM, so Excel opens the Chinese intact."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([csv_cell(h) for h in headers])
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
        if buffer.tell() >= CSV_CHUNK_BYTES:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def write_xlsx(
    target,
    *,
    headers: list,
    rows: Iterable[Iterable],
    sheet_title: str | None = None,
    column_widths: list[int] | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write one sheet to ``target`` (a path or binary file) in write-only mode.

    Numbers and dates stay typed; text never becomes a formula. Returns the row count.
    """
    # openpyxl takes ~0.13 s to import: loaded by the XLSX writes, not by every CSV export.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell  # lazily, as above
    from openpyxl.styles import Font  # lazily, as above
    from openpyxl.utils import get_column_letter  # lazily, as above

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=(sheet_title or "Sheet1")[:31])
    sheet.freeze_panes = "A2"
    for index, width in enumerate(column_widths or [], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=_xlsx_text(str(header)))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)

    count = 0
    for row in rows:
        sheet.append([_xlsx_value(sheet, value) for value in row])
        count += 1
        if progress and count % 5000 == 0:
            progress(count)
    workbook.save(target)
    return count


def _xlsx_text(value: str) -> str:
    return _XLSX_ILLEGAL.sub("\ufffd", value)


def _xlsx_value(sheet, value):
    if value is None or isinstance(value, bool | int | float | Decimal | date | datetime):
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.replace(tzinfo=None)  # Excel has no time zones
        return value
    text = _xlsx_text(str(value))
    if text.startswith(FORMULA_PREFIXES):
        from openpyxl.cell import WriteOnlyCell  # loaded already by write_xlsx, see there

        # openpyxl would store "=…" as a formula; force a string cell, and mark it
        # quote-prefixed so Excel keeps it text when someone edits it.
        cell = WriteOnlyCell(sheet, value=text)
        cell.data_type = "s"
        cell.quotePrefix = True
        return cell
    return text


