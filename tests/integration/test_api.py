"""The data API: tokens, who reads what, pages, filters, ETags, the rate limit, the access
log, constant query counts, token management in the admin, and the committed document."""

from __future__ import annotations

import datetime
import hashlib
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from editorial.api.document import committed_document, openapi_document
from editorial.models import (
    AccessLevel,
    AccessLogEntry,
    ApiToken,
    AuditEntry,
    Organisation,
    Subscriber,
    Subscription,
)
from editorial.services import api_tokens
from editorial.services.errors import PermissionRefused, ServiceError
from editorial.workflow import IssueState
from tests.factories import (
    ArticleFactory,
    BulletinFactory,
    IndicatorFactory,
    IssueFactory,
    MetricFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

API = "/api/v1"


@pytest.fixture(autouse=True)
def _fresh_rate_counters():
    cache.clear()
    yield
    cache.clear()


def published_issue(bulletin, *, number, issue_date, access_level=""):
    return IssueFactory(
        bulletin=bulletin, number=number, issue_date=issue_date, state=IssueState.PUBLISHED,
        published_at=timezone.now(), access_level=access_level,
    )


class World:
    """Two bulletins (公开 and 订阅), their issues, and three client organisations."""

    def __init__(self, publisher):
        self.publisher = publisher
        self.open = BulletinFactory(name="信息产业监测周报", slug="open-weekly")
        self.paid = BulletinFactory(
            name="运营商竞争内参", slug="paid-weekly", access_level=AccessLevel.SUBSCRIBERS
        )
        self.open_issue = published_issue(self.open, number=1, issue_date=datetime.date(2020, 11, 2))
        self.paid_issue = published_issue(self.paid, number=1, issue_date=datetime.date(2020, 11, 9))
        # A subscriber-only issue of the public bulletin, and a public one of the paid one.
        self.closed_in_open = published_issue(
            self.open, number=2, issue_date=datetime.date(2020, 11, 16),
            access_level=AccessLevel.SUBSCRIBERS,
        )
        self.opened_in_paid = published_issue(
            self.paid, number=2, issue_date=datetime.date(2020, 11, 23),
            access_level=AccessLevel.PUBLIC,
        )
        self.draft = IssueFactory(bulletin=self.open, number=3, issue_date=datetime.date(2020, 11, 30))

        self.revenue = IndicatorFactory(name="软件业务收入", slug="software-revenue", unit="亿元")
        self.traffic = IndicatorFactory(name="移动互联网流量", slug="mobile-traffic", unit="亿GB")
        self.articles = {}
        for issue in (self.open_issue, self.paid_issue, self.closed_in_open, self.opened_in_paid,
                      self.draft):
            sections = list(issue.bulletin.sections.order_by("position"))
            second = ArticleFactory(issue=issue, section=sections[1], position=1,
                                    title=f"{issue.bulletin.name}第{issue.number}期 运营竞争")
            first = ArticleFactory(issue=issue, section=sections[0], position=1,
                                   title=f"{issue.bulletin.name}第{issue.number}期 产业环境",
                                   body="<p>第一段，<strong>重点</strong>。</p><h3>小标题</h3><p>第二段。</p>")
            self.articles[issue.pk] = (first, second)
            MetricFactory(indicator=self.revenue, issue=issue, article=first,
                          period_label="1—10月", period_end=issue.issue_date,
                          value=Decimal("65360.0000"), yoy_percent=Decimal("-3.50"),
                          status="confirmed")
            MetricFactory(indicator=self.traffic, issue=issue, article=None,
                          period_label="10月", period_end=issue.issue_date,
                          value=Decimal("21.5"), status="confirmed")
            MetricFactory(indicator=self.traffic, issue=issue, period_label="9月",
                          value=Decimal("20"), status="suggested")

        self.client_org = Organisation.objects.create(name="某省通信管理局")
        self.reader = Subscriber.objects.create(organisation=self.client_org,
                                                email="reader@client.example.org")
        self.subscription = Subscription.objects.create(subscriber=self.reader, bulletin=self.paid)
        self.other_org = Organisation.objects.create(name="某咨询公司")
        self.token = self.issue(self.client_org)
        self.other_token = self.issue(self.other_org)

    def issue(self, organisation, name="数据平台"):
        return api_tokens.create_api_token(organisation=organisation, name=name,
                                           actor=self.publisher).plain


@pytest.fixture
def world(publisher):
    return World(publisher)


def get(client, path, token=None, **headers):
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client.get(path if path.startswith("/") else f"{API}/{path}", **headers)


def ids(response):
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


# --- Authentication -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [None, "Bearer bk_not-a-real-token", "Bearer ", "Token abc", "bk_without_scheme"],
    ids=["none", "wrong", "empty", "other-scheme", "no-scheme"],
)
def test_requests_without_a_valid_token_get_401_in_json(client, world, header):
    headers = {"HTTP_AUTHORIZATION": header} if header else {}
    for path in ("issues", f"issues/{world.open_issue.pk}", "articles", "metrics", "indicators",
                 "indicators/software-revenue/series"):
        response = client.get(f"{API}/{path}", **headers)
        assert response.status_code == 401, path
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["detail"]
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert not AccessLogEntry.objects.exists()


def test_a_revoked_token_stops_working_at_once(client, world):
    assert get(client, "issues", world.token).status_code == 200
    token = ApiToken.objects.get(token_digest=api_tokens.token_digest(world.token))
    api_tokens.revoke_api_token(token=token, actor=world.publisher)
    response = get(client, "issues", world.token)
    assert response.status_code == 401
    assert response.json()["detail"]


def test_a_deactivated_organisations_token_stops_working(client, world):
    assert get(client, "issues", world.token).status_code == 200
    Organisation.objects.filter(pk=world.client_org.pk).update(active=False)
    assert get(client, "issues", world.token).status_code == 401
    assert get(client, "metrics", world.token).status_code == 401


# --- Who reads what ------------------------------------------------------------------------


def test_a_subscribed_organisation_reads_public_and_its_subscriber_bulletins(client, world):
    issues = ids(get(client, "issues", world.token))
    assert issues == {world.open_issue.pk, world.opened_in_paid.pk, world.paid_issue.pk}
    assert world.draft.pk not in issues
    detail = get(client, f"issues/{world.paid_issue.pk}", world.token)
    assert detail.status_code == 200
    assert detail.json()["access_level"] == "subscribers"


def test_an_organisation_without_a_subscription_reads_only_what_is_public(client, world):
    token = world.other_token
    assert ids(get(client, "issues", token)) == {world.open_issue.pk, world.opened_in_paid.pk}
    for path in (f"issues/{world.paid_issue.pk}", f"issues/{world.closed_in_open.pk}",
                 f"articles/{world.articles[world.paid_issue.pk][0].pk}"):
        response = get(client, path, token)
        assert response.status_code == 404, path
        assert response.json()["detail"]
    readable = {world.open_issue.pk, world.opened_in_paid.pk}
    metrics = get(client, "metrics?limit=100", token).json()["items"]
    assert metrics and {m["issue"]["id"] for m in metrics} == readable
    articles = get(client, "articles?limit=100", token).json()["items"]
    assert {a["issue"]["id"] for a in articles} == readable
    series = get(client, "indicators/software-revenue/series", token).json()["items"]
    assert {m["issue"]["id"] for m in series} == readable


def test_the_issue_level_overrides_the_bulletins(client, world):
    subscribed = ids(get(client, "issues", world.token))
    assert world.closed_in_open.pk not in subscribed  # subscribed to the paid bulletin only
    assert world.opened_in_paid.pk in ids(get(client, "issues", world.other_token))


@pytest.mark.parametrize("change", ["ended", "cancelled", "not-started", "subscriber-deactivated"])
def test_a_subscription_no_longer_in_force_loses_the_subscriber_bulletin(client, world, change):
    assert world.paid_issue.pk in ids(get(client, "issues", world.token))
    today = timezone.localdate()
    if change == "ended":
        Subscription.objects.filter(pk=world.subscription.pk).update(
            starts_on=today - timedelta(days=30), ends_on=today - timedelta(days=1))
    elif change == "cancelled":
        Subscription.objects.filter(pk=world.subscription.pk).update(cancelled_at=timezone.now())
    elif change == "not-started":
        Subscription.objects.filter(pk=world.subscription.pk).update(
            starts_on=today + timedelta(days=1))
    else:
        Subscriber.objects.filter(pk=world.reader.pk).update(active=False)
    issues = ids(get(client, "issues", world.token))
    assert world.paid_issue.pk not in issues
    assert world.open_issue.pk in issues  # the token itself still works
    assert get(client, f"issues/{world.paid_issue.pk}", world.token).status_code == 404


def test_unconfirmed_metrics_and_drafts_never_appear(client, world):
    metrics = get(client, "metrics?limit=100", world.token).json()["items"]
    assert len(metrics) == 2 * 3  # two confirmed figures in each of the three readable issues
    assert all(m["issue"]["id"] != world.draft.pk for m in metrics)
    assert get(client, f"issues/{world.draft.pk}", world.token).status_code == 404
    draft_article = world.articles[world.draft.pk][0]
    assert get(client, f"articles/{draft_article.pk}", world.token).status_code == 404


# --- What the answers hold ------------------------------------------------------------------


def test_issue_detail_has_sections_in_order_with_article_titles(client, world):
    body = get(client, f"issues/{world.open_issue.pk}", world.token).json()
    assert body["bulletin"] == {"slug": "open-weekly", "name": "信息产业监测周报"}
    assert body["title"] == world.open_issue.display_title
    assert body["article_count"] == 2
    assert [s["name"] for s in body["sections"]] == ["产业环境", "运营竞争"]
    first, second = world.articles[world.open_issue.pk]
    assert body["sections"][0]["articles"] == [
        {"id": first.pk, "position": 1, "title": first.title, "subtitle": ""}
    ]
    assert body["sections"][1]["articles"][0]["id"] == second.pk
    assert body["url"].endswith(world.open_issue.get_absolute_url())


def test_article_detail_has_html_and_text_from_the_render_model(client, world):
    first, _second = world.articles[world.paid_issue.pk]
    first.tags.create(name="能效")
    body = get(client, f"articles/{first.pk}", world.token).json()
    assert body["title"] == first.title
    assert body["section"]["name"] == "产业环境"
    assert body["issue"] == {"id": world.paid_issue.pk, "bulletin": "paid-weekly", "number": 1,
                             "issue_date": "2020-11-09"}
    assert "<strong>重点</strong>" in body["body_html"]
    assert body["body_text"] == "第一段，重点。\n小标题\n第二段。"
    assert body["tags"] == ["能效"]
    assert body["figures"] == []
    listed = get(client, f"articles?issue={world.paid_issue.pk}", world.token).json()["items"]
    assert [a["id"] for a in listed] == [first.pk, _second.pk]  # reading order
    assert "body_html" not in listed[0]


def test_metric_values_are_exact_decimal_strings_with_their_context(client, world):
    items = get(client, f"metrics?issue={world.open_issue.pk}&indicator=software-revenue",
                world.token).json()["items"]
    assert len(items) == 1
    metric = items[0]
    first, _second = world.articles[world.open_issue.pk]
    assert metric["value"] == "65360" and metric["yoy_percent"] == "-3.5"
    assert metric["unit"] == "亿元"
    assert metric["indicator"] == {"slug": "software-revenue", "name": "软件业务收入"}
    assert metric["period"] == {"label": "1—10月", "start": None, "end": "2020-11-02"}
    assert metric["article"] == {"id": first.pk, "title": first.title}
    assert metric["issue"]["bulletin"] == "open-weekly"


def test_indicators_and_a_series_in_period_order(client, world):
    names = [i["slug"] for i in get(client, "indicators", world.other_token).json()["items"]]
    assert names == ["mobile-traffic", "software-revenue"]  # by name: 移… before 软…
    series = get(client, "indicators/mobile-traffic/series", world.token).json()["items"]
    ends = [m["period"]["end"] for m in series]
    assert ends == sorted(ends) and len(ends) == 3
    assert get(client, "indicators/no-such-indicator/series", world.token).status_code == 404
    hidden = IndicatorFactory(name="内参专属指标", slug="paid-only")
    MetricFactory(indicator=hidden, issue=world.paid_issue, status="confirmed")
    assert get(client, "indicators/paid-only/series", world.other_token).status_code == 404
    assert get(client, "indicators/paid-only/series", world.token).status_code == 200


# --- Pages and filters ---------------------------------------------------------------------


def test_pages_have_count_and_links_and_refuse_out_of_range_limits(client, world):
    first = get(client, "metrics?limit=4", world.token).json()
    assert first["count"] == 6 and first["limit"] == 4 and first["offset"] == 0
    assert len(first["items"]) == 4 and first["previous"] is None
    assert "offset=4" in first["next"] and "limit=4" in first["next"]
    second = client.get(first["next"], HTTP_AUTHORIZATION=f"Bearer {world.token}").json()
    assert len(second["items"]) == 2 and second["next"] is None
    assert "offset=0" in second["previous"]
    assert not {m["id"] for m in first["items"]} & {m["id"] for m in second["items"]}
    for bad in ("limit=0", "limit=101", "offset=-1", "limit=abc", "issue=0",
                "date_from=2020-13-01", "bulletin=" + "%E4%B8%AD"):
        response = get(client, f"metrics?{bad}", world.token)
        assert response.status_code == 422, bad
        assert isinstance(response.json()["detail"], list)


def test_filters_by_bulletin_dates_indicator_and_section(client, world):
    token = world.token
    assert ids(get(client, "issues?bulletin=paid-weekly", token)) == {
        world.paid_issue.pk, world.opened_in_paid.pk}
    assert ids(get(client, "issues?date_from=2020-11-05&date_to=2020-11-20", token)) == {
        world.paid_issue.pk}
    assert ids(get(client, "issues?bulletin=no-such-bulletin", token)) == set()
    metrics = get(client, "metrics?indicator=mobile-traffic&bulletin=open-weekly", token).json()
    assert [m["issue"]["id"] for m in metrics["items"]] == [world.open_issue.pk]
    dated = get(client, "metrics?date_to=2020-11-10", token).json()["items"]
    assert {m["issue"]["id"] for m in dated} == {world.open_issue.pk, world.paid_issue.pk}
    section = world.paid.sections.order_by("position")[1]
    in_section = get(client, f"articles?section={section.slug}&bulletin=paid-weekly", token)
    assert {a["section"]["slug"] for a in in_section.json()["items"]} == {section.slug}
    assert get(client, "indicators?bulletin=open-weekly", world.other_token).json()["count"] == 2


# --- ETags -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["issues", "ISSUE", "articles", "metrics", "indicators",
                                  "indicators/software-revenue/series"])
def test_every_get_has_an_etag_and_answers_304_when_it_matches(client, world, path):
    path = f"issues/{world.open_issue.pk}" if path == "ISSUE" else path
    response = get(client, path, world.token)
    etag = response["ETag"]
    assert response.status_code == 200 and etag.startswith('"')
    assert "private" in response["Cache-Control"]
    again = get(client, path, world.token, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag
    assert get(client, path, world.token, HTTP_IF_NONE_MATCH='"stale"').status_code == 200


def test_the_etag_changes_with_the_data_and_with_the_tokens_access(client, world):
    etag = get(client, "metrics", world.token)["ETag"]
    assert get(client, "metrics", world.other_token)["ETag"] != etag  # reads fewer issues
    world.revenue.metrics.filter(issue=world.open_issue).update(value=Decimal("70000"))
    response = get(client, "metrics", world.token, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and response["ETag"] != etag


# --- The rate limit -----------------------------------------------------------------------


def test_the_rate_limit_is_per_token_with_retry_after(client, world, settings):
    settings.BULLETIN_API_REQUESTS_PER_MINUTE = 3
    for _ in range(3):
        assert get(client, "issues", world.token).status_code == 200
    refused = get(client, "metrics", world.token)
    assert refused.status_code == 429
    assert refused.json()["detail"]
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert get(client, "issues", world.other_token).status_code == 200  # its own count
    # Throttled calls read nothing and are not logged.
    assert AccessLogEntry.objects.filter(status_code=429).count() == 0


# --- The access log and last use ---------------------------------------------------------------


def test_each_call_leaves_one_access_log_row(client, world):
    token = ApiToken.objects.get(token_digest=api_tokens.token_digest(world.token))
    get(client, "metrics?bulletin=paid-weekly", world.token)
    get(client, f"issues/{world.paid_issue.pk}", world.token)
    etag = get(client, "issues", world.token)["ETag"]
    get(client, "issues", world.token, HTTP_IF_NONE_MATCH=etag)
    get(client, "issues/999999999", world.token)
    get(client, "issues")  # no token: nobody to log
    rows = list(AccessLogEntry.objects.order_by("id"))
    assert [(r.resource, r.status_code) for r in rows] == [
        ("api:/api/v1/metrics?bulletin=paid-weekly", 200),
        (f"api:/api/v1/issues/{world.paid_issue.pk}", 200),
        ("api:/api/v1/issues", 200),
        ("api:/api/v1/issues", 304),
        ("api:/api/v1/issues/999999999", 404),
    ]
    assert {(r.channel, r.organisation_id, r.api_token_id) for r in rows} == {
        ("api", world.client_org.pk, token.pk)}
    assert rows[1].issue_id == world.paid_issue.pk and rows[0].issue_id is None


def test_last_used_is_written_at_most_once_a_minute(client, world):
    token = ApiToken.objects.get(token_digest=api_tokens.token_digest(world.token))
    assert token.last_used_at is None
    get(client, "issues", world.token)
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None
    with CaptureQueriesContext(connection) as queries:
        get(client, "issues", world.token)
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    token.refresh_from_db()
    assert token.last_used_at == first_use
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(minutes=2))
    get(client, "issues", world.token)
    token.refresh_from_db()
    assert timezone.now() - token.last_used_at < timedelta(seconds=30)


# --- Query counts ----------------------------------------------------------------------------


def test_query_counts_do_not_grow_with_the_page(client, world):
    sections = list(world.open.sections.order_by("position"))
    indicators = [IndicatorFactory() for _ in range(5)]
    for n in range(4, 9):
        issue = published_issue(world.open, number=n, issue_date=datetime.date(2021, 1, n))
        articles = [ArticleFactory(issue=issue, section=sections[p % 5], position=p + 1)
                    for p in range(22)]
        for p, article in enumerate(articles):
            article.tags.create(name=f"标签{n}-{p}")
            MetricFactory(indicator=indicators[p % 5], issue=issue, article=article,
                          period_label=f"{p}月", status="confirmed")

    def count(path):
        get(client, path, world.token)  # warm: last use written, counters made
        with CaptureQueriesContext(connection) as queries:
            response = get(client, path, world.token)
        assert response.status_code == 200
        return len(queries.captured_queries), len(response.json()["items"])

    for resource in ("metrics", "articles", "issues", "indicators"):
        small, small_items = count(f"{resource}?limit=10")
        large, large_items = count(f"{resource}?limit=100")
        assert small == large, resource
        if resource in ("metrics", "articles"):
            assert (small_items, large_items) == (10, 100), resource


# --- Tokens: the service and the admin ---------------------------------------------------------


def test_a_token_is_shown_once_and_stored_only_as_prefix_and_digest(world):
    issued = api_tokens.create_api_token(organisation=world.client_org, name="报表系统",
                                         actor=world.publisher)
    plain = issued.plain
    assert plain.startswith("bk_") and len(plain) >= 40
    row = ApiToken.objects.get(pk=issued.token.pk)
    assert row.token_digest == hashlib.sha256(plain.encode()).hexdigest()
    assert row.prefix == plain[:12] and row.created_by == world.publisher
    stored = [str(value) for value in ApiToken.objects.filter(pk=row.pk).values().get().values()]
    assert plain not in stored
    entry = AuditEntry.objects.get(action="api_token.create", object_id=row.pk)
    assert entry.actor == world.publisher and entry.changes["organisation"] == "某省通信管理局"
    assert plain not in str(entry.changes)


def test_only_publishers_and_superusers_manage_tokens(world, editor, reviewer, superuser):
    for user in (editor, reviewer):
        with pytest.raises(PermissionRefused):
            api_tokens.create_api_token(organisation=world.client_org, name="x", actor=user)
    api_tokens.create_api_token(organisation=world.client_org, name="管理员建的", actor=superuser)
    token = ApiToken.objects.get(name="管理员建的")
    with pytest.raises(PermissionRefused):
        api_tokens.revoke_api_token(token=token, actor=editor)
    token.refresh_from_db()
    assert token.revoked_at is None


def test_bad_token_requests_change_nothing(world):
    before = ApiToken.objects.count()
    with pytest.raises(ServiceError):
        api_tokens.create_api_token(organisation=world.client_org, name="  ", actor=world.publisher)
    world.other_org.active = False
    world.other_org.save()
    with pytest.raises(ServiceError):
        api_tokens.create_api_token(organisation=world.other_org, name="新", actor=world.publisher)
    assert ApiToken.objects.count() == before


def test_revoking_is_recorded_once(world):
    token = ApiToken.objects.get(token_digest=api_tokens.token_digest(world.token))
    api_tokens.revoke_api_token(token=token, actor=world.publisher)
    first = ApiToken.objects.get(pk=token.pk).revoked_at
    api_tokens.revoke_api_token(token=token, actor=world.publisher)
    assert ApiToken.objects.get(pk=token.pk).revoked_at == first
    assert AuditEntry.objects.filter(action="api_token.revoke", object_id=token.pk).count() == 1


def test_the_admin_creates_shows_once_lists_and_revokes(client, world):
    client.force_login(world.publisher)
    add_url = reverse("admin:editorial_apitoken_add")
    response = client.post(add_url, {"organisation": world.client_org.pk, "name": "BI 看板"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    created = ApiToken.objects.get(name="BI 看板")
    page = response.content.decode()
    plain = page.split('id="issued-api-token"', 1)[1].split(">", 1)[1].split("<", 1)[0]
    assert api_tokens.token_digest(plain) == created.token_digest
    assert created.token_digest not in page
    # The token works, and is never shown again.
    assert get(client, "issues", plain).status_code == 200
    listing = client.get(reverse("admin:editorial_apitoken_changelist")).content.decode()
    change = client.get(reverse("admin:editorial_apitoken_change", args=[created.pk]))
    for text in (listing, change.content.decode()):
        assert created.prefix in text
        assert plain not in text and created.token_digest not in text
    response = client.post(reverse("admin:editorial_apitoken_changelist"), {
        "action": "revoke_selected", "_selected_action": [created.pk]})
    assert response.status_code == 302
    created.refresh_from_db()
    assert created.revoked_at is not None
    assert get(client, "issues", plain).status_code == 401


def test_the_admin_refuses_editors(client, world, editor):
    client.force_login(editor)
    assert client.get(reverse("admin:editorial_apitoken_changelist")).status_code == 403
    assert client.get(reverse("admin:editorial_apitoken_add")).status_code == 403
    response = client.post(reverse("admin:editorial_apitoken_add"),
                           {"organisation": world.client_org.pk, "name": "偷偷建的"})
    assert response.status_code == 403
    assert not ApiToken.objects.filter(name="偷偷建的").exists()


# --- The document ----------------------------------------------------------------------------


def test_the_served_document_is_openapi_3_1_and_equals_the_committed_copy(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    served = response.json()
    assert served["openapi"].startswith("3.1.")
    assert served == openapi_document()
    assert served == committed_document(), (
        "docs/openapi.json is out of date: run `python manage.py export_openapi`"
    )
    paths = served["paths"]
    assert {"/api/v1/issues", "/api/v1/issues/{id}", "/api/v1/articles",
            "/api/v1/articles/{id}", "/api/v1/metrics", "/api/v1/indicators",
            "/api/v1/indicators/{slug}/series"} <= set(paths)
    for path, operations in paths.items():
        assert set(operations) == {"get"}, path  # read-only
        assert {"200", "304", "401", "429"} <= set(operations["get"]["responses"]), path


def test_malformed_ids_and_control_characters_never_give_a_server_error(client, world):
    for path in ("issues/null,null", "issues/abc", "articles/1.5", "issues/99999999999999999999"):
        response = get(client, path, world.token)
        assert response.status_code == 422, path
        assert isinstance(response.json()["detail"], list)
    # The site's URL guard answers control characters before the API: a 404, not a 5xx.
    assert get(client, "metrics?bulletin=%08x", world.token).status_code == 404
    assert get(client, "indicators/a%0Ab/series", world.token).status_code == 404


def test_the_docs_page_uses_the_sites_own_assets(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    page = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for asset in assets:
        assert asset.startswith("/static/"), asset  # nothing from a CDN
        assert client.get(asset).status_code == 200, asset
