from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from editorial.models import Article, Comment, Figure, ReviewEvent, Tag


class FigureInline(admin.StackedInline):
    model = Figure
    extra = 0
    fields = ("position", "caption", "source_line", "image")


class CommentInline(admin.TabularInline):
    model = Comment
    extra = 0
    fields = ("author", "body", "resolved", "created_at")
    readonly_fields = ("author", "created_at")


class ArticleReviewTrailInline(admin.TabularInline):
    model = ReviewEvent
    fk_name = "article"
    extra = 0
    can_delete = False
    fields = ("created_at", "actor", "action", "from_state", "to_state", "comment")
    readonly_fields = fields
    verbose_name_plural = _("review trail")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Article)
class ArticleAdmin(SimpleHistoryAdmin):
    list_display = ("title", "issue", "section", "position", "state", "source", "updated_at")
    list_filter = ("state", "issue__bulletin", "section", "issue")
    search_fields = ("title", "summary", "source", "body")
    list_select_related = ("issue__bulletin", "section")
    autocomplete_fields = ("tags",)
    readonly_fields = ("state", "version", "created_by", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("issue", "section", "position", "title", "subtitle")}),
        (_("Source"), {"fields": ("source", "source_url", "author", "original_date")}),
        (_("Text"), {"fields": ("summary", "body", "tags")}),
        (_("Workflow"), {"fields": ("state", "version", "created_by", "created_at", "updated_at")}),
    )
    inlines = [FigureInline, CommentInline, ArticleReviewTrailInline]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ("name",)
