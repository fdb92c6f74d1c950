"""Confirming key figures in the admin: the editor sees each sentence, and never 170 at once."""

import pytest
from django.contrib.admin import helpers
from django.urls import reverse

import bulletin.urls  # noqa: F401  (discovers the admin modules, as the web process does)
import editorial.admin.metrics as metric_admin
from editorial.models import Metric
from tests.factories import ArticleFactory, MetricFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:editorial_metric_changelist"
LONG_SENTENCE = (
    "1—11月，全国软件和信息技术服务业完成软件业务收入65360亿元，同比增长12.6%，"
    "增速较1—9月提高0.3个百分点，其中信息技术服务收入增长较快。"
)


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    client.cookies["django_language"] = "en"  # the English msgids, whatever is translated
    return client


@pytest.fixture
def article_figures(issue, editor):
    article = ArticleFactory(issue=issue, created_by=editor, title="软件业收入平稳增长")
    figures = [
        MetricFactory(issue=issue, article=article, sentence=LONG_SENTENCE, value="65360",
                      unit="亿元"),
        MetricFactory(issue=issue, article=article, value="12.6", unit="%",
                      sentence="软件业务收入同比增长12.6%。"),
        MetricFactory(issue=issue, article=article, value="20", unit="%",
                      sentence="数据显示，有20%的受访者表示愿意尝试。"),
    ]
    return article, figures


def _select(client, metrics, **extra):
    data = {"action": "confirm_metrics", helpers.ACTION_CHECKBOX_NAME: [m.pk for m in metrics],
            **extra}
    return client.post(reverse(CHANGELIST), data)


def _statuses(metrics):
    return [Metric.objects.get(pk=m.pk).status for m in metrics]


# --------------------------------------------------------------------------- the list


def test_the_list_shows_each_figure_with_its_sentence(editor_client, article_figures):
    article, (long, _, _) = article_figures
    html = editor_client.get(reverse(CHANGELIST)).content.decode()
    assert long.indicator.name in html
    assert "软件业务收入同比增长<mark>12.6</mark>%。" in html  # short: shown whole
    # long: an excerpt, the whole sentence on hover (title) and on a click (details)
    assert f'<summary title="{LONG_SENTENCE}">' in html
    assert "<mark>65360</mark>" in html
    assert article.title in html


def test_the_list_filtered_by_article_offers_the_article_page(editor_client, article_figures,
                                                               issue, editor):
    article, figures = article_figures
    elsewhere = MetricFactory(issue=issue, article=ArticleFactory(issue=issue, created_by=editor),
                              sentence="另一篇文章的句子，收入100亿元。")
    response = editor_client.get(
        reverse(CHANGELIST), {"issue__id__exact": issue.pk, "article": article.pk}
    )
    html = response.content.decode()
    assert reverse("admin:editorial_metric_confirm_article", args=[article.pk]) in html
    assert "3 still to confirm" in html
    shown = {m.pk for m in response.context["cl"].result_list}
    assert shown == {m.pk for m in figures} and elsewhere.pk not in shown


# --------------------------------------------------------------------------- bulk confirmation


def test_bulk_confirm_shows_every_figure_with_sentence_and_article_first(
    editor_client, article_figures
):
    article, figures = article_figures
    response = _select(editor_client, figures, index=0)
    assert response.status_code == 200
    html = response.content.decode()
    assert "You are about to confirm 3 key figures" in html
    for metric in figures:
        assert metric.indicator.name in html
    assert "数据显示，有<mark>20</mark>%的受访者表示愿意尝试。" in html
    assert LONG_SENTENCE.replace("65360", "<mark>65360</mark>") in html
    assert html.count(article.title) >= 3  # the article of every figure
    assert _statuses(figures) == ["suggested"] * 3  # nothing confirmed yet


def test_confirming_from_the_page_goes_through_the_service(
    editor_client, editor, article_figures, monkeypatch
):
    _, figures = article_figures
    calls = []
    service = metric_admin.set_metric_status

    def spy(**kwargs):
        calls.append(kwargs)
        return service(**kwargs)

    monkeypatch.setattr(metric_admin, "set_metric_status", spy)
    response = _select(editor_client, figures[:2], confirm="yes")
    assert response.status_code == 302
    assert _statuses(figures) == ["confirmed", "confirmed", "suggested"]
    assert [(c["metric"].pk, c["status"], c["user"]) for c in calls] == [
        (figures[0].pk, "confirmed", editor), (figures[1].pk, "confirmed", editor),
    ]
    # The trail the service leaves: a history record by the editor, and the indicator confirmed.
    for metric in figures[:2]:
        record = Metric.objects.get(pk=metric.pk).history.first()
        assert (record.status, record.history_user, record.history_change_reason) == (
            "confirmed", editor, "confirm",
        )
        metric.indicator.refresh_from_db()
        assert metric.indicator.confirmed
    messages = [str(m) for m in response.wsgi_request._messages]
    assert "2 key figures confirmed." in messages


def test_more_than_fifty_are_refused_with_a_way_per_article(editor_client, issue, editor):
    first = ArticleFactory(issue=issue, created_by=editor, title="第一篇")
    second = ArticleFactory(issue=issue, created_by=editor, title="第二篇")
    metrics = [MetricFactory(issue=issue, article=first if n % 2 else second,
                             sentence=f"收入{n}亿元。") for n in range(51)]
    for extra in ({"index": 0}, {"confirm": "yes"}):  # showing the page, or a forged confirm
        response = _select(editor_client, metrics, **extra)
        assert response.status_code == 200
        html = response.content.decode()
        assert "You selected 51 key figures; at most 50 are confirmed at once." in html
        assert "Confirm them article by article" in html
        for article in (first, second):
            assert reverse("admin:editorial_metric_confirm_article", args=[article.pk]) in html
        assert 'name="confirm"' not in html
    assert set(Metric.objects.values_list("status", flat=True)) == {"suggested"}


def test_selecting_all_across_pages_is_refused_too(editor_client, issue):
    metrics = [MetricFactory(issue=issue, sentence="收入100亿元。") for _ in range(60)]
    response = _select(editor_client, metrics[:1], index=0, select_across=1)
    assert "You selected 60 key figures" in response.content.decode()
    assert not Metric.objects.filter(status="confirmed").exists()


def test_fifty_are_still_confirmed_from_the_page(editor_client, issue):
    metrics = [MetricFactory(issue=issue, sentence="收入100亿元。") for _ in range(50)]
    page = _select(editor_client, metrics, index=0).content.decode()
    assert "You are about to confirm 50 key figures" in page
    assert _select(editor_client, metrics, confirm="yes").status_code == 302
    assert Metric.objects.filter(status="confirmed").count() == 50


# --------------------------------------------------------------------------- per article


def test_the_article_page_lists_its_figures_with_sentences(editor_client, article_figures):
    article, figures = article_figures
    url = reverse("admin:editorial_metric_confirm_article", args=[article.pk])
    html = editor_client.get(url).content.decode()
    assert article.title in html
    for metric in figures:
        assert f'name="metric" value="{metric.pk}"' in html
    assert "数据显示，有<mark>20</mark>%的受访者表示愿意尝试。" in html
    assert "3 are still to confirm" in html


def test_the_article_page_confirms_what_is_ticked(editor_client, editor, article_figures):
    article, (level, change, fragment) = article_figures
    url = reverse("admin:editorial_metric_confirm_article", args=[article.pk])
    response = editor_client.post(url, {"metric": [level.pk, change.pk], "confirm": "1"})
    assert response.status_code == 302
    assert _statuses([level, change, fragment]) == ["confirmed", "confirmed", "suggested"]
    record = Metric.objects.get(pk=level.pk).history.first()
    assert (record.history_user, record.history_change_reason) == (editor, "confirm-article")
    response = editor_client.post(url, {"metric": [fragment.pk], "dismiss": "1"})
    assert _statuses([fragment]) == ["dismissed"]
    assert Metric.objects.get(pk=fragment.pk).history.first().history_change_reason == (
        "dismiss-article"
    )


def test_the_article_page_ignores_figures_of_other_articles(editor_client, article_figures,
                                                           issue):
    article, _ = article_figures
    other = MetricFactory(issue=issue, sentence="收入100亿元。")
    url = reverse("admin:editorial_metric_confirm_article", args=[article.pk])
    editor_client.post(url, {"metric": [other.pk], "confirm": "1"})
    assert _statuses([other]) == ["suggested"]


def test_the_service_still_decides_who_may_confirm(client, publisher, article_figures):
    """A publisher can read the figures but is no editor or reviewer: nothing changes."""
    article, figures = article_figures
    client.force_login(publisher)
    client.cookies["django_language"] = "en"
    url = reverse("admin:editorial_metric_confirm_article", args=[article.pk])
    response = client.post(url, {"metric": [m.pk for m in figures], "confirm": "1"}, follow=True)
    assert "No key figure was changed" in response.content.decode()
    assert _statuses(figures) == ["suggested"] * 3
