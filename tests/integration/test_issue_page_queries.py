"""The public issue page costs the same number of queries for 30 articles as for 150,
figures, key figures and renditions included (the page cache off, so every request
renders the page)."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from editorial.models import Figure, Metric, Rendition
from editorial.workflow import IssueState
from tests.factories import ArticleFactory, IndicatorFactory, IssueFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture(autouse=True)
def uncached(settings, tmp_path):
    settings.PUBLIC_PAGE_CACHE = False
    settings.MEDIA_ROOT = str(tmp_path)


def published_issue(bulletin, number: int, articles: int):
    issue = IssueFactory(bulletin=bulletin, number=number, state=IssueState.PUBLISHED,
                         published_at=timezone.now())
    sections = list(bulletin.sections.order_by("position"))
    indicators = [IndicatorFactory(name=f"第{number}期指标{n}") for n in range(5)]
    for n in range(articles):
        article = ArticleFactory(issue=issue, section=sections[n % len(sections)],
                                 position=n // len(sections) + 1, title=f"第{n}篇：运营商动态")
        Figure.objects.create(article=article, position=1, caption=f"图{n} 收入走势",
                              indicator=indicators[n % len(indicators)])
        Metric.objects.create(indicator=indicators[n % len(indicators)], issue=issue,
                              article=article, period_label=f"{n}月", value=n + 0.5,
                              status=Metric.Status.CONFIRMED, sentence=f"第{n}句。")
    rendition = Rendition(issue=issue, kind=Rendition.Kind.PDF,
                          state=Rendition.State.SUCCEEDED, size=3)
    rendition.file.save(f"issue-{number}.pdf", ContentFile(b"%PDF"), save=True)
    return issue


def page_queries(client, issue) -> tuple[int, str]:
    client.get(issue.get_absolute_url())  # warm per-process caches (content types, sites)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(issue.get_absolute_url())
    assert response.status_code == 200
    return len(captured), response.content.decode()


def test_issue_page_queries_do_not_grow_with_articles_and_figures(client, bulletin):
    small = published_issue(bulletin, 1, 30)
    large = published_issue(bulletin, 2, 150)
    small_queries, small_html = page_queries(client, small)
    large_queries, large_html = page_queries(client, large)
    assert "第29篇" in small_html and "第149篇" in large_html
    assert large_html.count("第") > small_html.count("第")
    assert small_queries == large_queries, (small_queries, large_queries)
    assert large_queries <= 6, large_queries
