"""Indicators (what is measured) and Metrics (one value of one in one issue)."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .content import Article
from .publication import Issue


class Indicator(models.Model):
    class Frequency(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        QUARTERLY = "quarterly", _("Quarterly")
        YEARLY = "yearly", _("Yearly")
        IRREGULAR = "irregular", _("Irregular")

    name = models.CharField(_("name"), max_length=120, unique=True)
    slug = models.SlugField(_("slug"), max_length=140, unique=True, allow_unicode=True)
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    frequency = models.CharField(
        _("frequency"), max_length=20, choices=Frequency.choices, default=Frequency.MONTHLY
    )
    description = models.TextField(_("description"), blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    # Indicators proposed by the key-figure extractor start unconfirmed, so the list
    # editors curate is not flooded by every phrase the extractor saw.
    confirmed = models.BooleanField(_("confirmed"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        permissions = [
            ("import_indicator", _("Can import indicators from files")),
            ("export_indicator", _("Can export indicators")),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.unit}）" if self.unit else self.name

    def get_absolute_url(self) -> str:
        return reverse("editorial:indicator", kwargs={"indicator_slug": self.slug})


class Metric(models.Model):
    class Status(models.TextChoices):
        SUGGESTED = "suggested", _("Suggested")
        CONFIRMED = "confirmed", _("Confirmed")
        DISMISSED = "dismissed", _("Dismissed")

    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="metrics", verbose_name=_("indicator")
    )
    issue = models.ForeignKey(
        Issue, on_delete=models.CASCADE, related_name="metrics", verbose_name=_("issue")
    )
    article = models.ForeignKey(
        Article,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="metrics",
        verbose_name=_("article"),
    )
    sentence = models.TextField(_("sentence"), blank=True)
    period_label = models.CharField(_("period"), max_length=60, blank=True)
    period_start = models.DateField(_("period start"), null=True, blank=True)
    period_end = models.DateField(_("period end"), null=True, blank=True)
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=4)
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    yoy_percent = models.DecimalField(
        _("change year on year (%)"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.SUGGESTED
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("metric")
        verbose_name_plural = _("metrics")
        permissions = [
            ("import_metric", _("Can import metrics from files")),
            ("export_metric", _("Can export metrics")),
        ]
        ordering = ["indicator", "period_end", "id"]
        constraints = [
            # One value per indicator and period in an issue; also the natural key that
            # spreadsheet imports update by.
            models.UniqueConstraint(
                fields=["indicator", "issue", "period_label"], name="metric_natural_key"
            ),
            models.CheckConstraint(
                condition=models.Q(period_start__isnull=True)
                | models.Q(period_end__isnull=True)
                | models.Q(period_start__lte=models.F("period_end")),
                name="metric_period_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["indicator", "period_end"], name="metric_series_idx"),
            models.Index(fields=["issue", "status"], name="metric_issue_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.name} {self.period_label} {self.value}{self.unit}"
