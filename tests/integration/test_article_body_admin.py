"""The article body in the admin: the rich-text editor for those who may edit, the text
as readers see it for those who may not, and the sanitiser still in the way of a save."""

import re

import pytest
from django.urls import reverse

from editorial.models import Article
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

BODY = ("<p>截至10月末，<strong>千兆城市</strong>达到29个。</p><h3>覆盖家庭超过1.2亿户</h3>"
        "<ul><li><p>10G PON端口数增长迅速</p></li></ul>")


def test_an_editor_gets_the_rich_text_editor_with_static_scripts_only(client, editor):
    article = ArticleFactory(created_by=editor, body=BODY)
    client.force_login(editor)
    html = client.get(reverse("admin:editorial_article_change", args=[article.pk])).content.decode()
    assert re.search(r'<textarea[^>]*name="body"[^>]*data-body-editor="1"', html)
    assert 'src="/static/editorial/body_editor.js"' in html and 'type="module"' in html
    assert "/static/django_prose_editor/editor.css" in html
    # The editor's labels travel in a data- attribute, in the admin's language.
    assert re.search(r'<script src="/static/editorial/body_editor_messages.js" data-messages="',
                     html)
    inline = [s for s in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html)
              if "nonce=" not in s and 'type="application/json"' not in s]
    assert inline == []  # no inline script the page's policy would have to allow
    assert 'type="importmap"' not in html


def test_a_reviewer_reads_the_body_as_rendered_text(client, editor, reviewer):
    article = ArticleFactory(created_by=editor, body=BODY)
    client.force_login(reviewer)
    html = client.get(reverse("admin:editorial_article_change", args=[article.pk])).content.decode()
    rendered = html[html.index('<div class="rendered-body">'):]
    assert "<strong>千兆城市</strong>" in rendered
    assert '<h3 class="subheading">覆盖家庭超过1.2亿户</h3>' in rendered
    assert "<li>10G PON端口数增长迅速</li>" in rendered
    assert "&lt;p&gt;" not in html and "&lt;strong&gt;" not in html
    assert "data-body-editor" not in html


def test_what_the_editor_sends_is_still_sanitised_on_save(client, editor):
    article = ArticleFactory(created_by=editor)
    client.force_login(editor)
    url = reverse("admin:editorial_article_change", args=[article.pk])
    data = {
        "section": article.section_id, "position": article.position, "title": article.title,
        "summary": article.summary, "expected_version": article.version,
        "body": '<p onclick="x()">正文<script>alert(1)</script><img src=x onerror=y></p>'
                '<figure class="figure-1"></figure>',
        "figures-TOTAL_FORMS": 0, "figures-INITIAL_FORMS": 0,
        "comments-TOTAL_FORMS": 0, "comments-INITIAL_FORMS": 0,
        "review_events-TOTAL_FORMS": 0, "review_events-INITIAL_FORMS": 0,
        "_continue": "1",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    body = Article.objects.get(pk=article.pk).body
    assert body == '<p>正文</p><figure class="figure-1"></figure>'
