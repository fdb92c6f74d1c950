"""Spreadsheet imports of articles, indicators, metrics and subscribers, in bulk.

The one way in for tables: scripts, tests, the bench and the admin's preview and confirm
all go through ``editorial.table_imports.service``.
"""

from editorial.table_imports.service import (
    RowProblem,
    TableImportRefused,
    TableImportReport,
    ValidatedTable,
    confirm_table_import,
    import_table,
    preview_table_import,
    problems_csv,
    read_table,
    validate_table,
    write_validated,
)

__all__ = [
    "RowProblem",
    "TableImportRefused",
    "TableImportReport",
    "ValidatedTable",
    "confirm_table_import",
    "import_table",
    "preview_table_import",
    "problems_csv",
    "read_table",
    "validate_table",
    "write_validated",
]
