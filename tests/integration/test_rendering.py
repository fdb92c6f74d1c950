"""Rendering issues to PDF and HTML, in-process (tasks run eagerly, as without a broker).

The PDF is checked with poppler-utils the way a reader's tools see it: embedded fonts,
pages, bookmarks, extractable text in reading order, running headers.
"""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from bench._sample_issue import sample_png, sample_svg_diagram
from editorial import tasks
from editorial.models import Article, Figure, Indicator, Metric, Rendition
from editorial.selectors.renditions import current_renditions
from editorial.services import publishing, rendering
from editorial.typesetting import documents
from editorial.typesetting.errors import RenderError
from editorial.workflow import ArticleState, IssueState
from tests.factories import IssueFactory

pytestmark = pytest.mark.django_db

SPECIAL_TITLE = "特殊字符 #set text(red) $x$ *粗* <tag> @ref ] 照印"
POPPLER = all(shutil.which(tool) for tool in ("pdffonts", "pdfinfo", "pdftotext", "pdftohtml"))
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils is not installed")

PARAGRAPH = (
    "今年以来，全国软件和信息技术服务业完成软件业务收入65360亿元，同比增长13.3%，"
    "5G基站总数达71.8万个。运营商加快推进云网融合，政企业务成为收入增长的主要来源；"
    "业内人士认为，“双千兆”网络建设将进一步提速。"
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


def make_issue(bulletin, *, number=None, state=IssueState.APPROVED, long_first_section=True):
    """Three sections of articles: a long first one, a figure, a table, a chart, and an
    article title full of Typst and HTML markup characters."""
    kwargs = {"number": number} if number else {}
    issue = IssueFactory(
        bulletin=bulletin, state=state, issue_date=datetime.date(2020, 12, 7),
        published_at=timezone.now() if state == IssueState.PUBLISHED else None, **kwargs,
    )
    sections = list(bulletin.sections.order_by("position")[:3])
    position = 0
    for index, section in enumerate(sections):
        for n in range(3 if index == 0 else 2):
            position += 1
            paragraphs = 9 if (index == 0 and long_first_section) else 2
            body = "".join(f"<p>{PARAGRAPH}</p>" for _ in range(paragraphs))
            if index == 1 and n == 0:
                body += '<p class="kicker">一、</p><h3>市场规模</h3><figure class="figure-1"></figure>'
                body += "<table><tr><th>企业</th><th>收入</th></tr><tr><td>甲</td><td>1</td></tr></table>"
            title = SPECIAL_TITLE if (index == 0 and n == 1) else f"{section.name}要闻{n + 1}"
            article = Article.objects.create(
                issue=issue, section=section, position=position, title=title,
                source="人民邮电报", body=body, state=ArticleState.APPROVED,
            )
            if index == 1 and n == 0:
                figure = Figure(article=article, position=1, caption="图1 区域分布",
                                source_line="资料来源：测试")
                figure.image.save("region.svg", ContentFile(sample_svg_diagram()), save=False)
                figure.save()
                photo = Figure(article=article, position=2, caption="图2 现场", source_line="")
                photo.image.save("photo.png", ContentFile(sample_png(120, 60)), save=False)
                photo.save()
            if index == 2 and n == 0:
                indicator, _ = Indicator.objects.get_or_create(
                    name="软件业务收入",
                    defaults={"slug": "software-revenue", "unit": "亿元", "source": "工信部"},
                )
                for month in range(1, 6):
                    Metric.objects.create(
                        indicator=indicator, issue=issue, article=article,
                        period_label=f"1—{month}月", period_end=datetime.date(2020, month, 28),
                        value=Decimal(1000 + month * 50), unit="亿元",
                        status=Metric.Status.CONFIRMED,
                    )
    return issue


def ordered_titles(issue):
    return list(
        issue.articles.order_by("section__position", "position").values_list("title", flat=True)
    )


def publish(issue, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        publishing.publish_issue(issue=issue, user=user)
    return {r.kind: r for r in Rendition.objects.filter(issue=issue, is_current=True)}


# --- poppler helpers ------------------------------------------------------------------------


def run(*command) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def pdf_text(path, first=None, last=None) -> str:
    args = ["pdftotext", "-enc", "UTF-8"]
    if first:
        args += ["-f", str(first)]
    if last:
        args += ["-l", str(last)]
    return run(*args, str(path), "-")


def squash(text: str) -> str:
    """Text without whitespace: extraction puts spaces where Chinese meets Latin."""
    return re.sub(r"\s+", "", text)


def pdf_pages(path) -> int:
    return int(re.search(r"^Pages:\s+(\d+)", run("pdfinfo", str(path)), re.M).group(1))


def pdf_lines(path) -> list[str]:
    """Each printed line's text, from word positions (pdftotext -bbox), left to right."""
    html = run("pdftotext", "-bbox", str(path), "-")
    lines = []
    for page in re.findall(r"<page.*?</page>", html, re.S):
        rows: dict[int, list] = {}
        for x, y, word in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>', page
        ):
            rows.setdefault(round(float(y)), []).append((float(x), word))
        lines.extend("".join(w for _, w in sorted(words)) for _, words in sorted(rows.items()))
    return lines


def pdf_outline(path) -> list[tuple[int, str]]:
    """The bookmarks as (depth, title), from pdftohtml's XML outline."""
    xml = run("pdftohtml", "-xml", "-i", "-q", "-stdout", "-f", "1", "-l", "1", str(path))
    items, depth = [], 0
    for token in re.finditer(r"<outline>|</outline>|<item[^>]*>(.*?)</item>", xml, re.S):
        if token.group(0) == "<outline>":
            depth += 1
        elif token.group(0) == "</outline>":
            depth -= 1
        else:
            title = (
                token.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
            )
            items.append((depth, title))
    return items


# --- The PDF ---------------------------------------------------------------------------------


@needs_poppler
def test_published_issue_gets_a_pdf_typeset_for_chinese_readers(
    bulletin, publisher, django_capture_on_commit_callbacks, tmp_path
):
    issue = make_issue(bulletin)
    renditions = publish(issue, publisher, django_capture_on_commit_callbacks)
    pdf = renditions["pdf"]
    assert pdf.state == Rendition.State.SUCCEEDED, pdf.error
    path = Path(pdf.file.path)
    content = path.read_bytes()
    assert content.startswith(b"%PDF") and pdf.size == len(content)
    assert pdf.pages == pdf_pages(path) >= 6  # cover, contents, three sections (one long)
    assert pdf.duration_ms is not None and pdf.attempts == 1 and pdf.content_hash

    # Fonts: all embedded and subset; serif text, sans headings.
    fonts = run("pdffonts", str(path)).splitlines()[2:]
    assert fonts
    for line in fonts:
        columns = line.split()
        assert columns[-5:-3] == ["yes", "yes"], line  # emb, sub
    names = " ".join(line.split()[0] for line in fonts)
    assert "NotoSerifCJKsc" in names and "NotoSansCJKsc" in names

    # Metadata: title, date, language.
    info = run("pdfinfo", str(path))
    assert re.search(r"^Title:\s+.*第\d+期", info, re.M)
    assert "2020" in re.search(r"^CreationDate:(.*)$", info, re.M).group(1)
    assert b"/Lang(zh-CN)" in content or b"/Lang (zh-CN)" in content

    # Bookmarks: every section, with its articles under it, in order.
    sections = list(bulletin.sections.order_by("position")[:3])
    expected = []
    for section in sections:
        expected.append((1, section.name))
        expected.extend(
            (2, title)
            for title in issue.articles.filter(section=section)
            .order_by("position")
            .values_list("title", flat=True)
        )
    assert pdf_outline(path) == expected

    # Contents page: every article with a page number.
    contents = squash(pdf_text(path, 2, 2))
    for title in ordered_titles(issue):
        assert re.search(re.escape(squash(title)) + r"[·.]*\d+", contents), title

    # Body text: every title, in reading order, printed literally (markup characters too).
    body = squash(pdf_text(path, 3))
    cursor = 0
    for title in ordered_titles(issue):
        found = body.find(squash(title), cursor)
        assert found >= 0, f"{title!r} missing or out of order"
        cursor = found
    assert squash(SPECIAL_TITLE) in body
    assert squash(PARAGRAPH) in body

    # Running header and footer on inner pages; the header names the current section,
    # also on a page where that section only continues.
    def header(page):
        lines = [line for line in pdf_text(path, page, page).splitlines() if line.strip()]
        return squash(" ".join(lines[:2]))

    assert header(4) == squash(bulletin.name) + sections[0].name
    assert sections[1].name not in squash(pdf_text(path, 4, 4))  # the first section continues
    last = pdf_text(path, pdf.pages, pdf.pages)
    assert header(pdf.pages) == squash(bulletin.name) + sections[-1].name
    assert f"第{pdf.pages}页/共{pdf.pages}页" in squash(last)
    assert squash(bulletin.copyright_line) in squash(last)
    assert "2020年12月7日" in squash(last)

    # Cover: bulletin name, number and volume, date, publisher line (no header there).
    cover = squash(pdf_text(path, 1, 1))
    assert bulletin.name in cover and f"2020年第{issue.number}期" in cover
    assert "2020年12月7日" in cover

    # No line starts with closing punctuation nor ends with opening punctuation.
    printed = [line for line in pdf_lines(path) if line]
    assert len(printed) > 100
    assert not [line for line in printed if line[0] in "，。、；：！？）》」』”’"]
    assert not [line for line in printed if line[-1] in "（《「『“‘"]

    # Figures and the key-figure chart, with captions and source lines.
    assert "图1区域分布" in body and "资料来源：测试" in body and "图2现场" in body
    assert "软件业务收入走势" in body and "资料来源：工信部" in body


def test_the_same_content_is_not_rendered_twice_and_a_change_is(
    bulletin, publisher, django_capture_on_commit_callbacks, monkeypatch
):
    calls = []
    original = documents.typeset_pdf
    monkeypatch.setattr(documents, "typeset_pdf", lambda data, **kw: calls.append(1) or original(data, **kw))
    issue = make_issue(bulletin, long_first_section=False)
    first = publish(issue, publisher, django_capture_on_commit_callbacks)["pdf"]
    assert len(calls) == 1

    with django_capture_on_commit_callbacks(execute=True):
        rendering.queue_issue_renditions(issue_id=issue.pk)
    again = Rendition.objects.get(pk=first.pk)
    assert len(calls) == 1, "unchanged content must not be typeset again"
    assert again.state == Rendition.State.SUCCEEDED
    assert again.file.name == first.file.name and again.content_hash == first.content_hash

    article = issue.articles.order_by("position").first()
    article.title = "标题改了"
    article.save()
    with django_capture_on_commit_callbacks(execute=True):
        rendering.queue_issue_renditions(issue_id=issue.pk)
    changed = Rendition.objects.get(pk=first.pk)
    assert len(calls) == 2
    assert changed.file.name != first.file.name and changed.content_hash != first.content_hash
    assert changed.file.storage.exists(first.file.name), "the previous file stays one round"

    article.title = "又改了"
    article.save()
    with django_capture_on_commit_callbacks(execute=True):
        rendering.queue_issue_renditions(issue_id=issue.pk)
    third = Rendition.objects.get(pk=first.pk)
    storage = third.file.storage
    assert storage.exists(third.file.name) and storage.exists(changed.file.name)
    assert not storage.exists(first.file.name), "files older than the previous are removed"


def test_a_render_past_the_task_time_limit_fails_with_a_plain_message(
    bulletin, publisher, django_capture_on_commit_callbacks, monkeypatch
):
    issue = make_issue(bulletin, long_first_section=False)
    good = publish(issue, publisher, django_capture_on_commit_callbacks)["pdf"]

    def too_slow(data, **kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(documents, "typeset_pdf", too_slow)
    # Queued again with new content, as a correction would leave it.
    Rendition.objects.filter(pk=good.pk).update(
        state=Rendition.State.QUEUED, content_hash="", attempts=0
    )
    assert tasks.render_issue_rendition.apply(args=(good.pk,)).result == Rendition.State.FAILED
    failed = Rendition.objects.get(pk=good.pk)
    assert failed.error == "生成时间超过限制。"  # "The render took longer than the time limit."
    assert failed.file.name == good.file.name


def test_a_render_that_raises_keeps_the_last_good_file(
    bulletin, publisher, django_capture_on_commit_callbacks, monkeypatch
):
    issue = make_issue(bulletin, long_first_section=False)
    good = publish(issue, publisher, django_capture_on_commit_callbacks)["pdf"]
    good_bytes = Path(good.file.path).read_bytes()

    def broken(data, **kwargs):
        raise RenderError("Typst: unknown font family")

    monkeypatch.setattr(documents, "typeset_pdf", broken)
    issue.refresh_from_db()
    issue.erratum = "更正"  # new content, so a render is attempted
    issue.save()
    with django_capture_on_commit_callbacks(execute=True):
        rendering.queue_issue_renditions(issue_id=issue.pk)
    failed = Rendition.objects.get(pk=good.pk)
    assert failed.state == Rendition.State.FAILED
    assert "unknown font family" in failed.error
    assert failed.file.name == good.file.name
    assert Path(failed.file.path).read_bytes() == good_bytes
    assert failed.content_hash == good.content_hash and failed.pages == good.pages
    assert current_renditions(issue)["pdf"].pk == good.pk


def test_an_unreadable_figure_image_costs_only_that_image(
    bulletin, publisher, django_capture_on_commit_callbacks
):
    issue = make_issue(bulletin, long_first_section=False)
    figure = Figure.objects.get(article__issue=issue, position=2)
    figure.image.save("broken.png", ContentFile(b"\x89PNG\r\n\x1a\n truncated"), save=True)
    pdf = publish(issue, publisher, django_capture_on_commit_callbacks)["pdf"]
    assert pdf.state == Rendition.State.SUCCEEDED, pdf.error
    if POPPLER:
        assert "图2现场" in squash(pdf_text(pdf.file.path))


def test_a_transient_error_is_retried(bulletin, publisher, django_capture_on_commit_callbacks, monkeypatch):
    from django.db import OperationalError

    from editorial.selectors import render_data

    real = rendering.issue_render_data
    failures = []

    def flaky(issue):
        if not failures:
            failures.append(1)
            raise OperationalError("server closed the connection unexpectedly")
        return real(issue)

    monkeypatch.setattr(rendering, "issue_render_data", flaky)
    monkeypatch.setattr(rendering, "retry_delay", lambda retries: 0)
    assert render_data.issue_render_data is real
    issue = make_issue(bulletin, long_first_section=False)
    pdf = publish(issue, publisher, django_capture_on_commit_callbacks)["pdf"]
    assert failures and pdf.state == Rendition.State.SUCCEEDED and pdf.attempts == 2


def test_a_correction_keeps_the_original_renditions_for_the_record(
    bulletin, publisher, django_capture_on_commit_callbacks
):
    issue = make_issue(bulletin, long_first_section=False)
    originals = publish(issue, publisher, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        publishing.correct_issue(issue=issue, user=publisher, erratum="第二篇数字有误，已更正。")
    rows = Rendition.objects.filter(issue=issue)
    assert rows.count() == 4
    for kind, original in originals.items():
        kept = Rendition.objects.get(pk=original.pk)
        assert kept.is_current is False and kept.state == Rendition.State.SUCCEEDED
        assert kept.file.storage.exists(kept.file.name)
        new = rows.get(kind=kind, is_current=True)
        assert new.state == Rendition.State.SUCCEEDED and new.file.name != kept.file.name
    html = Path(rows.get(kind="html", is_current=True).file.path).read_text()
    assert "第二篇数字有误，已更正。" in html


def test_a_render_that_keeps_killing_its_worker_is_given_up(bulletin, publisher, settings):
    settings.RENDER_MAX_ATTEMPTS = 3
    issue = make_issue(bulletin, state=IssueState.PUBLISHED, long_first_section=False)
    rendition = Rendition.objects.create(
        issue=issue, kind="pdf", state=Rendition.State.RUNNING, attempts=3,
        started_at=timezone.now(),
    )
    outcome = rendering.render_rendition(rendition_id=rendition.pk)
    rendition.refresh_from_db()
    assert outcome.rendered is False and rendition.state == Rendition.State.FAILED
    assert "3" in rendition.error and rendition.attempts == 3


def test_html_rendition_is_one_self_contained_file(
    bulletin, publisher, django_capture_on_commit_callbacks
):
    issue = make_issue(bulletin, long_first_section=False)
    html_rendition = publish(issue, publisher, django_capture_on_commit_callbacks)["html"]
    assert html_rendition.state == Rendition.State.SUCCEEDED, html_rendition.error
    html = Path(html_rendition.file.path).read_text()
    assert html.startswith("<!DOCTYPE html>") and 'lang="zh-CN"' in html
    assert "<style>" in html and "<link" not in html and "<script" not in html
    for attribute, value in re.findall(r'\b(src|srcset|poster)="([^"]*)"', html):
        assert value.startswith("data:"), (attribute, value[:40])
    assert not re.search(r"url\((?!['\"]?data:)", html)
    assert html.count('src="data:image/svg+xml;base64,') >= 2  # the diagram and the chart
    assert 'src="data:image/png;base64,' in html
    assert "特殊字符 #set text(red) $x$ *粗* &lt;tag&gt; @ref ] 照印" in html
    positions = [html.find(f'id="article-{a.pk}"') for a in issue.articles.order_by("section__position", "position")]
    assert all(p > 0 for p in positions) and positions == sorted(positions)
    assert "<table" in html and "市场规模" in html


def test_the_partial_renders_blocks_for_the_public_pages():
    from django.template.loader import render_to_string

    from editorial.typesetting.blocks import html_to_blocks

    blocks = html_to_blocks(
        '<p>甲<strong>乙</strong><a href="https://example.org">丙</a>&lt;丁&gt;</p>'
        "<ul><li>项</li></ul>"
    )
    html = render_to_string("editorial/_article_blocks.html", {"blocks": blocks})
    assert "<p>甲<strong>乙</strong>" in html
    assert '<a href="https://example.org" rel="nofollow noopener">丙</a>&lt;丁&gt;</p>' in html
    assert "<ul><li>项</li></ul>" in html


# --- Queueing, the sweeper and the broker being away --------------------------------------------


def test_publish_while_the_broker_is_unreachable_is_saved_and_swept_later(
    transactional_db, bulletin, publisher, monkeypatch
):
    issue = make_issue(bulletin, long_first_section=False)
    real_send = rendering._send

    def broker_down(ids, **kwargs):
        raise ConnectionRefusedError("Error 111 connecting to 127.0.0.1:6390")

    monkeypatch.setattr(rendering, "_send", broker_down)
    publishing.publish_issue(issue=issue, user=publisher)  # commits; the send fails after
    issue.refresh_from_db()
    assert issue.state == IssueState.PUBLISHED
    rows = Rendition.objects.filter(issue=issue, is_current=True)
    assert {r.kind for r in rows} == {"pdf", "html"}
    assert all(r.state == Rendition.State.QUEUED and r.unsent for r in rows)

    report = rendering.sweep_renditions()  # still down: stays queued, reported
    assert sorted(report.unsent) == sorted(r.pk for r in rows)

    monkeypatch.setattr(rendering, "_send", real_send)
    report = rendering.sweep_renditions()  # back: sent (and, eagerly, rendered)
    assert sorted(report.resent) == sorted(r.pk for r in rows)
    for row in rows.all():
        assert row.state == Rendition.State.SUCCEEDED and row.file, row.error


def test_the_sweeper_resends_stuck_renditions_and_creates_missing_ones(bulletin, publisher):
    stuck_issue = make_issue(bulletin, state=IssueState.PUBLISHED, long_first_section=False)
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    queued = Rendition.objects.create(issue=stuck_issue, kind="html")
    running = Rendition.objects.create(
        issue=stuck_issue, kind="pdf", state=Rendition.State.RUNNING, attempts=1,
        started_at=long_ago,
    )
    Rendition.objects.filter(pk=queued.pk).update(queued_at=long_ago)
    fresh = make_issue(bulletin, state=IssueState.PUBLISHED, long_first_section=False)
    Rendition.objects.create(issue=fresh, kind="html")  # queued just now: not stuck
    draft = make_issue(bulletin, long_first_section=False)  # not public: left alone

    report = rendering.sweep_renditions()
    assert sorted(report.resent) == sorted([queued.pk, running.pk])
    assert {Rendition.objects.get(pk=pk).issue_id for pk in report.created} == {fresh.pk}
    running.refresh_from_db()
    assert running.state == Rendition.State.SUCCEEDED and running.attempts == 2
    assert not Rendition.objects.filter(issue=draft).exists()


def test_sweep_renditions_command(bulletin, capsys):
    make_issue(bulletin, state=IssueState.PUBLISHED, long_first_section=False)
    call_command("sweep_renditions", "--older-than", "0")
    assert "created 2" in capsys.readouterr().out


def test_render_issue_command_writes_the_file_and_reports(bulletin, tmp_path, capsys):
    issue = make_issue(bulletin, long_first_section=False)
    output = tmp_path / "out" / "issue.pdf"
    call_command("render_issue", str(issue.pk), "--format", "pdf", "--output", str(output))
    printed = capsys.readouterr().out
    assert output.read_bytes().startswith(b"%PDF")
    assert re.search(r"pages \d+, size \d+ bytes, \d+\.\d+ s", printed)
    html_output = tmp_path / "issue.html"
    call_command("render_issue", str(issue.pk), "--format", "html", "--output", str(html_output))
    assert "要闻" in html_output.read_text()
    assert not Rendition.objects.exists(), "the command does not touch Rendition rows"


def test_render_issue_command_refuses_an_unknown_issue(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No issue"):
        call_command("render_issue", "999999", "--output", str(tmp_path / "x.pdf"))


@needs_poppler
def test_a_forty_page_issue_stays_small(settings):
    from bench._sample_issue import build_sample_issue

    issue = build_sample_issue(articles=46)
    document = rendering.render_issue_document(issue=issue, kind="pdf")
    assert 34 <= document.pages <= 44
    assert document.size < 1.5 * 1024 * 1024
    html = rendering.render_issue_document(issue=issue, kind="html")
    assert html.size < 3 * 1024 * 1024


# --- The admin -------------------------------------------------------------------------------------


def test_admin_rerender_action_shows_progress(
    client, superuser, bulletin, django_capture_on_commit_callbacks
):
    from editorial.admin.rendering import rerender_issues
    from editorial.models import Issue

    issue = make_issue(bulletin, state=IssueState.PUBLISHED, long_first_section=False)
    client.force_login(superuser)

    class FakeAdmin:
        messages = []

        def message_user(self, request, message, level=None):
            self.messages.append(str(message))

    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.test import RequestFactory

    request = RequestFactory().post("/admin/editorial/issue/")
    request.user = superuser
    request.session = {}
    request._messages = FallbackStorage(request)
    with django_capture_on_commit_callbacks(execute=True):
        response = rerender_issues(FakeAdmin(), request, Issue.objects.filter(pk=issue.pk))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:editorial_rendition_progress"))
    rows = Rendition.objects.filter(issue=issue, is_current=True)
    assert rows.count() == 2 and all(r.state == Rendition.State.SUCCEEDED for r in rows)
    from editorial.models import AuditEntry

    [entry] = AuditEntry.objects.filter(action="issue.rerender")
    assert (entry.actor, entry.issue_id) == (superuser, issue.pk)
    assert sorted(entry.changes["renditions"]) == sorted(rows.values_list("pk", flat=True))

    page = client.get(response.url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "<progress" in text and 'value="2"' in text and 'http-equiv="refresh"' not in text
    data = client.get(response.url + "&format=json").json()
    assert data["finished"] is True and data["total"] == 2
    assert {r["kind"] for r in data["renditions"]} == {"pdf", "html"}

    changelist = client.get(reverse("admin:editorial_rendition_changelist"))
    assert changelist.status_code == 200
    assert "download" in changelist.content.decode().lower()


def test_progress_page_refreshes_while_renders_are_pending(client, superuser, bulletin):
    issue = make_issue(bulletin, state=IssueState.PUBLISHED, long_first_section=False)
    pending = Rendition.objects.create(issue=issue, kind="pdf")
    client.force_login(superuser)
    page = client.get(reverse("admin:editorial_rendition_progress") + f"?id={pending.pk}")
    assert page.status_code == 200 and 'http-equiv="refresh"' in page.content.decode()


def test_rerender_needs_permission(bulletin):
    from editorial.services.errors import PermissionRefused
    from tests.factories import UserFactory

    issue = make_issue(bulletin, state=IssueState.PUBLISHED, long_first_section=False)
    with pytest.raises(PermissionRefused):
        rendering.rerender_issues(issues=[issue], user=UserFactory(username="nobody"))
    assert not Rendition.objects.exists()
