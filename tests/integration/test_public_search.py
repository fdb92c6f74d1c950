"""Chinese search against the database: the same hits as a substring search, ranking,
filters, pagination, the admin's article search, and the SQLite-style fallback."""

from __future__ import annotations

import datetime
import random

import pytest
from django.urls import reverse
from django.utils import timezone

from editorial import search
from editorial.checks import check_chinese_search
from editorial.models import Article
from editorial.sanitising import html_to_text
from editorial.selectors import public as selectors
from editorial.workflow import IssueState
from tests.factories import ArticleFactory, BulletinFactory, IssueFactory

pytestmark = pytest.mark.django_db

WORDS = ["数据中心", "大数据", "芯片", "算力", "光纤", "网络", "运营商", "云计算", "人工智能", "心"]
QUERIES = ["数据", "数据中心", "据中", "大数据", "芯片", "算力网络", "心", "数", "光纤", "计算", "智能芯片"]


def corpus(count=120, seed=7):
    """Published articles of random words (no spaces or punctuation inside words, so a
    plain substring test is the exact expectation)."""
    rnd = random.Random(seed)
    bulletin = BulletinFactory(slug="corpus")
    sections = list(bulletin.sections.order_by("position"))
    issues = [
        IssueFactory(
            bulletin=bulletin, number=n + 1, state=IssueState.PUBLISHED, published_at=timezone.now(),
            issue_date=datetime.date(2020, 1, 2) + datetime.timedelta(weeks=n),
        )
        for n in range(6)
    ]
    articles = []
    for n in range(count):
        words = lambda k: "".join(rnd.choice(WORDS) for _ in range(k))  # noqa: E731
        articles.append(
            ArticleFactory(
                issue=issues[n % 6], section=sections[n % 5], position=n + 1,
                title=words(2), summary=words(3) + "。", body=f"<p>{words(6)}，{words(4)}。</p>",
                source=rnd.choice(["通信世界", "新华社"]),
            )
        )
    return bulletin, issues, articles


def substring_hits(articles, text):
    def haystack(a):
        return "\n".join([a.title, a.subtitle, a.summary, html_to_text(a.body), a.source])

    return {a.pk for a in articles if all(term in haystack(a) for term in text.split())}


def all_hits(text, **filters):
    found = selectors.search_public_articles(
        search.parse_query(text), selectors.SearchFilters(**filters), cap=10_000
    )
    return found[0 : found.count()]


@pytest.mark.postgres
@pytest.mark.parametrize("text", QUERIES)
def test_same_hits_as_a_substring_search(text):
    _bulletin, _issues, articles = corpus()
    expected = substring_hits(articles, text)
    assert expected, "the corpus should contain every query"
    assert {a.pk for a in all_hits(text)} == expected


def test_fallback_gives_the_same_hits(monkeypatch):
    """The SQLite demo's substring filter, run here on whatever database the tests use."""
    _bulletin, _issues, articles = corpus(60)
    monkeypatch.setattr(search, "uses_index", lambda connection=None: False)
    for text in ("数据中心", "心", "芯片 算力"):
        assert {a.pk for a in all_hits(text)} == substring_hits(articles, text)


@pytest.mark.postgres
def test_several_words_must_all_occur():
    _bulletin, _issues, articles = corpus()
    assert {a.pk for a in all_hits("芯片 光纤")} == substring_hits(articles, "芯片 光纤")


@pytest.mark.postgres
def test_phrases_do_not_cross_punctuation_or_fields():
    bulletin = BulletinFactory(slug="phrases")
    issue = IssueFactory(bulletin=bulletin, state=IssueState.PUBLISHED, published_at=timezone.now())
    ArticleFactory(issue=issue, title="发布数据", summary="中心城区。", body="<p>数据，中心</p>")
    assert all_hits("数据中心") == []
    assert len(all_hits("数据")) == 1


def test_titles_rank_first_then_newest_issue():
    bulletin = BulletinFactory(slug="rank")
    old = IssueFactory(bulletin=bulletin, number=1, state=IssueState.PUBLISHED, published_at=timezone.now(),
                       issue_date=datetime.date(2019, 1, 3))
    new = IssueFactory(bulletin=bulletin, number=2, state=IssueState.PUBLISHED, published_at=timezone.now(),
                       issue_date=datetime.date(2020, 1, 2))
    body_new = ArticleFactory(issue=new, title="新一期", summary="", body="<p>提到光模块。</p>")
    title_old = ArticleFactory(issue=old, title="光模块出货量", summary="", body="<p>正文</p>")
    title_new = ArticleFactory(issue=new, title="光模块价格", summary="", body="<p>正文</p>")
    body_old = ArticleFactory(issue=old, title="旧一期", summary="光模块", body="<p>正文</p>")
    assert [a.pk for a in all_hits("光模块")] == [title_new.pk, title_old.pk, body_new.pk, body_old.pk]


def test_count_is_capped_and_pages_slice(settings):
    _bulletin, _issues, articles = corpus(40)
    query = search.parse_query("心")  # in nearly every article
    expected = len(substring_hits(articles, "心"))
    found = selectors.search_public_articles(query, cap=10)
    assert found.count() == 10 and found.capped
    first, second = found[0:5], found[5:10]
    assert len(first) == 5 and len(second) == 5 and not {a.pk for a in first} & {a.pk for a in second}
    everything = selectors.search_public_articles(query, cap=1000)
    assert everything.count() == expected and not everything.capped


def test_search_page_paginates_and_keeps_filters(client, settings):
    settings.PUBLIC_PAGE_CACHE = False
    bulletin, _issues, _articles = corpus(60)
    html = client.get(reverse("editorial:search"), {"q": "数据", "bulletin": bulletin.pk}).content.decode()
    assert f"bulletin={bulletin.pk}&amp;q=%E6%95%B0%E6%8D%AE&amp;page=2" in html or "page=2" in html
    second = client.get(reverse("editorial:search"), {"q": "数据", "page": 2})
    assert second.status_code == 200
    assert client.get(reverse("editorial:search"), {"q": "数据", "page": 99}).status_code == 404


def test_empty_and_punctuation_only_queries_find_nothing(client, settings):
    settings.PUBLIC_PAGE_CACHE = False
    corpus(10)
    assert not search.parse_query("，。！")
    for q in ("", "，。！", "   "):
        response = client.get(reverse("editorial:search"), {"q": q})
        assert response.status_code == 200 and 'class="teaser"' not in response.content.decode()


def test_search_columns_follow_the_text_on_save():
    article = ArticleFactory(title="光纤到户", summary="", body="<p>正文</p>")
    issue = article.issue
    Article.objects.filter(pk=article.pk)  # saved through the model, so filled
    refreshed = Article.objects.get(pk=article.pk)
    if search.uses_index():
        assert "'光纤'" in refreshed.search_document and "'光纤'" in refreshed.search_title
    refreshed.title = "千兆光网"
    refreshed.save()
    issue.state = IssueState.PUBLISHED
    issue.published_at = timezone.now()
    issue.save()
    assert [a.pk for a in all_hits("光网")] == [article.pk]
    assert all_hits("光纤") == []
    refreshed.state = "approved"
    refreshed.save(update_fields=["state"])  # no text changed: no need to refill
    assert [a.pk for a in all_hits("光网")] == [article.pk]


def test_admin_article_search_uses_the_same_search(client, superuser):
    draft = ArticleFactory(title="草稿里的数据中心")
    other = ArticleFactory(title="与此无关", summary="", body="<p>无关</p>")
    client.force_login(superuser)
    html = client.get(reverse("admin:editorial_article_changelist"), {"q": "数据中心"}).content.decode()
    assert draft.title in html and other.title not in html
    html = client.get(reverse("admin:editorial_article_changelist"), {"q": "据中"}).content.decode()
    assert draft.title in html


@pytest.mark.postgres
def test_database_can_serve_chinese():
    messages = check_chinese_search(databases=["default"])
    assert not [m for m in messages if m.is_serious()], messages
