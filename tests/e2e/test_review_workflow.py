"""An issue's week in the admin, in a real browser: write, review, send back, fix,
approve, schedule, and the issue appears on the public site once due."""

from datetime import timedelta

import pytest
from django.utils import timezone

from editorial.models import Article, Issue
from editorial.services.publishing import publish_due_issues
from editorial.workflow import EDITOR, PUBLISHER, REVIEWER, ArticleState, IssueState
from tests.e2e.conftest import admin_login
from tests.factories import BulletinFactory, IssueFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pass-word-123"


def click_transition(page, label: str, comment: str = "", release_at: str = ""):
    page.get_by_role("link", name=label, exact=True).click()
    if comment:
        page.fill("#id_comment", comment)
    if release_at:
        page.fill("#id_release_at", release_at)
    page.click("input[name=confirm]")
    page.wait_for_selector(".messagelist .success")


def test_write_review_fix_approve_schedule_publish(browser, new_page, live_server, screenshot):
    bulletin = BulletinFactory(slug="xxcy", name="信息产业监测")
    issue = IssueFactory(bulletin=bulletin, number=48)
    UserFactory(username="editor", roles=[EDITOR])
    UserFactory(username="reviewer", roles=[REVIEWER])
    UserFactory(username="publisher", roles=[PUBLISHER])
    base = live_server.url

    editor = new_page()
    admin_login(editor, base, "editor", PASSWORD)
    editor.goto(f"{base}/admin/editorial/article/add/")
    editor.select_option("#id_issue", str(issue.pk))
    editor.select_option("#id_section", label="产业环境")
    editor.fill("#id_title", "数据中心能效新规出台")
    # The body is typed in the rich-text editor that stands in for the textarea.
    editor.locator(".prose-editor [contenteditable=true]").click()
    editor.keyboard.type("11月30日，有关部门发布数据中心能效管理办法。")
    editor.click("input[name=_continue]")
    editor.wait_for_selector(".messagelist .success")
    article = Article.objects.get(title="数据中心能效新规出台")
    assert article.body == "<p>11月30日，有关部门发布数据中心能效管理办法。</p>"
    click_transition(editor, "提交审核")
    assert Article.objects.get(pk=article.pk).state == ArticleState.SUBMITTED

    reviewer = new_page()
    admin_login(reviewer, base, "reviewer", PASSWORD)
    reviewer.goto(f"{base}/admin/editorial/article/{article.pk}/change/")
    click_transition(reviewer, "退回修改", comment="请补充数据来源。")
    assert Article.objects.get(pk=article.pk).state == ArticleState.CHANGES_REQUESTED
    screenshot(reviewer, "workflow-changes-requested")

    editor.goto(f"{base}/admin/editorial/article/{article.pk}/change/")
    assert "请补充数据来源" in editor.content()  # the reviewer's comment is in the trail
    editor.fill("#id_source", "工业和信息化部")
    editor.click("input[name=_continue]")
    editor.wait_for_selector(".messagelist .success")
    click_transition(editor, "提交审核")

    reviewer.goto(f"{base}/admin/editorial/article/{article.pk}/change/")
    click_transition(reviewer, "通过")
    assert Article.objects.get(pk=article.pk).state == ArticleState.APPROVED

    editor.goto(f"{base}/admin/editorial/issue/{issue.pk}/change/")
    click_transition(editor, "提交审核")
    reviewer.goto(f"{base}/admin/editorial/issue/{issue.pk}/change/")
    click_transition(reviewer, "通过")

    publisher = new_page()
    admin_login(publisher, base, "publisher", PASSWORD)
    publisher.goto(f"{base}/admin/editorial/issue/{issue.pk}/change/")
    release = timezone.localtime(timezone.now() + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    click_transition(publisher, "定时发布", release_at=release)
    screenshot(publisher, "workflow-scheduled")
    issue.refresh_from_db()
    assert issue.state == IssueState.SCHEDULED
    # Entered in Beijing time, stored in UTC.
    assert timezone.localtime(issue.scheduled_at).strftime("%Y-%m-%dT%H:%M") == release

    reader = new_page()
    public_url = f"{base}/b/xxcy/48/"
    assert reader.goto(public_url).status == 404  # scheduled, not yet due

    assert publish_due_issues(now=issue.scheduled_at - timedelta(seconds=1)) == []
    assert publish_due_issues(now=issue.scheduled_at + timedelta(seconds=30)) == [issue.pk]
    response = reader.goto(public_url)
    assert response.status == 200
    assert "数据中心能效新规出台" in reader.content()
    screenshot(reader, "workflow-published-issue")
    assert Issue.objects.get(pk=issue.pk).published_by.username == "publisher"
