"""The public site: every page, feed and download, and the "only what is published" rule.

``build_public_site`` makes one published issue with everything a reader can reach
(sections, articles with a figure and tags, key figures, renditions) and one issue in
each state the public must not see, each with the same kinds of things marked with a
word of its own. Other test_public_* modules reuse it.
"""

from __future__ import annotations

import datetime
import io
import itertools
import re
from dataclasses import dataclass, field

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from editorial.models import Figure, Indicator, Issue, Metric, Rendition, Tag
from editorial.workflow import IssueState
from tests.factories import ArticleFactory, BulletinFactory, IssueFactory

pytestmark = pytest.mark.django_db

PNG_1PX = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
    b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)

# Each hidden state, with the word that marks everything of that issue.
HIDDEN_STATES = {
    IssueState.ASSEMBLING: "草稿甲",
    IssueState.IN_REVIEW: "审核乙",
    IssueState.APPROVED: "待发丙",
    IssueState.SCHEDULED: "定时丁",
    IssueState.WITHDRAWN: "撤回戊",
}


@dataclass
class PublicSite:
    bulletin: object
    issue: Issue
    articles: list
    figure: Figure
    indicator: Indicator
    renditions: dict
    hidden: dict = field(default_factory=dict)  # state -> HiddenIssue


@dataclass
class HiddenIssue:
    issue: Issue
    article: object
    figure: Figure
    indicator: Indicator
    word: str


def _issue_with_content(bulletin, *, number, state, word, issue_date):
    now = timezone.now()
    extra = {}
    if state in (IssueState.PUBLISHED, IssueState.WITHDRAWN):
        extra["published_at"] = now - datetime.timedelta(days=1)
    if state == IssueState.SCHEDULED:
        extra["scheduled_at"] = now + datetime.timedelta(days=3)
    issue = IssueFactory(bulletin=bulletin, number=number, state=state, issue_date=issue_date, **extra)
    sections = list(bulletin.sections.order_by("position"))
    article = ArticleFactory(
        issue=issue, section=sections[2], position=1, title=f"{word}数据中心建设提速",
        summary=f"{word}的摘要。", body=f"<p>{word}正文，算力网络。</p><figure class=\"figure-1\"></figure>",
        source="通信世界", source_url="https://example.org/a", original_date=issue_date,
    )
    figure = Figure.objects.create(article=article, position=1, caption=f"{word}图表", source_line="资料来源：测试")
    figure.image.save(f"{word}.png", ContentFile(PNG_1PX), save=True)
    indicator = Indicator.objects.create(name=f"{word}指标", slug=f"ind-{number}", unit="亿元")
    Metric.objects.create(
        indicator=indicator, issue=issue, article=article, period_label="1—10月",
        period_end=issue_date, value="12451", unit="亿元", status=Metric.Status.CONFIRMED,
    )
    for kind in (Rendition.Kind.PDF, Rendition.Kind.HTML):
        rendition = Rendition.objects.create(
            issue=issue, kind=kind, state=Rendition.State.SUCCEEDED, size=2048,
            pages=36 if kind == Rendition.Kind.PDF else None,
        )
        rendition.file.save(f"{word}.{kind}", ContentFile(b"%PDF-1.7 test" if kind == "pdf" else b"<!doctype html><title>t</title>"))
    return issue, article, figure, indicator


def build_public_site(*, extra_articles: int = 0) -> PublicSite:
    bulletin = BulletinFactory(name="信息产业监测", slug="xxcy", publisher_name="研究部")
    sections = list(bulletin.sections.order_by("position"))
    issue, article, figure, indicator = _issue_with_content(
        bulletin, number=48, state=IssueState.PUBLISHED, word="公开", issue_date=datetime.date(2020, 12, 3)
    )
    article.tags.add(Tag.objects.create(name="数据中心"))
    second = ArticleFactory(
        issue=issue, section=sections[0], position=1, title="工信部发布12项AI标准",
        summary="人工智能芯片基准测试等12项行业标准发布。",
        body="<p>12月1日，工业和信息化部发布人工智能芯片基准测试。</p><h3>标准覆盖四个层面</h3><p>芯片、框架、算法和应用。</p>",
        source="工信部网站", original_date=datetime.date(2020, 12, 1),
    )
    third = ArticleFactory(
        issue=issue, section=sections[2], position=2, title="边缘计算迈入规模商用期",
        summary="边缘计算从概念走向实践。", body="<p>5G网络与边缘计算协同发展。</p>",
    )
    articles = [second, article, third]
    for n in range(extra_articles):
        articles.append(
            ArticleFactory(issue=issue, section=sections[n % 5], position=10 + n, title=f"附加文章{n}")
        )
    older = IssueFactory(
        bulletin=bulletin, number=47, state=IssueState.PUBLISHED, issue_date=datetime.date(2020, 11, 26),
        published_at=timezone.now() - datetime.timedelta(days=8),
    )
    ArticleFactory(issue=older, section=sections[2], position=1, title="往期技术情报：光模块出货量增长")
    renditions = {r.kind: r for r in issue.renditions.all()}
    site = PublicSite(bulletin, issue, articles, figure, indicator, renditions)
    for offset, (state, word) in enumerate(HIDDEN_STATES.items()):
        hidden = _issue_with_content(
            bulletin, number=100 + offset, state=state, word=word,
            issue_date=datetime.date(2021, 1, 7) + datetime.timedelta(weeks=offset),
        )
        site.hidden[state] = HiddenIssue(*hidden, word=word)
    return site


@pytest.fixture
def site(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_PAGE_CACHE = False
    return build_public_site()


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response


def text_of(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def public_urls(site: PublicSite) -> dict[str, str]:
    issue, article = site.issue, site.articles[1]
    slug = site.bulletin.slug
    return {
        "home": reverse("editorial:home"),
        "archive": reverse("editorial:bulletin", args=[slug]),
        "archive-year": reverse("editorial:bulletin", args=[slug]) + "?year=2020",
        "issue": issue.get_absolute_url(),
        "article": article.get_absolute_url(),
        "section": reverse("editorial:section", args=[slug, article.section.slug]),
        "search": reverse("editorial:search") + "?q=数据中心",
        "indicators": reverse("editorial:indicators"),
        "indicator": site.indicator.get_absolute_url(),
        "indicator-chart": reverse("editorial:indicator_chart", args=[site.indicator.slug]),
        "indicator-csv": reverse("editorial:indicator_data", args=[site.indicator.slug, "csv"]),
        "indicator-xlsx": reverse("editorial:indicator_data", args=[site.indicator.slug, "xlsx"]),
        "bulletin-feed": reverse("editorial:bulletin_feed", args=[slug]),
        "section-feed": reverse("editorial:section_feed", args=[slug, article.section.slug]),
        "sitemap": "/sitemap.xml",
        "sitemap-articles": "/sitemap-articles.xml",
        "robots": "/robots.txt",
    }


# --- Every page answers, with what it must show ---------------------------------------------


def test_home_shows_each_bulletins_latest_issue_and_recent_articles(client, site):
    html = text_of(page(client, "/"))
    assert 'lang="zh-CN"' in html
    assert site.issue.display_title in html
    assert "工信部发布12项AI标准" in html and "往期技术情报" in html
    for hidden in site.hidden.values():
        assert hidden.word not in html


def test_archive_lists_issues_by_year_and_paginates(client, site, settings):
    html = text_of(page(client, site.bulletin.get_absolute_url()))
    assert "2020" in html and site.issue.display_title in html
    assert 'href="?year=2020"' in html
    html_2020 = text_of(page(client, site.bulletin.get_absolute_url() + "?year=2020"))
    assert site.issue.display_title in html_2020
    page(client, site.bulletin.get_absolute_url() + "?year=1999", status=404)
    page(client, site.bulletin.get_absolute_url() + "?page=9", status=404)
    page(client, "/b/no-such-bulletin/", status=404)


def test_archive_pages_hold_a_year_each(client, settings, tmp_path):
    settings.PUBLIC_PAGE_CACHE = False
    bulletin = BulletinFactory(slug="weekly")
    for week in range(60):
        IssueFactory(
            bulletin=bulletin, number=week + 1, state=IssueState.PUBLISHED,
            published_at=timezone.now(), issue_date=datetime.date(2019, 1, 3) + datetime.timedelta(weeks=week),
        )
    first = text_of(page(client, "/b/weekly/"))
    assert 'rel="next"' in first and "?page=2" in first
    second = text_of(page(client, "/b/weekly/?page=2"))
    assert "2019" in second and 'rel="prev"' in second


def test_issue_page_has_cover_contents_articles_key_figures_and_downloads(client, site):
    html = text_of(page(client, site.issue.get_absolute_url()))
    assert "<h1>" + site.issue.display_title in html.replace("\n", "")
    assert "研究部" in html  # publisher on the cover
    # Contents by section, in order, each section linking to its articles.
    assert '<a href="#section-chanyehuanjing">产业环境</a>' in html and '<a href="#section-jishuqingbao">技术情报</a>' in html
    order = [html.index(t) for t in ('id="section-chanyehuanjing"', "工信部发布12项AI标准", 'id="section-jishuqingbao"', "公开数据中心建设提速", "边缘计算迈入规模商用期")]
    assert order == sorted(order)
    assert "通信世界" in html and "公开的摘要。" in html  # source and summary
    assert 'datetime="2020-12-03"' in html
    # Key figures, linking to the indicator.
    assert "12451" in html and site.indicator.get_absolute_url() in html
    # Downloads with size and page count.
    pdf_url = reverse("editorial:rendition", args=["xxcy", 48, "pdf"])
    assert pdf_url in html and "2.0" in html and "36" in html
    assert reverse("editorial:rendition", args=["xxcy", 48, "html"]) in html
    assert f'<link rel="canonical" href="http://127.0.0.1:8000{site.issue.get_absolute_url()}">' in html
    assert 'property="og:title"' in html


def test_article_page_has_body_figure_tags_neighbours_and_more_from_section(client, site):
    article = site.articles[1]
    html = text_of(page(client, article.get_absolute_url()))
    assert html.count("<h1") == 1 and article.title in html
    assert 'href="https://example.org/a"' in html and "通信世界" in html  # source with link
    assert 'datetime="2020-12-03"' in html
    assert "公开正文，算力网络。" in html
    figure_url = reverse("editorial:figure", args=["xxcy", 48, article.pk, site.figure.pk])
    assert f'src="{figure_url}"' in html and 'alt="公开图表"' in html
    assert "数据中心</li>" in html  # tag
    # Reading order: 产业环境 article, then this one, then the next 技术情报 article.
    assert site.articles[0].get_absolute_url() in html and site.articles[2].get_absolute_url() in html
    assert 'rel="prev"' in html and 'rel="next"' in html
    assert "往期技术情报" in html  # more from this section, from another issue
    assert 'property="og:type" content="article"' in html


def test_article_page_renders_subheadings_below_a_level_two_heading(client, site):
    html = text_of(page(client, site.articles[0].get_absolute_url()))
    assert '<h3 class="subheading">标准覆盖四个层面</h3>' in html
    levels = [int(level) for level in re.findall(r"<h([1-6])", html)]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in itertools.pairwise(levels))


def test_section_page_lists_the_section_across_issues(client, site):
    html = text_of(page(client, reverse("editorial:section", args=["xxcy", "jishuqingbao"])))
    assert "公开数据中心建设提速" in html and "往期技术情报" in html
    assert "工信部发布12项AI标准" not in html  # another section
    page(client, reverse("editorial:section", args=["xxcy", "nope"]), status=404)


def test_indicator_page_chart_table_and_downloads(client, site):
    html = text_of(page(client, site.indicator.get_absolute_url()))
    chart_url = reverse("editorial:indicator_chart", args=[site.indicator.slug])
    assert f'src="{chart_url}"' in html and "alt=" in html
    assert "12451" in html and site.articles[1].get_absolute_url() in html
    svg = page(client, chart_url)
    assert svg["Content-Type"].startswith("image/svg+xml")
    assert b"<script" not in svg.content and "公开指标".encode() in svg.content
    csv_response = page(client, reverse("editorial:indicator_data", args=[site.indicator.slug, "csv"]))
    assert csv_response["Content-Disposition"].startswith("attachment")
    rows = csv_response.content.decode("utf-8-sig").splitlines()
    assert len(rows) == 2 and "12451" in rows[1] and "1—10月" in rows[1]
    xlsx = page(client, reverse("editorial:indicator_data", args=[site.indicator.slug, "xlsx"]))
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = list(sheet.values)
    assert len(values) == 2 and values[1][0] == "1—10月" and float(values[1][1]) == 12451
    page(client, reverse("editorial:indicator_data", args=[site.indicator.slug, "json"]), status=404)
    assert site.indicator.name in text_of(page(client, reverse("editorial:indicators")))


def test_spreadsheet_formulas_are_defused(client, site):
    Metric.objects.filter(indicator=site.indicator).update(period_label="=HYPERLINK(1)")
    rows = page(client, reverse("editorial:indicator_data", args=[site.indicator.slug, "csv"])).content
    assert b"'=HYPERLINK(1)" in rows


def test_rendition_downloads(client, site):
    pdf = page(client, reverse("editorial:rendition", args=["xxcy", 48, "pdf"]))
    assert pdf["Content-Type"] == "application/pdf"
    assert 'attachment; filename="xxcy-2020-48.pdf"' == pdf["Content-Disposition"]
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    html = page(client, reverse("editorial:rendition", args=["xxcy", 48, "html"]))
    assert html["Content-Type"].startswith("text/html") and "sandbox" in html["Content-Security-Policy"]
    page(client, reverse("editorial:rendition", args=["xxcy", 48, "docx"]), status=404)


def test_superseded_or_missing_renditions_are_not_offered(client, site):
    pdf = site.renditions["pdf"]
    pdf.is_current = False
    pdf.save()
    page(client, reverse("editorial:rendition", args=["xxcy", 48, "pdf"]), status=404)
    # A re-render that failed keeps offering the last good file.
    html = site.renditions["html"]
    html.state = Rendition.State.FAILED
    html.save()
    page(client, reverse("editorial:rendition", args=["xxcy", 48, "html"]))
    Rendition.objects.filter(pk=html.pk).update(file="")
    page(client, reverse("editorial:rendition", args=["xxcy", 48, "html"]), status=404)
    assert "Downloads" not in text_of(page(client, site.issue.get_absolute_url()))
    Rendition.objects.filter(pk=html.pk).update(file=html.file.name)
    html.file.delete(save=False)
    page(client, reverse("editorial:rendition", args=["xxcy", 48, "html"]), status=404)


def test_figure_image_is_served_for_published_articles(client, site):
    url = reverse("editorial:figure", args=["xxcy", 48, site.articles[1].pk, site.figure.pk])
    response = page(client, url)
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG_1PX


def test_feeds_are_atom_with_published_entries(client, site):
    feed = page(client, reverse("editorial:bulletin_feed", args=["xxcy"]))
    assert feed["Content-Type"].startswith("application/atom+xml")
    body = text_of(feed)
    assert body.count("<entry>") == 2 and site.issue.display_title in body
    assert "工信部发布12项AI标准" in body  # the issue's contents in its entry
    section = text_of(page(client, reverse("editorial:section_feed", args=["xxcy", "jishuqingbao"])))
    assert section.count("<entry>") == 3 and "往期技术情报" in section
    page(client, reverse("editorial:bulletin_feed", args=["nope"]), status=404)
    page(client, reverse("editorial:section_feed", args=["xxcy", "nope"]), status=404)


def test_sitemap_and_robots(client, site):
    index = text_of(page(client, "/sitemap.xml"))
    assert "sitemap-articles.xml" in index and "sitemap-issues.xml" in index
    articles = text_of(page(client, "/sitemap-articles.xml"))
    for article in site.articles:
        assert article.get_absolute_url() in articles
    issues = text_of(page(client, "/sitemap-issues.xml"))
    assert site.issue.get_absolute_url() in issues
    indicators = text_of(page(client, "/sitemap-indicators.xml"))
    assert site.indicator.get_absolute_url() in indicators
    robots = text_of(page(client, "/robots.txt"))
    assert "Sitemap: http://127.0.0.1:8000/sitemap.xml" in robots and "Disallow: /preview/" in robots


def test_search_page_finds_published_articles_with_highlights_and_filters(client, site):
    html = text_of(page(client, reverse("editorial:search") + "?q=数据中心"))
    assert "<mark>数据中心</mark>" in html
    assert html.count("<li class=\"teaser\">") == 2  # and the older issue's factory summary
    sections = site.bulletin.sections.order_by("position")
    standard = site.articles[0].get_absolute_url()
    url = reverse("editorial:search") + f"?q=标准&section={sections[0].pk}"
    assert standard in text_of(page(client, url))
    url = reverse("editorial:search") + f"?q=标准&section={sections[2].pk}"
    assert standard not in text_of(page(client, url))
    url = reverse("editorial:search") + f"?q=标准&bulletin={site.bulletin.pk}"
    assert standard in text_of(page(client, url))
    url = reverse("editorial:search") + "?q=光模块&from=2020-12-01"
    assert "<mark>光模块</mark>" not in text_of(page(client, url))
    url = reverse("editorial:search") + "?q=光模块&to=2020-11-30"
    assert "<mark>光模块</mark>" in text_of(page(client, url))
    assert 'name="robots" content="noindex, follow"' in text_of(page(client, reverse("editorial:search")))


def test_language_switch_sets_english_and_back(client, site):
    response = client.get(reverse("editorial:switch_language", args=["en"]) + "?next=/b/xxcy/")
    assert response.status_code == 302 and response["Location"] == "/b/xxcy/"
    html = text_of(page(client, "/b/xxcy/"))
    assert 'lang="en"' in html and "All years" in html
    response = client.get(reverse("editorial:switch_language", args=["zh-hans"]) + "?next=https://evil.example/")
    assert response["Location"] == "/"
    assert 'lang="zh-CN"' in text_of(page(client, "/b/xxcy/"))
    page(client, reverse("editorial:switch_language", args=["fr"]), status=404)


def test_pages_carry_no_csrf_token_or_session_cookie(client, site):
    response = page(client, site.issue.get_absolute_url())
    assert "csrfmiddlewaretoken" not in text_of(response)
    assert not response.cookies


def test_healthz(client, settings):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["database"] == "ok"
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["redis"].startswith("error")


@pytest.mark.redis
def test_healthz_with_redis(client, settings):
    import os

    settings.REDIS_URL = os.environ["TEST_REDIS_URL"]
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok", "redis": "ok"}


# --- The 404 rule: nothing unpublished, anywhere ---------------------------------------------


@pytest.mark.parametrize("state", list(HIDDEN_STATES), ids=str)
def test_unpublished_issue_and_everything_in_it_answer_404(client, site, state):
    hidden = site.hidden[state]
    issue, article = hidden.issue, hidden.article
    slug = site.bulletin.slug
    for url in (
        issue.get_absolute_url(),
        article.get_absolute_url(),
        reverse("editorial:figure", args=[slug, issue.number, article.pk, hidden.figure.pk]),
        reverse("editorial:rendition", args=[slug, issue.number, "pdf"]),
        reverse("editorial:rendition", args=[slug, issue.number, "html"]),
        hidden.indicator.get_absolute_url(),
        reverse("editorial:indicator_chart", args=[hidden.indicator.slug]),
        reverse("editorial:indicator_data", args=[hidden.indicator.slug, "csv"]),
        reverse("editorial:indicator_data", args=[hidden.indicator.slug, "xlsx"]),
        # The published article's figure asked for under the hidden issue's number.
        reverse("editorial:figure", args=[slug, issue.number, site.articles[1].pk, site.figure.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 404, (state, url, response.status_code)


@pytest.mark.parametrize("state", list(HIDDEN_STATES), ids=str)
def test_unpublished_issue_appears_in_no_list_feed_sitemap_or_search(client, site, state):
    word = site.hidden[state].word
    slug = site.bulletin.slug
    for url in (
        "/",
        f"/b/{slug}/",
        f"/b/{slug}/?year=2021",
        reverse("editorial:section", args=[slug, "jishuqingbao"]),
        reverse("editorial:bulletin_feed", args=[slug]),
        reverse("editorial:section_feed", args=[slug, "jishuqingbao"]),
        "/sitemap-articles.xml",
        "/sitemap-issues.xml",
        "/sitemap-indicators.xml",
        reverse("editorial:indicators"),
        reverse("editorial:search") + f"?q={word}",
        reverse("editorial:search") + "?q=数据中心",
    ):
        response = client.get(url)
        assert response.status_code in (200, 404), url
        body = text_of(response)
        if "?q=" not in url:  # a search page repeats the words searched for
            assert word not in body, (state, url)
        assert site.hidden[state].issue.get_absolute_url() not in body, (state, url)
        assert site.hidden[state].article.get_absolute_url() not in body, (state, url)


def test_a_scheduled_issue_stays_hidden_after_its_time_until_it_is_released(client, site):
    hidden = site.hidden[IssueState.SCHEDULED]
    Issue.objects.filter(pk=hidden.issue.pk).update(scheduled_at=timezone.now() - datetime.timedelta(hours=1))
    page(client, hidden.issue.get_absolute_url(), status=404)
    from editorial.services.publishing import publish_due_issues

    publish_due_issues()
    page(client, hidden.issue.get_absolute_url(), status=200)


def test_unpublished_answers_404_not_403_even_to_staff(client, site, superuser):
    client.force_login(superuser)
    hidden = site.hidden[IssueState.IN_REVIEW]
    page(client, hidden.issue.get_absolute_url(), status=404)
    page(client, hidden.article.get_absolute_url(), status=404)


def test_404_page_is_ours_in_chinese_markup(client, site):
    response = client.get(site.hidden[IssueState.ASSEMBLING].issue.get_absolute_url())
    html = text_of(response)
    assert response.status_code == 404 and 'lang="zh-CN"' in html and html.count("<h1") == 1


# --- Staff preview links: signed and expiring ------------------------------------------------


def test_staff_get_a_signed_preview_link_for_an_unpublished_issue(client, site, superuser):
    hidden = site.hidden[IssueState.IN_REVIEW]
    link_page = reverse("editorial:preview_link", args=[hidden.issue.pk])
    assert client.get(link_page).status_code == 302  # anonymous: to the admin login
    client.force_login(superuser)
    html = text_of(page(client, link_page))
    url = re.search(r'value="(http://testserver/preview/[^"]+)"', html).group(1)
    client.logout()
    preview = page(client, url.replace("http://testserver", ""))
    assert preview["X-Robots-Tag"] == "noindex, nofollow" and "no-store" in preview["Cache-Control"]
    body = text_of(preview)
    assert hidden.article.title in body and "preview-banner" in body
    article_url = re.search(r'href="(/preview/[^"]+/a/\d+/)"', body).group(1)
    article_html = text_of(page(client, article_url))
    assert hidden.word + "正文" in article_html
    figure_url = re.search(r'src="(/preview/[^"]+/figures/\d+/)"', article_html).group(1)
    assert page(client, figure_url)["Content-Type"] == "image/png"
    # Another issue's article cannot be reached through this token.
    token = url.rstrip("/").rsplit("/", 1)[1]
    page(client, reverse("editorial:preview_article", args=[token, site.articles[0].pk]), status=404)


def test_preview_links_are_tamper_proof_and_expire(client, site, monkeypatch):
    from django.core import signing

    from editorial.links import preview_token_for

    token = preview_token_for(site.hidden[IssueState.ASSEMBLING].issue)
    page(client, reverse("editorial:preview_issue", args=[token]))
    page(client, reverse("editorial:preview_issue", args=[token[:-2] + "xx"]), status=404)
    later = signing.time.time() + 8 * 24 * 3600
    monkeypatch.setattr(signing.time, "time", lambda: later)
    page(client, reverse("editorial:preview_issue", args=[token]), status=404)


def test_preview_link_page_needs_staff(client, site, django_user_model):
    user = django_user_model.objects.create_user("reader", password="x", is_staff=False)
    client.force_login(user)
    response = client.get(reverse("editorial:preview_link", args=[site.issue.pk]))
    assert response.status_code == 302


# --- Query counts do not grow with the number of articles -----------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def test_query_count_is_constant_in_the_number_of_articles(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_PAGE_CACHE = False
    small = build_public_site()
    small_counts = {name: _queries(client, url) for name, url in public_urls(small).items()}
    small_counts["article-extra"] = _queries(client, small.articles[0].get_absolute_url())
    from django.db import transaction

    # Same site again, in another bulletin, with 40 more articles in the issue.
    with transaction.atomic():
        Issue.objects.all().delete()
    large = build_public_site_in("big", extra_articles=40)
    large_counts = {name: _queries(client, url) for name, url in public_urls(large).items()}
    large_counts["article-extra"] = _queries(client, large.articles[0].get_absolute_url())
    assert large_counts == small_counts


def build_public_site_in(slug: str, extra_articles: int) -> PublicSite:
    from editorial.models import Bulletin, Section

    Metric.objects.all().delete()
    Indicator.objects.all().delete()
    Tag.objects.all().delete()
    Section.objects.all().delete()
    Bulletin.objects.all().delete()
    return build_public_site(extra_articles=extra_articles)
