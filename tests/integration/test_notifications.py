import pytest
from django.core import mail

from editorial.services import reviewing
from editorial.workflow import EDITOR, REVIEWER
from tests.factories import ArticleFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_reviewers_are_told_when_an_article_is_submitted(django_capture_on_commit_callbacks):
    editor = UserFactory(username="ed", roles=[EDITOR])
    UserFactory(username="r1", roles=[REVIEWER])
    UserFactory(username="r2", roles=[REVIEWER], email="")
    article = ArticleFactory(created_by=editor, title="边缘计算迈入规模商用期")
    with django_capture_on_commit_callbacks(execute=True):
        reviewing.submit_article(article=article, user=editor)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["r1@example.org"]
    assert "边缘计算迈入规模商用期" in message.subject
    assert f"/admin/editorial/article/{article.pk}/change/" in message.body


def test_author_is_told_when_changes_are_requested(django_capture_on_commit_callbacks):
    editor = UserFactory(username="ed", roles=[EDITOR])
    reviewer = UserFactory(username="r1", roles=[REVIEWER])
    article = ArticleFactory(created_by=editor, state="submitted")
    with django_capture_on_commit_callbacks(execute=True):
        reviewing.request_article_changes(article=article, user=reviewer, comment="请核对数据。")
    assert [m.to for m in mail.outbox] == [["ed@example.org"]]
    assert "请核对数据。" in mail.outbox[0].body


def test_no_mail_when_the_transaction_rolls_back():
    editor = UserFactory(username="ed", roles=[EDITOR])
    UserFactory(username="r1", roles=[REVIEWER])
    article = ArticleFactory(created_by=editor)
    reviewing.submit_article(article=article, user=editor)  # test transaction never commits
    assert mail.outbox == []


def test_review_trail_exports_as_csv(client, superuser, django_capture_on_commit_callbacks):
    from editorial.models import ReviewEvent

    editor = UserFactory(username="ed", roles=[EDITOR])
    article = ArticleFactory(created_by=editor, title="=HYPERLINK(\"x\")")
    reviewing.submit_article(article=article, user=editor, comment="+请审核")
    client.force_login(superuser)
    response = client.post(
        "/admin/editorial/reviewevent/",
        {"action": "export_review_trail_csv",
         "_selected_action": list(ReviewEvent.objects.values_list("pk", flat=True))},
    )
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    assert "提交审核" in body and "'+请审核" in body and "'=HYPERLINK" in body


# --- Digested notifications: one e-mail per person per bulk action ----------------------


def _bulk_action(client, action: str, articles, comment: str = ""):
    return client.post(
        "/admin/editorial/article/",
        {"action": f"transition_{action}", "_selected_action": [a.pk for a in articles],
         "confirm": "1", "comment": comment},
    )


def test_bulk_submit_of_30_articles_sends_each_reviewer_one_mail(
    client, django_capture_on_commit_callbacks,
):
    from editorial.models import Issue

    editor = UserFactory(username="ed", roles=[EDITOR])
    UserFactory(username="r1", roles=[REVIEWER])
    UserFactory(username="r2", roles=[REVIEWER])
    UserFactory(username="r3", roles=[REVIEWER], email="")  # no address: not mailed
    first = ArticleFactory(created_by=editor)
    articles = [first] + [ArticleFactory(created_by=editor, issue=first.issue, section=first.section)
                          for _ in range(29)]
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        response = _bulk_action(client, "submit", articles)
    assert response.status_code == 302
    assert sorted(m.to[0] for m in mail.outbox) == ["r1@example.org", "r2@example.org"]
    issue_title = Issue.objects.get(pk=first.issue_id).display_title
    for message in mail.outbox:
        assert "30" in message.subject
        for article in articles:
            assert article.title in message.body
            assert f"/admin/editorial/article/{article.pk}/change/" in message.body
        assert issue_title in message.body


@pytest.mark.django_db(transaction=True)
def test_bulk_submit_mails_once_after_each_transition_committed(client):
    """Without a surrounding transaction each submit commits on its own; the one e-mail
    still goes out once, after the last, and lists only what was really submitted."""
    editor = UserFactory(username="ed", roles=[EDITOR])
    UserFactory(username="r1", roles=[REVIEWER])
    first = ArticleFactory(created_by=editor, title="工信部发布12项人工智能行业标准")
    second = ArticleFactory(created_by=editor, issue=first.issue, section=first.section,
                            title="前10个月电信业务收入累计完成12451亿元")
    refused = ArticleFactory(created_by=editor, issue=first.issue, section=first.section,
                             state="approved", title="三家基础电信企业5G套餐用户合计超3亿户")
    client.force_login(editor)
    _bulk_action(client, "submit", [first, second, refused])
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert first.title in body and second.title in body
    assert refused.title not in body
    assert "2" in mail.outbox[0].subject


def test_bulk_send_back_tells_each_author_once_with_the_comment(
    client, django_capture_on_commit_callbacks,
):
    ed1 = UserFactory(username="ed1", roles=[EDITOR])
    ed2 = UserFactory(username="ed2", roles=[EDITOR])
    reviewer = UserFactory(username="r1", roles=[REVIEWER])
    first = ArticleFactory(created_by=ed1, state="submitted")
    mine = [first, ArticleFactory(created_by=ed1, issue=first.issue, state="submitted")]
    theirs = [ArticleFactory(created_by=ed2, issue=first.issue, state="submitted")]
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        _bulk_action(client, "request_changes", mine + theirs, comment="请核对数据来源。")
    by_person = {m.to[0]: m for m in mail.outbox}
    assert sorted(by_person) == ["ed1@example.org", "ed2@example.org"]
    assert all(a.title in by_person["ed1@example.org"].body for a in mine)
    assert theirs[0].title not in by_person["ed1@example.org"].body
    assert theirs[0].title in by_person["ed2@example.org"].body
    assert by_person["ed2@example.org"].body.count("请核对数据来源。") == 1


def test_the_daily_digest_collects_a_day_into_one_mail(
    settings, django_capture_on_commit_callbacks,
):
    from datetime import timedelta

    from django.utils import timezone

    from editorial.models import PendingNotification
    from editorial.services.notifying import last_digest_time, send_due_digests

    settings.NOTIFICATION_DIGEST = "daily"
    settings.NOTIFICATION_DIGEST_HOUR = 8
    editor = UserFactory(username="ed", roles=[EDITOR])
    UserFactory(username="r1", roles=[REVIEWER])
    first = ArticleFactory(created_by=editor, title="携号转网服务满一周年")
    second = ArticleFactory(created_by=editor, issue=first.issue, title="携号转网用户满意度持续提升")
    with django_capture_on_commit_callbacks(execute=True):
        reviewing.submit_article(article=first, user=editor)
        reviewing.submit_article(article=second, user=editor)
    assert mail.outbox == []  # put aside for the digest
    assert PendingNotification.objects.filter(sent_at__isnull=True).count() == 2

    now = timezone.now()
    assert send_due_digests(now=now) == 0  # made after the last digest moment: tomorrow's
    tomorrow = last_digest_time(now) + timedelta(days=1, minutes=1)
    assert send_due_digests(now=tomorrow) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["r1@example.org"]
    assert first.title in message.body and second.title in message.body
    assert "2" in message.subject
    assert send_due_digests(now=tomorrow) == 0  # run twice: no second mail
    assert len(mail.outbox) == 1


def test_the_digest_is_due_at_its_hour_in_beijing_time(settings):
    import zoneinfo
    from datetime import datetime

    from editorial.services.notifying import last_digest_time

    settings.NOTIFICATION_DIGEST_HOUR = 8
    beijing = zoneinfo.ZoneInfo("Asia/Shanghai")
    before = datetime(2026, 12, 1, 7, 59, tzinfo=beijing)
    after = datetime(2026, 12, 1, 8, 0, tzinfo=beijing)
    assert last_digest_time(before) == datetime(2026, 11, 30, 8, 0, tzinfo=beijing)
    assert last_digest_time(after) == after


def test_the_digest_reads_a_constant_number_of_queries(django_capture_on_commit_callbacks):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from editorial.services.notifying import send_article_notifications

    editor = UserFactory(username="ed", roles=[EDITOR])
    UserFactory(username="r1", roles=[REVIEWER])
    first = ArticleFactory(created_by=editor)
    many = [first] + [ArticleFactory(created_by=editor, issue=first.issue) for _ in range(29)]

    def queries(articles) -> int:
        with CaptureQueriesContext(connection) as captured:
            send_article_notifications([(a.pk, "submit") for a in articles])
        return len(captured)

    assert queries(many[:3]) == queries(many)
    assert len(mail.outbox) == 2
