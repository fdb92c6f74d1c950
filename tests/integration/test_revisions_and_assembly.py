import pytest
from django.urls import reverse

from editorial.models import Article, Comment, Figure, Issue, Metric, ReviewEvent
from editorial.services import assembling, reviewing
from editorial.services.errors import PermissionRefused, ServiceError
from editorial.workflow import EDITOR, ArticleState, IssueState
from tests.factories import ArticleFactory, IssueFactory, MetricFactory, UserFactory

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


# --- Merge and split ----------------------------------------------------------------------


def three_articles(bulletin, editor_user):
    """甲 (one figure), 乙 (a subheading, a figure, a key figure, a comment), 丙."""
    issue = IssueFactory(bulletin=bulletin)
    s1 = bulletin.sections.order_by("position").first()
    a = ArticleFactory(issue=issue, section=s1, position=1, title="甲",
                       body='<p>甲的正文。</p>\n<figure class="figure-1"></figure>')
    Figure.objects.create(article=a, position=1, caption="图1 甲图")
    b = ArticleFactory(
        issue=issue, section=s1, position=2, title="乙",
        body='<p>乙的导语。</p>\n<h3>乙的小标题</h3>\n<p>乙的下文，收入增长10%。</p>\n'
             '<figure class="figure-1"></figure>',
    )
    Figure.objects.create(article=b, position=1, caption="图1 乙图")
    MetricFactory(issue=issue, article=b, sentence="乙的下文，收入增长10%。")
    Comment.objects.create(article=b, author=editor_user, body="请核对数据。")
    c = ArticleFactory(issue=issue, section=s1, position=3, title="丙")
    return issue, a, b, c


@pytest.mark.postgres
def test_merge_appends_the_article_to_the_one_before_it(editor_user, bulletin):
    issue, a, b, _c = three_articles(bulletin, editor_user)
    ReviewEvent.objects.create(article=b, actor=editor_user, action="submit",
                               from_state="draft", to_state="submitted")
    merged = assembling.merge_article_into_previous(article=b, user=editor_user)

    assert merged.pk == a.pk and not Article.objects.filter(pk=b.pk).exists()
    a.refresh_from_db()
    assert "<h3>乙</h3>" in a.body and "乙的小标题" in a.body and a.body.startswith("<p>甲的正文")
    # 乙's figure follows 甲's, and the body's placeholder says so.
    assert list(a.figures.order_by("position").values_list("position", "caption")) == [
        (1, "图1 甲图"), (2, "图1 乙图"),
    ]
    assert 'class="figure-2"' in a.body and a.body.count('class="figure-1"') == 1
    assert Metric.objects.get(issue=issue).article_id == a.pk
    assert Comment.objects.get().article_id == a.pk
    # Positions are compacted; the trail records the merge (and keeps 乙's events).
    assert list(Article.objects.filter(issue=issue).order_by("position")
                .values_list("title", "position")) == [("甲", 1), ("丙", 2)]
    event = ReviewEvent.objects.get(article=a, action="merge")
    assert "乙" in event.comment and event.actor == editor_user
    assert ReviewEvent.objects.filter(article=a, action="submit").exists()
    # History: 甲's revision before the merge, and 乙's deletion, are kept.
    assert a.history.count() >= 2
    assert Article.history.filter(id=b.pk, history_type="-").exists()


@pytest.mark.postgres
def test_merge_reopens_a_reviewed_article_and_refuses_the_first_one(editor_user, bulletin):
    _issue, a, b, _c = three_articles(bulletin, editor_user)
    Article.objects.filter(pk=a.pk).update(state=ArticleState.APPROVED)
    with pytest.raises(ServiceError, match=r"第一篇|first article"):
        assembling.merge_article_into_previous(article=a, user=editor_user)
    merged = assembling.merge_article_into_previous(article=b, user=editor_user)
    assert merged.state == ArticleState.DRAFT
    event = ReviewEvent.objects.get(article=a, action="merge")
    assert (event.from_state, event.to_state) == (ArticleState.APPROVED, ArticleState.DRAFT)


@pytest.mark.postgres
def test_merge_and_split_each_leave_one_audit_entry(editor_user, bulletin):
    from editorial.models import AuditEntry

    issue, a, b, _c = three_articles(bulletin, editor_user)
    before = AuditEntry.objects.count()
    assembling.merge_article_into_previous(article=b, user=editor_user)
    merge = AuditEntry.objects.get(action="article.merge")
    assert AuditEntry.objects.count() == before + 1
    assert (merge.actor, merge.issue_id, merge.object_id) == (editor_user, issue.pk, a.pk)
    assert merge.changes["merged"]["title"] == "乙"
    a.refresh_from_db()
    new = assembling.split_article_at_subheading(article=a, subheading_index=0, user=editor_user)
    split = AuditEntry.objects.get(action="article.split")
    assert AuditEntry.objects.count() == before + 2
    assert split.changes["new_article"] == {"id": new.pk, "title": new.title}


@pytest.mark.postgres
def test_split_makes_the_subheading_a_new_article_after_it(editor_user, bulletin):
    issue, _a, b, _c = three_articles(bulletin, editor_user)
    assert assembling.article_subheadings(b.body) == ["乙的小标题"]
    new = assembling.split_article_at_subheading(article=b, subheading_index=0, user=editor_user)

    b.refresh_from_db()
    assert new.title == "乙的小标题" and new.state == ArticleState.DRAFT
    assert b.body == "<p>乙的导语。</p>"
    assert "乙的下文" in new.body and "<h3>" not in new.body
    assert new.summary.startswith("乙的下文")
    assert list(Article.objects.filter(issue=issue).order_by("position")
                .values_list("title", "position")) == [
        ("甲", 1), ("乙", 2), ("乙的小标题", 3), ("丙", 4),
    ]
    # The figure and the key figure below the subheading go with it.
    assert list(new.figures.values_list("position", "caption")) == [(1, "图1 乙图")]
    assert 'class="figure-1"' in new.body and not b.figures.exists()
    assert Metric.objects.get(issue=issue).article_id == new.pk
    assert Comment.objects.get().article_id == b.pk
    assert ReviewEvent.objects.filter(article=b, action="split").exists()
    assert ReviewEvent.objects.filter(article=new, action="split").exists()
    assert b.history.count() >= 2


@pytest.mark.postgres
def test_split_then_merge_gives_the_text_back(editor_user, bulletin):
    _issue, _a, b, _c = three_articles(bulletin, editor_user)
    before = b.body
    new = assembling.split_article_at_subheading(article=b, subheading_index=0, user=editor_user)
    assembling.merge_article_into_previous(article=new, user=editor_user)
    b.refresh_from_db()
    assert b.body.replace("\n", "") == before.replace("\n", "")


@pytest.mark.postgres
def test_split_and_merge_refuse_what_they_cannot_do(editor_user, reviewer, bulletin):
    issue, a, b, _c = three_articles(bulletin, editor_user)
    with pytest.raises(ServiceError):  # 甲 has no subheading
        assembling.split_article_at_subheading(article=a, subheading_index=0, user=editor_user)
    with pytest.raises(PermissionRefused):
        assembling.merge_article_into_previous(article=b, user=reviewer)
    with pytest.raises(PermissionRefused):
        assembling.split_article_at_subheading(article=b, subheading_index=0, user=reviewer)
    lead = ArticleFactory(issue=issue, section=a.section, position=9, title="丁",
                          body="<h3>开头就是小标题</h3><p>正文。</p>")
    with pytest.raises(ServiceError, match=r"留空|empty"):
        assembling.split_article_at_subheading(article=lead, subheading_index=0, user=editor_user)
    Issue.objects.filter(pk=issue.pk).update(state=IssueState.APPROVED)
    with pytest.raises(ServiceError):
        assembling.merge_article_into_previous(article=b, user=editor_user)
    with pytest.raises(ServiceError):
        assembling.split_article_at_subheading(article=b, subheading_index=0, user=editor_user)
    assert Article.objects.filter(issue=issue).count() == 4  # nothing changed


@pytest.mark.postgres
def test_assembly_view_merges_and_splits_without_javascript(client, editor_user, bulletin):
    issue, a, b, c = three_articles(bulletin, editor_user)
    client.force_login(editor_user)
    url = reverse("admin:editorial_issue_assemble", args=[issue.pk])
    html = client.get(url).content.decode()
    assert f'name="merge" value="{b.pk}"' in html
    assert f'name="merge" value="{a.pk}"' not in html  # the first of its section
    assert f'name="split-at-{b.pk}"' in html and "乙的小标题" in html
    assert "并入上一篇" in html and "在此拆分" in html

    response = client.post(url, {"split": b.pk, f"split-at-{b.pk}": "0"}, follow=True)
    assert "已拆分为单独的文章" in response.content.decode() or "成为单独的文章" in response.content.decode()
    new = Article.objects.get(issue=issue, title="乙的小标题")

    response = client.post(url, {"merge": c.pk}, follow=True)
    assert "已并入" in response.content.decode()
    new.refresh_from_db()
    assert "<h3>丙</h3>" in new.body
    assert list(Article.objects.filter(issue=issue).order_by("position")
                .values_list("title", flat=True)) == ["甲", "乙", "乙的小标题"]


@pytest.mark.postgres
def test_assembly_view_reports_a_refused_merge(client, reviewer, editor_user, bulletin):
    issue, _a, b, _c = three_articles(bulletin, editor_user)
    client.force_login(editor_user)
    url = reverse("admin:editorial_issue_assemble", args=[issue.pk])
    Issue.objects.filter(pk=issue.pk).update(state=IssueState.APPROVED)
    response = client.post(url, {"merge": b.pk}, follow=True)
    assert "不能再修改" in response.content.decode()
    assert Article.objects.filter(pk=b.pk).exists()
