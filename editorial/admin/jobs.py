from django.contrib import admin

from editorial.models import ImportJob, Rendition


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
    list_display = ("issue", "kind", "is_current", "state", "pages", "size", "duration_ms",
                    "finished_at")
    list_filter = ("state", "kind", "is_current")
    search_fields = ("issue__title", "issue__bulletin__name")
    readonly_fields = [f.name for f in Rendition._meta.fields]

    def has_add_permission(self, request):
        return False
