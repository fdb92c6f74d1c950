"""Client organisations, their subscribed people, and one delivery row per issue each."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .publication import Bulletin, Issue, Section


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    # Seats: distinct subscribers of the organisation who signed in to the site within the
    # seat period (settings.BULLETIN_SEAT_PERIOD_DAYS). Empty: no limit.
    seat_limit = models.PositiveIntegerField(
        _("seats"),
        null=True,
        blank=True,
        help_text=_("How many different people may sign in to read per seat period. Empty: no limit."),
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Subscriber(models.Model):
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="subscribers",
        verbose_name=_("organisation"),
    )
    name = models.CharField(_("name"), max_length=120, blank=True)
    # Stored lower-cased by the services; unique so imports can update by e-mail.
    email = models.EmailField(_("e-mail"), unique=True)
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=[("zh-hans", "简体中文"), ("en", "English")],
        default="zh-hans",
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
        ordering = ["organisation", "email"]
        permissions = [
            ("import_subscriber", _("Can import subscribers from files")),
            ("export_subscriber", _("Can export subscribers")),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


class Subscription(models.Model):
    class Format(models.TextChoices):
        PDF_LINK = "pdf_link", _("PDF download link")
        PDF_ATTACHMENT = "pdf_attachment", _("PDF attachment")
        HTML = "html", _("HTML in the e-mail")
        METRICS = "metrics", _("Key figures spreadsheet")

    subscriber = models.ForeignKey(
        Subscriber,
        on_delete=models.CASCADE,
        related_name="subscriptions",
        verbose_name=_("subscriber"),
    )
    bulletin = models.ForeignKey(
        Bulletin,
        on_delete=models.PROTECT,
        related_name="subscriptions",
        verbose_name=_("bulletin"),
    )
    formats = models.JSONField(
        _("formats"), default=list, blank=True, help_text=_("Any of: pdf_link, pdf_attachment, html, metrics.")
    )
    sections = models.ManyToManyField(
        Section,
        blank=True,
        related_name="subscriptions",
        verbose_name=_("only these sections"),
        help_text=_("Leave empty for the whole issue."),
    )
    starts_on = models.DateField(_("starts"), null=True, blank=True)
    ends_on = models.DateField(_("ends"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["subscriber", "bulletin"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "bulletin"], name="subscription_one_per_bulletin"
            ),
            models.CheckConstraint(
                condition=models.Q(starts_on__isnull=True)
                | models.Q(ends_on__isnull=True)
                | models.Q(starts_on__lte=models.F("ends_on")),
                name="subscription_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscriber} · {self.bulletin}"


class Delivery(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        RETRYING = "retrying", _("Retrying")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    class Kind(models.TextChoices):
        ISSUE = "issue", _("Issue")
        ERRATUM = "erratum", _("Correction notice")

    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("subscription"),
    )
    issue = models.ForeignKey(
        Issue, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("issue")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ISSUE)
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    message_id = models.CharField(_("message id"), max_length=255, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["issue", "subscription"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "issue", "kind"], name="delivery_once_per_issue"
            ),
        ]
        indexes = [models.Index(fields=["issue", "state"], name="delivery_issue_state_idx")]

    def __str__(self) -> str:
        return f"{self.subscription} · {self.issue}"
