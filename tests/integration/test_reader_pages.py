"""What a reader meets on the public site: empty searches that say so, an issue page
that leads with its articles, no summary that repeats the text, an HTML edition that
opens in the browser, the exports linked, a favicon and feed autodiscovery."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from editorial.models import Metric
from tests.integration.test_public_pages import build_public_site, page, text_of

pytestmark = pytest.mark.django_db

ATOM_LINK = re.compile(r'<link rel="alternate" type="application/atom\+xml" title="[^"]*" href="([^"]+)">')


@pytest.fixture
def site(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_PAGE_CACHE = False
    return build_public_site()


def feeds_of(html: str) -> list[str]:
    return ATOM_LINK.findall(html)


def test_search_without_results_says_so_and_suggests_a_broader_query(client, site):
    html = text_of(page(client, reverse("editorial:search") + "?q=量子引力+石墨烯"))
    assert re.search(r'<h2 id="results-heading">[^<]*0[^<]*</h2>', html)
    no_results = html[html.index('class="no-results"'):]
    assert "量子引力 石墨烯" in no_results  # the query, echoed (escaped)
    assert 'class="broader-search"' in no_results
    assert f'href="{reverse("editorial:search")}?q=%E9%87%8F%E5%AD%90%E5%BC%95%E5%8A%9B"' in no_results
    # With a filter, the hint names the filters.
    filtered = text_of(page(client, reverse("editorial:search") + f"?q=量子&bulletin={site.bulletin.pk}"))
    assert filtered.count("<li>") >= 3 and 'class="broader-search"' in filtered


def test_search_with_results_shows_no_empty_message(client, site):
    html = text_of(page(client, reverse("editorial:search") + "?q=边缘计算"))
    assert 'class="teasers results"' in html and 'class="no-results"' not in html


def test_issue_page_leads_with_articles_and_groups_key_figures_by_article(client, site):
    Metric.objects.create(
        indicator=site.indicator, issue=site.issue, article=site.articles[0], period_label="1—11月",
        period_end=site.issue.issue_date, value="1592", unit="亿元", status=Metric.Status.CONFIRMED,
    )
    html = text_of(page(client, site.issue.get_absolute_url()))
    first_article = html.index(site.articles[0].title)
    key_figures = html.index('id="key-figures"')
    assert first_article < key_figures  # articles first
    groups = re.findall(r'<details class="figure-group">\s*<summary><span class="figure-group-title">([^<]+)</span>', html)
    # Reading order: the 产业环境 article first, then the 技术情报 one.
    assert groups == [site.articles[0].title, site.articles[1].title]
    assert "1592" in html[key_figures:] and "12451" in html[key_figures:]


def test_article_summary_is_not_shown_when_it_repeats_the_first_paragraph(client, site):
    article = site.articles[2]  # body: <p>5G网络与边缘计算协同发展。</p>
    article.summary = "5G网络与边缘计算协同发展"
    article.save()
    html = text_of(page(client, article.get_absolute_url()))
    assert 'class="article-summary"' not in html and "5G网络与边缘计算协同发展。" in html
    article.summary = "边缘计算从概念走向实践。"
    article.save()
    html = text_of(page(client, article.get_absolute_url()))
    assert '<p class="article-summary">边缘计算从概念走向实践。</p>' in html


def test_html_edition_opens_in_the_browser_and_stays_sandboxed(client, site):
    response = client.get(reverse("editorial:rendition", args=["xxcy", 48, "html"]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("inline")
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Content-Type"].startswith("text/html")
    pdf = client.get(reverse("editorial:rendition", args=["xxcy", 48, "pdf"]))
    assert pdf["Content-Disposition"].startswith("attachment")
    html = text_of(page(client, site.issue.get_absolute_url()))
    html_link = re.search(r'<a href="{}"[^>]*>'.format(re.escape(reverse("editorial:rendition", args=["xxcy", 48, "html"]))), html)
    assert html_link and not re.search(r"\sdownload[\s=>]", html_link.group(0))


def test_issue_page_links_its_public_exports(client, site):
    html = text_of(page(client, site.issue.get_absolute_url()))
    args = ["xxcy", 48]
    for name in ("issue_metrics_csv", "issue_metrics_xlsx", "issue_articles_json", "issue_bundle"):
        url = reverse(f"exports:{name}", args=args)
        assert f'href="{url}"' in html, name
    assert client.get(reverse("exports:issue_articles_json", args=args)).status_code == 200
    assert client.get(reverse("exports:issue_metrics_csv", args=args)).status_code == 200


def test_preview_links_no_exports(client, site, admin_user):
    from editorial.links import preview_token_for

    hidden = next(iter(site.hidden.values())).issue
    html = text_of(page(client, reverse("editorial:preview_issue", args=[preview_token_for(hidden)])))
    assert "/exports/" not in html
    assert reverse("editorial:bulletin_feed", args=["xxcy"]) not in html


def test_favicon_is_linked_and_answers(client, site):
    html = text_of(page(client, "/"))
    assert re.search(r'<link rel="icon" href="[^"]+favicon\.svg" type="image/svg\+xml">', html)
    response = client.get("/favicon.ico")
    assert response.status_code in (200, 301)
    if response.status_code == 301:
        assert response["Location"].endswith("favicon.ico")


def test_every_page_with_a_feed_announces_it(client, site):
    site_feed = reverse("editorial:feed")
    bulletin_feed = reverse("editorial:bulletin_feed", args=["xxcy"])
    section_feed = reverse("editorial:section_feed", args=["xxcy", "jishuqingbao"])
    expected = {
        "/": [site_feed],
        reverse("editorial:search"): [site_feed],
        reverse("editorial:indicators"): [site_feed],
        reverse("editorial:bulletin", args=["xxcy"]): [site_feed, bulletin_feed],
        site.issue.get_absolute_url(): [site_feed, bulletin_feed],
        site.articles[1].get_absolute_url(): [site_feed, bulletin_feed],
        reverse("editorial:section", args=["xxcy", "jishuqingbao"]): [site_feed, bulletin_feed, section_feed],
    }
    for url, feeds in expected.items():
        assert feeds_of(text_of(page(client, url))) == feeds, url


def test_site_feed_lists_published_issues_only(client, site):
    xml = text_of(page(client, reverse("editorial:feed")))
    assert xml.startswith("<?xml") and "http://www.w3.org/2005/Atom" in xml
    assert site.issue.display_title in xml and "公开数据中心建设提速" in xml
    for hidden in site.hidden.values():
        assert hidden.word not in xml
