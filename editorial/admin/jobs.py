from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat, truncatechars
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from editorial.admin.base import ReadOnlyAdminMixin
from editorial.models import ExportJob, ImportJob, ImportWarning, Issue, Rendition
from editorial.models.jobs import describe_import_warning
from editorial.services import rendering
from editorial.services.errors import PermissionRefused, ServiceError
from editorial.services.exporting import may_start_export, start_export_job
from editorial.services.reviewing import resolve_import_warning
from editorial.site.file_serving import stored_file_response

from .rendering import PROGRESS_URL_NAME, progress_url, progress_view


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("original_name", "format", "bulletin", "state", "progress", "issue",
                    "created_by", "created_at")
    list_filter = ("state", "format", "bulletin")
    search_fields = ("original_name",)
    readonly_fields = [f.name for f in ImportJob._meta.fields]


@admin.register(Rendition)
class RenditionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Renditions as the workers left them: state, duration, pages, size, error, file."""

    list_display = ("issue", "kind", "is_current", "state", "attempts", "duration", "pages",
                    "file_size", "download", "short_error", "queued_at", "finished_at")
    list_filter = ("state", "kind", "is_current")
    list_select_related = ("issue__bulletin",)
    search_fields = ("issue__title", "issue__bulletin__name")
    date_hierarchy = "queued_at"
    readonly_fields = [f.name for f in Rendition._meta.fields] + ["download"]
    actions = ["render_again"]

    def has_rerender_permission(self, request):
        # The rows are written by the workers; queueing a render again is the one action.
        return admin.ModelAdmin.has_change_permission(self, request)

    def get_urls(self):
        return [
            path(
                "progress/",
                self.admin_site.admin_view(lambda request: progress_view(self, request)),
                name=PROGRESS_URL_NAME,
            ),
            *super().get_urls(),
        ]

    @admin.display(description=gettext_lazy("duration"), ordering="duration_ms")
    def duration(self, obj):
        return "" if obj.duration_ms is None else f"{obj.duration_ms / 1000:.2f} s"

    @admin.display(description=gettext_lazy("size"), ordering="size")
    def file_size(self, obj):
        return "" if obj.size is None else filesizeformat(obj.size)

    @admin.display(description=gettext_lazy("file"))
    def download(self, obj):
        if not obj.file:
            return ""
        return format_html('<a href="{}" download>{}</a>', obj.file.url, _("Download"))

    @admin.display(description=gettext_lazy("error"))
    def short_error(self, obj):
        return truncatechars(obj.error, 80) if obj.error else ""

    @admin.action(description=gettext_lazy("Render these issues again"), permissions=["rerender"])
    def render_again(self, request, queryset):
        issues = Issue.objects.filter(pk__in=queryset.values("issue_id"))
        try:
            ids = rendering.rerender_issues(issues=list(issues), user=request.user)
        except PermissionRefused as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return None
        return HttpResponseRedirect(progress_url(ids))


@admin.action(description=gettext_lazy("Mark the selected warnings as resolved"))
def resolve_import_warnings(modeladmin, request, queryset):
    done = 0
    for warning in queryset.filter(resolved=False):
        try:
            resolve_import_warning(warning=warning, user=request.user)
            done += 1
        except ServiceError as exc:
            messages.error(request, str(exc))
            return
    messages.success(request, _("%(count)s warnings resolved.") % {"count": done})


class ImportWarningKindFilter(admin.SimpleListFilter):
    """The warning kinds by their description, not their codes."""

    title = gettext_lazy("warning")
    parameter_name = "code"

    def lookups(self, request, model_admin):
        codes = ImportWarning.objects.order_by("code").values_list("code", flat=True).distinct()
        return [(code, describe_import_warning(code)) for code in codes]

    def queryset(self, request, queryset):
        return queryset.filter(code=self.value()) if self.value() else queryset


@admin.register(ImportWarning)
class ImportWarningAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The parser's doubts about an imported issue; an issue is approved only when none
    is left unresolved."""

    # The description is the code's text in the editor's language; "message" is the
    # parser's English note, kept for logs and the command line.
    list_display = ("issue", "line", "description", "text", "resolved", "resolved_by")
    list_filter = ("resolved", ImportWarningKindFilter, "issue__bulletin", "issue")
    search_fields = ("text", "message")
    list_select_related = ("issue__bulletin", "resolved_by")
    # The code and the parser's English note stay out of sight; the description says it.
    fields = ("issue", "job", "line", "description", "text", "resolved", "resolved_by",
              "resolved_at")
    readonly_fields = fields
    actions = [resolve_import_warnings]


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Large exports made by a worker: start one, watch its progress, download the file."""

    list_display = ("__str__", "state", "progress", "rows", "created_by", "created_at",
                    "download_link")
    list_filter = ("state", "kind")
    readonly_fields = ("kind", "state", "progress", "rows", "error", "created_by",
                       "created_at", "finished_at", "download_link")
    fields = readonly_fields
    change_list_template = "admin/editorial/exportjob/change_list.html"

    def get_urls(self):
        return [
            path("start/<str:kind>/", self.admin_site.admin_view(self.start_view),
                 name="editorial_exportjob_start"),
            path("<int:object_id>/download/", self.admin_site.admin_view(self.download_view),
                 name="editorial_exportjob_download"),
        ] + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "export_kinds": ExportJob.Kind.choices if may_start_export(request.user) else [],
        }
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self.get_object(request, object_id)
        running = job is not None and job.state in (ExportJob.State.PENDING, ExportJob.State.RUNNING)
        return super().change_view(
            request, object_id, form_url, {**(extra_context or {}), "refresh_while_running": running}
        )

    def start_view(self, request, kind: str):
        if request.method != "POST":
            return redirect("admin:editorial_exportjob_changelist")
        try:
            job = start_export_job(kind=kind, user=request.user)
        except ServiceError as exc:
            messages.error(request, str(exc))
            return redirect("admin:editorial_exportjob_changelist")
        messages.success(request, _("The export has started; this page follows its progress."))
        return redirect("admin:editorial_exportjob_change", job.pk)

    def download_view(self, request, object_id: int):
        if not may_start_export(request.user):
            raise PermissionDenied
        job = ExportJob.objects.filter(pk=object_id, state=ExportJob.State.SUCCEEDED).first()
        if job is None or not job.file:
            raise Http404
        return stored_file_response(request, job.file, attachment=True,
                                    filename=job.file.name.rsplit("/", 1)[-1])

    @admin.display(description=gettext_lazy("Download"))
    def download_link(self, job):
        if job.state != ExportJob.State.SUCCEEDED or not job.file:
            return "—"
        url = reverse("admin:editorial_exportjob_download", args=[job.pk])
        return format_html('<a href="{}">{}</a>', url, filesizeformat(job.file.size))
