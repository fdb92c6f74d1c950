import pytest
from django.urls import reverse

from editorial.models import Article, ReviewEvent
from editorial.services import reviewing
from editorial.services.errors import ServiceError
from editorial.workflow import EDITOR, IssueState
from tests.factories import ArticleFactory, IssueFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_user():
    return UserFactory(username="ed", roles=[EDITOR])


def test_compare_any_two_revisions_and_revert(client, editor_user):
    article = ArticleFactory(created_by=editor_user, title="第一版标题", body="<p>第一版正文。</p>")
    for title in ("第二版标题", "第三版标题"):
        article = reviewing.save_article(
            article=article, changes={"title": title}, user=editor_user,
            expected_version=Article.objects.get(pk=article.pk).version,
        )
    records = list(article.history.order_by("history_id"))
    client.force_login(editor_user)
    url = reverse("admin:editorial_article_revisions", args=[article.pk])
    page = client.get(url, {"a": records[0].history_id, "b": records[-1].history_id})
    html = page.content.decode()
    assert "第<del>一</del><ins>三</ins>版标题" in html

    response = client.post(
        reverse("admin:editorial_article_revert", args=[article.pk, records[0].history_id])
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.title == "第一版标题"
    assert ReviewEvent.objects.filter(article=article, action="revert").exists()
    assert article.history.count() == len(records) + 1  # the revert is itself a revision


def test_reviewers_can_compare_but_not_revert(client, reviewer, editor_user):
    article = ArticleFactory(created_by=editor_user)
    client.force_login(reviewer)
    assert client.get(reverse("admin:editorial_article_revisions", args=[article.pk])).status_code == 200
    record = article.history.first()
    response = client.post(
        reverse("admin:editorial_article_revert", args=[article.pk, record.history_id])
    )
    assert response.status_code == 403


def test_arrange_moves_and_reorders_in_one_go(client, editor_user, bulletin):
    issue = IssueFactory(bulletin=bulletin)
    s1, s2 = bulletin.sections.order_by("position")[:2]
    a = ArticleFactory(issue=issue, section=s1, position=1, title="甲")
    b = ArticleFactory(issue=issue, section=s1, position=2, title="乙")
    c = ArticleFactory(issue=issue, section=s2, position=1, title="丙")
    client.force_login(editor_user)
    url = reverse("admin:editorial_issue_assemble", args=[issue.pk])
    assert "甲" in client.get(url).content.decode()
    # 乙 first, then 丙 moved into section 1; 甲 goes to section 2.
    response = client.post(url, {
        f"section-{b.pk}": s1.pk, f"position-{b.pk}": 1,
        f"section-{c.pk}": s1.pk, f"position-{c.pk}": 2,
        f"section-{a.pk}": s2.pk, f"position-{a.pk}": 1,
    })
    assert response.status_code == 302
    layout = list(Article.objects.filter(issue=issue).order_by("section__position", "position")
                  .values_list("title", "section_id", "position"))
    assert layout == [("乙", s1.pk, 1), ("丙", s1.pk, 2), ("甲", s2.pk, 1)]
    assert ReviewEvent.objects.filter(issue=issue, action="arrange").exists()


def test_arrange_refuses_a_stale_layout(editor_user, bulletin):
    issue = IssueFactory(bulletin=bulletin)
    s1 = bulletin.sections.first()
    a = ArticleFactory(issue=issue, section=s1, position=1)
    ArticleFactory(issue=issue, section=s1, position=2)
    with pytest.raises(ServiceError):
        reviewing.arrange_articles(issue=issue, layout={s1.pk: [a.pk]}, user=editor_user)


def test_published_issue_cannot_be_rearranged_or_edited(client, editor_user, bulletin):
    issue = IssueFactory(bulletin=bulletin, state=IssueState.APPROVED)
    article = ArticleFactory(issue=issue)
    with pytest.raises(ServiceError):
        reviewing.arrange_articles(
            issue=issue, layout={article.section_id: [article.pk]}, user=editor_user
        )
    client.force_login(editor_user)
    page = client.get(reverse("admin:editorial_article_change", args=[article.pk]))
    assert 'name="title"' not in page.content.decode()  # shown read-only


def test_issue_page_offers_arrangement_and_a_preview_link(client, editor_user, bulletin):
    issue = IssueFactory(bulletin=bulletin)
    client.force_login(editor_user)
    html = client.get(reverse("admin:editorial_issue_change", args=[issue.pk])).content.decode()
    assert reverse("admin:editorial_issue_assemble", args=[issue.pk]) in html
    assert reverse("editorial:preview_link", args=[issue.pk]) in html
