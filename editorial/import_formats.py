"""Reading uploaded tables, writing downloaded ones, and the admin wiring for both.

django-import-export 4.x decodes a CSV upload with one encoding (UTF-8) and, when that
fails, tells the editor "UnicodeDecodeError encountered while trying to read file.
Ensure you have chosen the correct format" — wrong advice for a GB18030 file saved by
Chinese Excel. Here a CSV is decoded as UTF-8 (with or without BOM), then as GB18030,
and anything else is refused with a message that says what to do. Downloads are made
for Excel: CSV in UTF-8 with a BOM, cells that would run as formulas escaped, XLSX with
typed numbers and dates.

The admin mixin at the bottom plugs these formats into django-import-export's import
and export views, with a temporary storage every web process can read and an
all-or-nothing confirm step.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import tempfile
import time
from pathlib import Path
from uuid import uuid4

import tablib
from django import forms
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext as _
from import_export.admin import ImportExportMixin
from import_export.formats import base_formats
from import_export.forms import ImportForm
from import_export.tmp_storages import BaseStorage

from editorial.services.exporting import csv_cell, escape_formula, write_xlsx

CSV_ENCODINGS = ("utf-8-sig", "gb18030")

_ZIP_MAGIC = b"PK\x03\x04"
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
    if data.startswith(_ZIP_MAGIC):
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
    from editorial.parsing.docx_reader import PackageLimits, check_package_size
    from editorial.parsing.tree import BulletinParseError

    limits = PackageLimits(
        max_bytes=getattr(settings, "BULLETIN_PACKAGE_MAX_EXPANDED_BYTES", PackageLimits.max_bytes),
        max_ratio=getattr(settings, "BULLETIN_PACKAGE_MAX_RATIO", PackageLimits.max_ratio),
        max_entries=getattr(settings, "BULLETIN_PACKAGE_MAX_ENTRIES", PackageLimits.max_entries),
    )
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
    if not data.startswith(_ZIP_MAGIC):
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


class CSVImportFormat(base_formats.CSV):
    """CSV uploads in UTF-8 or GB18030.

    Declared binary so that the admin hands the raw bytes through its temporary
    storage to ``create_dataset`` instead of decoding them as UTF-8 on the way.
    """

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def create_dataset(self, in_stream, **kwargs):
        return read_csv_table(in_stream)

    def can_export(self):
        return False


class XLSXImportFormat(base_formats.XLSX):
    def create_dataset(self, in_stream):
        return read_xlsx_table(in_stream)

    def can_export(self):
        return False


# --- Writing (cells are escaped by editorial.services.exporting) ----------------------


class ExcelCSVExportFormat(base_formats.CSV):
    """CSV for Excel: escaped cells; the admin mixin encodes it as utf-8-sig."""

    CONTENT_TYPE = "text/csv; charset=utf-8"

    def can_import(self):
        return False

    def export_data(self, dataset, **kwargs):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow([csv_cell(h) for h in dataset.headers or []])
        for row in dataset:
            writer.writerow([csv_cell(cell) for cell in row])
        return buffer.getvalue()


class TypedXLSXExportFormat(base_formats.XLSX):
    """XLSX with numbers as numbers, dates as dates, and text that never runs as a formula."""

    def can_import(self):
        return False

    def export_data(self, dataset, **kwargs):
        buffer = io.BytesIO()
        write_xlsx(buffer, headers=list(dataset.headers or []), rows=iter(dataset))
        return buffer.getvalue()


# --- Temporary storage between the preview and the confirm step -----------------------

_STORAGE_NAME = re.compile(r"[0-9a-f]{32}")


class SharedImportStorage(BaseStorage):
    """Holds an upload between the preview and the confirm request.

    The confirm request may reach another web process (or host) than the preview, so
    the bytes go to the cache when the cache is shared between processes (Redis in
    production), and otherwise to a private folder on disk that every process of this
    host reads — never under MEDIA_ROOT, where the public could fetch a subscriber list.
    """

    CACHE_PREFIX = "table-import-"
    LIFETIME_SECONDS = 24 * 3600

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.read_mode = "rb"

    @staticmethod
    def cache_is_shared() -> bool:
        return not isinstance(caches["default"], LocMemCache | DummyCache)

    @staticmethod
    def folder() -> Path:
        configured = getattr(settings, "BULLETIN_IMPORT_TMP_DIR", None)
        base = getattr(settings, "VAR_DIR", None)
        return Path(configured or Path(base or tempfile.gettempdir()) / "import-uploads")

    def save(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.name = uuid4().hex
        if self.cache_is_shared():
            try:
                caches["default"].set(self.CACHE_PREFIX + self.name, data, self.LIFETIME_SECONDS)
            except Exception as exc:  # Redis unreachable: say so rather than fail with a 500
                raise ImportFileRefused(self.unavailable_message()) from exc
            return
        folder = self.folder()
        folder.mkdir(parents=True, exist_ok=True)
        self._prune(folder)
        partial = folder / f"{self.name}.part"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(partial, folder / self.name)

    def read(self):
        if not self.name or not _STORAGE_NAME.fullmatch(self.name):
            raise ImportFileRefused(self.expired_message())
        if self.cache_is_shared():
            try:
                data = caches["default"].get(self.CACHE_PREFIX + self.name)
            except Exception as exc:
                raise ImportFileRefused(self.unavailable_message()) from exc
        else:
            try:
                data = (self.folder() / self.name).read_bytes()
            except FileNotFoundError:
                data = None
        if data is None:
            raise ImportFileRefused(self.expired_message())
        return data

    def remove(self):
        if not self.name or not _STORAGE_NAME.fullmatch(self.name):
            return
        if self.cache_is_shared():
            try:
                caches["default"].delete(self.CACHE_PREFIX + self.name)
            except Exception:  # it expires on its own
                pass
        else:
            (self.folder() / self.name).unlink(missing_ok=True)

    @staticmethod
    def unavailable_message() -> str:
        return _(
            "The temporary store for uploads cannot be reached just now, so nothing was "
            "imported. Try again in a few minutes."
        )

    @staticmethod
    def expired_message() -> str:
        return _("The uploaded file is no longer available (it expired or was already imported). Upload it again.")

    def _prune(self, folder: Path) -> None:
        """Drop uploads nobody confirmed within the lifetime."""
        cutoff = time.time() - self.LIFETIME_SECONDS
        for path in folder.iterdir():
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink(missing_ok=True)
            except OSError:
                pass


# --- The admin ------------------------------------------------------------------------


class TableImportForm(ImportForm):
    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        limit = settings.BULLETIN_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is too large (at most %(size)s MB).") % {"size": limit // (1024 * 1024)}
            )
        return upload


class BulletinImportExportMixin(ImportExportMixin):
    """django-import-export's buttons and exports for the editorial admin; imports go
    through the bulk import service (editorial.admin.table_importing).

    Staff only and permission-checked (``editorial.import_<model>`` /
    ``export_<model>``); CSV in UTF-8 or GB18030; the preview validates the whole file
    and the confirm writes it in one transaction, all or nothing.
    """

    import_formats = [CSVImportFormat, XLSXImportFormat]
    export_formats = [ExcelCSVExportFormat, TypedXLSXExportFormat]
    tmp_storage_class = SharedImportStorage
    import_form_class = TableImportForm
    from_encoding = None  # our formats decode the bytes themselves
    to_encoding = "utf-8-sig"  # Excel opens Chinese CSV only with the BOM
    import_error_display = ("message", "row")

    def has_import_permission(self, request):
        user = request.user
        return bool(user.is_active and user.is_staff) and super().has_import_permission(request)

    def has_export_permission(self, request):
        user = request.user
        return bool(user.is_active and user.is_staff) and super().has_export_permission(request)

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, ImportFileRefused):
            form.add_error("import_file", str(e))
        else:
            super().add_data_read_fail_error_to_form(form, e)

    def get_urls(self):
        from django.urls import path

        from editorial.admin.table_importing import job_view

        opts = self.model._meta
        return [
            path(
                "import/job/<int:job_id>/",
                self.admin_site.admin_view(lambda request, job_id: job_view(self, request, job_id)),
                name=f"{opts.app_label}_{opts.model_name}_import_job",
            ),
        ] + super().get_urls()

    def import_action(self, request, **kwargs):
        # Upload and preview through the bulk import service, not the library's dry run.
        from editorial.admin.table_importing import import_view

        return import_view(self, request)

    def process_import(self, request, **kwargs):
        # The confirm writes what the preview validated (kept on an ImportJob).
        from editorial.admin.table_importing import confirm_view

        return confirm_view(self, request)

    def get_export_data(self, file_format, request, queryset, **kwargs):
        # The library passes native types only to its own binary format classes; ours
        # are subclasses, so decide by kind: spreadsheets get numbers, CSV gets text.
        if not self.has_export_permission(request):
            raise PermissionDenied
        native = isinstance(file_format, base_formats.XLSX)
        kwargs.pop("force_native_type", None)
        data = self.get_data_for_export(request, queryset, force_native_type=native, **kwargs)
        export_data = file_format.export_data(data)
        encoding = kwargs.get("encoding")
        if not file_format.is_binary() and encoding:
            export_data = export_data.encode(encoding)
        return export_data

    def _import_url(self) -> str:
        opts = self.model._meta
        return reverse(
            f"admin:{opts.app_label}_{opts.model_name}_import", current_app=self.admin_site.name
        )


__all__ = [
    "CSV_ENCODINGS",
    "BulletinImportExportMixin",
    "CSVImportFormat",
    "ExcelCSVExportFormat",
    "ImportFileRefused",
    "SharedImportStorage",
    "TypedXLSXExportFormat",
    "XLSXImportFormat",
    "csv_cell",
    "decode_csv_bytes",
    "escape_formula",
    "read_csv_table",
    "read_xlsx_table",
]
