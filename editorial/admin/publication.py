from django.conf import settings
from django.contrib import admin
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from editorial import workflow
from editorial.admin.assembly import IssueAssemblyMixin
from editorial.admin.base import PreviewOnSiteMixin, ServiceAdminMixin
from editorial.admin.delivery import IssueDeliveryAdminMixin, resend_failed_deliveries
from editorial.admin.importing import import_urls
from editorial.admin.rendering import rerender_issues
from editorial.admin.review import ReviewTrailInline
from editorial.admin.workflow import WorkflowAdminMixin, perform_issue_transition
from editorial.models import Article, Bulletin, Issue, Section
from editorial.selectors.public import issue_table_of_contents
from editorial.selectors.readiness import issue_blockers
from editorial.services import bulletins, issues
from editorial.services.import_jobs import can_import
from editorial.services.permissions import may


class SectionFormSet(BaseInlineFormSet):
    """Sections added together with empty slugs get distinct ones before validation.

    Each section makes its slug from its name while it is cleaned; two new sections
    whose names read alike in pinyin would otherwise be refused as duplicates.
    """

    def clean(self):
        given: set[str] = set()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
                continue
            slug = form.cleaned_data.get("slug") or form.instance.slug
            if not slug:
                continue
            base, counter = slug, 1
            while slug in given:
                counter += 1
                slug = f"{base}-{counter}"
            given.add(slug)
            form.cleaned_data["slug"] = form.instance.slug = slug
        super().clean()


class SectionInline(admin.TabularInline):
    model = Section
    formset = SectionFormSet
    extra = 0
    fields = ("position", "name", "slug", "required")
    prepopulated_fields = {}
    ordering = ("position",)


class LanguageFilter(admin.SimpleListFilter):
    """Bulletins by language, named in the reader's language rather than by code."""

    title = _("language")
    parameter_name = "language"

    def lookups(self, request, model_admin):
        names = dict(settings.LANGUAGES)
        codes = Bulletin.objects.order_by("language").values_list("language", flat=True)
        return [(code, names.get(code, code)) for code in codes.distinct()]

    def queryset(self, request, queryset):
        return queryset.filter(language=self.value()) if self.value() else queryset


@admin.register(Bulletin)
class BulletinAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    list_display = ("name", "slug", "cadence", "language_name", "issue_count")
    list_filter = ("cadence", LanguageFilter)
    search_fields = ("name", "slug", "description")
    # No prepopulated slug: the admin's script drops Chinese characters, which would leave
    # an empty or partial slug. An empty slug is made from the name's pinyin on save.
    inlines = [SectionInline]
    inline_services = {Section: "save_sections"}

    def save_service(self, request, obj, form, change):
        return bulletins.save_bulletin(bulletin=obj, user=request.user)

    def save_sections(self, request, form, formset, change):
        self.save_each(
            formset,
            save=lambda section: bulletins.save_section(section=section, user=request.user),
            delete=lambda section: bulletins.delete_section(section=section, user=request.user),
        )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_issue_count=Count("issues"))

    @admin.display(description=_("language"), ordering="language")
    def language_name(self, obj):
        return dict(settings.LANGUAGES).get(obj.language, obj.language)

    @admin.display(description=_("issues"), ordering="_issue_count")
    def issue_count(self, obj):
        return obj._issue_count


@admin.register(Section)
class SectionAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    list_display = ("name", "slug", "bulletin", "position", "required")
    list_filter = ("bulletin", "required")
    search_fields = ("name", "slug")
    ordering = ("bulletin", "position")
    deletes_objects = True

    def save_service(self, request, obj, form, change):
        return bulletins.save_section(section=obj, user=request.user)

    def delete_service(self, request, obj):
        bulletins.delete_section(section=obj, user=request.user)


class ArticleInline(admin.TabularInline):
    """The issue's articles in reading order, with their states, linking to each."""

    model = Article
    extra = 0
    fields = ("section", "position", "title", "state")
    # Read-only: article edits and reordering go through the services (article page,
    # assembly view), never through this inline.
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False
    ordering = ("section__position", "position")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("section")


class IssueReviewTrailInline(ReviewTrailInline):
    fk_name = "issue"


@admin.register(Issue)
class IssueAdmin(
    PreviewOnSiteMixin, ServiceAdminMixin, IssueDeliveryAdminMixin, WorkflowAdminMixin, IssueAssemblyMixin,
    SimpleHistoryAdmin,
):
    change_form_template = "admin/editorial/workflow_change_form.html"
    transitions = workflow.ISSUE_TRANSITIONS
    perform_transition = staticmethod(perform_issue_transition)
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
    readonly_fields = (
        "state", "scheduled_at", "published_at", "published_by", "erratum",
        "contents_overview", "created_by", "delivery_report_link",
    )
    actions = [rerender_issues, resend_failed_deliveries]
    fieldsets = (
        (None, {"fields": ("bulletin", "number", "volume", "issue_date", "title")}),
        (_("Access"), {"fields": ("access_level",)}),
        (
            _("Workflow"),
            {
                "fields": (
                    "state", "scheduled_at", "published_at", "published_by", "erratum",
                    "delivery_report_link",
                )
            },
        ),
        (_("Contents"), {"fields": ("contents_overview",)}),
    )
    inlines = [ArticleInline, IssueReviewTrailInline]

    # Details change while the issue is open; from "scheduled" on only the correction and
    # withdraw transitions change it.
    def object_open(self, request, obj) -> bool:
        return may(request.user, "issue.edit", issue_state=obj.state)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly.append("bulletin")  # its sections hold the articles
        return readonly

    def save_service(self, request, obj, form, change):
        fields = [name for name in issues.ISSUE_DETAIL_FIELDS if name in form.cleaned_data]
        if change:
            return issues.update_issue_details(
                issue=obj, user=request.user,
                changes={name: form.cleaned_data[name] for name in fields
                         if name in form.changed_data},
            )
        return issues.create_issue(
            user=request.user, **{name: form.cleaned_data[name] for name in fields}
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            if obj.state in (workflow.IssueState.ASSEMBLING, workflow.IssueState.IN_REVIEW):
                context["issue_blockers"] = issue_blockers(obj)
                context["blocker_links"] = [
                    (_("Key figures to confirm"),
                     reverse("admin:editorial_metric_changelist")
                     + f"?issue__id__exact={obj.pk}&status__exact=suggested"),
                    (_("Import warnings to resolve"),
                     reverse("admin:editorial_importwarning_changelist")
                     + f"?issue__id__exact={obj.pk}&resolved__exact=0"),
                    (_("Articles of this issue"),
                     reverse("admin:editorial_article_changelist")
                     + f"?issue__id__exact={obj.pk}"),
                ]
            context["extra_object_tools"] = [
                (_("Arrange articles"), reverse("admin:editorial_issue_assemble", args=[obj.pk])),
                (_("Preview link"), reverse("editorial:preview_link", args=[obj.pk])),
            ]
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        return import_urls(self.admin_site.admin_view) + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import_bulletin": can_import(request.user)}
        return super().changelist_view(request, extra_context)

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
