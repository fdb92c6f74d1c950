"""Background work the admin can watch: imports, exports and renditions.

The three record their work the same way, so the fields they share are declared once:
``BackgroundJob`` (how it ended and when: ``error``, ``finished_at``) for all three, and
``RequestedJob`` (who asked, when, and how far it has got) for the imports and exports
people start and watch. Each keeps its own ``State``: their states differ (an import is
previewed, a rendition queued, an export pending) and so do their defaults.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .publication import Bulletin, Issue


class BackgroundJob(models.Model):
    """Work a worker does and records on its row: the error it ended with, and when."""

    error = models.TextField(_("error"), blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        abstract = True


class RequestedJob(BackgroundJob):
    """Work someone started and watches: who, when, and the percentage done."""

    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("user"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        abstract = True


class ImportJob(RequestedJob):
    class Format(models.TextChoices):
        TEXT = "text", _("Plain text")
        DOCX = "docx", _("Word document")
        PDF = "pdf", _("PDF")
        CSV = "csv", _("CSV")
        XLSX = "xlsx", _("Excel workbook")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        PREVIEWED = "previewed", _("Previewed")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("original file name"), max_length=255, blank=True)
    # sha256 of the uploaded bytes: confirming a preview checks it is the same file.
    checksum = models.CharField(_("checksum"), max_length=64, blank=True)
    format = models.CharField(_("format"), max_length=10, choices=Format.choices)
    bulletin = models.ForeignKey(
        Bulletin,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="import_jobs",
        verbose_name=_("bulletin"),
    )
    options = models.JSONField(_("options"), default=dict, blank=True)
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.PENDING
    )
    report = models.JSONField(_("report"), default=dict, blank=True)
    issue = models.ForeignKey(
        Issue,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="import_jobs",
        verbose_name=_("resulting issue"),
    )

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name or f"#{self.pk}"


class Rendition(BackgroundJob):
    class Kind(models.TextChoices):
        PDF = "pdf", "PDF"
        HTML = "html", "HTML"

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    issue = models.ForeignKey(
        Issue, on_delete=models.CASCADE, related_name="renditions", verbose_name=_("issue")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    # The current rendition of each kind is what the public downloads; superseded ones
    # (for example the original of a corrected issue) are kept for the record.
    is_current = models.BooleanField(_("current"), default=True)
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.QUEUED
    )
    file = models.FileField(_("file"), upload_to="renditions/", blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"), null=True, blank=True)
    pages = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    checksum = models.CharField(_("checksum"), max_length=64, blank=True)
    content_hash = models.CharField(
        _("content hash"), max_length=64, blank=True, help_text=_("Hash of what went into it.")
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    queued_at = models.DateTimeField(_("queued"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    # A queued row whose task never reached the broker (it was down): the sweeper sends it.
    unsent = models.BooleanField(
        _("task not sent"), default=False,
        help_text=_("The task queue could not be reached; the sweeper sends the task."),
    )

    class Meta:
        verbose_name = _("rendition")
        verbose_name_plural = _("renditions")
        ordering = ["issue", "kind", "-queued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "kind"],
                condition=models.Q(is_current=True),
                name="rendition_one_current_per_kind",
            ),
        ]
        indexes = [models.Index(fields=["state", "queued_at"], name="rendition_sweep_idx")]

    def __str__(self) -> str:
        return f"{self.issue} · {self.get_kind_display()}"


# What each parser warning code means, in the editor's language. The parsers' own
# messages are English (for logs and --json); the admin shows these, with the line.
IMPORT_WARNING_TEXTS = {
    "unsure-title": _("Taken as an article title on thin evidence"),
    "unsure-subheading": _("Could be a title or a subheading; taken as a subheading"),
    "unknown-line": _("A short line with nothing after it, kept as body text"),
    "unknown-heading": _("A section name that is not one of this bulletin's sections"),
    "guessed-section": _("Taken as a section heading (the bulletin has no sections set)"),
    "section-order": _("A section heading out of the bulletin's order, or repeated"),
    "no-section": _("Text before the first section heading, put in an untitled section"),
    "untitled-article": _("Text with no title before it, put in an untitled article"),
    "empty-article": _("A title with no text after it"),
    "orphan-source": _("A source line with no caption above it: a figure without a caption"),
    "unsure-table": _("Short lines read as table cells, one cell a line"),
    "front-matter": _("Cover and contents lines set aside"),
    "bad-override": _("A correction on a blank or missing line, ignored"),
    "inferred-heading": _("A heading recognised by its font rather than its style"),
    "uncaptioned-figure": _("An image or chart with no caption beside it"),
    "unmapped-glyphs": _("Characters the PDF draws without saying which they are (shown as �)"),
    "figure-without-image": _("A figure caption with no image: attach an image or choose an "
                              "indicator chart"),
}
UNKNOWN_IMPORT_WARNING_TEXT = _("The parser was unsure of this line")


def describe_import_warning(code: str) -> str:
    """The translated text for a parser warning code (a generic one for unknown codes)."""
    return str(IMPORT_WARNING_TEXTS.get(code, UNKNOWN_IMPORT_WARNING_TEXT))


class ImportWarning(models.Model):
    """A doubt the parser reported; an issue is not approved while one is unresolved.

    ``message`` keeps the parser's English sentence for the record; people see
    ``description``, translated from ``code``, beside ``text`` (the line itself).
    """

    issue = models.ForeignKey(
        Issue, on_delete=models.CASCADE, related_name="import_warnings", verbose_name=_("issue")
    )
    job = models.ForeignKey(
        ImportJob,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="warnings",
        verbose_name=_("import job"),
    )
    line = models.PositiveIntegerField(_("line"))
    code = models.CharField(_("kind"), max_length=40)
    message = models.TextField(_("message"))
    text = models.TextField(_("text of the line"), blank=True)
    resolved = models.BooleanField(_("resolved"), default=False)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import warning")
        verbose_name_plural = _("import warnings")
        ordering = ["issue", "line"]

    def __str__(self) -> str:
        return f"{self.line}: {self.description}"

    @property
    def description(self) -> str:
        return describe_import_warning(self.code)

    description.fget.short_description = _("warning")


class ExportJob(RequestedJob):
    """A large export made by a worker: staff see its progress and download the file."""

    class Kind(models.TextChoices):
        METRICS_XLSX = "metrics_xlsx", _("All published key figures (XLSX)")
        METRICS_CSV = "metrics_csv", _("All published key figures (CSV)")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.PENDING
    )
    rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    file = models.FileField(_("file"), upload_to="exports/%Y/%m/", blank=True)

    class Meta:
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "created_at"], name="exportjob_state_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"
