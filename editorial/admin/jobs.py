from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.defaultfilters import filesizeformat, truncatechars
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from editorial.models import ImportJob, ImportWarning, Issue, Rendition
from editorial.services import rendering
from editorial.services.errors import PermissionRefused

from .rendering import PROGRESS_URL_NAME, progress_url, progress_view


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("original_name", "format", "bulletin", "state", "progress", "issue",
                    "created_by", "created_at")
    list_filter = ("state", "format", "bulletin")
    search_fields = ("original_name",)
    readonly_fields = [f.name for f in ImportJob._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Rendition)
class RenditionAdmin(admin.ModelAdmin):
    """Renditions as the workers left them: state, duration, pages, size, error, file."""

    list_display = ("issue", "kind", "is_current", "state", "attempts", "duration", "pages",
                    "file_size", "download", "short_error", "queued_at", "finished_at")
    list_filter = ("state", "kind", "is_current")
    list_select_related = ("issue__bulletin",)
    search_fields = ("issue__title", "issue__bulletin__name")
    date_hierarchy = "queued_at"
    readonly_fields = [f.name for f in Rendition._meta.fields] + ["download"]
    actions = ["render_again"]

    def has_add_permission(self, request):
        return False

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

    @admin.action(description=gettext_lazy("Render these issues again"), permissions=["change"])
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
    from editorial.services.errors import ServiceError
    from editorial.services.reviewing import resolve_import_warning

    done = 0
    for warning in queryset.filter(resolved=False):
        try:
            resolve_import_warning(warning=warning, user=request.user)
            done += 1
        except ServiceError as exc:
            messages.error(request, str(exc))
            return
    messages.success(request, _("%(count)s warnings resolved.") % {"count": done})


@admin.register(ImportWarning)
class ImportWarningAdmin(admin.ModelAdmin):
    """The parser's doubts about an imported issue; an issue is approved only when none
    is left unresolved."""

    list_display = ("issue", "line", "code", "text", "message", "resolved", "resolved_by")
    list_filter = ("resolved", "code", "issue__bulletin", "issue")
    search_fields = ("text", "message")
    list_select_related = ("issue__bulletin", "resolved_by")
    readonly_fields = [f.name for f in ImportWarning._meta.fields]
    actions = [resolve_import_warnings]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
