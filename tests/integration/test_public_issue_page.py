import pytest
from django.utils import timezone

from editorial.workflow import IssueState
from tests.factories import ArticleFactory, IssueFactory

pytestmark = pytest.mark.django_db


def test_home_shows_the_latest_published_issue_only(client, bulletin):
    published = IssueFactory(
        bulletin=bulletin, number=47, state=IssueState.PUBLISHED, published_at=timezone.now()
    )
    ArticleFactory(issue=published, title="已发布的文章")
    draft = IssueFactory(bulletin=bulletin, number=48)
    ArticleFactory(issue=draft, title="草稿中的文章")
    html = client.get("/").content.decode()
    assert "已发布的文章" in html and "草稿中的文章" not in html
    assert 'lang="zh-CN"' in html


def test_unpublished_issue_and_article_answer_404(client, issue, article):
    assert client.get(issue.get_absolute_url()).status_code == 404
    assert client.get(article.get_absolute_url()).status_code == 404


def test_published_article_page_shows_sanitised_body(client, bulletin):
    issue = IssueFactory(bulletin=bulletin, state=IssueState.PUBLISHED, published_at=timezone.now())
    article = ArticleFactory(issue=issue, body="<p>正文<script>alert(1)</script></p>")
    html = client.get(article.get_absolute_url()).content.decode()
    assert "正文" in html and "alert(1)" not in html
