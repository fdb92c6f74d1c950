"""A record of every action: each service write leaves exactly one audit row, shown in the admin."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

import bulletin.urls  # noqa: F401  (discovers the admin modules, as the web process does)
from editorial.admin.base import readable_changes
from editorial.models import (
    AuditEntry,
    Comment,
    ImportJob,
    ImportWarning,
    Indicator,
    Metric,
    Organisation,
    Section,
    Subscriber,
    Subscription,
    Tag,
)
from editorial.models.audit import ACTION_LABELS
from editorial.services import (
    articles,
    audience,
    bulletins,
    comments,
    import_jobs,
    issues,
    metrics,
    reviewing,
)
from editorial.workflow import EDITOR, PUBLISHER, REVIEWER, ArticleState, IssueState
from tests.factories import (
    ArticleFactory,
    BulletinFactory,
    IndicatorFactory,
    IssueFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db):
    return {
        "editor": UserFactory(username="ed", roles=[EDITOR]),
        "reviewer": UserFactory(username="rev", roles=[REVIEWER]),
        "publisher": UserFactory(username="pub", roles=[PUBLISHER]),
    }


def _draft(people):
    return ArticleFactory(created_by=people["editor"])


def _organisation():
    return Organisation.objects.create(name="某研究院")


def _subscriber():
    return Subscriber.objects.create(organisation=_organisation(), email="reader@example.org")


WRITES = {
    "issue.create": lambda p: issues.create_issue(
        user=p["editor"], bulletin=BulletinFactory(), number=7, volume=2024,
        issue_date=timezone.localdate(),
    ),
    "issue.edit": lambda p: issues.update_issue_details(
        issue=IssueFactory(), user=p["editor"], changes={"title": "专刊"}
    ),
    "issue.submit": lambda p: issues.take_issue_action(
        issue=ArticleFactory(state=ArticleState.APPROVED).issue, action="submit",
        user=p["editor"],
    ),
    "article.create": lambda p: (lambda issue: reviewing.create_article(
        issue=issue, user=p["editor"], section=issue.bulletin.sections.first(), title="新文章",
    ))(IssueFactory()),
    "article.edit": lambda p: (lambda a: reviewing.save_article(
        article=a, changes={"title": "改题"}, user=p["editor"], expected_version=a.version
    ))(_draft(p)),
    "article.submit": lambda p: reviewing.transition_article(
        article=_draft(p), action="submit", user=p["editor"]
    ),
    "article.delete": lambda p: articles.delete_article(article=_draft(p), user=p["editor"]),
    "article.tag": lambda p: articles.set_article_tags(
        article=_draft(p), tags=[Tag.objects.create(name="5G")], user=p["editor"]
    ),
    "comment.add": lambda p: comments.add_comment(
        article=_draft(p), user=p["reviewer"], body="请核对数据"
    ),
    "comment.edit": lambda p: comments.update_comment(
        comment=Comment.objects.create(article=_draft(p), author=p["reviewer"], body="旧"),
        user=p["reviewer"], body="新", resolved=True,
    ),
    "tag.create": lambda p: articles.save_tag(tag=Tag(name="人工智能"), user=p["editor"]),
    "bulletin.edit": lambda p: (lambda b: (setattr(b, "description", "每周一期"),
                                           bulletins.save_bulletin(bulletin=b, user=p["publisher"])))(
        BulletinFactory()
    ),
    "section.create": lambda p: bulletins.save_section(
        section=Section(bulletin=BulletinFactory(with_sections=False), name="专题", position=9),
        user=p["publisher"],
    ),
    "organisation.create": lambda p: audience.save_organisation(
        organisation=Organisation(name="某集团"), user=p["publisher"]
    ),
    "subscriber.create": lambda p: audience.save_subscriber(
        subscriber=Subscriber(organisation=_organisation(), email="new@example.org"),
        user=p["publisher"],
    ),
    "subscription.create": lambda p: audience.save_subscription(
        subscription=Subscription(subscriber=_subscriber(), bulletin=BulletinFactory(),
                                  formats=["pdf"]),
        user=p["publisher"],
    ),
    "indicator.create": lambda p: metrics.save_indicator(
        indicator=Indicator(name="移动电话用户", slug="mobile-users", unit="万户"),
        user=p["editor"],
    ),
    "metric.set_status": lambda p: metrics.set_metric_status(
        metric=Metric.objects.create(indicator=IndicatorFactory(), issue=IssueFactory(), value=1),
        status=Metric.Status.CONFIRMED, user=p["reviewer"],
    ),
    "import_warning.resolve": lambda p: reviewing.resolve_import_warning(
        warning=ImportWarning.objects.create(issue=IssueFactory(), line=3, code="unsure-title",
                                             message="?"),
        user=p["editor"],
    ),
    "import_job.fail": lambda p: import_jobs.fail_import_job(
        job_id=ImportJob.objects.create(format=ImportJob.Format.TEXT, file="imports/x.txt").pk,
        error="无法解析",
    ),
}


@pytest.mark.parametrize("action", sorted(WRITES))
def test_each_service_write_leaves_exactly_one_entry(people, action):
    with TestCase.captureOnCommitCallbacks(execute=False):
        WRITES[action](people)
    entries = list(AuditEntry.objects.all())
    assert [e.action for e in entries] == [action]
    assert action in ACTION_LABELS
    entry = entries[0]
    assert entry.object_repr
    if action != "import_job.fail":
        assert entry.actor is not None


def test_publishing_from_the_back_catalogue_is_one_entry(people):
    article = ArticleFactory()
    with TestCase.captureOnCommitCallbacks(execute=False):
        issues.take_issue_action(issue=article.issue, action="publish_back_catalogue",
                                 user=people["publisher"])
    assert list(AuditEntry.objects.values_list("action", "issue")) == [
        ("issue.publish_back_catalogue", article.issue_id)
    ]


def test_the_record_list_speaks_chinese_and_exports_csv(client, superuser, people):
    issue = IssueFactory()
    issues.update_issue_details(issue=issue, user=people["editor"], changes={"title": "=HYPERLINK()"})
    client.force_login(superuser)
    client.cookies["django_language"] = "en"  # the labels' Chinese comes with the catalogue
    page = client.get(reverse("admin:editorial_auditentry_changelist")).content.decode()
    table = page.split('id="result_list"', 1)[1].split("</table>")[0]
    assert "Issue details changed" in table and "issue.edit" not in table
    response = client.post(reverse("admin:editorial_auditentry_changelist"), {
        "action": "export_audit_csv",
        "_selected_action": list(AuditEntry.objects.values_list("pk", flat=True)),
    })
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Issue details changed" in body and ",ed," in body
    cells = [cell for row in csv.reader(io.StringIO(body)) for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)  # no formulas


def test_an_objects_page_shows_its_record(client, superuser, people):
    issue = IssueFactory()
    issues.update_issue_details(issue=issue, user=people["editor"], changes={"title": "专刊"})
    client.force_login(superuser)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("admin:editorial_issue_change", args=[issue.pk])).content.decode()
    assert 'id="audit-record"' in page and "Issue details changed" in page


def test_the_record_survives_deleting_the_issue(people):
    issue = IssueFactory()
    issues.update_issue_details(issue=issue, user=people["editor"], changes={"title": "专刊"})
    issue.delete()
    entry = AuditEntry.objects.get()
    assert entry.issue is None and entry.object_id is not None


def test_subscriber_lists_are_for_publishers_only(client, people):
    _subscriber()
    url = reverse("admin:editorial_subscriber_changelist")
    for name in ("editor", "reviewer"):
        client.force_login(people[name])
        assert client.get(url).status_code == 403
    client.force_login(people["publisher"])
    assert "reader@example.org" in client.get(url).content.decode()


def test_a_published_issues_scheduled_release_is_recorded(people):
    issue = ArticleFactory(state=ArticleState.APPROVED).issue
    issue.state = IssueState.APPROVED
    issue.save()
    with TestCase.captureOnCommitCallbacks(execute=False):
        issues.take_issue_action(issue=issue, action="schedule", user=people["publisher"],
                                 release_at=timezone.now() + timedelta(minutes=5))
        from editorial.services.publishing import publish_due_issues

        assert publish_due_issues(now=timezone.now() + timedelta(minutes=10)) == [issue.pk]
    entries = list(AuditEntry.objects.order_by("id").values_list("action", "actor__username"))
    assert entries == [("issue.schedule", "pub"), ("issue.release", "pub")]


def test_the_record_panel_shows_a_body_as_its_text():
    long_body = "<p>" + "数据中心" * 80 + "</p>"
    entry = AuditEntry(
        action="article.edit",
        changes={"body": ["<p>旧的<b>正文</b></p><p>第二段</p>", long_body], "title": ["甲", "乙"]},
    )
    shown = json.loads(readable_changes(entry))
    assert shown["body"][0] == "旧的正文 第二段"
    assert shown["body"][1] == "数据中心" * 50 + "…"  # 200 characters, then the ellipsis
    assert shown["title"] == ["甲", "乙"]
    assert "<p>" in entry.changes_text  # the entry and its CSV keep the HTML whole
