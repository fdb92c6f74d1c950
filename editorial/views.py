"""The public site. Views are thin: selectors decide what may be seen."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from editorial import selectors
from editorial.models import Bulletin, Indicator


def home(request):
    issue = selectors.latest_public_issue()
    toc = selectors.issue_table_of_contents(issue) if issue else []
    return render(request, "editorial/home.html", {"issue": issue, "toc": toc})


def issue_detail(request, bulletin_slug: str, number: int):
    issue = selectors.get_public_issue(bulletin_slug=bulletin_slug, number=number)
    toc = selectors.issue_table_of_contents(issue)
    return render(request, "editorial/issue_detail.html", {"issue": issue, "toc": toc})


def article_detail(request, bulletin_slug: str, number: int, article_id: int):
    article = selectors.get_public_article(
        bulletin_slug=bulletin_slug, number=number, article_id=article_id
    )
    return render(request, "editorial/article_detail.html", {"article": article})


def bulletin_archive(request, bulletin_slug: str):
    bulletin = get_object_or_404(Bulletin, slug=bulletin_slug)
    issues = selectors.public_issues().filter(bulletin=bulletin).order_by("-issue_date")
    page = Paginator(issues, 52).get_page(request.GET.get("page"))
    return render(request, "editorial/bulletin_archive.html", {"bulletin": bulletin, "page": page})


def indicator_detail(request, indicator_slug: str):
    indicator = get_object_or_404(Indicator, slug=indicator_slug)
    metrics = selectors.public_metrics().filter(indicator=indicator).order_by("period_end", "id")
    return render(
        request, "editorial/indicator_detail.html", {"indicator": indicator, "metrics": metrics}
    )
