"""The database keeps its own promises, not only the forms (PostgreSQL)."""

import pytest
from django.db import IntegrityError, transaction

from editorial.models import Article, Issue, Metric, Rendition
from editorial.workflow import IssueState
from tests.factories import ArticleFactory, IssueFactory, MetricFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_duplicate_issue_number_is_refused(bulletin):
    IssueFactory(bulletin=bulletin, number=48)
    with pytest.raises(IntegrityError), transaction.atomic():
        Issue.objects.create(bulletin=bulletin, number=48, issue_date="2020-12-10")


def test_same_number_in_another_bulletin_is_fine(bulletin):
    IssueFactory(bulletin=bulletin, number=48)
    other = IssueFactory(number=48)
    assert other.pk


def test_duplicate_article_position_is_refused(issue):
    first = ArticleFactory(issue=issue, position=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.create(issue=issue, section=first.section, position=1, title="重复")


def test_article_without_section_is_refused(issue):
    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.create(issue=issue, section_id=None, position=1, title="无栏目")


def test_article_with_unknown_section_is_refused(issue):
    from django.db import connection

    with pytest.raises(IntegrityError), transaction.atomic():
        # Django's foreign keys are checked at commit; ask for the check at once.
        connection.cursor().execute("SET CONSTRAINTS ALL IMMEDIATE")
        Article.objects.create(issue=issue, section_id=999_999, position=1, title="无栏目")


def test_published_issue_needs_a_publication_time(issue):
    issue.state = IssueState.PUBLISHED
    with pytest.raises(IntegrityError), transaction.atomic():
        issue.save()


def test_metric_period_must_be_ordered(issue):
    metric = MetricFactory(issue=issue)
    metric.period_start, metric.period_end = "2020-11-30", "2020-01-01"
    with pytest.raises(IntegrityError), transaction.atomic():
        metric.save()


def test_metric_natural_key_is_unique(issue):
    metric = MetricFactory(issue=issue, period_label="1—11月")
    with pytest.raises(IntegrityError), transaction.atomic():
        Metric.objects.create(
            indicator=metric.indicator, issue=issue, period_label="1—11月", value=1
        )


def test_one_current_rendition_per_kind(issue):
    Rendition.objects.create(issue=issue, kind="pdf", is_current=True)
    Rendition.objects.create(issue=issue, kind="pdf", is_current=False)  # kept for the record
    with pytest.raises(IntegrityError), transaction.atomic():
        Rendition.objects.create(issue=issue, kind="pdf", is_current=True)


def test_review_event_has_at_most_one_subject(issue, article):
    """An event is about an article or an issue; once its subject is deleted it stays,
    with neither (the trail outlives what it describes)."""
    from editorial.models import ReviewEvent

    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewEvent.objects.create(issue=issue, article=article, action="x")
    event = ReviewEvent.objects.create(article=article, action="x")
    ReviewEvent.objects.filter(pk=event.pk).update(article=None)
    assert ReviewEvent.objects.filter(pk=event.pk, article=None, issue=None).exists()


def test_database_is_postgresql():
    from django.db import connection

    assert connection.vendor == "postgresql"
