"""The small hardening cases: control characters in URLs, translated error pages,
clean e-mail subjects, download names from the issue, unstructured text refused."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import translation

from editorial.links import make_download_token
from editorial.mail.compose import build_delivery_message
from editorial.models import Delivery, Rendition
from editorial.services import upload_parsing
from editorial.services.errors import ImportRefused
from tests.integration.test_delivery_support import make_subscriptions, published_issue

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/indicators/%00/",
        "/exports/indicators/%00/series.csv",
        "/exports/indicators/%00/series.xlsx",
        "/search/?q=%00",
        "/indicators/a%01b/",
    ],
)
def test_control_characters_in_urls_are_404(client, url):
    assert client.get(url).status_code == 404


def test_the_404_page_is_in_the_site_language(client):
    response = client.get("/indicators/%00/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Page not found" in response.content.decode()
    assert 'class="site-header"' in response.content.decode()


def test_the_500_page_is_the_site_s_own(settings):
    from django.urls import path

    def broken(request):
        raise RuntimeError("boom")

    import bulletin.urls as project_urls

    settings.ROOT_URLCONF = type(
        "BrokenURLs", (), {"urlpatterns": [path("broken/", broken), *project_urls.urlpatterns]}
    )
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    response = client.get("/broken/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Server error" in html and 'class="site-header"' in html
    assert "Server Error (500)" not in html


def test_the_403_page_is_the_site_s_own(client):
    from django.core.exceptions import PermissionDenied
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    with translation.override("en"):
        html = render_to_string("403.html", {"exception": PermissionDenied()}, request=request)
    assert "Access denied" in html and 'class="site-header"' in html


def test_e_mail_subjects_have_no_leading_space(bulletin):
    bulletin.name = ""
    bulletin.save()
    subscription = make_subscriptions(bulletin, 1, languages=("zh-hans",))[0]
    issue = published_issue(bulletin)
    assert issue.display_title.startswith(" ")
    row = Delivery.objects.create(subscription=subscription, issue=issue)
    row = Delivery.objects.select_related("issue__bulletin", "subscription__subscriber").get()
    subject = build_delivery_message(row).subject
    assert subject == subject.strip() and "\n" not in subject


def test_the_subscriber_html_download_is_named_from_the_issue(client, bulletin, settings,
                                                                tmp_path):
    settings.MEDIA_ROOT = tmp_path
    subscription = make_subscriptions(bulletin, 1, formats=("pdf_link",))[0]
    issue = published_issue(bulletin)
    rendition = Rendition(issue=issue, kind="html", state=Rendition.State.SUCCEEDED)
    rendition.file.save("stored-secret-name-123.html", ContentFile(b"<html></html>"), save=True)
    token = make_download_token(subscription=subscription, issue=issue, kind="html")
    response = client.get(f"/subscriber/download/{token}/")
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert "stored-secret" not in disposition
    assert issue.file_stem + ".html" in disposition


@pytest.mark.parametrize(
    "data",
    [
        b"hello world\n",
        "indicator,period,value\n软件业务收入,2020-10,1000\n软件业务收入,2020-11,1100\n".encode(),
    ],
)
def test_unstructured_text_is_refused_naming_what_was_expected(data):
    with pytest.raises(ImportRefused) as refused:
        upload_parsing.parse_upload(data=data, filename="notes.txt")
    assert refused.value.code == "no-structure"
    assert "栏目或文章标题" in str(refused.value)  # what a bulletin has, in Chinese
