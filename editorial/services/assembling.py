"""Assembly edits that change which articles an issue has: merging an article into the
one before it, and splitting an article at one of its subheadings.

The importer sometimes reads a subheading as a new article's title, or runs two articles
together; these two repairs undo either mistake in the assembly view. Each runs in one
transaction with the issue and the section's articles locked, keeps the revision
history (every change to an article or figure is a simple_history row, the merged
article's deletion included), moves figures, key figures and comments with the text they
belong to, and records what was done in the review trail.
"""

from __future__ import annotations

import re

import lxml.html
from django.db import transaction
from django.db.models import F
from django.utils.html import escape
from django.utils.translation import gettext as _
from lxml import etree

from editorial import workflow
from editorial.models import Article, Comment, Issue, Metric, ReviewEvent
from editorial.parsing.tree import Paragraph, ParsedArticle
from editorial.services.audit import record_action
from editorial.services.errors import ServiceError
from editorial.services.permissions import require_permission
from editorial.services.reviewing import record_review_event
from editorial.typesetting.blocks import article_summary
from editorial.workflow import ArticleState

_FIGURE_CLASS = re.compile(r'(<figure\b[^>]*?\bclass="(?:[^"]*\s)?)figure-(\d+)(?=[\s"])')
_HEADING_TAGS = frozenset({"h3", "h4"})
_REVIEWED = frozenset({ArticleState.APPROVED, ArticleState.SUBMITTED})


# --- Bodies -------------------------------------------------------------------------------


def _fragments(html: str) -> list:
    """The body's top-level pieces: elements (with their tails) and a leading text."""
    if not (html or "").strip():
        return []
    return lxml.html.fragments_fromstring(html)


def _serialise(fragments: list) -> str:
    parts = []
    for fragment in fragments:
        if isinstance(fragment, str):
            parts.append(escape(fragment))
        else:
            parts.append(etree.tostring(fragment, encoding="unicode", method="html"))
    return "".join(parts).strip()


def _is_heading(fragment) -> bool:
    return not isinstance(fragment, str) and fragment.tag in _HEADING_TAGS


def _is_kicker(fragment) -> bool:
    return (
        not isinstance(fragment, str)
        and fragment.tag == "p"
        and "kicker" in (fragment.get("class") or "").split()
    )


def _text(fragments: list) -> str:
    return "".join(f if isinstance(f, str) else f.text_content() for f in fragments).strip()


def article_subheadings(html: str) -> list[str]:
    """The texts of the body's top-level subheadings, in order (what a split offers)."""
    return [
        " ".join(fragment.text_content().split())
        for fragment in _fragments(html)
        if _is_heading(fragment)
    ]


def _figure_numbers(html: str) -> list[int]:
    seen: list[int] = []
    for match in _FIGURE_CLASS.finditer(html or ""):
        number = int(match.group(2))
        if number not in seen:
            seen.append(number)
    return seen


def _renumber_figures(html: str, mapping: dict[int, int]) -> str:
    def replace(match: re.Match) -> str:
        number = int(match.group(2))
        return f"{match.group(1)}figure-{mapping.get(number, number)}"

    return _FIGURE_CLASS.sub(replace, html or "")


def _summary(fragments: list) -> str:
    paragraphs = [
        " ".join(f.text_content().split())
        for f in fragments
        if not isinstance(f, str) and f.tag == "p" and not _is_kicker(f)
    ]
    first = next((p for p in paragraphs if p), "")
    return article_summary(ParsedArticle(title="", blocks=[Paragraph(first)])) if first else ""


# --- Checks -------------------------------------------------------------------------------


def _locked_section(article: Article) -> tuple[Issue, list[Article], int]:
    """The issue and the article's section siblings, locked, and the article's index."""
    stale = ServiceError(
        _("The article was moved or removed meanwhile. Reload the page."), code="stale-layout"
    )
    issue = Issue.objects.select_for_update().get(pk=article.issue_id)
    if issue.state not in workflow.ISSUE_EDITABLE_STATES:
        raise ServiceError(_("The issue is approved or published; its articles cannot be edited."))
    section_id = Article.objects.filter(pk=article.pk).values_list("section_id", flat=True).first()
    if section_id is None:
        raise stale
    siblings = list(
        Article.objects.select_for_update()
        .filter(issue=issue, section_id=section_id)
        .order_by("position", "pk")
    )
    for index, sibling in enumerate(siblings):
        if sibling.pk == article.pk:
            return issue, siblings, index
    raise stale


def _reopen(article: Article) -> str:
    """Changing a reviewed article's text sends it back to draft; returns the old state."""
    before = article.state
    if before in _REVIEWED:
        article.state = ArticleState.DRAFT
    return before


# --- Merge --------------------------------------------------------------------------------


@transaction.atomic
def merge_article_into_previous(*, article: Article, user) -> Article:
    """Append ``article`` to the article before it in its section, its title becoming a
    subheading there; its figures, key figures, comments, tags and review trail go with
    it. Returns the article merged into."""
    issue, siblings, index = _locked_section(article)
    require_permission(user, "article.arrange", issue_state=issue.state)
    merged = siblings[index]
    if index == 0:
        raise ServiceError(
            _("“%(title)s” is the first article of its section: there is no article before "
              "it to merge it into.") % {"title": merged.title},
            code="first-article",
        )
    target = siblings[index - 1]

    offset = max(target.figures.values_list("position", flat=True), default=0)
    moved_figures = list(merged.figures.order_by("position", "pk"))
    mapping = {figure.position: offset + n for n, figure in enumerate(moved_figures, start=1)}
    for n, figure in enumerate(moved_figures, start=1):
        figure.article = target
        figure.position = offset + n
        figure._change_reason = "merged"
        figure.save()

    heading = f"<h3>{escape(merged.title)}</h3>"
    subtitle = f"<p>{escape(merged.subtitle)}</p>" if merged.subtitle else ""
    target.body = "\n".join(
        part for part in (target.body.strip(), heading, subtitle,
                          _renumber_figures(merged.body, mapping).strip()) if part
    )
    if not target.summary:
        target.summary = merged.summary
    for metric in Metric.objects.filter(article=merged):
        metric.article = target
        metric._change_reason = "merged"
        metric.save(update_fields=["article"])
    Comment.objects.filter(article=merged).update(article=target)
    ReviewEvent.objects.filter(article=merged).update(article=target)
    target.tags.add(*merged.tags.all())

    from_state = _reopen(target)
    target.version += 1  # the row is locked: no other save can come between
    target._change_reason = "merged"
    target.save()

    merged._change_reason = "merged"
    merged_id = merged.pk
    merged.delete()
    for position, sibling in enumerate(siblings[index + 1:], start=index + 1):
        # Ascending, each into the slot just freed: the unique position always holds.
        if sibling.position != position:
            Article.objects.filter(pk=sibling.pk).update(
                position=position, version=F("version") + 1
            )
    record_review_event(
        actor=user, action="merge", from_state=from_state, to_state=target.state,
        comment=_("“%(title)s” was merged into this article as a subheading.")
        % {"title": merged.title},
        article=target,
    )
    record_action(
        user=user, action="article.merge", obj=target, issue=issue,
        changes={"merged": {"id": merged_id, "title": merged.title}},
    )
    return target


# --- Split --------------------------------------------------------------------------------


@transaction.atomic
def split_article_at_subheading(*, article: Article, subheading_index: int, user) -> Article:
    """Make the article's subheading number ``subheading_index`` (0-based, as listed by
    ``article_subheadings``) the title of a new article right after it, holding the rest
    of the body with its figures and key figures. Returns the new article."""
    issue, siblings, index = _locked_section(article)
    require_permission(user, "article.arrange", issue_state=issue.state)
    current = siblings[index]
    fragments = _fragments(current.body)
    headings = [n for n, fragment in enumerate(fragments) if _is_heading(fragment)]
    if not 0 <= subheading_index < len(headings):
        raise ServiceError(
            _("This article has no such subheading; reload the page."), code="no-subheading"
        )
    at = headings[subheading_index]
    start = at - 1 if at > 0 and _is_kicker(fragments[at - 1]) else at
    title = " ".join(
        " ".join(f.text_content().split()) for f in fragments[start:at + 1]
    ).strip()
    before, after = fragments[:start], fragments[at + 1:]
    if not title:
        raise ServiceError(_("The subheading is empty; it cannot become a title."))
    if not _text(before) and not _figure_numbers(_serialise(before)):
        raise ServiceError(
            _("Nothing comes before this subheading: the article would be left empty."),
            code="empty-split",
        )
    before_html, after_html = _serialise(before), _serialise(after)

    figures = list(current.figures.order_by("position", "pk"))
    by_position = {figure.position: figure for figure in figures}
    moving = [by_position[n] for n in _figure_numbers(after_html) if n in by_position]
    staying = [figure for figure in figures if figure not in moving]
    moving_map = {figure.position: n for n, figure in enumerate(moving, start=1)}
    staying_map = {figure.position: n for n, figure in enumerate(staying, start=1)}
    before_html = _renumber_figures(before_html, staying_map)
    after_html = _renumber_figures(after_html, moving_map)

    for sibling in reversed(siblings[index + 1:]):
        # Descending, each one up into a slot already vacated: the unique position holds.
        Article.objects.filter(pk=sibling.pk).update(
            position=F("position") + 1, version=F("version") + 1
        )
    new = Article(
        issue=issue,
        section_id=current.section_id,
        position=current.position + 1,
        title=title[:300],
        body=after_html,
        summary=_summary(after),
        source=current.source,
        source_url=current.source_url,
        author=current.author,
        original_date=current.original_date,
        state=ArticleState.DRAFT,
        created_by=user,
    )
    new._change_reason = "split"
    new.save()
    new.tags.set(current.tags.all())

    for figure in moving:
        figure.article = new
        figure.position = moving_map[figure.position]
        figure._change_reason = "split"
        figure.save()
    for figure in staying:
        if figure.position != staying_map[figure.position]:
            figure.position = staying_map[figure.position]
            figure._change_reason = "split"
            figure.save()
    after_text, before_text = _text(after), _text(before)
    for metric in Metric.objects.filter(article=current):
        if metric.sentence and metric.sentence in after_text and metric.sentence not in before_text:
            metric.article = new
            metric._change_reason = "split"
            metric.save(update_fields=["article"])

    current.body = before_html
    from_state = _reopen(current)
    current.version += 1
    current._change_reason = "split"
    current.save()
    record_review_event(
        actor=user, action="split", from_state=from_state, to_state=current.state,
        comment=_("Split at the subheading “%(title)s”: the text from there on is now an "
                  "article of its own.") % {"title": new.title},
        article=current,
    )
    record_review_event(
        actor=user, action="split", from_state="", to_state=new.state,
        comment=_("Split from “%(title)s”.") % {"title": current.title},
        article=new,
    )
    record_action(
        user=user, action="article.split", obj=current, issue=issue,
        changes={"new_article": {"id": new.pk, "title": new.title}},
    )
    return new
