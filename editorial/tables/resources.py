"""django-import-export resources: articles, indicators, metrics and subscribers as tables.

Each row is named by a natural key that a unique constraint in the database backs, so
a file exported, edited and imported again updates rows instead of duplicating them:

=========  =============================================  ==========================
table      key columns                                    constraint
=========  =============================================  ==========================
indicator  name                                           Indicator.name unique
subscriber email (compared lower-cased)                   Subscriber.email unique
metric     indicator, bulletin + issue, period            ``metric_natural_key``
article    bulletin + issue, section, position            ``article_position_unique``
=========  =============================================  ==========================

An import is all or nothing: the whole file is read and validated, and written in one
transaction only if every row is good; otherwise every bad row is reported with its row
number, column and reason, and nothing is saved. Rows that repeat a key inside the file
are refused. Two imports into the same table take turns on a PostgreSQL advisory lock,
and the library's sequence reset after an import (which rewinds the id sequence under a
concurrent import, see django-import-export #2166) is skipped: ids come from the
sequence and are never in the files.

Imports go through ``editorial.tables``: the whole file validated in memory,
then written in bulk in one transaction; ``import_table`` here takes a resource class
for the table's name. The resources below serve the admin's exports (and the library's
own import path, kept as the baseline the import bench measures against), and keep the
same rules when used directly: all or nothing, a per-table advisory lock, no sequence
reset.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, ValidationError
from django.db import models
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import override
from import_export import fields, resources, widgets
from import_export.results import RowResult

from editorial.models import (
    Article,
    Indicator,
    Issue,
    Metric,
    Organisation,
    Section,
    Subscriber,
    Tag,
)
from editorial.sanitising import sanitise_body_html
from editorial.services.errors import ImportRefused
from editorial.tables.cells import (
    DATE_FORMATS,
    ChoiceReader,
    clean_text,
    is_blank,
    key_part,
    parse_date,
    parse_decimal,
    read_tag_names,
)
from editorial.tables.reading import ImportFileRefused
from editorial.tables.service import (
    RowProblem,
    TableImportRefused,
    TableImportReport,
    is_xlsx_upload,
    lock_table_for_import,
    problems_csv,
    read_table,
)
from editorial.tables.service import import_table as bulk_import_table
from editorial.tables.writing import plain_decimal
from editorial.workflow import ISSUE_EDITABLE_STATES, ArticleState

__all__ = [
    "DATE_FORMATS", "RowProblem", "TableImportRefused", "TableImportReport", "import_table",
    "is_xlsx_upload", "parse_date", "parse_decimal", "problems_csv", "read_table",
]

# How long an import waits for another import into the same table to finish.
IMPORT_LOCK_WAIT_SECONDS = 120


# --- Reading cells (editorial.tables.cells) -------------------------------------

_key_part = key_part


# --- Widgets --------------------------------------------------------------------------


class TextWidget(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs):
        return clean_text(value)


class LowercaseTextWidget(TextWidget):
    def clean(self, value, row=None, **kwargs):
        return clean_text(value).lower()


class BodyHTMLWidget(TextWidget):
    """Article bodies: sanitised on the way in, so the preview shows what will be saved."""

    def clean(self, value, row=None, **kwargs):
        return sanitise_body_html(clean_text(value))


class DecimalNumberWidget(widgets.NumberWidget):
    def clean(self, value, row=None, **kwargs):
        return parse_decimal(value)

    def render(self, value, obj=None, **kwargs):
        if kwargs.get("force_native_type"):
            return value
        return "" if value is None else plain_decimal(Decimal(value))


class WholeNumberWidget(widgets.NumberWidget):
    def clean(self, value, row=None, **kwargs):
        number = parse_decimal(value)
        if number is None:
            return None
        if number != number.to_integral_value() or number < 0:
            raise ValueError(_("“%(value)s” is not a whole number.") % {"value": clean_text(value)})
        return int(number)

    def render(self, value, obj=None, **kwargs):
        if kwargs.get("force_native_type"):
            return value
        return "" if value is None else str(value)


class DateCellWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return parse_date(value)

    def render(self, value, obj=None, **kwargs):
        if kwargs.get("force_native_type"):
            return value
        return value.isoformat() if value else ""


class ChoiceWidget(widgets.Widget):
    """A choice by its stored value or its label in Chinese or English; blank is None."""

    def __init__(self, choices, **kwargs):
        super().__init__(**kwargs)
        self.read = ChoiceReader(choices)

    def clean(self, value, row=None, **kwargs):
        return self.read(value)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class FlagWidget(widgets.Widget):
    TRUE = frozenset({"1", "true", "yes", "y", "t", "是", "真", "x", "✓"})
    FALSE = frozenset({"0", "false", "no", "n", "f", "否", "假"})

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            return value
        text = clean_text(value).casefold()
        if not text:
            return None
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValueError(_("“%(value)s” is not yes or no (write 1 or 0).") % {"value": clean_text(value)})

    def render(self, value, obj=None, **kwargs):
        if kwargs.get("force_native_type"):
            return value
        return "" if value is None else ("1" if value else "0")


class CachedLookupWidget(widgets.ForeignKeyWidget):
    """A related row by one unique column; each distinct value is queried once per import."""

    def __init__(self, model, field_name, *, normalise=clean_text, **kwargs):
        super().__init__(model, field_name, **kwargs)
        self.normalise = normalise
        self._cache: dict = {}

    def reset_cache(self) -> None:
        self._cache = {}

    def clean(self, value, row=None, **kwargs):
        key = self.normalise(value)
        if not key:
            return None
        if key not in self._cache:
            self._cache[key] = self.model._default_manager.filter(**{self.field: key}).first()
        found = self._cache[key]
        if found is None:
            raise ValueError(
                _("There is no %(model)s called “%(value)s”.")
                % {"model": self.model._meta.verbose_name, "value": key}
            )
        return found

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else getattr(value, self.field)


class IssueWidget(widgets.ForeignKeyWidget):
    """An issue by the row's bulletin slug and its number; only editable issues qualify."""

    def __init__(self, **kwargs):
        super().__init__(Issue, "number", **kwargs)
        self._cache: dict = {}

    def reset_cache(self) -> None:
        self._cache = {}

    def clean(self, value, row=None, **kwargs):
        slug = clean_text((row or {}).get("bulletin"))
        if not slug:
            raise ValueError(_("The “bulletin” column is empty."))
        number = WholeNumberWidget().clean(value)
        if number is None:
            raise ValueError(_("The issue number is empty."))
        key = (slug, number)
        if key not in self._cache:
            self._cache[key] = (
                Issue.objects.select_related("bulletin")
                .filter(bulletin__slug=slug, number=number)
                .first()
            )
        issue = self._cache[key]
        if issue is None:
            raise ValueError(
                _("Bulletin “%(bulletin)s” has no issue %(number)s.")
                % {"bulletin": slug, "number": number}
            )
        if issue.state not in ISSUE_EDITABLE_STATES:
            raise ValueError(
                _(
                    "Issue %(number)s of “%(bulletin)s” is %(state)s; rows can only be "
                    "imported into an issue being assembled or in review."
                )
                % {"number": number, "bulletin": slug, "state": issue.get_state_display()}
            )
        return issue

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else value.number


class SectionWidget(widgets.ForeignKeyWidget):
    """A section by the row's bulletin slug and the section's name."""

    def __init__(self, **kwargs):
        super().__init__(Section, "name", **kwargs)
        self._cache: dict = {}

    def reset_cache(self) -> None:
        self._cache = {}

    def clean(self, value, row=None, **kwargs):
        name = clean_text(value)
        if not name:
            return None
        slug = clean_text((row or {}).get("bulletin"))
        key = (slug, name)
        if key not in self._cache:
            self._cache[key] = Section.objects.filter(bulletin__slug=slug, name=name).first()
        section = self._cache[key]
        if section is None:
            raise ValueError(
                _("Bulletin “%(bulletin)s” has no section “%(section)s”.")
                % {"bulletin": slug, "section": name}
            )
        return section

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else value.name


class TagsWidget(widgets.ManyToManyWidget):
    """Tags by name, separated by commas or 、; unknown tags are created."""

    SEPARATORS = re.compile(r"[,，、;；]")

    def __init__(self, **kwargs):
        super().__init__(Tag, separator=", ", field="name", **kwargs)

    def clean(self, value, row=None, **kwargs):
        return [Tag.objects.get_or_create(name=name)[0] for name in read_tag_names(
            value, max_length=Tag._meta.get_field("name").max_length
        )]


# --- The resources --------------------------------------------------------------------


class NaturalKeyResource(resources.ModelResource):
    """Rows named by a natural key; all-or-nothing imports; safe to run concurrently."""

    #: the file columns that together name a row
    key_columns: tuple[str, ...] = ()
    #: key columns compared case-insensitively
    casefold_columns: frozenset[str] = frozenset()

    class Meta:
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.duplicate_rows: dict[int, int] = {}

    # The whole file at once -----------------------------------------------------------

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None,
                    collect_failed_rows=False, rollback_on_validation_errors=False, **kwargs):
        # All or nothing whoever calls: one transaction, rolled back if any row is bad.
        return super().import_data(
            dataset,
            dry_run=dry_run,
            raise_errors=raise_errors,
            use_transactions=True,
            collect_failed_rows=collect_failed_rows,
            rollback_on_validation_errors=True,
            **kwargs,
        )

    def before_import(self, dataset, **kwargs):
        for resource_field in self.fields.values():
            reset = getattr(resource_field.widget, "reset_cache", None)
            if reset:
                reset()
        self._normalise_headers(dataset)
        missing = [c for c in self.required_columns() if c not in (dataset.headers or [])]
        if missing:
            del dataset[0 : len(dataset)]  # one clear message instead of one per row
            raise ImportFileRefused(
                _("The file lacks the column(s) %(missing)s. Its first row must name the columns: %(expected)s.")
                % {"missing": ", ".join(missing), "expected": ", ".join(self.import_columns())}
            )
        self._lock_table()
        self.duplicate_rows = self._find_duplicate_keys(dataset)
        self._prefetched = self.prefetch_instances(dataset)

    def after_import(self, dataset, result, **kwargs):
        # ModelResource.after_import resets the id sequence to max(id) whenever rows were
        # created. Under a concurrent import into the same table that setval() rewinds the
        # sequence below ids the other transaction already holds, and its next insert
        # collides (django-import-export #2166). Files never carry ids, so the sequence
        # is never behind and the reset is skipped.
        return None

    def required_columns(self) -> list[str]:
        return list(self.key_columns)

    def import_columns(self) -> list[str]:
        return [f.column_name for f in self.get_import_fields() if not f.readonly or f.column_name in self.key_columns]

    def _normalise_headers(self, dataset) -> None:
        """Accept headers in any case, with stray spaces, or as the Chinese/English labels."""
        aliases = {}
        for resource_field in self.fields.values():
            column = resource_field.column_name
            aliases[column.casefold()] = column
            for label in self.column_labels(resource_field):
                for language in ("zh-hans", "en"):
                    with override(language):
                        aliases.setdefault(str(label).strip().casefold(), column)
        headers = []
        for header in dataset.headers or []:
            text = clean_text(header).lstrip("\ufeff")
            headers.append(aliases.get(text.casefold(), text))
        if headers:
            dataset.headers = headers

    def column_labels(self, resource_field) -> list:
        labels = []
        attribute = resource_field.attribute or ""
        if attribute and "__" not in attribute:
            try:
                labels.append(self._meta.model._meta.get_field(attribute).verbose_name)
            except Exception:  # a declared field that is not a model field
                pass
        return labels

    def _lock_table(self) -> None:
        # The bulk service's lock, so a library import and a bulk one take turns too.
        try:
            lock_table_for_import(self._meta.model, using=self.get_db_connection_name())
        except ImportRefused as refused:
            raise ImportFileRefused(str(refused)) from refused

    def natural_key(self, row) -> tuple:
        return tuple(
            _key_part(row.get(column)).casefold()
            if column in self.casefold_columns
            else _key_part(row.get(column))
            for column in self.key_columns
        )

    def _find_duplicate_keys(self, dataset) -> dict[int, int]:
        """Row number → the earlier row with the same key (numbers as the library counts)."""
        first_seen: dict[tuple, int] = {}
        duplicates: dict[int, int] = {}
        headers = dataset.headers or []
        for number, values in enumerate(dataset, 1):
            row = dict(zip(headers, values, strict=False))
            if all(is_blank(v) for v in values):
                continue
            key = self.natural_key(row)
            if not any(key):
                continue
            if key in first_seen:
                duplicates[number] = first_seen[key]
            else:
                first_seen[key] = number
        return duplicates

    # Row by row -----------------------------------------------------------------------

    def import_row(self, row, instance_loader, **kwargs):
        if all(is_blank(v) for v in row.values()):
            skipped = self.get_row_result_class()()
            skipped.import_type = RowResult.IMPORT_TYPE_SKIP
            return skipped
        return super().import_row(row, instance_loader, **kwargs)

    def before_import_row(self, row, row_number=None, **kwargs):
        first = self.duplicate_rows.get(row_number)
        if first:
            raise ValidationError(
                _("This row repeats the key of row %(first)s (%(key)s); each row must name a different %(model)s.")
                % {
                    "first": first,
                    "key": " / ".join(str(clean_text(row.get(c))) for c in self.key_columns),
                    "model": self._meta.model._meta.verbose_name,
                }
            )

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """Field validation and check constraints, without a query per unique constraint.

        Uniqueness needs no per-row query here: keys repeated inside the file are
        refused before any row is read, existing rows are found by their natural key
        (so they are updated, not inserted again), and the table lock keeps other
        imports out until this one commits. The database's unique constraints stay the
        final guard.
        """
        errors = dict(import_validation_errors or {})
        if self._meta.clean_model_instances:
            try:
                instance.full_clean(
                    exclude=errors.keys(), validate_unique=False, validate_constraints=False
                )
            except ValidationError as exc:
                errors = exc.update_error_dict(errors)
            for constraint in instance._meta.constraints:
                if isinstance(constraint, models.CheckConstraint):
                    try:
                        constraint.validate(type(instance), instance, exclude=set(errors))
                    except ValidationError as exc:
                        errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    # Existing rows by natural key, loaded once per file (see MetricResource) ----------

    def prefetch_instances(self, dataset) -> dict[tuple, models.Model] | None:
        """{natural key: instance} of the rows the file may update; None to look each up."""
        return None

    def get_instance(self, instance_loader, row):
        prefetched = getattr(self, "_prefetched", None)
        if prefetched is not None:
            return prefetched.get(self.natural_key(row))
        try:
            return super().get_instance(instance_loader, row)
        except (ValueError, ObjectDoesNotExist, ValidationError):
            # A key cell that does not resolve: the row is reported when its fields are
            # read, with the column and the reason.
            return None

    def before_save_instance(self, instance, row, **kwargs):
        user = kwargs.get("user")
        if user is not None and getattr(user, "pk", None):
            instance._history_user = user  # django-simple-history records who


class IndicatorResource(NaturalKeyResource):
    key_columns = ("name",)

    name = fields.Field(attribute="name", column_name="name", widget=TextWidget())
    slug = fields.Field(attribute="slug", column_name="slug", widget=TextWidget())
    unit = fields.Field(attribute="unit", column_name="unit", widget=TextWidget())
    frequency = fields.Field(
        attribute="frequency",
        column_name="frequency",
        widget=ChoiceWidget(Indicator.Frequency.choices),
        saves_null_values=False,
    )
    description = fields.Field(attribute="description", column_name="description", widget=TextWidget())
    source = fields.Field(attribute="source", column_name="source", widget=TextWidget())
    confirmed = fields.Field(
        attribute="confirmed", column_name="confirmed", widget=FlagWidget(), saves_null_values=False
    )

    class Meta(NaturalKeyResource.Meta):
        model = Indicator
        name = "indicators"
        fields = ("name", "slug", "unit", "frequency", "description", "source", "confirmed")
        import_id_fields = ("name",)

    def before_import(self, dataset, **kwargs):
        self._slugs_given: set[str] = set()
        super().before_import(dataset, **kwargs)

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        if not instance.slug and instance.name:
            instance.slug = self._free_slug(instance)
        self._slugs_given.add(instance.slug)

    def _free_slug(self, instance) -> str:
        base = slugify(instance.name, allow_unicode=True)[:130] or "indicator"
        candidate, counter = base, 1
        while candidate in self._slugs_given or Indicator.objects.filter(slug=candidate).exclude(
            pk=instance.pk
        ).exists():
            counter += 1
            candidate = f"{base}-{counter}"
        return candidate


class SubscriberResource(NaturalKeyResource):
    key_columns = ("email",)
    casefold_columns = frozenset({"email"})

    email = fields.Field(attribute="email", column_name="email", widget=LowercaseTextWidget())
    name = fields.Field(attribute="name", column_name="name", widget=TextWidget())
    organisation = fields.Field(
        attribute="organisation",
        column_name="organisation",
        widget=CachedLookupWidget(Organisation, "name"),
    )
    language = fields.Field(
        attribute="language",
        column_name="language",
        widget=ChoiceWidget(Subscriber._meta.get_field("language").choices),
        saves_null_values=False,
    )
    active = fields.Field(
        attribute="active", column_name="active", widget=FlagWidget(), saves_null_values=False
    )

    class Meta(NaturalKeyResource.Meta):
        model = Subscriber
        name = "subscribers"
        fields = ("email", "name", "organisation", "language", "active")
        import_id_fields = ("email",)

    def required_columns(self) -> list[str]:
        return ["email", "organisation"]

    def get_queryset(self):
        return Subscriber.objects.select_related("organisation").order_by("organisation__name", "email")


class MetricResource(NaturalKeyResource):
    key_columns = ("indicator", "bulletin", "issue", "period")

    indicator = fields.Field(
        attribute="indicator", column_name="indicator", widget=CachedLookupWidget(Indicator, "name")
    )
    bulletin = fields.Field(attribute="issue__bulletin__slug", column_name="bulletin", readonly=True)
    issue = fields.Field(attribute="issue", column_name="issue", widget=IssueWidget())
    period = fields.Field(attribute="period_label", column_name="period", widget=TextWidget())
    period_start = fields.Field(attribute="period_start", column_name="period_start", widget=DateCellWidget())
    period_end = fields.Field(attribute="period_end", column_name="period_end", widget=DateCellWidget())
    value = fields.Field(attribute="value", column_name="value", widget=DecimalNumberWidget())
    unit = fields.Field(attribute="unit", column_name="unit", widget=TextWidget())
    yoy_percent = fields.Field(
        attribute="yoy_percent", column_name="yoy_percent", widget=DecimalNumberWidget()
    )
    sentence = fields.Field(attribute="sentence", column_name="sentence", widget=TextWidget())
    status = fields.Field(attribute="status", column_name="status", readonly=True)
    article = fields.Field(attribute="article__title", column_name="article", readonly=True)

    class Meta(NaturalKeyResource.Meta):
        model = Metric
        name = "metrics"
        fields = (
            "indicator", "bulletin", "issue", "period", "period_start", "period_end", "value",
            "unit", "yoy_percent", "sentence", "status", "article",
        )
        import_id_fields = ("indicator", "issue", "period")

    def required_columns(self) -> list[str]:
        return [*self.key_columns, "value"]

    def get_queryset(self):
        return Metric.objects.select_related("indicator", "issue__bulletin", "article").order_by(
            "issue__issue_date", "issue_id", "indicator__name", "period_end", "id"
        )

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        if not instance.unit and instance.indicator_id:
            instance.unit = instance.indicator.unit

    def prefetch_instances(self, dataset):
        """The metrics of the issues the file names, in one query (not one per row)."""
        headers = dataset.headers or []
        if "bulletin" not in headers or "issue" not in headers:
            return None
        wanted = {
            (_key_part(row.get("bulletin")), _key_part(row.get("issue")))
            for row in dataset.dict
        }
        query = models.Q(pk__in=[])
        for slug, number in wanted:
            if slug and number.isdigit():
                query |= models.Q(issue__bulletin__slug=slug, issue__number=int(number))
        return {
            (
                _key_part(metric.indicator.name),
                _key_part(metric.issue.bulletin.slug),
                _key_part(metric.issue.number),
                _key_part(metric.period_label),
            ): metric
            for metric in Metric.objects.filter(query).select_related("indicator", "issue__bulletin")
        }


class ArticleResource(NaturalKeyResource):
    key_columns = ("bulletin", "issue", "section", "position")

    bulletin = fields.Field(attribute="issue__bulletin__slug", column_name="bulletin", readonly=True)
    issue = fields.Field(attribute="issue", column_name="issue", widget=IssueWidget())
    section = fields.Field(attribute="section", column_name="section", widget=SectionWidget())
    position = fields.Field(attribute="position", column_name="position", widget=WholeNumberWidget())
    title = fields.Field(attribute="title", column_name="title", widget=TextWidget())
    subtitle = fields.Field(attribute="subtitle", column_name="subtitle", widget=TextWidget())
    source = fields.Field(attribute="source", column_name="source", widget=TextWidget())
    source_url = fields.Field(attribute="source_url", column_name="source_url", widget=TextWidget())
    author = fields.Field(attribute="author", column_name="author", widget=TextWidget())
    original_date = fields.Field(
        attribute="original_date", column_name="original_date", widget=DateCellWidget()
    )
    summary = fields.Field(attribute="summary", column_name="summary", widget=TextWidget())
    body = fields.Field(attribute="body", column_name="body", widget=BodyHTMLWidget())
    tags = fields.Field(attribute="tags", column_name="tags", widget=TagsWidget())
    state = fields.Field(attribute="state", column_name="state", readonly=True)

    class Meta(NaturalKeyResource.Meta):
        model = Article
        name = "articles"
        fields = (
            "bulletin", "issue", "section", "position", "title", "subtitle", "source",
            "source_url", "author", "original_date", "summary", "body", "tags", "state",
        )
        import_id_fields = ("issue", "section", "position")

    def required_columns(self) -> list[str]:
        return [*self.key_columns, "title"]

    def get_queryset(self):
        return (
            Article.objects.select_related("issue__bulletin", "section")
            .prefetch_related("tags")
            .order_by("issue__issue_date", "issue_id", "section__position", "position", "id")
        )

    def before_save_instance(self, instance, row, **kwargs):
        super().before_save_instance(instance, row, **kwargs)
        user = kwargs.get("user")
        if instance.pk is None:
            if user is not None and getattr(user, "pk", None):
                instance.created_by = user
            return
        if instance.state not in (ArticleState.DRAFT, ArticleState.CHANGES_REQUESTED):
            raise ValidationError(
                _("The article “%(title)s” is %(state)s; send it back to draft before changing it by import.")
                % {"title": instance.title, "state": instance.get_state_display()}
            )
        # Forms holding the old version now refuse to overwrite the imported text.
        instance.version += 1


TABLE_RESOURCES: dict[str, type[NaturalKeyResource]] = {
    "article": ArticleResource,
    "indicator": IndicatorResource,
    "metric": MetricResource,
    "subscriber": SubscriberResource,
}


# --- Reports --------------------------------------------------------------------------


def describe_problems(result, resource: resources.Resource | None = None) -> list[RowProblem]:
    """Every base error, invalid row and failed row of a library import result, in row order."""
    columns = {}
    if resource is not None:
        columns = {f.attribute: f.column_name for f in resource.fields.values() if f.attribute}
    problems = [RowProblem(None, "", _error_text(error.error)) for error in result.base_errors]
    per_row = []
    for invalid in result.invalid_rows:
        for attribute, messages in invalid.error_dict.items():
            column = "" if attribute == NON_FIELD_ERRORS else columns.get(attribute, attribute)
            for message in messages:
                per_row.append(RowProblem(invalid.number, column, str(message)))
    for failed in result.error_rows:
        for error in failed.errors:
            per_row.append(RowProblem(failed.number, "", _error_text(error.error)))
    per_row.sort(key=lambda p: (p.row or 0, p.column))
    return problems + per_row


def _error_text(error) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(str(m) for m in error.messages)
    return str(error) or error.__class__.__name__


# --- The service ----------------------------------------------------------------------


def import_table(
    *,
    resource_class: type[NaturalKeyResource],
    data: bytes,
    user,
    file_name: str = "",
    dry_run: bool = False,
) -> TableImportReport:
    """Import a CSV or XLSX table, all or nothing, through the bulk import service.

    ``resource_class`` names the table (its model); the rows are validated whole and
    written in bulk by ``editorial.tables.service.import_table``, which the admin
    uses too. The resources themselves serve the admin's exports.
    """
    return bulk_import_table(
        table=resource_class._meta.model._meta.model_name, data=data, user=user,
        file_name=file_name, dry_run=dry_run,
    )
