"""Reading rights beyond the public: subscribers' sign-in links, API tokens, and the access log.

Secrets (sign-in links, API tokens) are stored only as SHA-256 digests: the plain value is
shown once, to the person it is for, and a copy of the database cannot be used to sign in.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .audience import Organisation, Subscriber
from .publication import Issue


class SignInLink(models.Model):
    """A one-time, short-lived link e-mailed to a subscriber who asked to sign in."""

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="sign_in_links", verbose_name=_("subscriber")
    )
    token_digest = models.CharField(_("token digest"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    # Where the request came from, for the per-address rate limit and for the record.
    requested_from = models.GenericIPAddressField(_("requested from"), null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in link")
        verbose_name_plural = _("sign-in links")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.subscriber} · {self.created_at:%Y-%m-%d %H:%M}"


class SubscriberSignIn(models.Model):
    """One sign-in of a subscriber to the site: counts a seat for the seat period."""

    class Method(models.TextChoices):
        EMAIL_LINK = "email_link", _("One-time link")
        DELIVERY_LINK = "delivery_link", _("Link in an issue e-mail")

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="sign_ins", verbose_name=_("subscriber")
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="sign_ins", verbose_name=_("organisation")
    )
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    signed_in_at = models.DateTimeField(_("signed in"), auto_now_add=True)

    class Meta:
        verbose_name = _("subscriber sign-in")
        verbose_name_plural = _("subscriber sign-ins")
        ordering = ["-signed_in_at"]
        indexes = [
            models.Index(fields=["organisation", "signed_in_at"], name="signin_org_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subscriber} · {self.signed_in_at:%Y-%m-%d %H:%M}"


class ApiToken(models.Model):
    """A read-only key for an organisation's own systems to fetch issues and data."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("organisation")
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("What the token is for, e.g. “数据平台”."))
    # The first characters of the token, shown in the admin so people can tell tokens apart.
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True)
    token_digest = models.CharField(_("token digest"), max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["organisation", "-created_at"]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.name} ({self.prefix}…)"


class AccessLogEntry(models.Model):
    """Who read what beyond the public: one row per subscriber download and API call."""

    class Channel(models.TextChoices):
        DOWNLOAD = "download", _("Download")
        PAGE = "page", _("Page")
        API = "api", _("API")

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="access_log",
        verbose_name=_("organisation"),
    )
    subscriber = models.ForeignKey(
        Subscriber,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="access_log",
        verbose_name=_("subscriber"),
    )
    api_token = models.ForeignKey(
        ApiToken,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="access_log",
        verbose_name=_("API token"),
    )
    issue = models.ForeignKey(
        Issue,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="access_log",
        verbose_name=_("issue"),
    )
    # What was read: "pdf", "html", "metrics.csv", "api:/api/v1/metrics", …
    resource = models.CharField(_("resource"), max_length=200)
    status_code = models.PositiveSmallIntegerField(_("status"), default=200)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at"]
        indexes = [models.Index(fields=["organisation", "at"], name="accesslog_org_time_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} · {self.resource}"
