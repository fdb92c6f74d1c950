from django.contrib import admin

from editorial.models import Comment, ReviewEvent


@admin.register(ReviewEvent)
class ReviewEventAdmin(admin.ModelAdmin):
    """The trail is read-only: rows are written by the reviewing services only."""

    list_display = ("created_at", "actor", "action", "article", "issue", "from_state", "to_state")
    list_filter = ("action", "to_state")
    search_fields = ("comment", "article__title", "issue__title")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("article", "author", "resolved", "created_at")
    list_filter = ("resolved",)
    search_fields = ("body", "article__title")
    raw_id_fields = ("article",)
