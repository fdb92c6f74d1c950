from django.contrib import admin
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from editorial import workflow
from editorial.admin.base import ReadOnlyAdminMixin, ServiceAdminMixin
from editorial.models import Comment, ReviewEvent
from editorial.models.review import EXTRA_ACTION_LABELS
from editorial.services import comments
from editorial.tables.writing import stream_csv


class ReviewTrailInline(admin.TabularInline):
    """The trail of one article or issue, newest first, read-only (set ``fk_name``)."""

    model = ReviewEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "actor", "action_display", "from_display", "to_display", "comment")
    readonly_fields = fields
    verbose_name_plural = _("review trail")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("action"))
    def action_display(self, event):
        return event.action_label

    @admin.display(description=_("from"))
    def from_display(self, event):
        return event.from_label

    @admin.display(description=_("to"))
    def to_display(self, event):
        return event.to_label


@admin.action(description=_("Export the selected trail as CSV"))
def export_review_trail_csv(modeladmin, request, queryset):
    events = queryset.select_related("actor", "article", "issue__bulletin").order_by("created_at")
    headers = [_("when"), _("by"), _("action"), _("from"), _("to"), _("issue"), _("article"),
               _("comment")]
    rows = (
        (
            timezone.localtime(e.created_at).strftime("%Y-%m-%d %H:%M:%S"),
            e.actor.get_username() if e.actor else "",
            e.action_label, e.from_label, e.to_label,
            str(e.issue or (e.article.issue if e.article else "")),
            e.article.title if e.article else "",
            e.comment,
        )
        for e in events.iterator(chunk_size=2000)
    )
    response = StreamingHttpResponse(stream_csv(headers=headers, rows=rows),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="review-trail.csv"'
    return response


class _LabelledCodeFilter(admin.SimpleListFilter):
    """A filter on a code column that shows each code's name, not the code."""

    def lookups(self, request, model_admin):
        present = set(model_admin.get_queryset(request).values_list(self.parameter_name,
                                                                    flat=True))
        return sorted(((code, label) for code, label in self.labels().items() if code in present),
                      key=lambda pair: str(pair[1]))

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.parameter_name: self.value()})
        return queryset


class ReviewActionFilter(_LabelledCodeFilter):
    title = _("action")
    parameter_name = "action"

    def labels(self):
        labels = {code: str(label) for code, label in EXTRA_ACTION_LABELS.items()}
        for transitions in (workflow.ARTICLE_TRANSITIONS, workflow.ISSUE_TRANSITIONS):
            for transition in transitions.values():
                labels.setdefault(transition.event_action, str(transition.label))
        return labels


class ReviewStateFilter(_LabelledCodeFilter):
    title = _("to")
    parameter_name = "to_state"

    def labels(self):
        labels = {state.value: str(state.label) for state in workflow.IssueState}
        labels.update({state.value: str(state.label) for state in workflow.ArticleState})
        return labels


@admin.register(ReviewEvent)
class ReviewEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The trail is read-only: rows are written by the reviewing services only."""

    actions = [export_review_trail_csv]
    list_display = ("created_at", "actor", "action_display", "article", "issue", "from_display",
                    "to_display")
    list_filter = (ReviewActionFilter, ReviewStateFilter)
    search_fields = ("comment", "article__title", "issue__title")
    date_hierarchy = "created_at"
    fields = ("created_at", "actor", "action_display", "article", "issue", "from_display",
              "to_display", "comment")
    readonly_fields = fields

    @admin.display(description=_("action"), ordering="action")
    def action_display(self, event):
        return event.action_label

    @admin.display(description=_("from"))
    def from_display(self, event):
        return event.from_label

    @admin.display(description=_("to"), ordering="to_state")
    def to_display(self, event):
        return event.to_label


@admin.register(Comment)
class CommentAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ("article", "author", "resolved", "created_at")
    list_filter = ("resolved",)
    search_fields = ("body", "article__title")
    raw_id_fields = ("article",)
    fields = ("article", "author", "body", "resolved", "created_at")
    readonly_fields = ("author", "created_at")
    deletes_objects = True

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "article"] if obj is not None else readonly

    def save_service(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            return comments.update_comment(comment=obj, user=request.user, body=data["body"],
                                           resolved=data["resolved"])
        return comments.add_comment(article=data["article"], user=request.user,
                                    body=data["body"], resolved=data["resolved"])

    def delete_service(self, request, obj):
        comments.delete_comment(comment=obj, user=request.user)
