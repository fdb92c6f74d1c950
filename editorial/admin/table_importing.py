"""The admin's table import: upload ▸ preview ▸ confirm, on the bulk import service.

The preview is the validation (``preview_table_import``): the whole file read and
checked, every problem listed by row and column, nothing written. When the file is good
its plan is kept on an ImportJob, and the confirm form carries the job and the file's
checksum; confirming writes that plan (``confirm_table_import``) without reading the
file again. A file above ``BULLETIN_TABLE_IMPORT_ASYNC_BYTES`` is checked and written by
a worker (editorial.tables.jobs) while the job's page shows the progress.

django-import-export still provides the import button on each list and the exports; its
own import flow (a full dry run, then the whole import again) is not used.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.admin import ImportExportMixin
from import_export.formats import base_formats

from editorial.models import ImportJob
from editorial.operations.upload_limits import import_size_refusal
from editorial.services.errors import ImportRefused, PermissionRefused
from editorial.tables import jobs
from editorial.tables.definitions import TABLES
from editorial.tables.formats import (
    CSVImportFormat,
    ExcelCSVExportFormat,
    TypedXLSXExportFormat,
    XLSXImportFormat,
)
from editorial.tables.service import (
    NEW,
    SKIP,
    UPDATE,
    RowProblem,
    TableImportRefused,
    ValidatedTable,
    confirm_table_import,
    expired_message,
    preview_table_import,
)

# Rows shown in the preview table; the counts above it cover the whole file.
PREVIEW_ROWS = 100
# Problems listed on the page.
SHOWN_PROBLEMS = 200


class TableUploadForm(forms.Form):
    import_file = forms.FileField(
        label=gettext_lazy("File to import"),
        help_text=gettext_lazy(
            "CSV (UTF-8 or GB18030) or Excel .xlsx; the first row names the columns."
        ),
    )

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        if refusal := import_size_refusal(upload.size):
            raise forms.ValidationError(refusal)
        return upload


class TableConfirmForm(forms.Form):
    job = forms.IntegerField(widget=forms.HiddenInput)
    checksum = forms.CharField(max_length=64, widget=forms.HiddenInput)


def _table_of(modeladmin) -> str:
    return modeladmin.model._meta.model_name


def _url(modeladmin, name: str, *args) -> str:
    opts = modeladmin.model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{name}", args=args,
                   current_app=modeladmin.admin_site.name)


def _context(modeladmin, request, **extra) -> dict:
    opts = modeladmin.model._meta
    return {
        **modeladmin.admin_site.each_context(request),
        "opts": opts,
        "title": _("Import %(models)s") % {"models": opts.verbose_name_plural},
        "expected_columns": TABLES[opts.model_name].column_names(),
        "changelist_url": _url(modeladmin, "changelist"),
        **extra,
    }


def _preview_context(modeladmin, validated: ValidatedTable, job: ImportJob | None) -> dict:
    labels = {NEW: _("new"), UPDATE: _("update"), SKIP: _("unchanged")}
    columns = list(validated.columns)
    rows = []
    for planned in validated.planned[:PREVIEW_ROWS]:
        raw = validated.raw_rows.get(planned.row, {})
        rows.append({"row": planned.row, "action": planned.action,
                     "action_label": labels[planned.action],
                     "cells": [raw.get(c, "") for c in columns]})
    context = {
        "validated": validated,
        "columns": columns,
        "rows": rows,
        "more_rows": max(0, len(validated.planned) - PREVIEW_ROWS),
        "counts": {"new": validated.count(NEW), "updated": validated.count(UPDATE),
                   "skipped": validated.count(SKIP)},
        "problems": validated.problems[:SHOWN_PROBLEMS],
        "more_problems": max(0, len(validated.problems) - SHOWN_PROBLEMS),
        "bad_rows": len({p.row for p in validated.problems}),
    }
    if job is not None and job.state == ImportJob.State.PREVIEWED and not validated.problems:
        context["confirm_form"] = TableConfirmForm(initial={"job": job.pk, "checksum": job.checksum})
        context["confirm_url"] = _url(modeladmin, "process_import")
    return context


def import_view(modeladmin, request):
    """Upload and preview; a good file ends with the confirm form."""
    if not modeladmin.has_import_permission(request):
        raise PermissionDenied
    form = TableUploadForm(request.POST or None, request.FILES or None)
    context = {"form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["import_file"]
        data, name = upload.read(), upload.name or ""
        try:
            if jobs.runs_in_background(data):
                job = jobs.start_table_check(table=_table_of(modeladmin), data=data,
                                             user=request.user, file_name=name)
                return HttpResponseRedirect(_url(modeladmin, "import_job", job.pk))
            job, validated = preview_table_import(
                table=_table_of(modeladmin), data=data, user=request.user, file_name=name,
            )
        except PermissionRefused as exc:
            raise PermissionDenied(str(exc)) from exc
        except ImportRefused as exc:  # unreadable, empty, columns missing
            form.add_error("import_file", str(exc))
        else:
            context.update(_preview_context(modeladmin, validated, job))
    return TemplateResponse(
        request, "admin/editorial/table_import/import.html", _context(modeladmin, request, **context)
    )


def job_view(modeladmin, request, job_id: int):
    """A background import's page: progress while a worker runs, then its preview or result."""
    if not modeladmin.has_import_permission(request):
        raise PermissionDenied
    job = get_object_or_404(ImportJob, pk=job_id, options__table=_table_of(modeladmin))
    if job.created_by_id not in (None, request.user.pk) and not request.user.is_superuser:
        raise PermissionDenied
    running = job.state in (ImportJob.State.PENDING, ImportJob.State.RUNNING)
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"state": job.state, "state_label": job.get_state_display(),
                             "progress": job.progress, "error": job.error})
    context = {"job": job, "running": running, "form": TableUploadForm()}
    stored = (job.report or {}).get("table_import")
    if stored and "planned" in stored:
        validated = ValidatedTable.from_json(stored)
        context.update(_preview_context(modeladmin, validated, job))
    elif stored:
        problems = [RowProblem(*p) for p in stored.get("problems", [])]
        context.update(problems=problems[:SHOWN_PROBLEMS], bad_rows=len({p.row for p in problems}))
    if job.state == ImportJob.State.SUCCEEDED:
        context["result"] = job.report
    return TemplateResponse(
        request, "admin/editorial/table_import/import.html", _context(modeladmin, request, **context)
    )


def confirm_view(modeladmin, request):
    """Write what the preview validated (a background job's write is queued)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not modeladmin.has_import_permission(request):
        raise PermissionDenied
    form = TableConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, expired_message())
        return HttpResponseRedirect(_url(modeladmin, "import"))
    job_id, checksum = form.cleaned_data["job"], form.cleaned_data["checksum"]
    background = ImportJob.objects.filter(pk=job_id, options__background=True).exists()
    try:
        if background:
            jobs.start_table_write(job_id=job_id, checksum=checksum,
                                   table=_table_of(modeladmin), user=request.user)
            return HttpResponseRedirect(_url(modeladmin, "import_job", job_id))
        report = confirm_table_import(job_id=job_id, checksum=checksum,
                                      table=_table_of(modeladmin), user=request.user)
    except PermissionRefused as exc:
        raise PermissionDenied(str(exc)) from exc
    except TableImportRefused as exc:
        messages.error(request, str(exc))
        for problem in exc.problems[:20]:
            messages.error(request, str(problem))
        return HttpResponseRedirect(_url(modeladmin, "import"))
    except ImportRefused as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(_url(modeladmin, "import"))
    messages.success(
        request,
        _("Import finished: %(new)s new, %(updated)s updated, %(skipped)s unchanged.")
        % {"new": report.new, "updated": report.updated, "skipped": report.skipped},
    )
    return HttpResponseRedirect(_url(modeladmin, "changelist"))


# --- The mixin every importing admin uses ------------------------------------------


class BulletinImportExportMixin(ImportExportMixin):
    """django-import-export's buttons and exports for the editorial admin; imports go
    through the bulk import service, by the views above.

    Staff only and permission-checked (``editorial.import_<model>`` /
    ``export_<model>``); CSV in UTF-8 or GB18030; the preview validates the whole file
    and the confirm writes it in one transaction, all or nothing.
    """

    import_formats = [CSVImportFormat, XLSXImportFormat]
    export_formats = [ExcelCSVExportFormat, TypedXLSXExportFormat]
    from_encoding = None  # our formats decode the bytes themselves
    to_encoding = "utf-8-sig"  # Excel opens Chinese CSV only with the BOM
    import_error_display = ("message", "row")

    def has_import_permission(self, request):
        user = request.user
        return bool(user.is_active and user.is_staff) and super().has_import_permission(request)

    def has_export_permission(self, request):
        user = request.user
        return bool(user.is_active and user.is_staff) and super().has_export_permission(request)

    def get_urls(self):
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
        return import_view(self, request)

    def process_import(self, request, **kwargs):
        # The confirm writes what the preview validated (kept on an ImportJob).
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
