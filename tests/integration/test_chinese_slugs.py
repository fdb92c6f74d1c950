"""Bulletins and sections with Chinese names, made every way they come to exist.

Customers name their sections in Chinese. Every path that creates a bulletin or a section
(the admin forms, ``import_bulletin --sections``, the admin import that adds a section the
bulletin lacks) must give it a slug the public URLs can serve, and every public page of a
published issue must then answer, before and after the issue is withdrawn.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import translation

from editorial.models import (
    Article,
    Bulletin,
    BulletinSlugRedirect,
    Indicator,
    Issue,
    Metric,
    Section,
    SectionSlugRedirect,
)
from editorial.services import importing, upload_parsing
from editorial.services.publishing import publish_back_catalogue_issue, withdraw_issue
from editorial.slugs import free_slug, readable_slug, romanised
from tests.factories import BulletinFactory

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "bulletins" / "xxcy-2020-48.txt"
SECTIONS = ["产业环境", "运营竞争", "技术情报", "企业情报", "海外借鉴"]

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _media_and_no_page_cache(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_PAGE_CACHE = False


# --- slugs from names ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("产业环境", "chanyehuanjing"),
        ("海外借鉴", "haiwaijiejian"),
        ("5G专题", "5g-zhuanti"),
        ("Tech 情报", "tech-qingbao"),
        ("重庆观察", "chongqingguancha"),
        ("【】", "section"),
    ],
)
def test_slugs_are_readable_pinyin(name, slug):
    assert readable_slug(name) == slug


def test_a_taken_slug_gets_a_counter_and_stays_within_the_length():
    taken = {"chanyehuanjing", "chanyehuanjing-2"}
    assert free_slug("产业环境", is_taken=taken.__contains__) == "chanyehuanjing-3"
    long_name = "数据要素市场化配置改革" * 3
    slug = free_slug(long_name, is_taken=lambda s: s == readable_slug(long_name, max_length=20),
                     max_length=20)
    assert len(slug) <= 20 and slug.endswith("-2")
    assert romanised("新型基础设施ABC") == " xinxingjichusheshi ABC"


# --- every way in -------------------------------------------------------------------------


def _admin_bulletin_post(client, *, name, slug="", sections=()):
    data = {
        "name": name,
        "slug": slug,
        "description": "",
        "cadence": "weekly",
        "copyright_line": "",
        "publisher_name": "",
        "language": "zh-hans",
        "access_level": "public",
        "sections_start_new_page": "on",
        "sections-TOTAL_FORMS": str(len(sections)),
        "sections-INITIAL_FORMS": "0",
        "sections-MIN_NUM_FORMS": "0",
        "sections-MAX_NUM_FORMS": "1000",
    }
    for index, section in enumerate(sections):
        data[f"sections-{index}-position"] = str(index + 1)
        data[f"sections-{index}-name"] = section
        data[f"sections-{index}-slug"] = ""
    return client.post(reverse("admin:editorial_bulletin_add"), data)


def test_admin_form_makes_pinyin_slugs_for_a_chinese_bulletin_and_its_sections(client, superuser):
    client.force_login(superuser)
    response = _admin_bulletin_post(client, name="信息产业监测", sections=SECTIONS)
    assert response.status_code == 302, response.content.decode()[:2000]
    bulletin = Bulletin.objects.get(name="信息产业监测")
    assert bulletin.slug == "xinxichanyejiance"
    assert list(bulletin.sections.values_list("slug", flat=True)) == [
        "chanyehuanjing", "yunyingjingzheng", "jishuqingbao", "qiyeqingbao", "haiwaijiejian",
    ]


def test_admin_form_refuses_a_chinese_slug_in_chinese(client, superuser):
    client.force_login(superuser)
    with translation.override("zh-hans"):
        response = _admin_bulletin_post(client, name="信息产业监测", slug="信息产业")
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["slug"]
    assert "拼音" in errors[0], errors
    assert not Bulletin.objects.exists()


def test_model_validation_refuses_a_slug_the_urls_cannot_serve():
    bulletin = BulletinFactory()
    section = Section(bulletin=bulletin, name="专题", slug="专题", position=9)
    with pytest.raises(ValidationError) as caught:
        section.full_clean()
    assert "slug" in caught.value.message_dict


def test_the_database_refuses_a_slug_the_urls_cannot_serve():
    bulletin = BulletinFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Section.objects.filter(bulletin=bulletin).update(slug="产业环境")
    with pytest.raises(IntegrityError), transaction.atomic():
        Bulletin.objects.filter(pk=bulletin.pk).update(slug="信息 产业")


def test_import_command_creates_sections_with_url_slugs():
    out = io.StringIO()
    call_command(
        "import_bulletin", str(FIXTURE), "--bulletin", "xxcyjc", "--sections", ",".join(SECTIONS),
        stdout=out, stderr=io.StringIO(),
    )
    bulletin = Bulletin.objects.get(slug="xxcyjc")
    assert list(bulletin.sections.values_list("slug", flat=True))[:2] == [
        "chanyehuanjing", "yunyingjingzheng",
    ]


def test_import_command_refuses_a_chinese_bulletin_slug():
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command(
            "import_bulletin", str(FIXTURE), "--bulletin", "信息产业", "--sections", "产业环境",
            stdout=io.StringIO(), stderr=io.StringIO(),
        )
    assert not Bulletin.objects.exists()


def test_admin_import_adds_a_missing_section_with_a_url_slug(editor):
    bulletin = BulletinFactory(slug="xxcyjc", with_sections=False)
    Section.objects.create(bulletin=bulletin, name="产业环境", position=1)
    parsed = upload_parsing.parse_upload(data=FIXTURE.read_bytes(), filename="x.txt", sections=SECTIONS)
    issue = importing.import_bulletin(parsed=parsed, bulletin=bulletin, user=editor)
    created = bulletin.sections.exclude(name="产业环境")
    assert created.exists()
    assert all(s.slug.isascii() and s.slug for s in created)
    assert issue.articles.exclude(section__slug="").count() == issue.articles.count()


def test_two_sections_whose_pinyin_collides_get_distinct_slugs():
    bulletin = BulletinFactory(with_sections=False)
    first = Section.objects.create(bulletin=bulletin, name="市场", position=1)
    second = Section.objects.create(bulletin=bulletin, name="世场", position=2)  # also shichang
    assert first.slug == "shichang" and second.slug == "shichang-2"


# --- stable once published, and redirects -------------------------------------------------


def test_renaming_a_section_keeps_its_slug():
    bulletin = BulletinFactory(with_sections=False)
    section = Section.objects.create(bulletin=bulletin, name="产业环境", position=1)
    section.name = "政策与产业环境"
    section.save()
    section.refresh_from_db()
    assert section.slug == "chanyehuanjing"


def test_a_changed_slug_redirects_old_links(client):
    bulletin, issue = _published_issue_of_imported_bulletin()
    section = bulletin.sections.get(name="技术情报")
    old_section_url = reverse("editorial:section", args=[bulletin.slug, section.slug])
    old_issue_url = issue.get_absolute_url()
    section.slug = "tech"
    section.save()
    bulletin.slug = "xxcy-weekly"
    bulletin.save()
    assert SectionSlugRedirect.objects.filter(old_slug="jishuqingbao").exists()
    assert BulletinSlugRedirect.objects.filter(old_slug="xxcyjc").exists()

    response = client.get(old_section_url + "?page=1")
    assert response.status_code == 301
    assert response["Location"] == "/b/xxcy-weekly/s/tech/?page=1"
    assert client.get(response["Location"]).status_code == 200
    response = client.get(old_issue_url)
    assert response.status_code == 301 and response["Location"] == f"/b/xxcy-weekly/{issue.number}/"
    assert client.get("/b/never-existed/").status_code == 404

    # Taking the old slug back makes it live again, with no redirect loop.
    section.slug = "jishuqingbao"
    section.save()
    assert not SectionSlugRedirect.objects.filter(old_slug="jishuqingbao").exists()
    assert client.get(
        reverse("editorial:section", args=["xxcy-weekly", "jishuqingbao"])
    ).status_code == 200


# --- every public URL answers, before and after withdrawing --------------------------------


def _published_issue_of_imported_bulletin() -> tuple[Bulletin, Issue]:
    from editorial.workflow import PUBLISHER
    from tests.factories import UserFactory

    publisher = UserFactory(username="publisher-slugs", roles=[PUBLISHER])
    out = io.StringIO()
    call_command(
        "import_bulletin", str(FIXTURE), "--bulletin", "xxcyjc", "--sections", ",".join(SECTIONS),
        stdout=out, stderr=io.StringIO(),
    )
    issue = Issue.objects.get(pk=int(out.getvalue().strip().splitlines()[-1]))
    Metric.objects.filter(issue=issue).update(status=Metric.Status.CONFIRMED)
    Indicator.objects.update(confirmed=True)
    with transaction.atomic():
        publish_back_catalogue_issue(issue=issue, user=publisher)
    issue.refresh_from_db()
    return issue.bulletin, issue


def _public_urls(bulletin: Bulletin, issue: Issue) -> dict[str, str]:
    article = Article.objects.filter(issue=issue).order_by("section__position", "position").first()
    indicator = Indicator.objects.filter(metrics__issue=issue).first()
    urls = {
        "home": "/",
        "bulletin": bulletin.get_absolute_url(),
        "bulletin-feed": reverse("editorial:bulletin_feed", args=[bulletin.slug]),
        "search": reverse("editorial:search") + "?q=数据中心",
        "indicators": reverse("editorial:indicators"),
        "sitemap": "/sitemap.xml",
        "robots": "/robots.txt",
    }
    for section in bulletin.sections.all():
        urls[f"section {section.name}"] = reverse(
            "editorial:section", args=[bulletin.slug, section.slug]
        )
        urls[f"section-feed {section.name}"] = reverse(
            "editorial:section_feed", args=[bulletin.slug, section.slug]
        )
    # The issue's own pages, and the indicator whose only values it holds: gone once the
    # issue is withdrawn.
    issue_urls = {
        "issue": issue.get_absolute_url(),
        "article": article.get_absolute_url(),
        "pdf": reverse("editorial:rendition", args=[bulletin.slug, issue.number, "pdf"]),
        "html": reverse("editorial:rendition", args=[bulletin.slug, issue.number, "html"]),
        "indicator": indicator.get_absolute_url(),
        "indicator-chart": reverse("editorial:indicator_chart", args=[indicator.slug]),
        "indicator-csv": reverse("editorial:indicator_data", args=[indicator.slug, "csv"]),
    }
    return urls, issue_urls


def _fetch(client, url):
    response = client.get(url)
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)
    return response.status_code


def test_every_public_url_of_a_chinese_named_bulletin_answers_before_and_after_withdrawal(
    client, django_capture_on_commit_callbacks
):
    assert connection.vendor == "postgresql"
    with django_capture_on_commit_callbacks(execute=True):
        bulletin, issue = _published_issue_of_imported_bulletin()
    assert bulletin.sections.filter(name="产业环境").get().slug == "chanyehuanjing"
    site_urls, issue_urls = _public_urls(bulletin, issue)
    statuses = {name: _fetch(client, url) for name, url in {**site_urls, **issue_urls}.items()}
    assert statuses == dict.fromkeys(statuses, 200), statuses

    from editorial.workflow import PUBLISHER
    from tests.factories import UserFactory

    with django_capture_on_commit_callbacks(execute=True):
        withdraw_issue(
            issue=issue, user=UserFactory(username="withdrawer", roles=[PUBLISHER]),
            reason="撤回测试",
        )
    statuses = {name: _fetch(client, url) for name, url in site_urls.items()}
    assert statuses == dict.fromkeys(statuses, 200), statuses
    gone = {name: _fetch(client, url) for name, url in issue_urls.items()}
    assert gone == dict.fromkeys(gone, 404), gone
