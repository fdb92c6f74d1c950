"""Who reads what of a subscriber-only bulletin: every page, download, export, search,
feed and sitemap URL, for every kind of reader.

Readers: anonymous, a signed-in subscriber of the subscribing organisation, one of
another organisation, a deactivated subscriber, one whose subscription has ended, and
staff. Bulletins: the public one of ``build_public_site`` and a subscriber-only one whose
articles have a second paragraph that only subscribers and staff may ever receive.
"""

from __future__ import annotations

import datetime
import io
import zipfile
from dataclasses import dataclass

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from editorial.models import (
    AccessLevel,
    AccessLogEntry,
    Figure,
    Indicator,
    Metric,
    Organisation,
    Rendition,
    Subscriber,
    Subscription,
)
from editorial.selectors.access import SESSION_SUBSCRIBER_KEY
from editorial.services.caching import forget_process_pages
from editorial.workflow import IssueState
from tests.factories import ArticleFactory, BulletinFactory, IssueFactory, UserFactory
from tests.integration.test_public_pages import PNG_1PX, build_public_site, text_of

pytestmark = pytest.mark.django_db

# What only subscribers and staff may ever receive: the second paragraph of an article,
# a key figure's value, the text inside the PDF and HTML editions, the figure's caption.
SECRET_SENTENCE = "据内部测算，第四季度智能算力服务器出货量同比增长四成以上。"
SECRET_VALUE = "73519"
SECRET_FILE_TEXT = "订阅版正文文件"
OPEN_SENTENCE = "11月28日，国家数据局发布算力基础设施高质量发展行动计划。"
SUBSCRIBE_NOTE = "订阅请联系研究部：010-12345678"


@dataclass
class SubscriberSite:
    bulletin: object
    issue: object
    article: object
    figure: Figure
    indicator: Indicator
    shared_indicator: Indicator


def build_subscriber_site() -> SubscriberSite:
    """A subscriber-only bulletin with one published issue carrying everything gated."""
    bulletin = BulletinFactory(
        name="算力产业内参", slug="slcy", access_level=AccessLevel.SUBSCRIBERS,
        subscribe_note=SUBSCRIBE_NOTE, publisher_name="研究部",
    )
    sections = list(bulletin.sections.order_by("position"))
    issue = IssueFactory(
        bulletin=bulletin, number=12, state=IssueState.PUBLISHED, issue_date=datetime.date(2020, 12, 10),
        published_at=timezone.now() - datetime.timedelta(days=1),
    )
    article = ArticleFactory(
        issue=issue, section=sections[2], position=1, title="智能算力服务器出货量快速增长",
        summary="", source="中国信通院",
        body=f"<p>{OPEN_SENTENCE}</p><p>{SECRET_SENTENCE}</p><figure class=\"figure-1\"></figure>",
    )
    ArticleFactory(
        issue=issue, section=sections[0], position=1, title="算力网络标准体系发布",
        summary="", body=f"<p>标准体系覆盖算力调度。</p><p>{SECRET_SENTENCE}</p>",
    )
    figure = Figure.objects.create(article=article, position=1, caption="算力图表", source_line="资料来源：内参")
    figure.image.save("slcy-chart.png", ContentFile(PNG_1PX), save=True)
    indicator = Indicator.objects.create(name="智能算力出货量", slug="ai-servers", unit="台", confirmed=True)
    Metric.objects.create(
        indicator=indicator, issue=issue, article=article, period_label="第四季度",
        period_end=issue.issue_date, value=SECRET_VALUE, unit="台", status=Metric.Status.CONFIRMED,
    )
    # An indicator quoted by both bulletins: its public series must leave this value out.
    shared = Indicator.objects.get(slug="ind-48")
    Metric.objects.create(
        indicator=shared, issue=issue, article=article, period_label="11月",
        period_end=issue.issue_date, value="88888", unit="亿元", status=Metric.Status.CONFIRMED,
    )
    for kind in (Rendition.Kind.PDF, Rendition.Kind.HTML):
        rendition = Rendition.objects.create(issue=issue, kind=kind, state=Rendition.State.SUCCEEDED, size=100)
        rendition.file.save(f"slcy-12.{kind}", ContentFile(f"%PDF-1.7 {SECRET_FILE_TEXT}".encode()))
    return SubscriberSite(bulletin, issue, article, figure, indicator, shared)


@dataclass
class Readers:
    member: Subscriber
    other: Subscriber
    deactivated: Subscriber
    ended: Subscriber
    staff: object


def make_readers(site: SubscriberSite, public_bulletin) -> Readers:
    today = timezone.localdate()
    member_org = Organisation.objects.create(name="华信咨询有限公司", seat_limit=5)
    member = Subscriber.objects.create(organisation=member_org, email="li.lei@huaxin.example", name="李雷")
    Subscription.objects.create(subscriber=member, bulletin=site.bulletin)
    # Deactivated although the organisation subscribes: the person left.
    deactivated = Subscriber.objects.create(organisation=member_org, email="han.mei@huaxin.example", active=False)
    Subscription.objects.create(subscriber=deactivated, bulletin=site.bulletin)
    other_org = Organisation.objects.create(name="东方数据研究院")
    other = Subscriber.objects.create(organisation=other_org, email="wang.fang@dongfang.example")
    Subscription.objects.create(subscriber=other, bulletin=public_bulletin)
    ended_org = Organisation.objects.create(name="北辰信息技术公司")
    ended = Subscriber.objects.create(organisation=ended_org, email="zhao.qiang@beichen.example")
    Subscription.objects.create(
        subscriber=ended, bulletin=site.bulletin, starts_on=today - datetime.timedelta(days=400),
        ends_on=today - datetime.timedelta(days=1),
    )
    staff = UserFactory(username="staff-reader", is_staff=True)
    return Readers(member, other, deactivated, ended, staff)


def sign_in_as(client, readers: Readers, kind: str) -> None:
    if kind == "anonymous":
        return
    if kind == "staff":
        client.force_login(readers.staff)
        return
    session = client.session
    session[SESSION_SUBSCRIBER_KEY] = getattr(readers, kind).pk
    session.save()


@pytest.fixture
def sites(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_PAGE_CACHE = False
    settings.EXPORT_DOWNLOADS_PER_MINUTE = 0
    cache.clear()
    public = build_public_site()
    gated = build_subscriber_site()
    return public, gated, make_readers(gated, public.bulletin)


def gated_urls(site: SubscriberSite) -> dict[str, tuple[str, str]]:
    """name -> (url, kind): kind "open" (everyone gets it, trimmed), "file" (full readers
    only: 403 for the others), "data" (an indicator only this issue quotes: 404 for
    the others, who see no value of it)."""
    slug, number = site.bulletin.slug, site.issue.number
    issue_args = [slug, number]
    figure_name = site.figure.image.name
    return {
        "home": ("/", "open"),
        "archive": (site.bulletin.get_absolute_url(), "open"),
        "issue": (site.issue.get_absolute_url(), "open"),
        "article": (site.article.get_absolute_url(), "open"),
        "section": (reverse("editorial:section", args=[slug, site.article.section.slug]), "open"),
        "search-title": (reverse("editorial:search") + "?q=出货量", "open"),
        "search-secret": (reverse("editorial:search") + "?q=同比增长四成", "open"),
        "feed": (reverse("editorial:feed"), "open"),
        "bulletin-feed": (reverse("editorial:bulletin_feed", args=[slug]), "open"),
        "section-feed": (reverse("editorial:section_feed", args=[slug, site.article.section.slug]), "open"),
        "sitemap": ("/sitemap.xml", "open"),
        "sitemap-issues": ("/sitemap-issues.xml", "open"),
        "sitemap-articles": ("/sitemap-articles.xml", "open"),
        "sitemap-indicators": ("/sitemap-indicators.xml", "open"),
        "indicators": (reverse("editorial:indicators"), "open"),
        "shared-indicator": (site.shared_indicator.get_absolute_url(), "open"),
        "shared-indicator-csv": (reverse("editorial:indicator_data", args=[site.shared_indicator.slug, "csv"]), "open"),
        "shared-series-csv": (reverse("exports:indicator_series_csv", args=[site.shared_indicator.slug]), "open"),
        "all-metrics-csv": (reverse("exports:all_metrics_csv"), "open"),
        "all-metrics-xlsx": (reverse("exports:all_metrics_xlsx"), "open"),
        "pdf": (reverse("editorial:rendition", args=[slug, number, "pdf"]), "file"),
        "html": (reverse("editorial:rendition", args=[slug, number, "html"]), "file"),
        "export-pdf": (reverse("exports:issue_pdf", args=issue_args), "file"),
        "export-html": (reverse("exports:issue_html", args=issue_args), "file"),
        "metrics-csv": (reverse("exports:issue_metrics_csv", args=issue_args), "file"),
        "metrics-xlsx": (reverse("exports:issue_metrics_xlsx", args=issue_args), "file"),
        "articles-json": (reverse("exports:issue_articles_json", args=issue_args), "file"),
        "bundle": (reverse("exports:issue_bundle", args=issue_args), "file"),
        "figure": (
            reverse("editorial:figure", args=[slug, number, site.article.pk, site.figure.pk]), "file"
        ),
        "indicator": (site.indicator.get_absolute_url(), "data"),
        "indicator-chart": (reverse("editorial:indicator_chart", args=[site.indicator.slug]), "data"),
        "indicator-csv": (reverse("editorial:indicator_data", args=[site.indicator.slug, "csv"]), "data"),
        "indicator-xlsx": (reverse("editorial:indicator_data", args=[site.indicator.slug, "xlsx"]), "data"),
        "series-csv": (reverse("exports:indicator_series_csv", args=[site.indicator.slug]), "data"),
        "series-xlsx": (reverse("exports:indicator_series_xlsx", args=[site.indicator.slug]), "data"),
        "media-figure": (f"{django_settings.MEDIA_URL}{figure_name}", "media"),
    }


def body_text(response) -> str:
    """Everything a response carries, spreadsheets and archives unpacked."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    kind = response.get("Content-Type", "")
    if "spreadsheetml" in kind:
        sheet = load_workbook(io.BytesIO(content)).active
        return "\n".join(" ".join(str(cell) for cell in row) for row in sheet.values)
    if "zip" in kind:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "\n".join(
                archive.read(name).decode("utf-8", "replace") for name in archive.namelist()
            )
    return content.decode("utf-8", "replace")


FULL_READERS = {"member", "staff"}
READERS = ["anonymous", "member", "other", "deactivated", "ended", "staff"]


@pytest.mark.parametrize("reader", READERS)
def test_subscriber_bulletin_matrix(client, sites, reader):
    _public, site, readers = sites
    sign_in_as(client, readers, reader)
    full = reader in FULL_READERS
    answers = {}
    for name, (url, kind) in gated_urls(site).items():
        response = client.get(url)
        text = body_text(response) if response.status_code == 200 else text_of(response)
        answers[name] = (response.status_code, text)
        if kind == "open":
            assert response.status_code == 200, (reader, name, response.status_code)
        elif kind == "file":
            assert response.status_code == (200 if full else 403), (reader, name, response.status_code)
        elif kind == "data":
            assert response.status_code == (200 if full else 404), (reader, name, response.status_code)
        else:  # a stored file's path: no more telling than any refused one
            assert response.status_code == (200 if full else 404), (reader, name, response.status_code)
        if not full:
            for secret in (SECRET_SENTENCE, SECRET_VALUE, SECRET_FILE_TEXT, "88888"):
                assert secret not in text, (reader, name, secret)

    issue_html, article_html = answers["issue"][1], answers["article"][1]
    # Everyone gets the cover, the contents and the titles, and the article's first paragraph.
    assert site.issue.display_title in issue_html and "算力网络标准体系发布" in issue_html
    assert site.article.title in article_html and OPEN_SENTENCE in article_html
    # A title is found by anyone; the text beyond it only by its readers.
    assert site.article.get_absolute_url() in answers["search-title"][1]
    if full:
        assert SECRET_SENTENCE in article_html
        assert 'class="subscribe-panel"' not in article_html
        assert site.article.get_absolute_url() in answers["search-secret"][1]
        assert SECRET_VALUE in answers["metrics-csv"][1] and SECRET_VALUE in answers["indicator-csv"][1]
        assert SECRET_FILE_TEXT in answers["pdf"][1] and SECRET_FILE_TEXT in answers["bundle"][1]
        assert SECRET_SENTENCE in answers["articles-json"][1]
        assert "88888" in answers["all-metrics-csv"][1] and "88888" in answers["shared-series-csv"][1]
    else:
        for name in ("issue", "article"):
            assert 'class="subscribe-panel"' in answers[name][1], (reader, name)
            assert SUBSCRIBE_NOTE in answers[name][1]
        assert 'class="subscribe-panel"' in answers["pdf"][1]  # the 403 explains itself
        assert site.article.get_absolute_url() not in answers["search-secret"][1]
        # The issue offers no download or data it would refuse.
        assert reverse("editorial:rendition", args=[site.bulletin.slug, 12, "pdf"]) not in issue_html
        assert reverse("exports:issue_bundle", args=[site.bulletin.slug, 12]) not in issue_html
        assert "12451" in answers["shared-indicator-csv"][1]  # the public value stays
    if reader == "anonymous":
        sign_in = reverse("subscriber:sign_in")
        assert f'href="{sign_in}?next=' in article_html
    if reader in ("other", "ended"):
        assert "华信咨询" not in article_html  # not someone else's name
    # Sitemaps list what the public sees whoever asks: the issue's page, not its articles.
    assert site.issue.get_absolute_url() in answers["sitemap-issues"][1]
    assert site.article.get_absolute_url() not in answers["sitemap-articles"][1]
    assert site.indicator.get_absolute_url() not in answers["sitemap-indicators"][1]


@pytest.mark.parametrize("reader", READERS)
def test_public_bulletin_is_open_to_every_reader(client, sites, reader):
    public, _site, readers = sites
    sign_in_as(client, readers, reader)
    slug, number = public.bulletin.slug, public.issue.number
    article = public.articles[1]
    urls = [
        public.issue.get_absolute_url(),
        reverse("editorial:rendition", args=[slug, number, "pdf"]),
        reverse("exports:issue_metrics_csv", args=[slug, number]),
        reverse("exports:issue_articles_json", args=[slug, number]),
        reverse("exports:issue_bundle", args=[slug, number]),
        reverse("editorial:figure", args=[slug, number, article.pk, public.figure.pk]),
        public.indicator.get_absolute_url(),
    ]
    for url in urls:
        assert client.get(url).status_code == 200, (reader, url)
    html = text_of(client.get(article.get_absolute_url()))
    assert "公开正文，算力网络。" in html and 'class="subscribe-panel"' not in html
    found = text_of(client.get(reverse("editorial:search") + "?q=算力网络"))
    assert article.title in found
    assert article.get_absolute_url() in text_of(client.get("/sitemap-articles.xml"))


def test_an_issue_can_be_opened_or_closed_against_its_bulletin(client, sites):
    public, site, _readers = sites
    site.issue.access_level = AccessLevel.PUBLIC
    site.issue.save()
    assert SECRET_SENTENCE in text_of(client.get(site.article.get_absolute_url()))
    assert client.get(reverse("exports:issue_metrics_csv", args=["slcy", 12])).status_code == 200
    public.issue.access_level = AccessLevel.SUBSCRIBERS
    public.issue.save()
    html = text_of(client.get(public.articles[1].get_absolute_url()))
    assert 'class="subscribe-panel"' in html and "公开正文" in html
    assert client.get(reverse("editorial:rendition", args=["xxcy", 48, "pdf"])).status_code == 403


def test_subscriber_downloads_are_logged_and_anonymous_ones_are_not(client, sites):
    _public, site, readers = sites
    pdf = reverse("editorial:rendition", args=["slcy", 12, "pdf"])
    client.get(pdf)
    assert not AccessLogEntry.objects.exists()
    sign_in_as(client, readers, "member")
    assert client.get(pdf).status_code == 200
    assert client.get(reverse("exports:issue_metrics_xlsx", args=["slcy", 12])).status_code == 200
    client.get(site.article.get_absolute_url())
    entries = list(AccessLogEntry.objects.order_by("at", "pk"))
    assert [(e.channel, e.resource, e.status_code) for e in entries] == [
        ("download", "pdf", 200), ("download", "metrics.xlsx", 200), ("page", f"article:{site.article.pk}", 200),
    ]
    assert all(e.organisation == readers.member.organisation and e.issue == site.issue for e in entries)
    client.logout()
    sign_in_as(client, readers, "other")
    assert client.get(pdf).status_code == 403
    refused = AccessLogEntry.objects.get(subscriber=readers.other)
    assert refused.status_code == 403


def test_deactivation_and_ended_subscription_take_effect_on_the_next_request(client, sites):
    _public, _site, readers = sites
    sign_in_as(client, readers, "member")
    pdf = reverse("editorial:rendition", args=["slcy", 12, "pdf"])
    assert client.get(pdf).status_code == 200
    Subscriber.objects.filter(pk=readers.member.pk).update(active=False)
    assert client.get(pdf).status_code == 403
    assert "李雷" not in text_of(client.get("/"))  # the header no longer names them
    Subscriber.objects.filter(pk=readers.member.pk).update(active=True)
    assert client.get(pdf).status_code == 200
    Organisation.objects.filter(pk=readers.member.organisation_id).update(active=False)
    assert client.get(pdf).status_code == 403
    Organisation.objects.filter(pk=readers.member.organisation_id).update(active=True)
    Subscription.objects.filter(subscriber=readers.member).update(
        ends_on=timezone.localdate() - datetime.timedelta(days=1),
        starts_on=timezone.localdate() - datetime.timedelta(days=30),
    )
    assert client.get(pdf).status_code == 403


def test_the_page_cache_never_mixes_readers(client, sites, settings):
    """With the page cache on, a subscriber's page is never stored for the public, and
    the public's cached page is never what a subscriber gets."""
    _public, site, readers = sites
    settings.PUBLIC_PAGE_CACHE = True
    forget_process_pages()
    cache.clear()
    url = site.article.get_absolute_url()
    try:
        sign_in_as(client, readers, "member")
        first = client.get(url)
        assert SECRET_SENTENCE in text_of(first) and "private" in first["Cache-Control"]
        assert "X-Page-Cache" not in first
        anonymous = client.__class__()
        for _ in range(2):
            response = anonymous.get(url)
            assert SECRET_SENTENCE not in text_of(response)
            assert "李雷" not in text_of(response)
        assert response["X-Page-Cache"] == "hit"  # the public's page is cached ...
        again = client.get(url)
        assert "X-Page-Cache" not in again and SECRET_SENTENCE in text_of(again)  # ... not served here
        staff = client.__class__()
        staff.force_login(readers.staff)
        assert SECRET_SENTENCE in text_of(staff.get(url))
        assert "Cookie" in again["Vary"]
    finally:
        forget_process_pages()
        cache.clear()
