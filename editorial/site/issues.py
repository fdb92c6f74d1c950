"""Issues as the public reads them: the home page, a bulletin's archive, an issue's page
(cover, contents, key figures, downloads) and its rendered files (PDF, HTML)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from editorial.links import absolute_url
from editorial.models import Issue, Rendition
from editorial.selectors import public as selectors
from editorial.selectors.access import ANONYMOUS, Reader, reader_for_request
from editorial.selectors.renditions import current_renditions
from editorial.services.caching import cached_fragment, cached_public_page
from editorial.site.gating import refuse_unless_full, subscribe_gate
from editorial.site.responses import paginate, sandboxed_file_response

ARCHIVE_PAGE_SIZE = 52  # a year of a weekly bulletin


@require_safe
@cached_public_page()
def home(request):
    return render(
        request,
        "editorial/home.html",
        {
            "latest": selectors.latest_issue_per_bulletin(),
            "recent_articles": selectors.recent_public_articles(12),
            "canonical_url": absolute_url(reverse("editorial:home")),
        },
    )


@require_safe
@cached_public_page("page", "year")
def bulletin_archive(request, bulletin_slug: str):
    bulletin = selectors.public_bulletin(bulletin_slug)
    years = selectors.bulletin_issue_years(bulletin)
    year = request.GET.get("year")
    if year:
        if not year.isdigit() or int(year) not in years:
            raise Http404("No issues that year")
        year = int(year)
    issues = selectors.bulletin_issues(bulletin, year=year or None)
    page = paginate(request, issues, ARCHIVE_PAGE_SIZE)
    return render(
        request,
        "editorial/bulletin_archive.html",
        {
            "bulletin": bulletin,
            "page": page,
            "years": years,
            "year": year,
            "sections": selectors.bulletin_sections(bulletin),
            "page_query": f"year={year}" if year else "",
            "canonical_url": absolute_url(bulletin.get_absolute_url()),
        },
    )


def _key_figure_groups(toc, metrics) -> list[dict]:
    """The key figures grouped by the article quoting them, in reading order; figures
    quoted by no article come last. Each group: {"article", "metrics"}."""
    by_article: dict[int | None, list] = {}
    for metric in metrics:
        by_article.setdefault(metric.article_id, []).append(metric)
    groups = [
        {"article": article, "metrics": by_article.pop(article.pk)}
        for _section, articles in toc
        for article in articles
        if article.pk in by_article
    ]
    # An article outside the contents (another section's leftovers) keeps its figures.
    leftovers = [metric for group in by_article.values() for metric in group]
    if leftovers:
        groups.append({"article": None, "metrics": leftovers})
    return groups


def _issue_exports(issue: Issue, *, has_figures: bool) -> list[dict]:
    """The issue's public data downloads (editorial.site.export_urls): anyone may have them
    once the issue is published; a preview links none."""
    args = [issue.bulletin.slug, issue.number]
    exports = []
    if has_figures:
        exports += [
            {"url": reverse("exports:issue_metrics_csv", args=args), "label": _("Key figures (CSV)"), "format": "CSV"},
            {"url": reverse("exports:issue_metrics_xlsx", args=args), "label": _("Key figures (Excel)"), "format": "XLSX"},
        ]
    exports += [
        {"url": reverse("exports:issue_articles_json", args=args), "label": _("Articles (JSON)"), "format": "JSON"},
        {"url": reverse("exports:issue_bundle", args=args), "label": _("Everything in one file (ZIP)"), "format": "ZIP"},
    ]
    return exports


def issue_context(
    issue: Issue, *, preview_token: str | None = None, reader: Reader = ANONYMOUS
) -> dict:
    """The issue page's context, for the public page and for a signed preview."""
    toc = selectors.issue_table_of_contents(issue)
    # A preview is the editorial team's: it shows everything.
    gate = None if preview_token else subscribe_gate(reader, issue)
    renditions = [] if preview_token or gate else list(current_renditions(issue).values())
    key_figures = [] if gate else selectors.issue_key_figures(issue)
    return {
        "gate": gate,
        "issue": issue,
        "bulletin": issue.bulletin,
        "toc": toc,
        "article_count": sum(len(articles) for _section, articles in toc),
        "key_figures": key_figures,
        "key_figure_groups": _key_figure_groups(toc, key_figures),
        "renditions": renditions,
        "exports": (
            [] if preview_token or gate else _issue_exports(issue, has_figures=bool(key_figures))
        ),
        "preview_token": preview_token,
        "toc_html": _table_of_contents_html(issue, toc, preview_token=preview_token),
        "canonical_url": absolute_url(issue.get_absolute_url()),
    }


def _table_of_contents_html(issue: Issue, toc, *, preview_token: str | None) -> str:
    """The issue's list of articles, the bulk of its page, rendered once per change.

    Every reader sees the same list (gated issues show their titles and summaries too),
    so it is kept as a fragment keyed by what it shows; a preview is rendered afresh.
    """

    def render() -> str:
        context = {"toc": toc, "issue": issue, "preview_token": preview_token}
        return render_to_string("editorial/_issue_toc.html", context)

    if preview_token:
        return render()
    shown = (
        issue.pk, issue.number, issue.bulletin.slug, get_language(),
        [(s.pk, s.slug, s.name, [(a.pk, a.updated_at) for a in articles]) for s, articles in toc],
    )
    return cached_fragment("issue-toc", shown, render)


@require_safe
@cached_public_page()
def issue_detail(request, bulletin_slug: str, number: int):
    issue = selectors.get_public_issue(bulletin_slug=bulletin_slug, number=number)
    context = issue_context(issue, reader=reader_for_request(request))
    return render(request, "editorial/issue_detail.html", context)


@require_safe
def rendition_download(request, bulletin_slug: str, number: int, kind: str):
    if kind not in Rendition.Kind.values:
        raise Http404("Unknown rendition")
    rendition = selectors.get_public_rendition(bulletin_slug=bulletin_slug, number=number, kind=kind)
    refused = refuse_unless_full(request, rendition.issue, resource=kind)
    if refused is not None:
        return refused
    extension = "pdf" if kind == Rendition.Kind.PDF else "html"
    filename = f"{rendition.issue.file_stem}.{extension}"
    # The HTML edition opens in the browser (still sandboxed by sandboxed_file_response's
    # policy); the PDF is a file to keep.
    return sandboxed_file_response(
        request, rendition.file, filename=filename, attachment=kind != Rendition.Kind.HTML
    )
