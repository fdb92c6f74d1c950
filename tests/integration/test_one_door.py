"""One door for every write: the admin cannot go around the services or the object's state."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

import bulletin.urls  # noqa: F401  (discovers the admin modules, as the web process does)
from editorial import workflow
from editorial.admin.base import ServiceAdminMixin
from editorial.models import Article, AuditEntry, Issue, Metric, ReviewEvent
from editorial.services import reviewing
from editorial.services.errors import ServiceError
from editorial.services.issues import take_issue_action
from editorial.services.permissions import require_permission
from editorial.workflow import EDITOR, PUBLISHER, REVIEWER, ArticleState, IssueState
from tests.factories import ArticleFactory, IndicatorFactory, IssueFactory, UserFactory

pytestmark = pytest.mark.django_db

CLOSED_STATES = [IssueState.SCHEDULED, IssueState.PUBLISHED, IssueState.WITHDRAWN]
ROLES = {"editor": [EDITOR], "reviewer": [REVIEWER], "publisher": [PUBLISHER], "staff": []}
ACTORS = [*ROLES, "superuser"]


def make_actor(name):
    if name == "superuser":
        return UserFactory(username="root", is_superuser=True)
    return UserFactory(username=f"{name}-actor", roles=ROLES[name])


def issue_in(state: str) -> Issue:
    author = UserFactory(username="author", roles=[EDITOR])
    issue = IssueFactory(
        state=state,
        published_at=timezone.now() if state in (IssueState.PUBLISHED, IssueState.WITHDRAWN)
        else None,
        scheduled_at=timezone.now() + timedelta(days=1) if state == IssueState.SCHEDULED
        else None,
    )
    ArticleFactory(issue=issue, state=ArticleState.APPROVED, created_by=author)
    return issue


def issue_form(issue: Issue, **changes) -> dict:
    data = {
        "bulletin": issue.bulletin_id, "number": issue.number, "volume": issue.volume,
        "issue_date": issue.issue_date.isoformat(), "title": issue.title,
    }
    data.update(changes)
    for prefix in ("articles", "review_events"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return data


# --- The holes --------------------------------------------------------------------------


@pytest.mark.parametrize("state", CLOSED_STATES)
def test_editor_cannot_change_a_closed_issues_details(client, editor, state):
    issue = issue_in(state)
    client.force_login(editor)
    url = reverse("admin:editorial_issue_change", args=[issue.pk])
    response = client.post(url, issue_form(issue, title="改过的标题", number=999,
                                           issue_date="2031-01-01"))
    assert response.status_code == 403
    issue.refresh_from_db()
    assert (issue.title, issue.number) != ("改过的标题", 999)
    assert not AuditEntry.objects.filter(action="issue.edit").exists()
    page = client.get(url).content.decode()
    assert 'name="title"' not in page  # the page is read-only


def test_editor_changes_an_open_issues_details_through_the_service(client, editor):
    issue = issue_in(IssueState.ASSEMBLING)
    client.force_login(editor)
    response = client.post(reverse("admin:editorial_issue_change", args=[issue.pk]),
                           issue_form(issue, title="新的标题"))
    assert response.status_code == 302, response.content.decode()[:3000]
    issue.refresh_from_db()
    assert issue.title == "新的标题"
    entry = AuditEntry.objects.get(action="issue.edit")
    assert entry.actor == editor and entry.issue == issue
    assert entry.changes == {"title": ["", "新的标题"]}


def test_editor_cannot_delete_an_article_of_a_published_issue(client, editor):
    issue = issue_in(IssueState.PUBLISHED)
    article = issue.articles.get()
    client.force_login(editor)
    delete_url = reverse("admin:editorial_article_delete", args=[article.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    client.post(reverse("admin:editorial_article_changelist"),
                {"action": "delete_selected", "_selected_action": [article.pk], "post": "yes"})
    assert Article.objects.filter(pk=article.pk).exists()


def test_no_admin_offers_the_default_bulk_delete(rf, superuser):
    request = rf.get("/admin/")
    request.user = superuser
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label == "editorial":
            assert "delete_selected" not in model_admin.get_actions(request), model.__name__


def test_deleting_a_draft_keeps_its_review_trail_and_is_recorded(client, editor):
    issue = IssueFactory()
    article = reviewing.create_article(
        issue=issue, user=editor, section=issue.bulletin.sections.first(), title="草稿一篇",
        body="<p>正文</p>",
    )
    event = ReviewEvent.objects.get(article=article)
    client.force_login(editor)
    response = client.post(reverse("admin:editorial_article_delete", args=[article.pk]),
                           {"post": "yes"})
    assert response.status_code == 302
    assert not Article.objects.filter(pk=article.pk).exists()
    event.refresh_from_db()  # still there, with the article link emptied
    assert event.article_id is None
    entry = AuditEntry.objects.get(action="article.delete")
    assert entry.issue == issue and entry.changes["title"] == "草稿一篇"
    assert entry.changes["review_events"] == [event.pk]


def test_a_submitted_article_cannot_be_deleted(editor):
    article = ArticleFactory(state=ArticleState.SUBMITTED)
    with pytest.raises(ServiceError):
        from editorial.services.articles import delete_article

        delete_article(article=article, user=editor)
    assert Article.objects.filter(pk=article.pk).exists()


def _metric(issue, status):
    return Metric.objects.create(indicator=IndicatorFactory(confirmed=True), issue=issue,
                                 period_label="1—10月", value=65360, unit="亿元", status=status)


def metric_form(metric, **changes):
    data = {"indicator": metric.indicator_id, "issue": metric.issue_id, "article": "",
            "sentence": metric.sentence, "period_label": metric.period_label,
            "period_start": "", "period_end": "", "value": str(metric.value), "unit": metric.unit,
            "yoy_percent": ""}
    data.update(changes)
    return data


def test_editor_cannot_change_or_dismiss_a_confirmed_figure_of_a_published_issue(client, editor):
    metric = _metric(issue_in(IssueState.PUBLISHED), Metric.Status.CONFIRMED)
    client.force_login(editor)
    response = client.post(reverse("admin:editorial_metric_change", args=[metric.pk]),
                           metric_form(metric, value="1"))
    assert response.status_code == 403
    client.post(reverse("admin:editorial_metric_changelist"),
                {"action": "dismiss_metrics", "_selected_action": [metric.pk]})
    metric.refresh_from_db()
    assert (metric.value, metric.status) == (65360, Metric.Status.CONFIRMED)
    assert not AuditEntry.objects.filter(action__startswith="metric.").exists()


def test_status_is_read_only_in_the_metric_form(client, editor):
    metric = _metric(issue_in(IssueState.ASSEMBLING), Metric.Status.SUGGESTED)
    client.force_login(editor)
    response = client.post(reverse("admin:editorial_metric_change", args=[metric.pk]),
                           metric_form(metric, value="65361", status="confirmed"))
    assert response.status_code == 302, response.content.decode()[:3000]
    metric.refresh_from_db()
    assert metric.value == 65361 and metric.status == Metric.Status.SUGGESTED
    entry = AuditEntry.objects.get(action="metric.edit")
    assert entry.changes == {"value": ["65360.0000", "65361"]} or "value" in entry.changes


# --- Every admin goes through the base -------------------------------------------------


ENTRY_POINTS = ("save_model", "delete_model", "delete_queryset", "save_formset", "save_related")


@pytest.mark.parametrize(
    "model", [m for m in admin.site._registry if m._meta.app_label == "editorial"],
    ids=lambda m: m.__name__,
)
def test_every_admin_saves_and_deletes_through_services(rf, superuser, model):
    model_admin = admin.site._registry[model]
    assert isinstance(model_admin, ServiceAdminMixin), f"{type(model_admin).__name__} lacks the base"
    for name in ENTRY_POINTS:
        assert getattr(type(model_admin), name) is getattr(ServiceAdminMixin, name), (
            f"{type(model_admin).__name__}.{name} is overridden around the services"
        )
    request = rf.get("/admin/")
    request.user = superuser
    writes = model_admin.has_add_permission(request) or model_admin.has_change_permission(request)
    if writes:
        assert type(model_admin).save_service is not ServiceAdminMixin.save_service
    if model_admin.has_delete_permission(request):
        assert type(model_admin).delete_service is not ServiceAdminMixin.delete_service


# --- The permission matrix, generated from the tables ----------------------------------


@pytest.mark.parametrize("state", sorted(workflow.ALL_ISSUE_STATES))
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("action", sorted(workflow.PERMISSIONS))
def test_permission_table(action, actor, state):
    user = make_actor(actor)
    rule = workflow.PERMISSIONS[action]
    expected = (actor == "superuser" or bool(set(ROLES.get(actor, [])) & set(rule.roles))) and (
        rule.issue_states is None or state in rule.issue_states
    )
    if expected:
        require_permission(user, action, issue_state=state)
    else:
        with pytest.raises(ServiceError):
            require_permission(user, action, issue_state=state)


def _publishes(callbacks) -> bool:
    """Whether the renders and deliveries that follow a publish were queued on commit."""
    return any("after_publish" in callback.__code__.co_names for callback in callbacks)


def _data(transition):
    return {
        "comment": "理由说明" if transition.needs_comment else "",
        "release_at": timezone.now() + timedelta(hours=2),
    }


@pytest.mark.parametrize("state", sorted(workflow.ALL_ISSUE_STATES))
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("action", sorted(workflow.ISSUE_TRANSITIONS))
def test_issue_door_matrix(action, actor, state):
    transition = workflow.ISSUE_TRANSITIONS[action]
    issue = issue_in(state)
    user = make_actor(actor)
    allowed = (
        not transition.system
        and state in transition.source
        and (actor == "superuser" or bool(set(ROLES[actor]) & set(transition.roles)))
    )
    data = _data(transition)
    if action != "schedule":
        data.pop("release_at")
    if allowed:
        with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
            take_issue_action(issue=issue, action=action, user=user, **data)
        issue.refresh_from_db()
        assert issue.state == transition.target
        assert AuditEntry.objects.filter(action=f"issue.{action}", issue=issue).count() == 1
        assert _publishes(callbacks) == (action in workflow.PUBLISHING_TRANSITIONS)
    else:
        with pytest.raises(ServiceError):
            take_issue_action(issue=issue, action=action, user=user, **data)
        issue.refresh_from_db()
        assert issue.state == state
        assert not AuditEntry.objects.exists()


def test_the_release_is_the_schedulers_only():
    issue = issue_in(IssueState.SCHEDULED)
    Issue.objects.filter(pk=issue.pk).update(scheduled_at=timezone.now() - timedelta(minutes=1))
    with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
        take_issue_action(issue=issue, action="release", user=None)
    issue.refresh_from_db()
    assert issue.state == IssueState.PUBLISHED and _publishes(callbacks)
    assert ReviewEvent.objects.filter(issue=issue, action="publish").count() == 1


def test_publishing_through_the_door_queues_renders_and_deliveries(publisher):
    issue = issue_in(IssueState.APPROVED)
    with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
        take_issue_action(issue=issue, action="publish", user=publisher)
    issue.refresh_from_db()
    assert issue.state == IssueState.PUBLISHED and issue.published_by == publisher
    assert _publishes(callbacks)
