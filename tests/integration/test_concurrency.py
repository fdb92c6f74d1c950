"""Two people at once: concurrent article edits and racing publishers (PostgreSQL)."""

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from editorial.models import Article, Issue, ReviewEvent
from editorial.services import publishing
from editorial.services.errors import ServiceError
from editorial.workflow import EDITOR, PUBLISHER, ArticleState, IssueState
from tests.factories import ArticleFactory, IssueFactory, UserFactory


def form_data(response) -> dict:
    """The change form's current field values, as a browser would post them back."""
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        data[name] = [str(v) for v in value] if isinstance(value, list) else str(value)
    # Inline management forms, empty.
    for prefix in ("figures", "comments", "review_events"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return data


@pytest.mark.django_db
def test_second_save_is_refused_with_the_changes_shown_and_text_kept(bulletin):
    editor_a = UserFactory(username="a", roles=[EDITOR])
    editor_b = UserFactory(username="b", roles=[EDITOR])
    article = ArticleFactory(issue=IssueFactory(bulletin=bulletin), created_by=editor_a,
                             title="原标题", body="<p>原来的正文。</p>")
    url = reverse("admin:editorial_article_change", args=[article.pk])
    first, second = Client(), Client()
    first.force_login(editor_a)
    second.force_login(editor_b)
    data_a = form_data(first.get(url))
    data_b = form_data(second.get(url))

    data_a["title"] = "编辑甲改的标题"
    assert first.post(url, data_a).status_code == 302

    data_b["body"] = "<p>编辑乙的新正文，不能丢。</p>"
    refused = second.post(url, data_b)
    assert refused.status_code == 200
    html = refused.content.decode()
    assert "其他人已保存了这篇文章" in html
    # What changed meanwhile is shown, as a character diff of each changed field.
    changes = {c.field: c for c in refused.context["concurrent_changes"]}
    assert set(changes) == {"title"}
    assert changes["title"].before == "原标题" and changes["title"].after == "编辑甲改的标题"
    assert "<ins>编辑甲改的</ins>" in html
    assert "编辑乙的新正文，不能丢。" in html  # the second person's text is kept in the form
    article.refresh_from_db()
    assert article.title == "编辑甲改的标题" and "原来的正文" in article.body

    # Having seen the changes, the second editor saves again on purpose.
    retry = form_data(refused)
    retry["body"] = "<p>编辑乙的新正文，不能丢。</p>"
    assert second.post(url, retry).status_code == 302
    article.refresh_from_db()
    assert "编辑乙" in article.body and article.title == "编辑甲改的标题"


def run_together(*functions):
    """Run functions in threads released at the same moment; return results or errors."""
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def runner(index, function):
        close_old_connections()
        barrier.wait()
        try:
            results[index] = function()
        except Exception as exc:  # the test inspects it
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_publishers_racing_publish_once(bulletin):
    one = UserFactory(username="p1", roles=[PUBLISHER])
    two = UserFactory(username="p2", roles=[PUBLISHER])
    issue = IssueFactory(bulletin=bulletin, state=IssueState.APPROVED)
    ArticleFactory(issue=issue, state=ArticleState.APPROVED)

    results = run_together(
        lambda: publishing.publish_issue(issue=Issue.objects.get(pk=issue.pk), user=one),
        lambda: publishing.publish_issue(issue=Issue.objects.get(pk=issue.pk), user=two),
    )
    wins = [r for r in results if isinstance(r, Issue)]
    refusals = [r for r in results if isinstance(r, ServiceError)]
    assert len(wins) == 1 and len(refusals) == 1, results
    assert "不能" in str(refusals[0])  # refused cleanly, with a message
    issue.refresh_from_db()
    assert issue.state == IssueState.PUBLISHED
    assert ReviewEvent.objects.filter(issue=issue, action="publish").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_overlapping_scheduler_runs_publish_once(bulletin):
    publisher = UserFactory(username="p1", roles=[PUBLISHER])
    issue = IssueFactory(bulletin=bulletin, state=IssueState.APPROVED)
    ArticleFactory(issue=issue, state=ArticleState.APPROVED)
    publishing.schedule_issue(
        issue=issue, user=publisher, release_at=timezone.now() + timedelta(seconds=1)
    )
    later = timezone.now() + timedelta(seconds=5)
    results = run_together(
        lambda: publishing.publish_due_issues(now=later),
        lambda: publishing.publish_due_issues(now=later),
        lambda: publishing.publish_due_issues(now=later),
    )
    assert sorted(len(r) for r in results) == [0, 0, 1], results
    issue.refresh_from_db()
    assert issue.state == IssueState.PUBLISHED and issue.published_by == publisher
    assert ReviewEvent.objects.filter(issue=issue, action="publish").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_service_saves_one_wins(bulletin):
    from editorial.services import reviewing

    editor = UserFactory(username="e", roles=[EDITOR])
    article = ArticleFactory(issue=IssueFactory(bulletin=bulletin), created_by=editor)
    version = article.version
    results = run_together(
        lambda: reviewing.save_article(
            article=Article.objects.get(pk=article.pk), changes={"title": "甲"}, user=editor,
            expected_version=version,
        ),
        lambda: reviewing.save_article(
            article=Article.objects.get(pk=article.pk), changes={"title": "乙"}, user=editor,
            expected_version=version,
        ),
    )
    assert sum(isinstance(r, Article) for r in results) == 1
    assert sum(isinstance(r, reviewing.ConcurrentEditError) for r in results) == 1
    article.refresh_from_db()
    assert article.version == version + 1
