"""A parsed bulletin written as a draft issue: sections ▸ articles ▸ figures, and the
metrics its sentences suggest, in one transaction.

``import_bulletin`` is the one way a parsed file becomes an issue (the admin's confirm,
``manage.py import_bulletin`` and the demo all end here). Nothing is saved when anything
is wrong: a clashing number or a failed insert rolls the whole issue back.
"""

from __future__ import annotations

import logging
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from editorial.models import (
    Article,
    Bulletin,
    Figure,
    ImportJob,
    ImportWarning,
    Indicator,
    Issue,
    Metric,
    Section,
)
from editorial.parsing.tree import ParsedBulletin
from editorial.selectors.imports import default_issue_number
from editorial.services.errors import ImportRefused
from editorial.services.upload_parsing import propose_metrics
from editorial.slugs import is_url_slug, validate_url_slug
from editorial.typesetting.blocks import article_body_html, article_summary
from editorial.workflow import IssueState

logger = logging.getLogger(__name__)


def ensure_bulletin(*, slug: str, sections: list[str] | None, name: str | None = None):
    """The bulletin with this slug, created with ``sections`` when missing.

    Returns (bulletin, created).
    """
    bulletin = Bulletin.objects.filter(slug=slug).first()
    if bulletin:
        return bulletin, False
    if not is_url_slug(slug):
        raise ImportRefused(str(validate_url_slug.message), code="bad-slug")
    name = name or slug
    if Bulletin.objects.filter(name=name).exists():
        # The name read from the file belongs to another bulletin (names are unique):
        # keep it recognisable and tell the two apart by the slug the editor gave.
        name = f"{name}（{slug}）"
    bulletin = Bulletin.objects.create(slug=slug, name=name)
    for position, section_name in enumerate(sections or [], start=1):
        # The slug is made from the name's pinyin when the section is saved.
        Section.objects.create(bulletin=bulletin, name=section_name, position=position)
    return bulletin, True


def _normalised(name: str) -> str:
    return "".join(name.split())


def _section_for(bulletin: Bulletin, title: str, by_name: dict[str, Section]) -> Section:
    """The bulletin's section called ``title``; an unknown one is added at the end."""
    key = _normalised(title)
    if key in by_name:
        return by_name[key]
    if not key:
        # Articles before any section heading go into the first section.
        if by_name:
            return next(iter(by_name.values()))
        key = title = _("Other")
    position = (bulletin.sections.aggregate(m=Max("position"))["m"] or 0) + 1
    section = Section.objects.create(bulletin=bulletin, name=title, position=position)
    by_name[key] = section
    return section


def _indicators_for(wanted: dict[str, str]) -> dict[str, Indicator]:
    """The indicator for each name (name → unit of its first figure), new ones created.

    One query finds the existing indicators, one the slugs already taken, and the new
    indicators (with their history rows) are inserted in bulk: a big issue proposes
    thousands of figures, and a query or two per indicator name made its import slow.
    """
    found: dict[str, Indicator] = {}
    for indicator in Indicator.objects.filter(name__in=list(wanted)):
        found.setdefault(_normalised(indicator.name), indicator)
    missing = {}
    for name, unit in wanted.items():
        if _normalised(name) not in found:
            missing.setdefault(_normalised(name), (name, unit))
    if not missing:
        return found
    bases = {key: slugify(name, allow_unicode=True)[:120] or "indicator"
             for key, (name, _unit) in missing.items()}
    taken = set(
        Indicator.objects.filter(slug__in=set(bases.values())).values_list("slug", flat=True)
    )
    created = []
    for key, (name, unit) in missing.items():
        slug, counter = bases[key], 1
        while slug in taken:
            counter += 1
            slug = f"{bases[key]}-{counter}"
            if counter == 2:  # suffixes of earlier imports: one look for this base only
                taken |= set(
                    Indicator.objects.filter(slug__startswith=f"{bases[key]}-")
                    .values_list("slug", flat=True)
                )
        taken.add(slug)
        created.append(Indicator(name=name, slug=slug, unit=unit, confirmed=False))
    for indicator in bulk_create_with_history(created, Indicator):
        found[_normalised(indicator.name)] = indicator
    return found


def number_clash_message(bulletin: Bulletin, number: int) -> str:
    return _(
        "%(bulletin)s already has an issue number %(number)s; choose another number."
    ) % {"bulletin": bulletin.name, "number": number}


@transaction.atomic
def import_bulletin(
    *,
    parsed: ParsedBulletin,
    bulletin: Bulletin,
    user,
    issue_date: date | None = None,
    number: int | None = None,
    job: ImportJob | None = None,
) -> Issue:
    """Create a draft issue (sections ▸ articles ▸ figures, suggested metrics) in one go.

    Without ``number`` the issue gets the number the file states, else the next free one.
    """
    issue_date = issue_date or parsed.issue_date or timezone.localdate()
    if number is None:
        number, _source = default_issue_number(bulletin, parsed=parsed, issue_date=issue_date)
    if Issue.objects.filter(bulletin=bulletin, number=number).exists():
        raise ImportRefused(number_clash_message(bulletin, number), code="duplicate-number")
    try:
        with transaction.atomic():
            issue = Issue.objects.create(
                bulletin=bulletin,
                number=number,
                volume=issue_date.year,
                issue_date=issue_date,
                state=IssueState.ASSEMBLING,
                created_by=user,
            )
    except IntegrityError as exc:  # another import took the number meanwhile
        raise ImportRefused(
            _("Another import took issue number %(number)s meanwhile; try again.")
            % {"number": number},
            code="duplicate-number",
        ) from exc

    sections = {_normalised(s.name): s for s in bulletin.sections.order_by("position")}
    articles: dict[tuple[int, int], Article] = {}
    positions: dict[int, int] = {}
    for s_index, parsed_section in enumerate(parsed.sections):
        section = _section_for(bulletin, parsed_section.title, sections)
        for a_index, parsed_article in enumerate(parsed_section.articles):
            positions[section.pk] = positions.get(section.pk, 0) + 1
            article = Article.objects.create(
                issue=issue,
                section=section,
                position=positions[section.pk],
                title=parsed_article.title[:300],
                summary=article_summary(parsed_article),
                body=article_body_html(parsed_article),
                created_by=user,
            )
            Figure.objects.bulk_create(
                Figure(
                    article=article,
                    position=position,
                    caption=figure.caption[:300],
                    source_line=(figure.source or "")[:300],
                )
                for position, figure in enumerate(parsed_article.figures, start=1)
            )
            articles[(s_index, a_index)] = article

    _save_metric_proposals(issue, parsed, articles)
    ImportWarning.objects.bulk_create(
        ImportWarning(
            issue=issue, job=job, line=w.line, code=w.code, message=w.message, text=w.text
        )
        for w in parsed.warnings
    )
    if job is not None:
        job.issue = issue
        job.state = ImportJob.State.SUCCEEDED
        job.progress = 100
        job.finished_at = timezone.now()
        job.save(update_fields=["issue", "state", "progress", "finished_at"])
    logger.info("Imported issue %s (%s articles)", issue.pk, len(articles))
    return issue


def _save_metric_proposals(issue: Issue, parsed: ParsedBulletin, articles: dict) -> None:
    seen: set[tuple[int, str]] = set()
    metrics = []
    proposals = propose_metrics(parsed, year=issue.issue_date.year)
    wanted: dict[str, str] = {}
    for proposal in proposals:
        wanted.setdefault(proposal.figure.indicator[:120], proposal.figure.unit)
    indicators = _indicators_for(wanted)
    for proposal in proposals:
        figure = proposal.figure
        indicator = indicators[_normalised(figure.indicator[:120])]
        key = (indicator.pk, (figure.period or "")[:60])
        if key in seen:  # the natural key allows one value per indicator and period
            continue
        seen.add(key)
        metrics.append(
            Metric(
                indicator=indicator,
                issue=issue,
                article=articles[(proposal.section_index, proposal.article_index)],
                sentence=figure.sentence,
                period_label=key[1],
                period_start=figure.period_start,
                period_end=figure.period_end,
                value=figure.value,
                unit=figure.unit[:30],
                yoy_percent=figure.yoy,
                status=Metric.Status.SUGGESTED,
            )
        )
    Metric.objects.bulk_create(metrics)
