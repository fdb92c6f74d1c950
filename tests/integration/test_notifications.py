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
