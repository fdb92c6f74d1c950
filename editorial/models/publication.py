"""Bulletins, their fixed sections, and issues."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from editorial.slugs import URL_SLUG_REGEX, free_slug, validate_url_slug
from editorial.workflow import IssueState


class UrlSlugField(models.SlugField):
    """A slug the public URLs can serve: ASCII only, with the message in the user's language.

    Django's SlugField would add its own ``validate_slug`` beside ours and show the same
    problem twice; this field has ours alone.
    """

    default_validators = [validate_url_slug]

    def formfield(self, **kwargs):
        # A plain text field in forms: forms.SlugField would add Django's own message
        # beside ours. The model field's validator still runs when the form is cleaned.
        return models.CharField.formfield(self, **{"form_class": forms.CharField, **kwargs})


_SLUG_IN_URL_FORMAT = models.Q(slug__regex=rf"^{URL_SLUG_REGEX}$")
_SLUG_HELP = _(
    "Part of the page address: Latin letters, digits and hyphens. Leave empty to have one "
    "made from the name's pinyin. Changing it later keeps old links working (they redirect)."
)


class _StableSlugMixin:
    """Makes a missing slug from the name once, and remembers a slug that is changed.

    The slug is not derived from the name on every save: renaming a section must not move
    its pages. An editor may still change the slug by hand; the old one is then kept as a
    redirect, so links already sent to subscribers keep working.
    """

    def _slug_is_taken(self, candidate: str) -> bool:
        raise NotImplementedError

    def _record_retired_slug(self, old_slug: str) -> None:
        raise NotImplementedError

    def _forget_retired_slug(self, slug: str) -> None:
        raise NotImplementedError

    def _made_slug(self) -> str:
        return free_slug(
            self.name,
            is_taken=self._slug_is_taken,
            max_length=self._meta.get_field("slug").max_length,
            fallback=self._slug_fallback,
        )

    def clean(self):
        # Forms validate the constraints before saving: make the slug here already.
        super().clean()
        if not self.slug:
            self.slug = self._made_slug()
            self._slug_made_in_clean = True

    def save(self, *args, **kwargs):
        if not self.slug or getattr(self, "_slug_made_in_clean", False):
            # Made again now that the row's bulletin exists: sections added together in
            # one form were checked against the database, not against each other.
            self.slug = self._made_slug()
            self._slug_made_in_clean = False
        previous = None
        if self.pk is not None:
            previous = type(self).objects.filter(pk=self.pk).values_list("slug", flat=True).first()
        super().save(*args, **kwargs)
        if previous and previous != self.slug:
            self._record_retired_slug(previous)
        self._forget_retired_slug(self.slug)


class AccessLevel(models.TextChoices):
    """Who may read an issue in full: anyone, or signed-in subscribers and staff."""

    PUBLIC = "public", _("Public")
    SUBSCRIBERS = "subscribers", _("Subscribers only")


class Bulletin(_StableSlugMixin, models.Model):
    class Cadence(models.TextChoices):
        WEEKLY = "weekly", _("Weekly")
        FORTNIGHTLY = "fortnightly", _("Fortnightly")
        MONTHLY = "monthly", _("Monthly")
        QUARTERLY = "quarterly", _("Quarterly")
        IRREGULAR = "irregular", _("Irregular")

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = UrlSlugField(_("slug"), max_length=60, unique=True, blank=True, help_text=_SLUG_HELP)
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
    access_level = models.CharField(
        _("access"),
        max_length=12,
        choices=AccessLevel.choices,
        default=AccessLevel.PUBLIC,
        help_text=_(
            "Subscribers only: the public sees the cover, the contents, titles and first "
            "paragraphs; the full text, files and data need a signed-in subscriber."
        ),
    )
    sections_start_new_page = models.BooleanField(
        _("sections start on a new page"),
        default=True,
        help_text=_(
            "Off: in the PDF a section continues on the same page when more than a third "
            "of the page is left."
        ),
    )
    subscribe_note = models.TextField(
        _("how to subscribe"),
        blank=True,
        help_text=_("Shown to readers who may not read the full text, e.g. who to contact."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()

    _slug_fallback = "bulletin"

    class Meta:
        verbose_name = _("bulletin")
        verbose_name_plural = _("bulletins")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=_SLUG_IN_URL_FORMAT,
                name="bulletin_slug_url_safe",
                violation_error_message=validate_url_slug.message,
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("editorial:bulletin", kwargs={"bulletin_slug": self.slug})

    def _slug_is_taken(self, candidate: str) -> bool:
        return Bulletin.objects.filter(slug=candidate).exclude(pk=self.pk).exists()

    def _record_retired_slug(self, old_slug: str) -> None:
        BulletinSlugRedirect.objects.update_or_create(old_slug=old_slug, defaults={"bulletin": self})

    def _forget_retired_slug(self, slug: str) -> None:
        BulletinSlugRedirect.objects.filter(old_slug=slug).delete()


class Section(_StableSlugMixin, models.Model):
    bulletin = models.ForeignKey(
        Bulletin, on_delete=models.CASCADE, related_name="sections", verbose_name=_("bulletin")
    )
    name = models.CharField(_("name"), max_length=60)
    slug = UrlSlugField(_("slug"), max_length=60, blank=True, help_text=_SLUG_HELP)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    required = models.BooleanField(
        _("required"),
        default=False,
        help_text=_("An issue cannot be approved while a required section is empty."),
    )

    history = HistoricalRecords()

    _slug_fallback = "section"

    class Meta:
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        ordering = ["bulletin", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["bulletin", "name"], name="section_name_unique"),
            models.UniqueConstraint(fields=["bulletin", "slug"], name="section_slug_unique"),
            models.CheckConstraint(
                condition=_SLUG_IN_URL_FORMAT,
                name="section_slug_url_safe",
                violation_error_message=validate_url_slug.message,
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("editorial:section", args=[self.bulletin.slug, self.slug])

    def _slug_is_taken(self, candidate: str) -> bool:
        return (
            Section.objects.filter(bulletin_id=self.bulletin_id, slug=candidate)
            .exclude(pk=self.pk)
            .exists()
        )

    def _record_retired_slug(self, old_slug: str) -> None:
        SectionSlugRedirect.objects.update_or_create(
            bulletin_id=self.bulletin_id, old_slug=old_slug, defaults={"section": self}
        )

    def _forget_retired_slug(self, slug: str) -> None:
        SectionSlugRedirect.objects.filter(bulletin_id=self.bulletin_id, old_slug=slug).delete()


class BulletinSlugRedirect(models.Model):
    """A bulletin's former slug: its old URLs answer with a permanent redirect."""

    old_slug = models.CharField(_("former slug"), max_length=60, unique=True)
    bulletin = models.ForeignKey(
        Bulletin, on_delete=models.CASCADE, related_name="retired_slugs", verbose_name=_("bulletin")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("former bulletin slug")
        verbose_name_plural = _("former bulletin slugs")

    def __str__(self) -> str:
        return f"{self.old_slug} → {self.bulletin.slug}"


class SectionSlugRedirect(models.Model):
    """A section's former slug within its bulletin: old URLs redirect to the section."""

    bulletin = models.ForeignKey(
        Bulletin, on_delete=models.CASCADE, related_name="+", verbose_name=_("bulletin")
    )
    old_slug = models.CharField(_("former slug"), max_length=60)
    section = models.ForeignKey(
        Section, on_delete=models.CASCADE, related_name="retired_slugs", verbose_name=_("section")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("former section slug")
        verbose_name_plural = _("former section slugs")
        constraints = [
            models.UniqueConstraint(
                fields=["bulletin", "old_slug"], name="section_slug_redirect_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.old_slug} → {self.section.slug}"


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
    # Empty: the bulletin's access level applies.
    access_level = models.CharField(
        _("access"),
        max_length=12,
        choices=AccessLevel.choices,
        blank=True,
        help_text=_("Leave empty to use the bulletin's setting."),
    )
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
    def file_stem(self) -> str:
        """The issue's name for a file handed to a reader (``xxcy-2020-48``), without the
        extension: the PDF and HTML downloads, their e-mail attachments and the key figures
        workbook are all called after it. ASCII only (the slug is pinyin), so it survives
        every Content-Disposition header and mail client."""
        return f"{self.bulletin.slug}-{self.volume or self.issue_date.year}-{self.number}"

    @property
    def display_title(self) -> str:
        if self.title:
            return self.title
        year = f"{self.volume}年" if self.volume else ""
        return f"{self.bulletin.name} {year}第{self.number}期"
