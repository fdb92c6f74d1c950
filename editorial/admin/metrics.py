"""Indicators, and the key figures an editor confirms with their sentences in view.

The extractor proposes figures (status "suggested"); an editor confirms or dismisses them.
Every status change goes through editorial.services.reviewing.set_metric_status, which
checks the role, marks the indicator confirmed and leaves the history record. Confirming
always shows the figures with the sentences they were read from first:

* the list shows each figure's sentence beside indicator, period, value and unit;
* the list action "confirm" opens a page with every selected figure, its sentence and its
  article, and confirms only from there; it takes at most MAX_BULK_CONFIRM figures at
  once, more are confirmed article by article;
* each article has a page of its figures (from the list filtered by article, or from the
  article column) where the editor ticks what to confirm or dismiss.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from simple_history.admin import SimpleHistoryAdmin

from editorial.admin.base import ServiceAdminMixin
from editorial.admin.table_importing import BulletinImportExportMixin
from editorial.models import Article, Indicator, Metric
from editorial.services.errors import ServiceError
from editorial.services.metrics import save_indicator, save_metric, set_metric_status
from editorial.services.permissions import may
from editorial.tables.resources import IndicatorResource, MetricResource

# More than this many figures are not confirmed from one list selection: an editor reads
# what they confirm, and a page of fifty sentences is already a long read.
MAX_BULK_CONFIRM = 50
EXCERPT_CHARS = 16
ARTICLE_CHARS = 10

_DIGITS = str.maketrans("０１２３４５６７８９．", "0123456789.")


def _value_pattern(value: Decimal) -> re.Pattern[str]:
    """Where ``value`` is written in a sentence: 12451 in 12451亿元, not in 124510 or 1.12451."""
    return re.compile(rf"(?<![\d.]){re.escape(plain_value(abs(value)))}(?![\d])")


def marked_sentence(metric: Metric) -> SafeString:
    """The sentence, escaped, with the figure's value marked wherever it is written.

    Values converted on reading (六成 → 60 %) are not marked; the sentence is shown anyway.
    """
    sentence = metric.sentence or ""
    plain = sentence.translate(_DIGITS)  # one character for one: positions stay the same
    pieces, last = [], 0
    for m in _value_pattern(metric.value).finditer(plain):
        pieces.append(escape(sentence[last : m.start()]))
        pieces.append(format_html("<mark>{}</mark>", sentence[m.start() : m.end()]))
        last = m.end()
    pieces.append(escape(sentence[last:]))
    # Every piece is escaped above (bandit B308, B703 reviewed).
    return mark_safe("".join(pieces))  # nosec B308 B703


def plain_value(value: Decimal) -> str:
    """12451.0000 → 12451, 3.5000 → 3.5 (as the figure was written)."""
    return format(value.normalize(), "f") if value else "0"


# Units written straight after the number, as Chinese text does (71.8%, 65,360亿元).
def value_for_unit(value: Decimal | None, unit: str = "") -> str:
    """A figure as a reader writes it: 71.8000 → 71.8%, 65360 亿元 → 65,360亿元."""
    if value is None:
        return "—"
    normal = value.normalize()
    if normal == normal.to_integral_value():
        normal = normal.quantize(Decimal(1))
    text = f"{normal:,f}"
    return f"{text}{unit}" if unit else text


def signed_percent(value: Decimal | None) -> str:
    if value is None:
        return "—"
    text = value_for_unit(abs(value), "%")
    return f"+{text}" if value > 0 else (f"−{text}" if value < 0 else text)


class PeriodFilter(admin.SimpleListFilter):
    """The periods of the figures in view (of the chosen issue or indicator, if any)."""

    title = gettext_lazy("period")
    parameter_name = "period"
    LIMIT = 40

    def lookups(self, request, model_admin):
        metrics = Metric.objects.exclude(period_label="")
        for parameter, lookup in (("issue__id__exact", "issue_id"),
                                  ("indicator__id__exact", "indicator_id")):
            value = request.GET.get(parameter, "")
            if value.isdigit():
                metrics = metrics.filter(**{lookup: value})
        labels = (
            metrics.values("period_label").annotate(count=Count("id"))
            .order_by("-count", "period_label")[: self.LIMIT]
        )
        def natural(row):  # 2月 before 10月, 1—2月 before 1—10月
            return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", row["period_label"])]

        return [(row["period_label"], row["period_label"]) for row in sorted(labels, key=natural)]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(period_label=value) if value else queryset


def _rows(metrics: list[Metric]) -> list[tuple[Metric, SafeString, str]]:
    return [(m, marked_sentence(m), plain_value(m.value)) for m in metrics]


def _status_change(request, metrics: list[Metric], status: str, *, reason: str) -> int:
    """Set the status of all ``metrics`` through the service, all or none; returns how many."""
    try:
        with transaction.atomic():
            for metric in metrics:
                metric._change_reason = reason  # the history record says how it was decided
                set_metric_status(metric=metric, status=status, user=request.user)
    except ServiceError as exc:
        messages.error(request, _("No key figure was changed: %(error)s") % {"error": exc})
        return 0
    if status == Metric.Status.CONFIRMED:
        text = ngettext("%(count)s key figure confirmed.", "%(count)s key figures confirmed.",
                        len(metrics))
    else:
        text = ngettext("%(count)s key figure dismissed.", "%(count)s key figures dismissed.",
                        len(metrics))
    messages.success(request, text % {"count": len(metrics)})
    return len(metrics)


@admin.action(description=gettext_lazy("Confirm the selected key figures"))
def confirm_metrics(modeladmin, request, queryset):
    return modeladmin.confirm_selected(request, queryset)


@admin.action(description=gettext_lazy("Dismiss the selected key figures"))
def dismiss_metrics(modeladmin, request, queryset):
    _status_change(request, list(queryset.select_related("indicator")), Metric.Status.DISMISSED,
                   reason="dismiss")


class ArticleFilter(admin.SimpleListFilter):
    """The articles of the issue being filtered on (or the one article chosen)."""

    title = gettext_lazy("article")
    parameter_name = "article"

    def lookups(self, request, model_admin):
        issue_id, chosen = request.GET.get("issue__id__exact", ""), self.value() or ""
        articles = Article.objects.none()
        if issue_id.isdigit():
            articles = Article.objects.filter(issue_id=issue_id, metrics__isnull=False)
        if chosen.isdigit():
            articles = articles | Article.objects.filter(pk=chosen)
        articles = articles.distinct().select_related("section").order_by(
            "section__position", "position", "pk"
        )
        return [(str(a.pk), Truncator(a.title).chars(30)) for a in articles]

    def queryset(self, request, queryset):
        value = self.value() or ""
        return queryset.filter(article_id=value) if value.isdigit() else queryset


@admin.register(Indicator)
class IndicatorAdmin(ServiceAdminMixin, BulletinImportExportMixin, SimpleHistoryAdmin):
    resource_classes = [IndicatorResource]
    list_display = ("name", "unit", "frequency", "source", "confirmed")
    list_filter = ("confirmed", "frequency")
    search_fields = ("name", "slug", "description", "source")
    prepopulated_fields = {"slug": ("name",)}

    def save_service(self, request, obj, form, change):
        return save_indicator(indicator=obj, user=request.user)


@admin.register(Metric)
class MetricAdmin(ServiceAdminMixin, BulletinImportExportMixin, SimpleHistoryAdmin):
    resource_classes = [MetricResource]
    change_list_template = "admin/editorial/metric/change_list.html"
    # Compact at 1400 px beside the filter panel: the unit goes with the value, the issue
    # is its number, long text is cut with the whole of it on hover.
    list_display = (
        "indicator_name", "period_label", "value_as_written", "change", "sentence_excerpt",
        "article_link", "issue_number", "status",
    )
    list_display_links = ("indicator_name",)
    list_filter = ("status", "indicator", PeriodFilter, "issue__bulletin", "issue", ArticleFilter)
    list_per_page = 50
    search_fields = ("indicator__name", "sentence", "period_label")
    list_select_related = ("indicator", "issue__bulletin", "article")
    autocomplete_fields = ("indicator",)
    raw_id_fields = ("issue", "article")
    actions = [confirm_metrics, dismiss_metrics]
    # The status changes through set_metric_status only (the actions and the article page).
    readonly_fields = ("status",)

    def object_open(self, request, obj) -> bool:
        return may(request.user, "metric.edit", issue_state=obj.issue.state)

    def save_service(self, request, obj, form, change):
        return save_metric(metric=obj, user=request.user)

    # ------------------------------------------------------------------ list columns

    @admin.display(description=gettext_lazy("indicator"), ordering="indicator__name")
    def indicator_name(self, metric):
        return metric.indicator.name

    @admin.display(description=gettext_lazy("value"), ordering="value")
    def value_as_written(self, metric):
        return value_for_unit(metric.value, metric.unit)

    @admin.display(description=gettext_lazy("year on year"), ordering="yoy_percent")
    def change(self, metric):
        return signed_percent(metric.yoy_percent)

    @admin.display(description=gettext_lazy("issue"), ordering="issue__issue_date")
    def issue_number(self, metric):
        return format_html('<span title="{}">{}</span>', metric.issue,
                           _("No. %(number)s") % {"number": metric.issue.number})

    @admin.display(description=gettext_lazy("sentence"))
    def sentence_excerpt(self, metric):
        """The start of the sentence; the whole of it on hover, and on a click."""
        sentence = metric.sentence or ""
        if len(sentence) <= EXCERPT_CHARS:
            return format_html('<span class="metric-sentence">{}</span>', marked_sentence(metric))
        return format_html(
            '<details class="metric-sentence"><summary title="{}">{}</summary>{}</details>',
            sentence, Truncator(sentence).chars(EXCERPT_CHARS, truncate="……"),
            marked_sentence(metric),
        )

    @admin.display(description=gettext_lazy("article"), ordering="article__title")
    def article_link(self, metric):
        if metric.article_id is None:
            return "—"
        url = self._article_list_url(metric.issue_id, metric.article_id)
        return format_html('<a href="{}" title="{}">{}</a>', url, metric.article.title,
                           Truncator(metric.article.title).chars(ARTICLE_CHARS, truncate="…"))

    # ------------------------------------------------------------------ pages

    def get_urls(self):
        return [
            path(
                "article/<int:article_id>/confirm/",
                self.admin_site.admin_view(self.confirm_article_view),
                name="editorial_metric_confirm_article",
            ),
        ] + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = dict(extra_context or {})
        chosen = request.GET.get(ArticleFilter.parameter_name, "")
        article = Article.objects.filter(pk=chosen).first() if chosen.isdigit() else None
        if article is not None:
            extra_context["article_confirmation"] = {
                "article": article,
                "url": reverse("admin:editorial_metric_confirm_article", args=[article.pk]),
                "suggested": article.metrics.filter(status=Metric.Status.SUGGESTED).count(),
            }
        return super().changelist_view(request, extra_context)

    def confirm_selected(self, request, queryset):
        """The list action: a page of the selected figures; confirming happens from there."""
        metrics = list(
            queryset.select_related("indicator", "article", "issue__bulletin")
            .order_by("issue_id", "article_id", "pk")
        )
        refused = len(metrics) > MAX_BULK_CONFIRM
        if request.POST.get("confirm") == "yes" and not refused:
            _status_change(request, metrics, Metric.Status.CONFIRMED, reason="confirm")
            return None  # back to the list, with its filters
        context = {
            **self._page_context(request, _("Confirm key figures")),
            "metrics": _rows(metrics),
            "refused": refused,
            "max_count": MAX_BULK_CONFIRM,
            "articles": self._articles_of(metrics),
            "action_name": "confirm_metrics",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "form_url": request.get_full_path(),
            "cancel_url": request.get_full_path(),
        }
        return TemplateResponse(request, "admin/editorial/metric/confirm_selected.html", context)

    def confirm_article_view(self, request, article_id: int):
        """One article's figures with their sentences; the editor ticks what to confirm."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        article = get_object_or_404(Article.objects.select_related("issue__bulletin"),
                                    pk=article_id)
        metrics = list(
            self.get_queryset(request).filter(article=article).select_related("indicator")
            .order_by("pk")
        )
        if request.method == "POST":
            chosen = {int(v) for v in request.POST.getlist("metric") if v.isdigit()}
            picked = [m for m in metrics if m.pk in chosen]
            status = (Metric.Status.CONFIRMED if "confirm" in request.POST
                      else Metric.Status.DISMISSED if "dismiss" in request.POST else None)
            if status is None or not picked:
                messages.warning(request, _("Tick the key figures to confirm or dismiss."))
            else:
                confirming = status == Metric.Status.CONFIRMED
                reason = "confirm-article" if confirming else "dismiss-article"
                _status_change(request, picked, status, reason=reason)
            return redirect(request.path)
        context = {
            **self._page_context(request, _("Key figures of one article")),
            "article": article,
            "metrics": _rows(metrics),
            "suggested": sum(1 for m in metrics if m.status == Metric.Status.SUGGESTED),
            "article_url": reverse("admin:editorial_article_change", args=[article.pk]),
            "list_url": self._article_list_url(article.issue_id, article.pk),
        }
        return TemplateResponse(request, "admin/editorial/metric/confirm_article.html", context)

    # ------------------------------------------------------------------ helpers

    def _changelist_url(self) -> str:
        return reverse("admin:editorial_metric_changelist")

    def _article_list_url(self, issue_id: int, article_id: int) -> str:
        """The list filtered on one article (and its issue, so the filter lists its siblings)."""
        return self._changelist_url() + f"?issue__id__exact={issue_id}&article={article_id}"

    def _page_context(self, request, title: str) -> dict:
        fields = ("indicator", "period_label", "value", "unit", "yoy_percent", "sentence",
                  "article", "status")
        return {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "changelist_url": self._changelist_url(),
            "labels": {name: self.opts.get_field(name).verbose_name for name in fields},
        }

    def _articles_of(self, metrics: list[Metric]) -> list[dict]:
        """The articles the figures come from, with how many of each and their page."""
        ids = {m.article_id for m in metrics if m.article_id}
        rows = (
            Article.objects.filter(pk__in=ids)
            .annotate(suggested=Count("metrics", filter=Q(metrics__status=Metric.Status.SUGGESTED)))
            .order_by("issue_id", "section__position", "position")
        )
        selected = {}
        for m in metrics:
            selected[m.article_id] = selected.get(m.article_id, 0) + 1
        return [
            {
                "article": a,
                "selected": selected.get(a.pk, 0),
                "suggested": a.suggested,
                "url": reverse("admin:editorial_metric_confirm_article", args=[a.pk]),
            }
            for a in rows
        ] + ([{"article": None, "selected": selected[None], "suggested": None, "url": None}]
             if None in selected else [])
