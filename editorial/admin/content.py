from django.contrib import admin
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from editorial import workflow
from editorial.admin.article_editing import ArticleAdminForm, ArticleRevisionsMixin
from editorial.admin.base import PreviewOnSiteMixin, ServiceAdminMixin
from editorial.admin.figures import FigureInlineForm, save_figure_formset
from editorial.admin.review import ReviewTrailInline
from editorial.admin.table_importing import BulletinImportExportMixin
from editorial.admin.workflow import (
    WorkflowAdminMixin,
    perform_article_bulk_transition,
    perform_article_transition,
)
from editorial.models import Article, Comment, Figure, Tag
from editorial.search import filter_articles, parse_query
from editorial.selectors.render_data import article_blocks
from editorial.services import articles, comments, reviewing
from editorial.services.permissions import may
from editorial.tables.resources import ArticleResource
from editorial.workflow import ArticleState


class FigureInline(admin.StackedInline):
    model = Figure
    extra = 0
    form = FigureInlineForm
    fields = ("position", "caption", "source_line", "image", "indicator")
    autocomplete_fields = ("indicator",)


class CommentInline(admin.TabularInline):
    model = Comment
    extra = 0
    fields = ("author", "body", "resolved", "created_at")
    readonly_fields = ("author", "created_at")


class ArticleReviewTrailInline(ReviewTrailInline):
    fk_name = "article"


@admin.register(Article)
class ArticleAdmin(
    PreviewOnSiteMixin, ServiceAdminMixin, WorkflowAdminMixin, ArticleRevisionsMixin, BulletinImportExportMixin,
    SimpleHistoryAdmin,
):
    resource_classes = [ArticleResource]
    form = ArticleAdminForm
    change_form_template = "admin/editorial/workflow_change_form.html"
    transitions = workflow.ARTICLE_TRANSITIONS
    perform_transition = staticmethod(perform_article_transition)
    perform_bulk_transition = staticmethod(perform_article_bulk_transition)
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
    inline_services = {Figure: "save_figure_formset", Comment: "save_comment_formset"}
    deletes_objects = True

    class Media:
        # The body as readers see it (read-only pages) and the revision compare.
        css = {"all": ("editorial/article_admin.css",)}

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and not self.has_change_permission(request, obj):
            # Read-only (a reviewer, a closed issue): the body as readers see it, not tags.
            fieldsets = tuple(
                (name, {**options, "fields": tuple(
                    "rendered_body" if field == "body" else field for field in options["fields"]
                )})
                for name, options in fieldsets
            )
        # The concurrent-edit markers travel with the form, hidden.
        return (*fieldsets, (None, {"fields": ("expected_version", "base_revision"),
                                    "classes": ("hidden",)}))

    @admin.display(description=_("body"))
    def rendered_body(self, obj):
        html = render_to_string("editorial/_article_blocks.html", {"blocks": article_blocks(obj)})
        return format_html('<div class="rendered-body">{}</div>', html)

    def get_readonly_fields(self, request, obj=None):
        readonly = [*super().get_readonly_fields(request, obj), "rendered_body"]
        if obj is not None:
            readonly.append("issue")  # moving between issues is not an edit
        return readonly

    def object_open(self, request, obj) -> bool:
        return obj.issue.state in workflow.ISSUE_EDITABLE_STATES

    def object_deletable(self, request, obj) -> bool:
        return obj.state == ArticleState.DRAFT and may(
            request.user, "article.delete", issue_state=obj.issue.state
        )

    def delete_service(self, request, obj):
        articles.delete_article(article=obj, user=request.user)

    def save_service(self, request, obj, form, change):
        """Every save goes through the services (permissions, version check, trail)."""
        changes = {
            name: form.cleaned_data[name]
            for name in reviewing.EDITABLE_ARTICLE_FIELDS
            if name in form.cleaned_data
        }
        if change:
            saved = reviewing.save_article(
                article=obj, changes=changes, user=request.user,
                expected_version=form.cleaned_data["expected_version"],
            )
        else:
            saved = reviewing.create_article(
                issue=form.cleaned_data["issue"], user=request.user, **changes
            )
        obj.pk, obj.version, obj.state = saved.pk, saved.version, saved.state
        return saved

    def save_relations(self, request, obj, form, change):
        if "tags" in form.changed_data:
            articles.set_article_tags(article=obj, tags=form.cleaned_data["tags"],
                                      user=request.user)

    def save_comment_formset(self, request, form, formset, change):
        def save(comment):
            if comment.pk is None:
                comments.add_comment(article=form.instance, user=request.user,
                                     body=comment.body, resolved=comment.resolved)
            else:
                comments.update_comment(comment=comment, user=request.user,
                                        body=comment.body, resolved=comment.resolved)

        self.save_each(
            formset, save=save,
            delete=lambda comment: comments.delete_comment(comment=comment, user=request.user),
        )

    def save_figure_formset(self, request, form, formset, change):
        save_figure_formset(formset, article=form.instance, user=request.user)  # services.figures

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        form = context["adminform"].form
        if form.concurrent_changes:
            context["concurrent_changes"] = form.concurrent_changes
            context["concurrent_message"] = form.errors.get("__all__", [""])[0]
        if obj is not None:
            context["extra_object_tools"] = [
                (_("Revisions"), reverse("admin:editorial_article_revisions", args=[obj.pk])),
                (
                    _("Key figures"),
                    reverse("admin:editorial_metric_confirm_article", args=[obj.pk]),
                ),
            ]
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_search_results(self, request, queryset, search_term):
        """The public site's Chinese search (editorial.search), over articles in every state."""
        if not search_term.strip():
            return queryset, False
        query = parse_query(search_term)
        if not query:
            return queryset.none(), False
        return filter_articles(queryset, query), False


@admin.register(Tag)
class TagAdmin(ServiceAdminMixin, admin.ModelAdmin):
    search_fields = ("name",)

    def save_service(self, request, obj, form, change):
        return articles.save_tag(tag=obj, user=request.user)
