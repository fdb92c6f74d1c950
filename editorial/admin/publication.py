from django.contrib import admin
from django.db.models import Count
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from editorial.models import Article, Bulletin, Issue, Section
from editorial.selectors import issue_table_of_contents


class SectionInline(admin.TabularInline):
    model = Section
    extra = 0
    fields = ("position", "name", "slug", "required")
    prepopulated_fields = {}
    ordering = ("position",)


@admin.register(Bulletin)
class BulletinAdmin(SimpleHistoryAdmin):
    list_display = ("name", "slug", "cadence", "language", "issue_count")
    list_filter = ("cadence", "language")
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [SectionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_issue_count=Count("issues"))

    @admin.display(description=_("issues"), ordering="_issue_count")
    def issue_count(self, obj):
        return obj._issue_count


@admin.register(Section)
class SectionAdmin(SimpleHistoryAdmin):
    list_display = ("name", "bulletin", "position", "required")
    list_filter = ("bulletin", "required")
    search_fields = ("name", "slug")
    ordering = ("bulletin", "position")


class ArticleInline(admin.TabularInline):
    """The issue's articles in reading order, with their states, linking to each."""

    model = Article
    extra = 0
    fields = ("section", "position", "title", "state")
    readonly_fields = ("state",)
    show_change_link = True
    ordering = ("section__position", "position")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("section")


@admin.register(Issue)
class IssueAdmin(SimpleHistoryAdmin):
    list_display = (
        "display_title",
        "bulletin",
        "number",
        "issue_date",
        "state",
        "article_count",
        "scheduled_at",
        "published_at",
    )
    list_filter = ("state", "bulletin", "issue_date")
    search_fields = ("title", "number", "bulletin__name")
    date_hierarchy = "issue_date"
    list_select_related = ("bulletin",)
    readonly_fields = ("state", "published_at", "published_by", "contents_overview", "created_by")
    fieldsets = (
        (None, {"fields": ("bulletin", "number", "volume", "issue_date", "title")}),
        (
            _("Workflow"),
            {"fields": ("state", "scheduled_at", "published_at", "published_by", "erratum")},
        ),
        (_("Contents"), {"fields": ("contents_overview",)}),
    )
    inlines = [ArticleInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_article_count=Count("articles"))

    @admin.display(description=_("articles"), ordering="_article_count")
    def article_count(self, obj):
        return obj._article_count

    @admin.display(description=_("title"))
    def display_title(self, obj):
        return obj.display_title

    @admin.display(description=_("Sections and articles in order"))
    def contents_overview(self, obj):
        if not obj.pk:
            return "-"
        rows = []
        for section, articles in issue_table_of_contents(obj):
            rows.append(("section", section.name, ""))
            rows.extend(("article", a.title, a.get_state_display()) for a in articles)
        if not rows:
            return _("No articles yet.")
        return format_html_join(
            "", '<div class="toc-{}">{} <span class="state">{}</span></div>', rows
        )
