"""Every admin page answers, in Chinese by default and in English on request."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse

import bulletin.urls  # noqa: F401  (discovers the admin modules, as the web process does)
from editorial.workflow import EDITOR, PUBLISHER, REVIEWER
from tests.factories import ArticleFactory, IssueFactory, MetricFactory

pytestmark = pytest.mark.django_db

EDITORIAL_MODELS = [m for m in admin.site._registry if m._meta.app_label == "editorial"]


@pytest.fixture
def populated(bulletin, editor):
    issue = IssueFactory(bulletin=bulletin)
    sections = list(bulletin.sections.order_by("position"))
    ArticleFactory(issue=issue, section=sections[1], position=1, title="运营第一篇", created_by=editor)
    ArticleFactory(issue=issue, section=sections[0], position=2, title="环境第二篇", created_by=editor)
    ArticleFactory(issue=issue, section=sections[0], position=1, title="环境第一篇", created_by=editor)
    MetricFactory(issue=issue)
    return issue


@pytest.mark.parametrize("model", EDITORIAL_MODELS, ids=lambda m: m.__name__)
def test_changelist_and_change_pages_answer(client, superuser, populated, model):
    client.force_login(superuser)
    info = (model._meta.app_label, model._meta.model_name)
    response = client.get(reverse("admin:%s_%s_changelist" % info), {"q": "数据"})
    assert response.status_code == 200
    obj = model.objects.first()
    if obj is not None:
        response = client.get(reverse("admin:%s_%s_change" % info, args=[obj.pk]))
        assert response.status_code == 200


def test_issue_page_lists_sections_and_articles_in_order(client, superuser, populated):
    client.force_login(superuser)
    response = client.get(reverse("admin:editorial_issue_change", args=[populated.pk]))
    html = response.content.decode()
    order = [html.index(t) for t in ("产业环境", "环境第一篇", "环境第二篇", "运营竞争", "运营第一篇")]
    assert order == sorted(order)
    assert "草稿" in html  # article state, in Chinese


def test_admin_speaks_chinese_by_default_and_english_on_request(client, superuser):
    client.force_login(superuser)
    assert "站点管理" in client.get("/admin/").content.decode()
    client.cookies["django_language"] = "en"
    html = client.get("/admin/").content.decode()
    assert "Site administration" in html
    assert "Issues" in html


def test_role_groups_exist_with_permissions():
    groups = {g.name: set(g.permissions.values_list("codename", flat=True)) for g in Group.objects.all()}
    assert {EDITOR, REVIEWER, PUBLISHER} <= set(groups)
    assert "import_article" in groups[EDITOR] and "change_article" in groups[EDITOR]
    assert "import_article" not in groups[REVIEWER]
    assert "change_article" not in groups[REVIEWER]
    assert "change_bulletin" in groups[PUBLISHER] and "add_article" not in groups[PUBLISHER]


def test_editor_can_open_the_admin_but_not_bulletin_settings(client, editor):
    client.force_login(editor)
    assert client.get("/admin/editorial/issue/").status_code == 200
    assert client.get("/admin/editorial/bulletin/add/").status_code == 403


def test_every_role_permission_exists():
    from django.contrib.auth.models import Permission

    from editorial.roles import sync_role_groups

    sync_role_groups(Group, Permission, strict=True)  # raises when a codename is unknown
