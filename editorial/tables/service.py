"""Table imports in two steps: validate the whole file in memory, then write it in bulk.

``validate_table`` reads the file, prefetches everything it refers to (a handful of
queries, whatever the number of rows) and returns a ``ValidatedTable``: every row as
plain values with what will happen to it (new, update, unchanged), or every problem with
its row, column and reason. Nothing is written.

``write_validated`` writes such a plan in one short transaction: bulk inserts and bulk
updates with their history rows, under a per-table advisory lock so two imports into the
same table take turns. It does not validate the rows again; it checks, in one query each,
that what the plan relied on still holds (the rows it updates still exist, the rows it
creates were not created meanwhile, the issues are still open). When that changed, a
one-shot import plans again under the lock; a confirmed preview is refused instead, so
nobody confirms a preview whose outcome would now differ.

The admin keeps the plan between its preview and its confirm on an ImportJob, with the
file's checksum: the confirm writes exactly what was previewed, of exactly that file.
"""

from __future__ import annotations

import hashlib
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, connections, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from editorial.models import ImportJob, Issue
from editorial.services.audit import record_action
from editorial.services.errors import ImportRefused, PermissionRefused
from editorial.tables.cells import clean_text, is_blank
from editorial.tables.definitions import TABLES, RowInvalid, Table
from editorial.tables.reading import is_xlsx_upload, read_table
from editorial.tables.writing import stream_csv
from editorial.workflow import ISSUE_EDITABLE_STATES

# How long an import waits for another import into the same table to finish.
IMPORT_LOCK_WAIT_SECONDS = 120
# Rows per INSERT / UPDATE statement: few statements, none of them huge.
WRITE_BATCH_ROWS = 2000

# How often a background check reports its progress.
PROGRESS_EVERY_ROWS = 1000
# Rows kept as the file has them, for the preview's table.
RAW_ROWS_KEPT = 200

NEW, UPDATE, SKIP = "new", "update", "skip"


# --- Reports ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RowProblem:
    """One reason a file cannot be imported. ``row`` counts data rows from 1 (the admin's
    "line number"); the spreadsheet line is ``row + 1`` because of the header."""

    row: int | None
    column: str
    message: str

    @property
    def line(self) -> int | None:
        return None if self.row is None else self.row + 1

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        if self.column:
            return _("Row %(row)s (line %(line)s), %(column)s: %(message)s") % {
                "row": self.row, "line": self.line, "column": self.column, "message": self.message
            }
        return _("Row %(row)s (line %(line)s): %(message)s") % {
            "row": self.row, "line": self.line, "message": self.message
        }


def problems_csv(problems: list[RowProblem]) -> bytes:
    """The problems as a CSV an editor can open next to the file (UTF-8 with BOM)."""
    rows = ((p.row or "", p.line or "", p.column, p.message) for p in problems)
    return b"".join(stream_csv(headers=["row", "line", "column", "message"], rows=rows))


@dataclass
class TableImportReport:
    table: str
    rows: int
    new: int = 0
    updated: int = 0
    skipped: int = 0
    dry_run: bool = False
    problems: list[RowProblem] = field(default_factory=list)


class TableImportRefused(ImportRefused):
    """Nothing was imported; ``problems`` lists every bad row."""

    def __init__(self, message, *, problems: list[RowProblem], code: str = "invalid-rows"):
        super().__init__(message, code=code)
        self.problems = problems


def _refused(problems: list[RowProblem], total: int) -> TableImportRefused:
    rows_with_problems = len({p.row for p in problems})
    return TableImportRefused(
        _("Nothing was imported: %(bad)s of %(total)s rows have problems.")
        % {"bad": rows_with_problems, "total": total},
        problems=problems,
    )


# --- Who may import ---------------------------------------------------------------------


def table_for_model(model: type[models.Model]) -> Table:
    return TABLES[model._meta.model_name]


def may_import(user, table: Table) -> bool:
    opts = table.model._meta
    return bool(
        user is not None
        and user.is_active
        and user.is_staff
        and user.has_perm(f"{opts.app_label}.import_{opts.model_name}")
    )


def require_import_permission(user, table: Table) -> None:
    if not may_import(user, table):
        raise PermissionRefused(
            _("You may not import %(models)s.") % {"models": table.model._meta.verbose_name_plural}
        )


# --- The plan ---------------------------------------------------------------------------


@dataclass
class PlannedRow:
    row: int
    action: str  # NEW, UPDATE or SKIP
    pk: int | None
    match: tuple  # the natural key in ids, as ``Table.existing`` keys it
    values: dict


@dataclass
class ValidatedTable:
    """What importing a file would do, row by row, or why it cannot be imported."""

    table: str
    file_name: str
    checksum: str
    rows: int
    planned: list[PlannedRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    #: the file's columns this table reads, in the file's order
    columns: list[str] = field(default_factory=list)
    #: the first rows as the file has them, for the preview (not kept for the confirm)
    raw_rows: dict[int, dict] = field(default_factory=dict)

    def count(self, action: str) -> int:
        return sum(1 for p in self.planned if p.action == action)

    def report(self, *, dry_run: bool = False) -> TableImportReport:
        return TableImportReport(
            table=self.table, rows=self.rows, new=self.count(NEW), updated=self.count(UPDATE),
            skipped=self.count(SKIP), dry_run=dry_run, problems=list(self.problems),
        )

    # Kept on the ImportJob between the admin's preview and confirm ------------------------

    def to_json(self) -> dict:
        return {
            "table": self.table,
            "file_name": self.file_name,
            "checksum": self.checksum,
            "rows": self.rows,
            "planned": [
                [p.row, p.action, p.pk, list(p.match), {k: _encode(v) for k, v in p.values.items()}]
                for p in self.planned
            ],
            "problems": [[p.row, p.column, p.message] for p in self.problems],
            "columns": self.columns,
            "raw_rows": [[n, row] for n, row in self.raw_rows.items()],
        }

    @classmethod
    def from_json(cls, data: dict) -> ValidatedTable:
        table = TABLES[data["table"]]
        decoders = _decoders(table)
        planned = [
            PlannedRow(
                row=row, action=action, pk=pk, match=tuple(match),
                values={k: decoders[k](v) if k in decoders and v is not None else v
                        for k, v in values.items()},
            )
            for row, action, pk, match, values in data["planned"]
        ]
        return cls(
            table=data["table"], file_name=data["file_name"], checksum=data["checksum"],
            rows=data["rows"], planned=planned,
            problems=[RowProblem(*p) for p in data["problems"]],
            columns=data.get("columns", []),
            raw_rows={n: row for n, row in data.get("raw_rows", [])},
        )


def _encode(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _decoders(table: Table) -> dict[str, Callable]:
    decoders = {}
    for model_field in table.model._meta.concrete_fields:
        if isinstance(model_field, models.DecimalField | models.DateField):
            decoders[model_field.attname] = model_field.to_python
    return decoders


def checksum_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def validate_table(
    *, table: str, data: bytes, user, file_name: str = "",
    progress: Callable[[float], None] | None = None,
) -> ValidatedTable:
    """Read and validate a whole file; write nothing.

    Raises PermissionRefused, ImportRefused (an unreadable or empty file) or
    TableImportRefused (columns missing). Row problems are in the result's ``problems``.
    """
    spec = TABLES[table]
    require_import_permission(user, spec)
    dataset = read_table(data=data, file_name=file_name)
    if not len(dataset):
        raise ImportRefused(_("The file has no rows below its header row."), code="empty")
    aliases = spec.header_aliases()
    headers = [
        aliases.get(clean_text(h).lstrip("\ufeff").casefold(), clean_text(h))
        for h in dataset.headers or []
    ]
    missing = [c for c in spec.required_columns if c not in headers]
    if missing:
        problem = RowProblem(
            None, "",
            _("The file lacks the column(s) %(missing)s. Its first row must name the columns: "
              "%(expected)s.")
            % {"missing": ", ".join(missing), "expected": ", ".join(spec.column_names())},
        )
        raise TableImportRefused(problem.message, problems=[problem], code="missing-columns")
    known = set(spec.column_names())
    rows = [
        {h: v for h, v in zip(headers, values, strict=False) if h in known}
        for values in dataset
    ]
    validated = ValidatedTable(
        table=table, file_name=file_name, checksum=checksum_of(data), rows=len(rows),
        columns=[h for h in headers if h in known],
        raw_rows={n: {k: clean_text(v) for k, v in row.items()}
                  for n, row in enumerate(rows[:RAW_ROWS_KEPT], 1)},
    )
    validated.planned, validated.problems = plan_rows(spec, rows, progress=progress)
    return validated


def plan_rows(
    spec: Table, rows: list[dict], *, progress: Callable[[float], None] | None = None,
) -> tuple[list[PlannedRow], list[RowProblem]]:
    """Every row read, checked and matched to the existing row it updates, if any."""
    problems: list[RowProblem] = []
    filled = [(n, row) for n, row in enumerate(rows, 1) if not all(is_blank(v) for v in row.values())]
    lookups = spec.prefetch([row for _n, row in filled])
    first_seen: dict[tuple, int] = {}
    reads: list[tuple[int, tuple, dict]] = []
    model_name = spec.model._meta.verbose_name
    for index, (number, row) in enumerate(filled):
        if progress is not None and index % PROGRESS_EVERY_ROWS == 0:
            progress(index / len(filled))
        key = spec.natural_key(row)
        if any(key) and key in first_seen:
            problems.append(RowProblem(number, "", _(
                "This row repeats the key of row %(first)s (%(key)s); each row must name a "
                "different %(model)s."
            ) % {
                "first": first_seen[key],
                "key": " / ".join(clean_text(row.get(c)) for c in spec.key_columns),
                "model": model_name,
            }))
            continue
        first_seen.setdefault(key, number)
        try:
            match, values = spec.read_row(row, lookups)
        except RowInvalid as invalid:
            for column, messages in invalid.errors.items():
                problems.extend(RowProblem(number, column, str(m)) for m in messages)
            continue
        reads.append((number, match, values))

    existing = spec.existing(m for _n, m, _v in reads) if reads else {}
    taken: set[str] = set()
    planned: list[PlannedRow] = []
    for number, match, values in reads:
        instance = existing.get(match)
        clash = spec.clash(values, instance, lookups, taken)
        if clash:
            problems.append(RowProblem(number, clash[0], clash[1]))
            continue
        if instance is None:
            spec.complete_new(values, lookups, taken)
            planned.append(PlannedRow(number, NEW, None, match, values))
            continue
        refusal = spec.refuse_update(instance)
        if refusal:
            problems.append(RowProblem(number, "", refusal))
            continue
        action = SKIP if spec.unchanged(instance, values) else UPDATE
        planned.append(PlannedRow(number, action, instance.pk, match, values))
    problems.sort(key=lambda p: (p.row or 0, p.column))
    return planned, problems


# --- Writing ----------------------------------------------------------------------------


class PlanOutdated(Exception):
    def __init__(self, problems: list[RowProblem]):
        super().__init__(problems)
        self.problems = problems


def lock_table_for_import(model, *, using: str = "default") -> None:
    """Take turns with other imports into ``model``'s table until this transaction ends.

    Two files that create the same new key at the same time would otherwise both see
    it missing and one would fail on the unique constraint. Raises ImportRefused (code
    "busy") after IMPORT_LOCK_WAIT_SECONDS.
    """
    db = connections[using]
    if db.vendor != "postgresql" or not db.in_atomic_block:
        return
    key = zlib.crc32(f"editorial-table-import:{model._meta.db_table}".encode())
    deadline = time.monotonic() + IMPORT_LOCK_WAIT_SECONDS
    with db.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [key])
            if cursor.fetchone()[0]:
                return
            if time.monotonic() > deadline:
                raise ImportRefused(
                    _("Another import into this table is still running. Try again in a minute."),
                    code="busy",
                )
            time.sleep(0.05)


def _changed_since_planning(spec: Table, validated: ValidatedTable, existing: dict) -> list[RowProblem]:
    """Rows whose outcome the plan got from a table that has changed since (no queries).

    A row planned as new that someone else has since created with the very same values
    (the same file imported twice at once) is left alone, as unchanged; one created with
    other values, or a planned update whose row is gone, is a problem.
    """
    problems = []
    message = _("Since the preview this row was added, removed or changed by someone else.")
    for planned in validated.planned:
        found = existing.get(planned.match)
        if planned.action == NEW and found is not None:
            if spec.unchanged(found, planned.values):
                planned.action, planned.pk = SKIP, found.pk
            else:
                problems.append(RowProblem(planned.row, "", message))
        elif planned.action != NEW and (found is None or found.pk != planned.pk):
            problems.append(RowProblem(planned.row, "", message))
        elif planned.action != NEW and (refusal := spec.refuse_update(found)):
            problems.append(RowProblem(planned.row, "", refusal))
    return problems


def _closed_issues(validated: ValidatedTable) -> list[RowProblem]:
    """Rows into issues that were published (or deleted) since the plan (one query)."""
    issue_ids = {p.values["issue_id"] for p in validated.planned if "issue_id" in p.values}
    if not issue_ids:
        return []
    still_open = set(
        Issue.objects.filter(pk__in=issue_ids, state__in=ISSUE_EDITABLE_STATES)
        .values_list("pk", flat=True)
    )
    message = _("The issue of this row is no longer being assembled or in review.")
    return [
        RowProblem(p.row, "issue", message)
        for p in validated.planned
        if p.action != SKIP and "issue_id" in p.values and p.values["issue_id"] not in still_open
    ]


def _write(spec: Table, validated: ValidatedTable, existing: dict, *, user, reason: str) -> None:
    model = spec.model
    history_user = user if getattr(user, "pk", None) else None
    new_pairs = [
        (spec.build(p.values, user=user), p.values) for p in validated.planned if p.action == NEW
    ]
    created = [instance for instance, _values in new_pairs]
    if created:
        spec.before_write(created, new=True, user=user)
        if spec.has_history:
            bulk_create_with_history(
                created, model, batch_size=WRITE_BATCH_ROWS, default_user=history_user,
                default_change_reason=reason,
            )
        else:
            model._default_manager.bulk_create(created, batch_size=WRITE_BATCH_ROWS)

    update_pairs = []
    fields: set[str] = set()
    for planned in validated.planned:
        if planned.action != UPDATE:
            continue
        instance = existing[planned.match]
        for attribute, value in planned.values.items():
            if attribute == "tags":
                continue
            setattr(instance, attribute, value)
            fields.add(attribute)
        update_pairs.append((instance, planned.values))
    updated = [instance for instance, _values in update_pairs]
    if updated:
        spec.before_write(updated, new=False, user=user)
        fields |= spec.derived_fields
        if fields:
            if spec.has_history:
                bulk_update_with_history(
                    updated, model, sorted(fields), batch_size=WRITE_BATCH_ROWS,
                    default_user=history_user, default_change_reason=reason,
                )
            else:
                model._default_manager.bulk_update(
                    updated, sorted(fields), batch_size=WRITE_BATCH_ROWS
                )
    spec.after_write(new_pairs + update_pairs, user=user)


def write_validated(
    validated: ValidatedTable, *, user, job: ImportJob | None = None,
    replan: Callable[[], ValidatedTable] | None = None,
) -> TableImportReport:
    """Write a plan in one transaction, all or nothing; see the module's docstring.

    ``replan`` (for one-shot imports) validates the file again when the table changed
    since the plan was made; without it such a change refuses the import.
    """
    spec = TABLES[validated.table]
    require_import_permission(user, spec)
    if validated.problems:
        raise _refused(validated.problems, validated.rows)
    reason = _("Imported from %(file)s") % {"file": validated.file_name or spec.name}
    try:
        with transaction.atomic():
            lock_table_for_import(spec.model)
            existing = spec.existing(p.match for p in validated.planned)
            outdated = _changed_since_planning(spec, validated, existing) + _closed_issues(
                validated
            )
            if outdated and replan is not None:
                validated = replan()
                if validated.problems:
                    raise _refused(validated.problems, validated.rows)
                existing = spec.existing(p.match for p in validated.planned)
                outdated = _changed_since_planning(spec, validated, existing)
            if outdated:
                outdated.sort(key=lambda p: (p.row or 0, p.column))
                raise _refused(outdated, validated.rows)
            _write(spec, validated, existing, user=user, reason=reason[:100])
            report = validated.report()
            record_action(
                user=user, action=f"{spec.name}.import", obj=job,
                object_repr=validated.file_name or spec.model._meta.verbose_name_plural,
                changes={"file": validated.file_name, "rows": report.rows, "new": report.new,
                         "updated": report.updated, "skipped": report.skipped},
            )
    except IntegrityError as exc:
        # Something the plan refers to went away while it was written (a section or an
        # organisation deleted, a slug taken by another writer): nothing was saved.
        raise TableImportRefused(
            _("Nothing was imported: the data the file refers to changed while it was being "
              "saved. Upload the file again."),
            problems=[], code="changed",
        ) from exc
    return report


def import_table(
    *, table: str, data: bytes, user, file_name: str = "", dry_run: bool = False,
) -> TableImportReport:
    """Import a CSV or XLSX table, all or nothing: validate it whole, then write it in bulk.

    Raises PermissionRefused, ImportRefused (unreadable file) or TableImportRefused (bad
    rows, each with its row number and reason); in every such case nothing is saved.
    """
    validated = validate_table(table=table, data=data, user=user, file_name=file_name)
    if validated.problems:
        raise _refused(validated.problems, validated.rows)
    if dry_run:
        return validated.report(dry_run=True)

    def replan() -> ValidatedTable:
        return validate_table(table=table, data=data, user=user, file_name=file_name)

    return write_validated(validated, user=user, replan=replan)


# --- The admin's preview and confirm ---------------------------------------------------------


def preview_table_import(*, table: str, data: bytes, user, file_name: str = "") -> tuple[
    ImportJob | None, ValidatedTable
]:
    """Validate a file for the admin's preview and keep the plan for the confirm step.

    The job is made only when the file can be imported (a refused file keeps nothing).
    """
    validated = validate_table(table=table, data=data, user=user, file_name=file_name)
    if validated.problems:
        return None, validated
    job = ImportJob.objects.create(
        format=ImportJob.Format.XLSX if is_xlsx_upload(file_name, data) else ImportJob.Format.CSV,
        original_name=file_name[:255],
        checksum=validated.checksum,
        options={"table": table},
        state=ImportJob.State.PREVIEWED,
        progress=100,
        report={"table_import": validated.to_json()},
        created_by=user if getattr(user, "pk", None) else None,
    )
    return job, validated


def expired_message() -> str:
    return _(
        "The uploaded file is no longer available (it expired or was already imported). "
        "Upload it again."
    )


def confirm_table_import(*, job_id: int, checksum: str, table: str, user) -> TableImportReport:
    """Write what the preview of job ``job_id`` validated; refuse a different file."""
    require_import_permission(user, TABLES[table])
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        stored = (job.report or {}).get("table_import") if job else None
        if (
            job is None
            or job.state != ImportJob.State.PREVIEWED
            or not stored
            or (job.options or {}).get("table") != table
        ):
            raise ImportRefused(expired_message(), code="expired")
        if not checksum or checksum != job.checksum:
            raise ImportRefused(
                _("This is not the file that was previewed. Upload it again."), code="changed-file"
            )
        validated = ValidatedTable.from_json(stored)
        report = write_validated(validated, user=user, job=job)
        job.state = ImportJob.State.SUCCEEDED
        job.finished_at = timezone.now()
        job.report = {"table": table, "rows": report.rows, "new": report.new,
                      "updated": report.updated, "skipped": report.skipped}
        job.save(update_fields=["state", "finished_at", "report"])
    return report
