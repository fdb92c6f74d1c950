"""Bulletins, their fixed sections, and issues."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from editorial.workflow import IssueState


class Bulletin(models.Model):
    class Cadence(models.TextChoices):
        WEEKLY = "weekly", _("Weekly")
        FORTNIGHTLY = "fortnightly", _("Fortnightly")
        MONTHLY = "monthly", _("Monthly")
        QUARTERLY = "quarterly", _("Quarterly")
        IRREGULAR = "irregular", _("Irregular")

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=60, unique=True, allow_unicode=False)
    description = models.TextField(_("description"), blank=True)
    cadence = models.CharField(
        _("cadence"), max_length=20, choices=Cadence.choices, default=Cadence.WEEKLY
    )
    copyright_line = models.CharField(
        _("copyright / distribution line"),
        max_length=300,
        blank=True,
        help_text=_("Printed in every page footer, e.g. “仅供订阅单位内部参考，未经许可不得转载”."),
    )
    publisher_name = models.CharField(_("publisher"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("bulletin")
        verbose_name_plural = _("bulletins")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("editorial:bulletin", kwargs={"bulletin_slug": self.slug})


class Section(models.Model):
    bulletin = models.ForeignKey(
        Bulletin, on_delete=models.CASCADE, related_name="sections", verbose_name=_("bulletin")
    )
    name = models.CharField(_("name"), max_length=60)
    slug = models.SlugField(_("slug"), max_length=60)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    required = models.BooleanField(
        _("required"),
        default=False,
        help_text=_("An issue cannot be approved while a required section is empty."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        ordering = ["bulletin", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["bulletin", "name"], name="section_name_unique"),
            models.UniqueConstraint(fields=["bulletin", "slug"], name="section_slug_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Issue(models.Model):
    bulletin = models.ForeignKey(
        Bulletin, on_delete=models.PROTECT, related_name="issues", verbose_name=_("bulletin")
    )
    number = models.PositiveIntegerField(_("number"))
    volume = models.PositiveIntegerField(
        _("volume / year"), null=True, blank=True, help_text=_("Usually the year, e.g. 2020.")
    )
    issue_date = models.DateField(_("issue date"), db_index=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    state = models.CharField(
        _("state"), max_length=20, choices=IssueState.choices, default=IssueState.ASSEMBLING
    )
    scheduled_at = models.DateTimeField(_("scheduled release"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )
    erratum = models.TextField(_("erratum note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("issue")
        verbose_name_plural = _("issues")
        ordering = ["-issue_date", "-number"]
        get_latest_by = "issue_date"
        constraints = [
            models.UniqueConstraint(fields=["bulletin", "number"], name="issue_number_unique"),
            models.CheckConstraint(
                condition=~models.Q(state=IssueState.PUBLISHED) | models.Q(published_at__isnull=False),
                name="issue_published_has_time",
            ),
            models.CheckConstraint(
                condition=~models.Q(state=IssueState.SCHEDULED) | models.Q(scheduled_at__isnull=False),
                name="issue_scheduled_has_time",
            ),
        ]
        indexes = [
            # The public pages: latest published issues of a bulletin.
            models.Index(fields=["bulletin", "state", "-issue_date"], name="issue_public_idx"),
            # The scheduler: due issues.
            models.Index(fields=["state", "scheduled_at"], name="issue_due_idx"),
        ]

    def __str__(self) -> str:
        return self.display_title

    def get_absolute_url(self) -> str:
        return reverse(
            "editorial:issue",
            kwargs={"bulletin_slug": self.bulletin.slug, "number": self.number},
        )

    @property
    def display_title(self) -> str:
        if self.title:
            return self.title
        year = f"{self.volume}年" if self.volume else ""
        return f"{self.bulletin.name} {year}第{self.number}期"
