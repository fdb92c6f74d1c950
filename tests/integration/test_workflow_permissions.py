"""The permission matrix: each role × each transition, through the services and the admin."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from editorial import workflow
from editorial.models import Article, Issue, Metric, ReviewEvent
from editorial.selectors import readiness
from editorial.services import publishing, reviewing
from editorial.services.errors import ServiceError
from editorial.services.issues import take_issue_action
from editorial.workflow import EDITOR, PUBLISHER, REVIEWER, ArticleState, IssueState
from tests.factories import ArticleFactory, IssueFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES = {"editor": [EDITOR], "reviewer": [REVIEWER], "publisher": [PUBLISHER], "staff": []}
ACTORS = [*ROLES, "superuser"]

ARTICLE_CASES = {  # transition -> the state it starts from
    "submit": ArticleState.DRAFT,
    "approve": ArticleState.SUBMITTED,
    "request_changes": ArticleState.SUBMITTED,
    "reopen": ArticleState.APPROVED,
}
ISSUE_CASES = {
    "submit": IssueState.ASSEMBLING,
    "approve": IssueState.IN_REVIEW,
    "request_changes": IssueState.IN_REVIEW,
    "schedule": IssueState.APPROVED,
    "unschedule": IssueState.SCHEDULED,
    "publish": IssueState.APPROVED,
    "correct": IssueState.PUBLISHED,
    "withdraw": IssueState.PUBLISHED,
}


def make_actor(name):
    if name == "superuser":
        return UserFactory(username="root", is_superuser=True)
    return UserFactory(username=f"{name}-actor", roles=ROLES[name])


def allowed(actor: str, transition: workflow.Transition) -> bool:
    return actor == "superuser" or any(role in ROLES[actor] for role in transition.roles)


def ready_issue(state: str) -> Issue:
    """An issue in ``state`` that passes every readiness gate."""
    author = UserFactory(username="author", roles=[EDITOR])
    issue = IssueFactory(
        state=state,
        published_at=timezone.now() if state == IssueState.PUBLISHED else None,
        scheduled_at=timezone.now() + timedelta(days=1) if state == IssueState.SCHEDULED else None,
    )
    ArticleFactory(issue=issue, state=ArticleState.APPROVED, created_by=author)
    return issue


def article_in(state: str) -> Article:
    author = UserFactory(username="author", roles=[EDITOR])
    return ArticleFactory(state=state, created_by=author)


def issue_data(action):
    return {
        "comment": "理由说明" if workflow.ISSUE_TRANSITIONS[action].needs_comment else "",
        "release_at": timezone.now() + timedelta(hours=2),
    }


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("action", ARTICLE_CASES)
def test_article_matrix_through_services(actor, action):
    article = article_in(ARTICLE_CASES[action])
    user = make_actor(actor)
    transition = workflow.ARTICLE_TRANSITIONS[action]
    comment = "请补充数据来源" if transition.needs_comment else ""
    if allowed(actor, transition):
        reviewing.transition_article(article=article, action=action, user=user, comment=comment)
        article.refresh_from_db()
        assert article.state == transition.target
        event = ReviewEvent.objects.get(article=article)
        assert (event.actor, event.from_state, event.to_state) == (
            user, ARTICLE_CASES[action], transition.target
        )
    else:
        with pytest.raises(ServiceError) as refused:
            reviewing.transition_article(article=article, action=action, user=user, comment=comment)
        assert str(refused.value)
        article.refresh_from_db()
        assert article.state == ARTICLE_CASES[action]
        assert not ReviewEvent.objects.exists()


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("action", ISSUE_CASES)
def test_issue_matrix_through_services(actor, action):
    from django.test import TestCase

    issue = ready_issue(ISSUE_CASES[action])
    user = make_actor(actor)
    transition = workflow.ISSUE_TRANSITIONS[action]
    perform = __import__("editorial.admin.workflow", fromlist=["x"]).perform_issue_transition
    if allowed(actor, transition):
        with TestCase.captureOnCommitCallbacks(execute=False):
            perform(obj=issue, action=action, user=user, data=issue_data(action))
        issue.refresh_from_db()
        assert issue.state == transition.target
        assert ReviewEvent.objects.filter(issue=issue, action=action, actor=user).exists()
    else:
        with pytest.raises(ServiceError):
            perform(obj=issue, action=action, user=user, data=issue_data(action))
        issue.refresh_from_db()
        assert issue.state == ISSUE_CASES[action]


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("action", ARTICLE_CASES)
def test_article_matrix_through_the_admin(client, actor, action):
    article = article_in(ARTICLE_CASES[action])
    user = make_actor(actor)
    client.force_login(user)
    transition = workflow.ARTICLE_TRANSITIONS[action]
    url = reverse("admin:editorial_article_transition", args=[article.pk, action])
    response = client.post(url, {"comment": "请补充数据来源"})
    article.refresh_from_db()
    if allowed(actor, transition):
        assert response.status_code == 302
        assert article.state == transition.target
    else:
        assert response.status_code in (200, 403)
        assert article.state == ARTICLE_CASES[action]
        if response.status_code == 200:
            assert "errornote" in response.content.decode()


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("action", ISSUE_CASES)
def test_issue_matrix_through_the_admin(client, actor, action, django_capture_on_commit_callbacks):
    issue = ready_issue(ISSUE_CASES[action])
    user = make_actor(actor)
    client.force_login(user)
    transition = workflow.ISSUE_TRANSITIONS[action]
    release = timezone.localtime(timezone.now() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            reverse("admin:editorial_issue_transition", args=[issue.pk, action]),
            {"comment": "理由说明", "release_at": release},
        )
    issue.refresh_from_db()
    if allowed(actor, transition):
        assert response.status_code == 302, response.content.decode()[:2000]
        assert issue.state == transition.target
    else:
        assert response.status_code in (200, 403)
        assert issue.state == ISSUE_CASES[action]


def test_reviewer_may_not_review_own_article():
    reviewer = UserFactory(username="rev", roles=[REVIEWER, EDITOR])
    article = ArticleFactory(state=ArticleState.SUBMITTED, created_by=reviewer)
    with pytest.raises(ServiceError, match="审核人员不能审核自己的文章"):
        reviewing.approve_article(article=article, user=reviewer)


def test_request_changes_needs_a_comment():
    reviewer = UserFactory(username="rev", roles=[REVIEWER])
    article = article_in(ArticleState.SUBMITTED)
    with pytest.raises(ServiceError):
        reviewing.request_article_changes(article=article, user=reviewer, comment="  ")
    assert Article.objects.get(pk=article.pk).state == ArticleState.SUBMITTED


def test_readiness_gates_block_approval_and_say_why():
    reviewer = UserFactory(username="rev", roles=[REVIEWER])
    issue = ready_issue(IssueState.IN_REVIEW)
    ArticleFactory(issue=issue, state=ArticleState.DRAFT)
    Metric.objects.create(
        indicator=__import__("tests.factories", fromlist=["x"]).IndicatorFactory(),
        issue=issue, value=1, status=Metric.Status.SUGGESTED,
    )
    issue.import_warnings.create(line=3, code="unsure-subheading", message="?")
    issue.bulletin.sections.filter(position=5).update(required=True)
    blockers = readiness.issue_blockers(issue)
    assert len(blockers) == 4
    with pytest.raises(ServiceError) as refused:
        take_issue_action(issue=issue, action="approve", user=reviewer)
    assert "未通过审核" in str(refused.value) and "海外借鉴" in str(refused.value)
    assert Issue.objects.get(pk=issue.pk).state == IssueState.IN_REVIEW


def test_editing_an_approved_article_returns_it_to_draft():
    editor = UserFactory(username="ed", roles=[EDITOR])
    article = article_in(ArticleState.APPROVED)
    saved = reviewing.save_article(
        article=article, changes={"title": "新标题"}, user=editor, expected_version=article.version
    )
    assert saved.state == ArticleState.DRAFT
    assert ReviewEvent.objects.filter(article=article, action="edited").exists()


def test_schedule_needs_a_future_time():
    publisher = UserFactory(username="pub", roles=[PUBLISHER])
    issue = ready_issue(IssueState.APPROVED)
    with pytest.raises(ServiceError):
        publishing.schedule_issue(
            issue=issue, user=publisher, release_at=timezone.now() - timedelta(minutes=1)
        )


def test_editor_clears_the_gates_from_the_admin(client):
    from editorial.models import ImportWarning
    from tests.factories import IndicatorFactory

    editor = UserFactory(username="ed2", roles=[EDITOR])
    issue = ready_issue(IssueState.ASSEMBLING)
    metric = Metric.objects.create(indicator=IndicatorFactory(confirmed=False), issue=issue,
                                   value=1, status=Metric.Status.SUGGESTED)
    warning = ImportWarning.objects.create(issue=issue, line=3, code="unsure-title", message="?")
    client.force_login(editor)
    page = client.get(reverse("admin:editorial_issue_change", args=[issue.pk])).content.decode()
    assert "status__exact=suggested" in page and "resolved__exact=0" in page
    client.post(reverse("admin:editorial_metric_changelist"),
                {"action": "confirm_metrics", "_selected_action": [metric.pk], "confirm": "yes"})
    client.post(reverse("admin:editorial_importwarning_changelist"),
                {"action": "resolve_import_warnings", "_selected_action": [warning.pk]})
    metric.refresh_from_db()
    warning.refresh_from_db()
    assert metric.status == Metric.Status.CONFIRMED and metric.indicator.confirmed
    assert warning.resolved and warning.resolved_by == editor
    assert readiness.issue_blockers(issue) == []
