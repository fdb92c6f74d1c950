"""What each importable table is: its columns, its natural key, and the look-ups it needs.

A table reads a row into plain values without touching the database: every related row
(indicators, issues, sections, organisations) and every existing row the file may update
is loaded once for the whole file by ``prefetch`` and ``existing``. That keeps an import's
query count independent of its number of rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import override

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
from editorial.search import fill_search_columns
from editorial.tables.cells import (
    ChoiceReader,
    clean_text,
    key_part,
    parse_date,
    parse_decimal,
    parse_flag,
    parse_whole_number,
    read_tag_names,
)
from editorial.workflow import ISSUE_EDITABLE_STATES, ArticleState


class RowInvalid(Exception):
    """The problems of one row: {column: [message, …]} ("" for the row as a whole)."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class Column:
    """A file column: the model attribute it fills and how its cell is read."""

    name: str
    attribute: str = ""  # "" for columns only read for the key (bulletin)
    read: Callable = clean_text
    #: a blank cell leaves the stored value (or the model default) alone
    blank_keeps: bool = False
    #: written to the database as is (FKs resolved by the table)
    model_field: bool = True


@dataclass
class Lookups:
    """Everything a file refers to, loaded once."""

    issues: dict[tuple[str, int], Issue] = field(default_factory=dict)
    indicators: dict[str, Indicator] = field(default_factory=dict)
    sections: dict[tuple[str, str], Section] = field(default_factory=dict)
    organisations: dict[str, Organisation] = field(default_factory=dict)
    slugs: dict[str, int] = field(default_factory=dict)


class Table:
    """One importable table. Subclasses name the model, the columns and the key."""

    name: str
    model: type[models.Model]
    key_columns: tuple[str, ...] = ()
    casefold_columns: frozenset[str] = frozenset()
    required_columns: tuple[str, ...] = ()
    columns: tuple[Column, ...] = ()
    has_history = True
    #: fields ``before_write`` sets, written with an update
    derived_fields: frozenset[str] = frozenset()

    # --- the file ----------------------------------------------------------------------

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def header_aliases(self) -> dict[str, str]:
        """Header text (casefolded) → column: the column name or the field's label."""
        aliases = {}
        for column in self.columns:
            aliases[column.name.casefold()] = column.name
            field_name = column.attribute.removesuffix("_id") if column.attribute else column.name
            try:
                label = self.model._meta.get_field(field_name).verbose_name
            except Exception:
                continue
            for language in ("zh-hans", "en"):
                with override(language):
                    aliases.setdefault(str(label).strip().casefold(), column.name)
        return aliases

    def natural_key(self, row: dict) -> tuple[str, ...]:
        return tuple(
            key_part(row.get(c)).casefold() if c in self.casefold_columns else key_part(row.get(c))
            for c in self.key_columns
        )

    # --- the database, once per file ------------------------------------------------------

    def prefetch(self, rows: list[dict]) -> Lookups:
        return Lookups()

    def existing(self, matches: Iterable[tuple]) -> dict[tuple, models.Model]:
        """{match key: row} of the rows the file names (one query)."""
        raise NotImplementedError

    # --- one row, no queries -------------------------------------------------------------

    def read_row(self, row: dict, lookups: Lookups) -> tuple[tuple, dict]:
        """(match key, {attname: value}) for one row, or RowInvalid."""
        raise NotImplementedError

    def read_cells(self, row: dict, errors: dict[str, list[str]]) -> dict:
        values = {}
        for column in self.columns:
            if not column.attribute or column.name not in row:
                continue
            try:
                value = column.read(row[column.name])
            except ValueError as exc:
                errors.setdefault(column.name, []).append(str(exc))
                continue
            if value is None and column.blank_keeps:
                continue
            if value is None and self._field(column.attribute).null is False and isinstance(
                self._field(column.attribute), models.CharField | models.TextField
            ):
                value = ""
            values[column.attribute] = value
        return values

    def check_fields(self, values: dict, errors: dict[str, list[str]]) -> None:
        """The model fields' own validation (lengths, choices, e-mail, URL, digits)."""
        by_attribute = {c.attribute: c.name for c in self.columns if c.attribute}
        for attribute, value in values.items():
            model_field = self._field(attribute)
            if model_field is None or model_field.is_relation:
                continue
            try:
                model_field.clean(value, None)
            except ValidationError as exc:
                errors.setdefault(by_attribute.get(attribute, attribute), []).extend(exc.messages)

    def _field(self, attribute: str):
        try:
            return self.model._meta.get_field(attribute)
        except Exception:
            return None

    def complete_new(self, values: dict, lookups: Lookups, taken_slugs: set[str]) -> None:
        """Defaults a new row takes (the metric's unit, the indicator's slug)."""

    def clash(self, values: dict, instance, lookups: Lookups, taken: set[str]):
        """(column, message) when a row would take a unique value another row holds."""
        return None

    def refuse_update(self, instance) -> str | None:
        """Why an existing row may not be changed by import (None if it may)."""
        return None

    def unchanged(self, instance, values: dict) -> bool:
        return all(getattr(instance, attribute) == value for attribute, value in values.items())

    # --- writing ---------------------------------------------------------------------------

    def build(self, values: dict, *, user) -> models.Model:
        instance = self.model(**{k: v for k, v in values.items() if k != "tags"})
        return instance

    def before_write(self, instances: list, *, new: bool, user) -> None:
        """Derived fields bulk writes skip (search columns, versions, timestamps)."""

    def after_write(self, pairs: list[tuple[models.Model, dict]], *, user) -> None:
        """Relations written after the rows (article tags)."""


def _issue_problem(issue: Issue | None, slug: str, number) -> str | None:
    if issue is None:
        return _("Bulletin “%(bulletin)s” has no issue %(number)s.") % {
            "bulletin": slug, "number": number,
        }
    if issue.state not in ISSUE_EDITABLE_STATES:
        return _(
            "Issue %(number)s of “%(bulletin)s” is %(state)s; rows can only be "
            "imported into an issue being assembled or in review."
        ) % {"number": number, "bulletin": slug, "state": issue.get_state_display()}
    return None


def _prefetch_issues(rows: list[dict]) -> dict[tuple[str, int], Issue]:
    wanted: dict[str, set[int]] = {}
    for row in rows:
        slug = clean_text(row.get("bulletin"))
        try:
            number = parse_whole_number(row.get("issue"))
        except ValueError:
            continue
        if slug and number is not None:
            wanted.setdefault(slug, set()).add(number)
    if not wanted:
        return {}
    query = models.Q()
    for slug, numbers in wanted.items():
        query |= models.Q(bulletin__slug=slug, number__in=sorted(numbers))
    return {
        (issue.bulletin.slug, issue.number): issue
        for issue in Issue.objects.select_related("bulletin").filter(query)
    }


def _read_issue(row: dict, lookups: Lookups, errors: dict[str, list[str]]) -> Issue | None:
    slug = clean_text(row.get("bulletin"))
    if not slug:
        errors.setdefault("bulletin", []).append(_("The “bulletin” column is empty."))
        return None
    try:
        number = parse_whole_number(row.get("issue"))
    except ValueError as exc:
        errors.setdefault("issue", []).append(str(exc))
        return None
    if number is None:
        errors.setdefault("issue", []).append(_("The issue number is empty."))
        return None
    issue = lookups.issues.get((slug, number))
    problem = _issue_problem(issue, slug, number)
    if problem:
        errors.setdefault("issue", []).append(problem)
        return None
    return issue


def _missing(model: type[models.Model], value: str) -> str:
    return _("There is no %(model)s called “%(value)s”.") % {
        "model": model._meta.verbose_name, "value": value,
    }


# --- Metrics --------------------------------------------------------------------------------


class MetricTable(Table):
    name = "metric"
    model = Metric
    key_columns = ("indicator", "bulletin", "issue", "period")
    required_columns = ("indicator", "bulletin", "issue", "period", "value")
    columns = (
        Column("indicator", "indicator_id", model_field=False),
        Column("bulletin"),
        Column("issue", "issue_id", model_field=False),
        Column("period", "period_label"),
        Column("period_start", "period_start", parse_date),
        Column("period_end", "period_end", parse_date),
        Column("value", "value", parse_decimal),
        Column("unit", "unit"),
        Column("yoy_percent", "yoy_percent", parse_decimal),
        Column("sentence", "sentence"),
    )

    def prefetch(self, rows):
        names = {clean_text(row.get("indicator")) for row in rows} - {""}
        return Lookups(
            issues=_prefetch_issues(rows),
            indicators={i.name: i for i in Indicator.objects.filter(name__in=names)},
        )

    def read_row(self, row, lookups):
        errors: dict[str, list[str]] = {}
        name = clean_text(row.get("indicator"))
        indicator = lookups.indicators.get(name)
        if not name:
            errors.setdefault("indicator", []).append(_("The indicator is empty."))
        elif indicator is None:
            errors.setdefault("indicator", []).append(_missing(Indicator, name))
        issue = _read_issue(row, lookups, errors)
        values = self.read_cells(row, errors)
        self.check_fields(values, errors)
        start, end = values.get("period_start"), values.get("period_end")
        if start and end and start > end:
            # the metric_period_ordered check constraint, checked here so it never fires
            errors.setdefault("period_end", []).append(
                _("The period ends before it starts.")
            )
        if errors:
            raise RowInvalid(errors)
        values["indicator_id"], values["issue_id"] = indicator.pk, issue.pk
        if "unit" in values and not values["unit"]:
            values["unit"] = indicator.unit  # the indicator's unit when the cell is empty
        return (indicator.pk, issue.pk, values.get("period_label", "")), values

    def complete_new(self, values, lookups, taken_slugs):
        if not values.get("unit"):
            units = {i.pk: i.unit for i in lookups.indicators.values()}
            values["unit"] = units.get(values["indicator_id"], "")

    def existing(self, matches):
        matches = list(matches)
        issue_ids = {m[1] for m in matches}
        wanted = set(matches)
        return {
            key: metric
            for metric in Metric.objects.filter(issue_id__in=issue_ids)
            if (key := (metric.indicator_id, metric.issue_id, metric.period_label)) in wanted
        }


# --- Indicators --------------------------------------------------------------------------


class IndicatorTable(Table):
    name = "indicator"
    model = Indicator
    key_columns = ("name",)
    required_columns = ("name",)
    columns = (
        Column("name", "name"),
        Column("slug", "slug", blank_keeps=True),
        Column("unit", "unit"),
        Column("frequency", "frequency", ChoiceReader(Indicator.Frequency.choices),
               blank_keeps=True),
        Column("description", "description"),
        Column("source", "source"),
        Column("confirmed", "confirmed", parse_flag, blank_keeps=True),
    )

    def prefetch(self, rows):
        # Slugs of every indicator: new ones get a free one without a query each.
        return Lookups(slugs=dict(Indicator.objects.values_list("slug", "pk")))

    def read_row(self, row, lookups):
        errors: dict[str, list[str]] = {}
        values = self.read_cells(row, errors)
        slug = values.get("slug")
        if slug:
            self.check_fields(values, errors)
        else:
            self.check_fields({k: v for k, v in values.items() if k != "slug"}, errors)
        if errors:
            raise RowInvalid(errors)
        return (values["name"],), values

    def existing(self, matches):
        names = [m[0] for m in matches]
        return {(i.name,): i for i in Indicator.objects.filter(name__in=names)}

    def clash(self, values, instance, lookups, taken):
        slug = values.get("slug")
        if not slug:
            return None
        holder = lookups.slugs.get(slug)
        if slug in taken or (holder is not None and (instance is None or holder != instance.pk)):
            return "slug", _("Another indicator already has the slug “%(slug)s”.") % {"slug": slug}
        taken.add(slug)
        return None

    def complete_new(self, values, lookups, taken_slugs):
        if values.get("slug"):
            return
        base = slugify(values["name"], allow_unicode=True)[:130] or "indicator"
        candidate, counter = base, 1
        while candidate in taken_slugs or candidate in lookups.slugs:
            counter += 1
            candidate = f"{base}-{counter}"
        taken_slugs.add(candidate)
        values["slug"] = candidate


# --- Subscribers ---------------------------------------------------------------------------


class SubscriberTable(Table):
    name = "subscriber"
    model = Subscriber
    key_columns = ("email",)
    casefold_columns = frozenset({"email"})
    required_columns = ("email", "organisation")
    has_history = False
    columns = (
        Column("email", "email", lambda v: clean_text(v).lower()),
        Column("name", "name"),
        Column("organisation", "organisation_id", model_field=False),
        Column("language", "language",
               ChoiceReader(Subscriber._meta.get_field("language").choices), blank_keeps=True),
        Column("active", "active", parse_flag, blank_keeps=True),
    )

    def prefetch(self, rows):
        names = {clean_text(row.get("organisation")) for row in rows} - {""}
        return Lookups(
            organisations={o.name: o for o in Organisation.objects.filter(name__in=names)}
        )

    def read_row(self, row, lookups):
        errors: dict[str, list[str]] = {}
        name = clean_text(row.get("organisation"))
        organisation = lookups.organisations.get(name)
        if not name:
            errors.setdefault("organisation", []).append(_("The organisation is empty."))
        elif organisation is None:
            errors.setdefault("organisation", []).append(_missing(Organisation, name))
        values = self.read_cells(row, errors)
        self.check_fields(values, errors)
        if errors:
            raise RowInvalid(errors)
        values["organisation_id"] = organisation.pk
        return (values["email"],), values

    def existing(self, matches):
        emails = [m[0] for m in matches]
        return {
            (s.email_key,): s
            for s in Subscriber.objects.annotate(email_key=Lower("email")).filter(
                email_key__in=emails
            )
        }


# --- Articles ------------------------------------------------------------------------------


def _read_tags(value) -> list[str]:
    return read_tag_names(value, max_length=Tag._meta.get_field("name").max_length)


class ArticleTable(Table):
    name = "article"
    model = Article
    derived_fields = frozenset({"body", "version", "updated_at", "search_document", "search_title"})
    key_columns = ("bulletin", "issue", "section", "position")
    required_columns = ("bulletin", "issue", "section", "position", "title")
    columns = (
        Column("bulletin"),
        Column("issue", "issue_id", model_field=False),
        Column("section", "section_id", model_field=False),
        Column("position", "position", parse_whole_number),
        Column("title", "title"),
        Column("subtitle", "subtitle"),
        Column("source", "source"),
        Column("source_url", "source_url"),
        Column("author", "author"),
        Column("original_date", "original_date", parse_date),
        Column("summary", "summary"),
        Column("body", "body", lambda v: sanitise_body_html(clean_text(v))),
        Column("tags", "tags", _read_tags, model_field=False),
    )

    def prefetch(self, rows):
        wanted: dict[str, set[str]] = {}
        for row in rows:
            slug, name = clean_text(row.get("bulletin")), clean_text(row.get("section"))
            if slug and name:
                wanted.setdefault(slug, set()).add(name)
        query = models.Q(pk__in=[])
        for slug, names in wanted.items():
            query |= models.Q(bulletin__slug=slug, name__in=sorted(names))
        return Lookups(
            issues=_prefetch_issues(rows),
            sections={
                (s.bulletin.slug, s.name): s
                for s in Section.objects.select_related("bulletin").filter(query)
            },
        )

    def read_row(self, row, lookups):
        errors: dict[str, list[str]] = {}
        issue = _read_issue(row, lookups, errors)
        slug, name = clean_text(row.get("bulletin")), clean_text(row.get("section"))
        section = lookups.sections.get((slug, name))
        if not name:
            errors.setdefault("section", []).append(_("The section is empty."))
        elif section is None:
            errors.setdefault("section", []).append(
                _("Bulletin “%(bulletin)s” has no section “%(section)s”.")
                % {"bulletin": slug, "section": name}
            )
        values = self.read_cells(row, errors)
        if "position" in values and values["position"] is None:
            values.pop("position")
            errors.setdefault("position", []).append(_("The position is empty."))
        self.check_fields(values, errors)
        if errors:
            raise RowInvalid(errors)
        values["issue_id"], values["section_id"] = issue.pk, section.pk
        return (issue.pk, section.pk, values["position"]), values

    def existing(self, matches):
        matches = list(matches)
        wanted = set(matches)
        issue_ids = {m[0] for m in matches}
        return {
            key: article
            for article in Article.objects.filter(issue_id__in=issue_ids).prefetch_related("tags")
            if (key := (article.issue_id, article.section_id, article.position)) in wanted
        }

    def refuse_update(self, instance):
        if instance.state in (ArticleState.DRAFT, ArticleState.CHANGES_REQUESTED):
            return None
        return _(
            "The article “%(title)s” is %(state)s; send it back to draft before changing it "
            "by import."
        ) % {"title": instance.title, "state": instance.get_state_display()}

    def unchanged(self, instance, values):
        plain = {k: v for k, v in values.items() if k != "tags"}
        if "tags" in values and sorted(t.name for t in instance.tags.all()) != sorted(
            values["tags"]
        ):
            return False
        return super().unchanged(instance, plain)

    def build(self, values, *, user):
        instance = super().build(values, user=user)
        if user is not None and getattr(user, "pk", None):
            instance.created_by = user
        return instance

    def before_write(self, instances, *, new, user):
        now = timezone.now()
        for article in instances:
            article.body = sanitise_body_html(article.body)
            fill_search_columns(article)
            article.updated_at = now
            if new:
                article.created_at = now
            else:
                # Forms holding the old version now refuse to overwrite the imported text.
                article.version += 1

    def after_write(self, pairs, *, user):
        tagged = [(article, values["tags"]) for article, values in pairs if "tags" in values]
        if not tagged:
            return
        names = {name for _article, tags in tagged for name in tags}
        Tag.objects.bulk_create([Tag(name=n) for n in sorted(names)], ignore_conflicts=True)
        tag_ids = dict(Tag.objects.filter(name__in=names).values_list("name", "pk"))
        through = Article.tags.through
        through.objects.filter(article_id__in=[a.pk for a, _tags in tagged]).delete()
        through.objects.bulk_create(
            [through(article_id=a.pk, tag_id=tag_ids[n]) for a, tags in tagged for n in tags],
            ignore_conflicts=True,
        )


TABLES: dict[str, Table] = {
    table.name: table
    for table in (MetricTable(), IndicatorTable(), SubscriberTable(), ArticleTable())
}
