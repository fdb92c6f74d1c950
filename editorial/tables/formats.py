"""django-import-export formats: our readers for uploads, and downloads made for Excel
(CSV in UTF-8 with a BOM and escaped cells, XLSX with typed numbers and dates)."""

from __future__ import annotations

import csv
import io

from import_export.formats import base_formats

from editorial.tables.reading import read_csv_table, read_xlsx_table
from editorial.tables.writing import csv_cell, write_xlsx


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


