"""The admin's home page is an editorial desk: each role sees what waits for it."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

import bulletin.urls  # noqa: F401  (discovers the admin modules, as the web process does)
from editorial.models import (
    AuditEntry,
    Delivery,
    ImportJob,
    Issue,
    Organisation,
    Rendition,
    SchedulerHeartbeat,
    Subscriber,
    Subscription,
)
from editorial.selectors import desk, readiness
from editorial.services import publishing, reviewing
from editorial.services.publishing import RELEASE_JOB
from editorial.workflow import EDITOR, PUBLISHER, ArticleState, IssueState
from tests.factories import ArticleFactory, IssueFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_name_cache():
    cache.clear()


@pytest.fixture
def day(bulletin, editor, reviewer, publisher):
    """A scripted day: drafts, a submission, a sent-back article, a ready and a scheduled
    issue, a failed render and a failed delivery."""
    open_issue = IssueFactory(bulletin=bulletin, number=40, title="第40期")
    sections = list(bulletin.sections.order_by("position"))
    ArticleFactory(issue=open_issue, section=sections[0], position=1, title="草稿一篇",
                   created_by=editor)
    first = ArticleFactory(issue=open_issue, section=sections[0], position=2,
                           title="先交的一篇", created_by=editor)
    second = ArticleFactory(issue=open_issue, section=sections[1], position=1,
                            title="后交的一篇", created_by=editor)
    back = ArticleFactory(issue=open_issue, section=sections[2], position=1,
                          title="退回的一篇", created_by=editor)
    for article in (first, back, second):
        reviewing.transition_article(article=article, action="submit", user=editor)
    reviewing.transition_article(article=back, action="request_changes", user=reviewer,
                                 comment="请补充数据来源")

    ready = IssueFactory(bulletin=bulletin, number=41, title="第41期", state=IssueState.APPROVED)
    for position, section in enumerate(sections, start=1):
        ArticleFactory(issue=ready, section=section, position=position,
                       state=ArticleState.APPROVED, created_by=editor)
    scheduled = IssueFactory(bulletin=bulletin, number=42, title="第42期",
                             state=IssueState.APPROVED)
    for position, section in enumerate(sections, start=1):
        ArticleFactory(issue=scheduled, section=section, position=position,
                       state=ArticleState.APPROVED, created_by=editor)
    release_at = timezone.now() + timedelta(hours=3)
    publishing.schedule_issue(issue=scheduled, user=publisher, release_at=release_at)

    published = IssueFactory(bulletin=bulletin, number=39, title="第39期",
                             state=IssueState.PUBLISHED, published_at=timezone.now())
    Rendition.objects.create(issue=published, kind=Rendition.Kind.PDF,
                             state=Rendition.State.FAILED, error="typst failed")
    subscriber = Subscriber.objects.create(
        organisation=Organisation.objects.create(name="某研究院"), email="reader@example.org"
    )
    subscription = Subscription.objects.create(subscriber=subscriber, bulletin=bulletin,
                                               formats=["pdf_link"])
    Delivery.objects.create(subscription=subscription, issue=published,
                            state=Delivery.State.FAILED, last_error="550")
    ImportJob.objects.create(format=ImportJob.Format.TEXT, bulletin=bulletin, issue=open_issue,
                             original_name="第40期.txt", state=ImportJob.State.SUCCEEDED,
                             created_by=editor)
    publishing.record_scheduler_run(RELEASE_JOB)
    return {"open": open_issue, "ready": ready, "scheduled": scheduled, "published": published,
            "release_at": release_at}


def desk_html(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return response.content.decode()


def panel(html: str, panel_id: str) -> str:
    start = html.index(f'id="{panel_id}"')
    end = html.find('<div class="module"', start + 1)
    return html[start:end if end != -1 else None]


def test_editor_desk_shows_drafts_and_what_was_sent_back_with_the_comment(client, editor, day):
    html = desk_html(client, editor)
    assert "草稿一篇" in panel(html, "desk-drafts")
    sent_back = panel(html, "desk-sent-back")
    assert "退回的一篇" in sent_back and "请补充数据来源" in sent_back and "reviewer" in sent_back
    assert "desk-review" not in html and "desk-ready" not in html
    assert reverse("admin:editorial_import_upload") in html  # 导入期刊
    assert "desk-scheduler-warning" not in html


def test_reviewer_desk_lists_what_waits_oldest_first(client, reviewer, day):
    waiting = panel(desk_html(client, reviewer), "desk-review")
    assert waiting.index("先交的一篇") < waiting.index("后交的一篇")
    assert "退回的一篇" not in waiting and "草稿一篇" not in waiting


def test_publisher_desk_shows_ready_issues_schedules_and_gates(client, publisher, day):
    html = desk_html(client, publisher)
    assert "第41期" in panel(html, "desk-ready")
    scheduled = panel(html, "desk-scheduled")
    local = timezone.localtime(day["release_at"]).strftime("%Y-%m-%d %H:%M")
    assert "第42期" in scheduled and local in scheduled
    gates = panel(html, "desk-gates")
    assert "第40期" in gates and "4 篇文章未通过审核" in gates  # none of its four approved
    failures = panel(html, "desk-failures")
    assert failures.count("第39期") == 2  # the failed render and the failed delivery
    assert "desk-drafts" not in html


def test_the_admin_carries_the_bulletins_name(client, editor, day, bulletin):
    html = desk_html(client, editor)
    assert bulletin.name in html
    assert "Django 管理" not in html and "Django administration" not in html


def test_the_readiness_gates_are_those_of_the_review_service(day):
    for row in desk.issue_readiness():
        assert row.blockers == readiness.issue_blockers(row.issue), row.issue


def test_each_desk_selector_runs_a_constant_number_of_queries(
    django_assert_num_queries, day, editor, reviewer, bulletin
):
    # Twice the rows must not cost more queries.
    for number in range(50, 56):
        extra = IssueFactory(bulletin=bulletin, number=number, state=IssueState.IN_REVIEW)
        ArticleFactory(issue=extra, created_by=editor)
    counts = {
        "draft_articles": (lambda: desk.draft_articles(editor), 1),
        "sent_back_articles": (lambda: desk.sent_back_articles(editor), 1),
        "articles_awaiting_review": (lambda: desk.articles_awaiting_review(reviewer), 1),
        "issues_awaiting_review": (desk.issues_awaiting_review, 1),
        "issue_readiness": (desk.issue_readiness, 2),
        "scheduled_releases": (desk.scheduled_releases, 1),
        "recent_imports": (desk.recent_imports, 1),
        "failed_renditions": (desk.failed_renditions, 1),
        "failed_deliveries": (desk.failed_deliveries, 1),
        "scheduler_status": (desk.scheduler_status, 1),
    }
    for _name, (read, queries) in counts.items():
        with django_assert_num_queries(queries):
            read()


# --- The scheduler --------------------------------------------------------------------


def test_one_round_of_run_scheduler_publishes_a_due_issue_and_records_the_heartbeat(
    bulletin, publisher
):
    issue = IssueFactory(bulletin=bulletin, state=IssueState.APPROVED)
    ArticleFactory(issue=issue, state=ArticleState.APPROVED)
    for section in bulletin.sections.filter(required=True):
        ArticleFactory(issue=issue, section=section, state=ArticleState.APPROVED)
    publishing.schedule_issue(issue=issue, user=publisher,
                              release_at=timezone.now() + timedelta(minutes=5))
    Issue.objects.filter(pk=issue.pk).update(scheduled_at=timezone.now() - timedelta(seconds=1))
    assert not SchedulerHeartbeat.objects.exists()

    call_command("run_scheduler", "--once")

    issue.refresh_from_db()
    assert issue.state == IssueState.PUBLISHED and issue.published_by == publisher
    beat = SchedulerHeartbeat.objects.get(name=RELEASE_JOB)
    assert timezone.now() - beat.last_run_at < timedelta(minutes=1)


def test_the_desk_warns_when_no_scheduler_ran_recently(client, editor):
    assert "desk-scheduler-warning" in desk_html(client, editor)  # never ran
    SchedulerHeartbeat.objects.create(name=RELEASE_JOB,
                                      last_run_at=timezone.now() - timedelta(minutes=6))
    assert "desk-scheduler-warning" in desk_html(client, editor)
    publishing.record_scheduler_run(RELEASE_JOB)
    assert "desk-scheduler-warning" not in desk_html(client, editor)


def test_the_demo_starts_the_scheduler_beside_the_server():
    from pathlib import Path

    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    demo = makefile.split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    assert "run_scheduler &" in demo and "kill" in demo and "runserver" in demo


# --- View on site, reopen and republish --------------------------------------------------


def test_view_on_site_of_a_draft_opens_the_signed_preview(client, editor, issue, article):
    client.force_login(editor)
    for url_name, obj in (("admin:editorial_issue_change", issue),
                          ("admin:editorial_article_change", article)):
        href = view_on_site_href(client.get(reverse(url_name, args=[obj.pk])).content.decode())
        assert "/preview/" in href, href
        client.logout()
        assert client.get(href).status_code == 200  # the signed link needs no login
        client.force_login(editor)


def view_on_site_href(html: str) -> str:
    start = html.index('class="viewsitelink"')
    return html[html.rindex('href="', 0, start) + 6:].split('"', 1)[0]


def test_view_on_site_of_a_published_issue_is_its_public_page(client, publisher, bulletin):
    published = IssueFactory(bulletin=bulletin, state=IssueState.PUBLISHED,
                             published_at=timezone.now())
    client.force_login(publisher)
    html = client.get(reverse("admin:editorial_issue_change", args=[published.pk])).content.decode()
    href = view_on_site_href(html)
    assert "/preview/" not in href
    assert client.get(href, follow=True).redirect_chain[-1][0].endswith(
        published.get_absolute_url()
    )


@pytest.mark.parametrize("action, target", [("reopen", IssueState.ASSEMBLING),
                                            ("republish", IssueState.PUBLISHED)])
def test_a_publisher_reopens_or_republishes_a_withdrawn_issue_from_its_page(
    client, publisher, bulletin, action, target
):
    withdrawn = IssueFactory(bulletin=bulletin, state=IssueState.WITHDRAWN,
                             published_at=timezone.now())
    client.force_login(publisher)
    html = client.get(reverse("admin:editorial_issue_change", args=[withdrawn.pk])).content.decode()
    url = reverse("admin:editorial_issue_transition", args=[withdrawn.pk, action])
    assert url in html  # the workflow button
    response = client.post(url, {"comment": "更正后重新处理"})
    assert response.status_code == 302
    withdrawn.refresh_from_db()
    assert withdrawn.state == target
    entry = AuditEntry.objects.get(action=f"issue.{action}", issue=withdrawn)
    assert entry.actor == publisher and entry.changes["comment"] == "更正后重新处理"
    assert withdrawn.review_events.filter(action=action, actor=publisher).exists()


def test_an_editor_sees_no_reopen_button_on_a_withdrawn_issue(client, bulletin):
    editor = UserFactory(username="another-editor", roles=[EDITOR])
    withdrawn = IssueFactory(bulletin=bulletin, state=IssueState.WITHDRAWN)
    client.force_login(editor)
    html = client.get(reverse("admin:editorial_issue_change", args=[withdrawn.pk])).content.decode()
    assert reverse("admin:editorial_issue_transition", args=[withdrawn.pk, "reopen"]) not in html


# --- Subscription formats ---------------------------------------------------------------


def test_subscription_formats_are_checkboxes_with_their_chinese_names(client, bulletin):
    publisher = UserFactory(username="pub-formats", roles=[PUBLISHER])
    subscriber = Subscriber.objects.create(
        organisation=Organisation.objects.create(name="某研究院"), email="formats@example.org"
    )
    subscription = Subscription.objects.create(subscriber=subscriber, bulletin=bulletin,
                                               formats=["pdf_link"])
    client.force_login(publisher)
    url = reverse("admin:editorial_subscription_change", args=[subscription.pk])
    html = client.get(url).content.decode()
    assert 'type="checkbox" name="formats" value="metrics"' in html
    assert "PDF 下载链接" in html or "下载链接" in html
    assert 'value="pdf_link"' in html and "checked" in html.split('value="pdf_link"', 1)[1][:40]
    assert '["pdf_link"' not in html

    response = client.post(url, {
        "subscriber": subscriber.pk, "bulletin": bulletin.pk,
        "formats": ["metrics", "pdf_link"], "starts_on": "", "ends_on": "", "cancelled_at": "",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    subscription.refresh_from_db()
    assert subscription.formats == ["pdf_link", "metrics"]


def test_the_whole_desk_costs_the_same_queries_with_more_rows(client, superuser, day, bulletin,
                                                              editor):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def desk_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            desk_html(client, superuser)
        return len(queries)

    desk_html(client, superuser)  # warm the name cache and the session
    before = desk_queries()
    for number in range(60, 66):
        extra = IssueFactory(bulletin=bulletin, number=number, state=IssueState.IN_REVIEW)
        ArticleFactory(issue=extra, created_by=editor)
    assert desk_queries() == before
