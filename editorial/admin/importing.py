"""The admin's 导入期刊 flow: upload ▸ preview (with corrections) ▸ confirm.

Views only: every step calls editorial.services.importing.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from editorial.models import Bulletin, ImportJob
from editorial.services import importing
from editorial.services.errors import ServiceError

LINE_ROLE_CHOICES = [
    ("", gettext_lazy("Keep the parser's decision")),
    ("section", gettext_lazy("Section heading")),
    ("title", gettext_lazy("Article title")),
    ("subheading", gettext_lazy("Subheading")),
    ("body", gettext_lazy("Body text")),
    ("caption", gettext_lazy("Figure caption")),
    ("furniture", gettext_lazy("Page furniture (remove)")),
]


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "The bulletin's text as extracted from its PDF (.txt, UTF-8 or GB18030), or a Word "
            "file (.docx)."
        ),
    )
    bulletin = forms.ModelChoiceField(Bulletin.objects.all(), label=gettext_lazy("Bulletin"))
    issue_date = forms.DateField(
        label=gettext_lazy("Issue date"),
        required=False,
        help_text=gettext_lazy("Leave empty to use the date found in the file."),
    )
    number = forms.IntegerField(
        label=gettext_lazy("Issue number"),
        required=False,
        min_value=1,
        help_text=gettext_lazy("Leave empty for the next number."),
    )


def _admin_context(request, title, **extra):
    from django.contrib import admin

    return {**admin.site.each_context(request), "title": title, "opts": ImportJob._meta, **extra}


def _require_import_permission(request):
    if not importing.can_import(request.user):
        raise PermissionDenied


@staff_member_required
def upload_view(request):
    _require_import_permission(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        options = {}
        if form.cleaned_data["issue_date"]:
            options["date"] = form.cleaned_data["issue_date"].isoformat()
        if form.cleaned_data["number"]:
            options["number"] = form.cleaned_data["number"]
        try:
            job = importing.create_import_job(
                data=upload.read(),
                filename=upload.name,
                bulletin=form.cleaned_data["bulletin"],
                user=request.user,
                options=options,
            )
        except ServiceError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("admin:editorial_import_preview", job_id=job.pk)
    return render(
        request,
        "admin/editorial/import/upload.html",
        _admin_context(request, _("Import a bulletin"), form=form),
    )


def _posted_overrides(request) -> dict[int, str]:
    overrides = {}
    for key, value in request.POST.items():
        if key.startswith("role-") and value:
            overrides[int(key.removeprefix("role-"))] = value
    return overrides


@staff_member_required
def preview_view(request, job_id: int):
    _require_import_permission(request)
    job = get_object_or_404(ImportJob, pk=job_id)
    if job.issue_id:
        return redirect("admin:editorial_issue_change", job.issue_id)
    if request.method == "POST":
        try:
            if "confirm" in request.POST:
                job = importing.confirm_import_job(
                    job=job, user=request.user, checksum=request.POST.get("checksum", "")
                )
                if job.issue_id:
                    messages.success(request, _("The draft issue was created."))
                    return redirect("admin:editorial_issue_change", job.issue_id)
                if job.state == ImportJob.State.FAILED:
                    messages.error(request, job.error)
                else:
                    return redirect("admin:editorial_import_progress", job_id=job.pk)
            else:
                importing.set_import_overrides(
                    job=job, overrides=_posted_overrides(request), user=request.user
                )
        except ServiceError as exc:
            messages.error(request, str(exc))
        return redirect("admin:editorial_import_preview", job_id=job.pk)

    try:
        report = importing.preview_import_job(job=job)
    except ServiceError as exc:
        messages.error(request, str(exc))
        return redirect("admin:editorial_import_upload")
    overrides = importing.job_overrides(job)
    warnings = [
        {**w, "choice": overrides.get(w["line"], "")} for w in report.get("warnings", [])
    ]
    return render(
        request,
        "admin/editorial/import/preview.html",
        _admin_context(
            request,
            _("Preview: %(name)s") % {"name": job.original_name},
            job=job,
            report=report,
            warnings=warnings,
            role_choices=LINE_ROLE_CHOICES,
            article_count=sum(len(s["articles"]) for s in report["sections"]),
        ),
    )


@staff_member_required
def progress_view(request, job_id: int):
    _require_import_permission(request)
    job = get_object_or_404(ImportJob, pk=job_id)
    if request.headers.get("Accept") == "application/json":
        return JsonResponse(
            {
                "state": job.state,
                "progress": job.progress,
                "error": job.error,
                "issue_url": reverse("admin:editorial_issue_change", args=[job.issue_id])
                if job.issue_id
                else None,
            }
        )
    if job.issue_id:
        return redirect("admin:editorial_issue_change", job.issue_id)
    return render(
        request,
        "admin/editorial/import/progress.html",
        _admin_context(request, _("Importing %(name)s") % {"name": job.original_name}, job=job),
    )


def import_urls(admin_view):
    from django.urls import path

    return [
        path("import/", admin_view(upload_view), name="editorial_import_upload"),
        path("import/<int:job_id>/", admin_view(preview_view), name="editorial_import_preview"),
        path(
            "import/<int:job_id>/progress/",
            admin_view(progress_view),
            name="editorial_import_progress",
        ),
    ]
