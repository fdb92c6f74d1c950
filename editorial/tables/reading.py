"""Uploaded tables read safely: CSV in UTF-8 (BOM or not) or GB18030, XLSX checked as a
package first, and a cap on rows, before anything is parsed further.

django-import-export 4.x decodes a CSV upload with one encoding (UTF-8) and, when that
fails, tells the editor to choose another format: wrong advice for a GB18030 file saved by
Chinese Excel. Here anything else is refused with a message that says what to do.
"""

from __future__ import annotations

import codecs
import csv
import io
import re

import tablib
from django.conf import settings
from django.utils.translation import gettext as _
from import_export.formats import base_formats

from editorial.operations.upload_limits import import_size_refusal, package_limits
from editorial.parsing.packages import ZIP_MAGIC, check_package_size
from editorial.parsing.tree import BulletinParseError
from editorial.services.errors import ImportRefused

CSV_ENCODINGS = ("utf-8-sig", "gb18030")

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# Tab, line ends and form feed occur in real tables; other C0 controls mean "not text".
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


class ImportFileRefused(ValueError):
    """An upload that cannot be read as a table; ``str(error)`` is the user's message."""


# --- Decoding ---------------------------------------------------------------------------


def decode_csv_bytes(data: bytes) -> tuple[str, str]:
    """Return ``(text, encoding)`` for CSV bytes in UTF-8 (BOM or not) or GB18030.

    Raises ImportFileRefused with a message saying what the file is and how to save it.
    """
    if not data.strip():
        raise ImportFileRefused(_("The file is empty."))
    if data.startswith(ZIP_MAGIC):
        raise ImportFileRefused(
            _(
                "This is an Excel workbook (or another archive), not a CSV file. "
                "Choose the “xlsx” format, or save the sheet as CSV."
            )
        )
    if data.startswith(_UTF16_BOMS):
        raise ImportFileRefused(
            _("The file is saved as UTF-16. Save it as “CSV UTF-8” or GB18030 and upload it again.")
        )
    for encoding in CSV_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _CONTROL_CHARACTERS.search(text):
            raise ImportFileRefused(
                _(
                    "The file contains control characters and is not a text table. "
                    "Save it as “CSV UTF-8” or GB18030 and upload it again."
                )
            )
        # GB18030 has its own byte-order mark, which decodes to U+FEFF.
        return text.lstrip("\ufeff"), encoding
    raise ImportFileRefused(
        _(
            "The file is neither UTF-8 nor GB18030 text, so its Chinese would be garbled. "
            "Save it as “CSV UTF-8” (or GB18030) and upload it again."
        )
    )


def max_table_rows() -> int:
    return int(getattr(settings, "BULLETIN_TABLE_IMPORT_MAX_ROWS", 20_000))


def _too_many_rows(count: int) -> ImportFileRefused:
    return ImportFileRefused(
        _(
            "The table has %(count)s rows; at most %(limit)s rows can be imported at once. "
            "Split the file and import the parts one after another."
        )
        % {"count": count, "limit": max_table_rows()}
    )


def _check_csv_rows(text: str) -> None:
    """Refuse a table with more data rows than a request may import, before any row is
    read into a Dataset (counting is cheap; importing 50,000 rows is not)."""
    limit = max_table_rows()
    if text.count("\n") <= limit:
        return
    try:
        count = sum(1 for _row in csv.reader(io.StringIO(text))) - 1
    except csv.Error:
        return  # left for the reader to report
    if count > limit:
        raise _too_many_rows(count)


def check_xlsx_package(data: bytes) -> None:
    """Refuse a workbook that expands beyond the package limits, before it is opened."""
    limits = package_limits()
    try:
        check_package_size(data, limits)
    except BulletinParseError as exc:
        raise ImportFileRefused(
            _(
                "The workbook expands to more than %(size)s MB when unpacked, or holds too "
                "many parts, and is refused. Save the sheet as CSV and upload that instead."
            )
            % {"size": limits.max_bytes // (1024 * 1024)}
        ) from exc


def read_csv_table(data: bytes | str) -> tablib.Dataset:
    """A Dataset from CSV bytes (decoded as above) or already-decoded text."""
    text = decode_csv_bytes(data)[0] if isinstance(data, bytes) else data.lstrip("\ufeff")
    _check_csv_rows(text)
    try:
        return tablib.import_set(text, format="csv")
    except tablib.InvalidDimensions as exc:
        raise ImportFileRefused(
            _("A row has more cells than the header row has columns. Check the separators.")
        ) from exc
    except csv.Error as exc:
        raise ImportFileRefused(
            _("The CSV file could not be read: %(error)s") % {"error": exc}
        ) from exc


def read_xlsx_table(data: bytes) -> tablib.Dataset:
    """A Dataset from the first sheet of an .xlsx workbook."""
    if not data.startswith(ZIP_MAGIC):
        raise ImportFileRefused(
            _("This is not an Excel .xlsx workbook. Choose the “csv” format for a CSV file.")
        )
    check_xlsx_package(data)
    try:
        dataset = base_formats.XLSX().create_dataset(data)
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        raise ImportFileRefused(_("The Excel workbook is damaged and cannot be read.")) from exc
    if dataset.height > max_table_rows():
        raise _too_many_rows(dataset.height)
    return dataset


# --- Any upload --------------------------------------------------------------------------


def is_xlsx_upload(file_name: str, data: bytes) -> bool:
    return data.startswith(ZIP_MAGIC) or file_name.lower().endswith(".xlsx")


def read_table(*, data: bytes, file_name: str = ""):
    """A tablib Dataset from CSV (UTF-8 or GB18030) or XLSX bytes, or ImportRefused."""
    if refusal := import_size_refusal(len(data)):
        raise ImportRefused(refusal, code="too-large")
    try:
        if is_xlsx_upload(file_name, data):
            return read_xlsx_table(data)
        return read_csv_table(data)
    except ImportFileRefused as exc:
        raise ImportRefused(str(exc), code="unreadable") from exc
