"""Articles, their figures, and tags."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from editorial.sanitising import sanitise_body_html
from editorial.search import fill_search_columns
from editorial.workflow import ArticleState

from .publication import Issue, Section


class SearchDocumentField(models.TextField):
    """A ``tsvector`` on PostgreSQL, filled from Python (editorial.search); NULL elsewhere.

    Values are tsvector literals with positions and weights, cast on write, so the
    server's parser and ctype play no part. On SQLite the column is plain text, left
    empty: search there falls back to substring matching.
    """

    def db_type(self, connection):
        return "tsvector" if connection.vendor == "postgresql" else "text"

    def get_placeholder(self, value, compiler, connection):
        return "%s::tsvector" if connection.vendor == "postgresql" else "%s"

    def get_db_prep_value(self, value, connection, prepared=False):
        if connection.vendor != "postgresql":
            return None
        return super().get_db_prep_value(value, connection, prepared)


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=40, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


SEARCHED_FIELDS = frozenset({"title", "subtitle", "source", "summary", "body"})


class Article(models.Model):
    issue = models.ForeignKey(
        Issue, on_delete=models.CASCADE, related_name="articles", verbose_name=_("issue")
    )
    section = models.ForeignKey(
        Section, on_delete=models.PROTECT, related_name="articles", verbose_name=_("section")
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=300)
    subtitle = models.CharField(_("subtitle"), max_length=300, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    source_url = models.URLField(_("source URL"), max_length=500, blank=True)
    author = models.CharField(_("author"), max_length=200, blank=True)
    original_date = models.DateField(_("original date"), null=True, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    body = models.TextField(_("body"), blank=True, help_text=_("HTML; sanitised when saved."))
    tags = models.ManyToManyField(Tag, blank=True, related_name="articles", verbose_name=_("tags"))
    state = models.CharField(
        _("state"), max_length=20, choices=ArticleState.choices, default=ArticleState.DRAFT
    )
    # Bumped on every save; a form carries the value it started from, and a save that
    # finds another value refuses rather than overwrite someone else's edit.
    version = models.PositiveIntegerField(_("version"), default=1)
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

    # Search columns (editorial.search), derived from the text on every save.
    search_document = SearchDocumentField(_("search document"), null=True, editable=False)
    search_title = SearchDocumentField(_("search title"), null=True, editable=False)

    history = HistoricalRecords(excluded_fields=["version", "search_document", "search_title"])

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        permissions = [
            ("import_article", _("Can import articles from files")),
            ("export_article", _("Can export articles")),
        ]
        ordering = ["issue", "section__position", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "section", "position"], name="article_position_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["section", "-created_at"], name="article_section_idx"),
            models.Index(fields=["state"], name="article_state_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.body = sanitise_body_html(self.body)
        update_fields = kwargs.get("update_fields")
        if update_fields is None:
            fill_search_columns(self)
        elif SEARCHED_FIELDS & set(update_fields):
            fill_search_columns(self)
            kwargs["update_fields"] = {*update_fields, "search_document", "search_title"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse(
            "editorial:article",
            kwargs={
                "bulletin_slug": self.issue.bulletin.slug,
                "number": self.issue.number,
                "article_id": self.pk,
            },
        )

    def clean(self):
        super().clean()
        if self.section_id and self.issue_id and self.section.bulletin_id != self.issue.bulletin_id:
            raise ValidationError({"section": _("This section belongs to another bulletin.")})


class Figure(models.Model):
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="figures", verbose_name=_("article")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    caption = models.CharField(_("caption"), max_length=300, blank=True)
    source_line = models.CharField(_("source line"), max_length=300, blank=True)
    # A FileField limited to web image types: Pillow is not needed to store an image.
    image = models.FileField(
        _("image"),
        upload_to="figures/%Y/",
        blank=True,
        validators=[FileExtensionValidator(["png", "jpg", "jpeg", "svg", "webp", "gif"])],
    )
    # Instead of an image, a figure may show an indicator's chart (drawn at render time).
    indicator = models.ForeignKey(
        "editorial.Indicator",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="figures",
        verbose_name=_("indicator chart"),
        help_text=_("Show this indicator's chart instead of an uploaded image."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("figure")
        verbose_name_plural = _("figures")
        ordering = ["article", "position"]

    def __str__(self) -> str:
        return self.caption or self.source_line or f"#{self.pk}"
