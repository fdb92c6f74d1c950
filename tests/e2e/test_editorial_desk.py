"""The admin as an editorial desk, in a real browser (issue 15): each role's desk after a
scripted day, the body's rich-text editor through to the public page, a scheduled issue
released by the scheduler process `make demo` starts, the preview link of a draft, and
reopening a withdrawn issue. Screenshots: test-artifacts/screenshots/desk-*.png."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone

from editorial.models import Article, Figure, ImportJob, Issue
from editorial.services import reviewing
from editorial.services.issues import take_issue_action
from editorial.workflow import EDITOR, PUBLISHER, REVIEWER, ArticleState, IssueState
from tests.e2e.conftest import admin_login
from tests.factories import ArticleFactory, BulletinFactory, IssueFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pass-word-123"
ROOT = Path(__file__).resolve().parents[2]
BULLETIN_TEXT = ROOT / "fixtures" / "bulletins" / "xxcy-2020-48.txt"
FIGURE_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="120" viewBox="0 0 320 120">'
    '<rect x="20" y="60" width="60" height="50" fill="#4a7ab0"/>'
    '<rect x="120" y="35" width="60" height="75" fill="#4a7ab0"/>'
    '<rect x="220" y="10" width="60" height="100" fill="#4a7ab0"/></svg>'
)


def watch_console(page) -> list[str]:
    """Errors the page reports: script errors and Content-Security-Policy refusals."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" else None)
    return problems


def caret_to_end(page, surface) -> None:
    """Put the caret after the last character of the editor's text (a click lands where
    a long paragraph happens to wrap)."""
    surface.click()
    surface.evaluate("""element => {
        const range = document.createRange();
        range.selectNodeContents(element.lastElementChild);
        range.collapse(false);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
    }""")
    page.wait_for_timeout(100)  # ProseMirror reads the DOM selection on selectionchange


def click_transition(page, label: str, comment: str = "", release_at: str = ""):
    page.get_by_role("link", name=label, exact=True).click()
    if comment:
        page.fill("#id_comment", comment)
    if release_at:
        page.fill("#id_release_at", release_at)
    page.click("input[name=confirm]")
    page.wait_for_selector(".messagelist .success")


def publish(issue: Issue, *, reviewer, publisher) -> Issue:
    """The rest of the way out, through the services (what the other tests click)."""
    for article in issue.articles.exclude(state=ArticleState.APPROVED):
        if article.state != ArticleState.SUBMITTED:
            reviewing.submit_article(article=article, user=article.created_by)
        reviewing.approve_article(article=Article.objects.get(pk=article.pk), user=reviewer)
    issue = take_issue_action(issue=issue, action="submit", user=article.created_by)
    issue = take_issue_action(issue=issue, action="approve", user=reviewer)
    return take_issue_action(issue=issue, action="publish", user=publisher)


# --- The rich-text editor ---------------------------------------------------------------


def test_edit_a_body_in_the_rich_text_editor_and_read_it_published(
    browser, new_page, live_server, screenshot,
):
    bulletin = BulletinFactory(slug="xxcy", name="信息产业监测")
    issue = IssueFactory(bulletin=bulletin, number=48)
    editor = UserFactory(username="editor", roles=[EDITOR])
    reviewer = UserFactory(username="reviewer", roles=[REVIEWER])
    publisher = UserFactory(username="publisher", roles=[PUBLISHER])
    article = ArticleFactory(
        issue=issue, created_by=editor, title="千兆光网建设提速",
        body=("<p>截至10月末，全国具备千兆网络服务能力的10G PON端口数达到320万个。</p>"
              "<h3>覆盖家庭超过1.2亿户</h3>"
              '<figure class="figure-1"></figure>'
              "<p>千兆光网可覆盖家庭超过1.2亿户。</p>"),
    )
    figure = Figure.objects.create(article=article, position=1, caption="图1 10G PON端口数")
    figure.image.save("pon.svg", ContentFile(FIGURE_SVG.encode("utf-8")), save=True)
    base = live_server.url

    page = new_page(viewport={"width": 1280, "height": 1000})
    problems = watch_console(page)
    admin_login(page, base, "editor", PASSWORD)
    response = page.goto(f"{base}/admin/editorial/article/{article.pk}/change/")
    policy = response.headers.get("content-security-policy", "")
    surface = page.locator(".prose-editor [contenteditable=true]")
    surface.wait_for()
    assert not page.locator("#id_body").is_visible()  # the editor took the textarea's place
    assert page.locator(".body-editor-figure").count() == 1  # the figure stands as a block
    screenshot(page, "desk-editor-before")

    # A new paragraph with a bold figure, then a bulleted item, typed in the editor.
    caret_to_end(page, surface)
    page.keyboard.press("Enter")
    page.keyboard.type("截至11月末，")
    menu = page.locator(".prose-menubar")
    menu.locator(".material-icons", has_text="format_bold").first.click()
    page.keyboard.type("千兆城市达到29个")
    menu.locator(".material-icons", has_text="format_bold").first.click()
    page.keyboard.type("。")
    page.keyboard.press("Enter")
    menu.locator(".material-icons", has_text="format_list_bulleted").first.click()
    page.keyboard.type("10G PON端口数增长迅速")
    screenshot(page, "desk-editor-typed")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")

    body = Article.objects.get(pk=article.pk).body
    assert "<strong>千兆城市达到29个</strong>" in body
    assert "<ul><li><p>10G PON端口数增长迅速</p></li></ul>" in body
    assert '<figure class="figure-1"></figure>' in body  # the figure kept its place
    assert "<h3>覆盖家庭超过1.2亿户</h3>" in body
    # Scripts from static files only: no refusal by the page's policy, no script error.
    assert not [p for p in problems if "Content Security Policy" in p or "pageerror" in p], problems
    if policy:
        script_src = next(d for d in policy.split(";") if d.strip().startswith("script-src"))
        assert "'unsafe-inline'" not in script_src

    # A reviewer may not edit: the read-only page shows the text as readers see it.
    reviewing.submit_article(article=Article.objects.get(pk=article.pk), user=editor)
    reader_view = new_page(viewport={"width": 1280, "height": 1000})
    admin_login(reader_view, base, "reviewer", PASSWORD)
    reader_view.goto(f"{base}/admin/editorial/article/{article.pk}/change/")
    rendered = reader_view.locator(".rendered-body")
    assert rendered.locator("strong", has_text="千兆城市达到29个").count() == 1
    assert rendered.locator("li", has_text="10G PON端口数增长迅速").count() == 1
    form_text = "".join(reader_view.locator("#article_form fieldset").all_inner_texts())
    assert "千兆城市达到29个" in form_text
    assert "<p>" not in form_text and "<strong>" not in form_text
    screenshot(reader_view, "desk-reviewer-reads-body")

    publish(Issue.objects.get(pk=issue.pk), reviewer=reviewer, publisher=publisher)
    public = new_page(viewport={"width": 1280, "height": 1000})
    assert public.goto(base + Article.objects.get(pk=article.pk).get_absolute_url()).status == 200
    text = public.locator(".article-body")
    assert text.locator("strong", has_text="千兆城市达到29个").count() == 1
    assert text.locator("li", has_text="10G PON端口数增长迅速").count() == 1
    assert text.locator("figcaption", has_text="图1 10G PON端口数").count() == 1
    screenshot(public, "desk-editor-published-article")


# --- A day at the desk --------------------------------------------------------------------


def bulk_action(page, base: str, issue: Issue, titles: list[str], action: str, comment=""):
    """Tick the articles by title on the article list and take a workflow action."""
    page.goto(f"{base}/admin/editorial/article/?issue__id__exact={issue.pk}")
    for title in titles:
        page.locator("#result_list tr", has_text=title).locator("input.action-select").check()
    page.select_option("select[name=action]", f"transition_{action}")
    page.click("button[name=index]")
    if comment:
        page.fill("#id_comment", comment)
    page.click("input[name=confirm]")
    page.wait_for_selector(".messagelist .success")


def desk_rows(page, panel: str) -> list[str]:
    return [text.strip() for text in page.locator(f"#{panel} tr td:first-child a").all_inner_texts()]


def test_each_role_finds_its_work_on_the_desk_after_a_day(
    browser, new_page, live_server, screenshot, mailoutbox,
):
    bulletin = BulletinFactory(slug="xxcy", name="信息产业监测")
    UserFactory(username="editor", roles=[EDITOR])
    reviewer_user = UserFactory(username="reviewer", roles=[REVIEWER])
    UserFactory(username="publisher", roles=[PUBLISHER])
    # Last week's issue, approved and waiting for its release.
    last_week = IssueFactory(bulletin=bulletin, number=47, state=IssueState.APPROVED)
    ArticleFactory(issue=last_week, state=ArticleState.APPROVED, title="三家基础电信企业5G套餐用户合计超3亿户")
    base = live_server.url

    # Morning: the editor imports this week's bulletin from the desk's 导入期刊 button.
    editor = new_page(viewport={"width": 1400, "height": 1000})
    admin_login(editor, base, "editor", PASSWORD)
    editor.click("#desk-import")
    editor.set_input_files("#id_file", str(BULLETIN_TEXT))
    editor.select_option("#id_bulletin", str(bulletin.pk))
    editor.click("input[type=submit]")
    editor.wait_for_selector("#import-lines")
    editor.locator("input[name=confirm], button[name=confirm]").first.click()
    editor.wait_for_selector(".messagelist .success")
    job = ImportJob.objects.get()
    issue = job.issue
    articles = list(issue.articles.order_by("section__position", "position"))
    assert len(articles) > 6
    first, second, third = articles[:3]

    # The editor sends three articles for review at once: one e-mail for the reviewer.
    bulk_action(editor, base, issue, [first.title, second.title, third.title], "submit")
    assert [m.to for m in mailoutbox] == [[reviewer_user.email]]
    assert all(a.title in mailoutbox[0].body for a in (first, second, third))

    # The reviewer's desk: the three, oldest first; one is sent back, two approved.
    reviewer = new_page(viewport={"width": 1400, "height": 1000})
    admin_login(reviewer, base, "reviewer", PASSWORD)
    waiting = desk_rows(reviewer, "desk-review")
    assert waiting[:3] == [first.title, second.title, third.title]
    screenshot(reviewer, "desk-reviewer")
    reviewer.locator("#desk-review a", has_text=second.title).click()
    click_transition(reviewer, "退回修改", comment="请补充数据来源。")
    bulk_action(reviewer, base, issue, [first.title, third.title], "approve")

    # The editor's desk: the drafts, and the article sent back with the comment.
    editor.goto(f"{base}/admin/")
    sent_back = editor.locator("#desk-sent-back")
    assert second.title in sent_back.inner_text()
    assert "请补充数据来源。" in sent_back.inner_text()
    drafts = desk_rows(editor, "desk-drafts")
    assert articles[3].title in drafts and first.title not in drafts
    screenshot(editor, "desk-editor")

    # The fix, in the rich-text editor, and the article goes back for review.
    sent_back.locator("a", has_text=second.title).click()
    surface = editor.locator(".prose-editor [contenteditable=true]")
    caret_to_end(editor, surface)
    editor.keyboard.press("Enter")
    editor.keyboard.type("数据来源：工业和信息化部。")
    editor.click("input[name=_continue]")
    editor.wait_for_selector(".messagelist .success")
    assert "<p>数据来源：工业和信息化部。</p>" in Article.objects.get(pk=second.pk).body
    # The revisions page compares the text before and after the fix, by paragraph.
    edit = second.history.filter(history_change_reason="edited").latest("history_id")
    before = second.history.filter(history_id__lt=edit.history_id).latest("history_id")
    editor.goto(f"{base}/admin/editorial/article/{second.pk}/revisions/"
                f"?a={before.history_id}&b={edit.history_id}")
    added = editor.locator(".revision-diff tr.diff-added")
    assert added.count() == 1 and "数据来源：工业和信息化部。" in added.inner_text()
    assert "<p>" not in editor.locator(".revision-diff").inner_text()
    screenshot(editor, "desk-revision-compare")
    editor.goto(f"{base}/admin/editorial/article/{second.pk}/change/")
    click_transition(editor, "提交审核")
    reviewer.goto(f"{base}/admin/")
    assert desk_rows(reviewer, "desk-review")[0] == second.title
    reviewer.locator("#desk-review a", has_text=second.title).click()
    click_transition(reviewer, "通过")
    assert Article.objects.get(pk=second.pk).state == ArticleState.APPROVED

    # The publisher schedules last week's issue; the desk shows the release and the gates
    # still closed on this week's.
    publisher = new_page(viewport={"width": 1400, "height": 1000})
    admin_login(publisher, base, "publisher", PASSWORD)
    assert last_week.display_title in publisher.locator("#desk-ready").inner_text()
    publisher.locator("#desk-ready a", has_text=last_week.display_title).click()
    release = timezone.localtime(timezone.now() + timedelta(days=1)).replace(hour=9, minute=0)
    click_transition(publisher, "定时发布", release_at=release.strftime("%Y-%m-%dT%H:%M"))
    publisher.goto(f"{base}/admin/")
    scheduled = publisher.locator("#desk-scheduled").inner_text()
    assert last_week.display_title in scheduled and release.strftime("%Y-%m-%d %H:%M") in scheduled
    gates = publisher.locator("#desk-gates tr", has_text=issue.display_title).inner_text()
    not_approved = issue.articles.exclude(state=ArticleState.APPROVED).count()
    assert str(not_approved) in gates
    screenshot(publisher, "desk-publisher")


# --- The scheduler beside the server --------------------------------------------------------


def scheduler_process() -> subprocess.Popen:
    """`manage.py run_scheduler` as `make demo` starts it, on the test database."""
    db = connection.settings_dict
    url = (f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST'] or '127.0.0.1'}:"
           f"{db['PORT'] or 5432}/{db['NAME']}")
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_scheduler", "--interval", "2"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def test_a_scheduled_issue_goes_out_with_no_command_run_by_hand(
    browser, new_page, live_server, screenshot,
):
    bulletin = BulletinFactory(slug="xxcy", name="信息产业监测")
    issue = IssueFactory(bulletin=bulletin, number=48, state=IssueState.APPROVED)
    ArticleFactory(issue=issue, state=ArticleState.APPROVED, title="工信部发布12项人工智能行业标准")
    UserFactory(username="publisher", roles=[PUBLISHER])
    base = live_server.url

    publisher = new_page(viewport={"width": 1400, "height": 1000})
    admin_login(publisher, base, "publisher", PASSWORD)
    assert publisher.locator("#desk-scheduler-warning").count() == 1  # nothing runs yet
    # The next whole minute (entered by the minute), at least 10 s away.
    release = timezone.localtime(timezone.now() + timedelta(seconds=70)).replace(second=0,
                                                                                microsecond=0)
    publisher.goto(f"{base}/admin/editorial/issue/{issue.pk}/change/")
    click_transition(publisher, "定时发布", release_at=release.strftime("%Y-%m-%dT%H:%M"))
    issue.refresh_from_db()
    assert issue.state == IssueState.SCHEDULED
    public_url = f"{base}{issue.get_absolute_url()}"
    reader = new_page(viewport={"width": 1280, "height": 900})
    assert reader.goto(public_url).status == 404

    scheduler = scheduler_process()
    try:
        deadline = time.monotonic() + 150
        while Issue.objects.get(pk=issue.pk).state != IssueState.PUBLISHED:
            assert scheduler.poll() is None, scheduler.stdout.read()
            assert time.monotonic() < deadline, "the scheduler did not release the issue"
            time.sleep(1)
        published = Issue.objects.get(pk=issue.pk)
        assert published.published_at >= release
        publisher.goto(f"{base}/admin/")
        assert publisher.locator("#desk-scheduler-warning").count() == 0  # it has run
        screenshot(publisher, "desk-after-scheduled-release")
    finally:
        scheduler.terminate()
        output = scheduler.communicate(timeout=20)[0]
    assert f"Published issue {issue.pk}" in output
    response = reader.goto(public_url)
    assert response.status == 200
    assert "工信部发布12项人工智能行业标准" in reader.content()
    screenshot(reader, "desk-scheduled-issue-public")


# --- The preview of a draft and a withdrawn issue reopened ----------------------------------


def test_view_on_site_of_a_draft_opens_the_signed_preview(browser, new_page, live_server,
                                                         screenshot):
    bulletin = BulletinFactory(slug="xxcy", name="信息产业监测")
    issue = IssueFactory(bulletin=bulletin, number=49)
    ArticleFactory(issue=issue, title="边缘计算迈入规模商用期")
    UserFactory(username="editor", roles=[EDITOR])
    base = live_server.url

    page = new_page(viewport={"width": 1280, "height": 900})
    admin_login(page, base, "editor", PASSWORD)
    page.goto(f"{base}/admin/editorial/issue/{issue.pk}/change/")
    assert new_page().goto(f"{base}{issue.get_absolute_url()}").status == 404  # not public
    page.locator("a.viewsitelink").click()
    page.wait_for_load_state()
    assert "/admin/" not in page.url and page.url != f"{base}{issue.get_absolute_url()}"
    assert "边缘计算迈入规模商用期" in page.content()
    screenshot(page, "desk-draft-preview")
    # The link is signed: without the editor's session it still opens (to send round).
    assert new_page().goto(page.url).status == 200


def test_a_withdrawn_issue_is_reopened_as_a_draft(browser, new_page, live_server, screenshot):
    from editorial.models import ReviewEvent

    bulletin = BulletinFactory(slug="xxcy", name="信息产业监测")
    issue = IssueFactory(bulletin=bulletin, number=46, state=IssueState.APPROVED)
    ArticleFactory(issue=issue, state=ArticleState.APPROVED, title="携号转网服务满一周年")
    publisher_user = UserFactory(username="publisher", roles=[PUBLISHER])
    take_issue_action(issue=issue, action="publish", user=publisher_user)
    take_issue_action(issue=Issue.objects.get(pk=issue.pk), action="withdraw",
                      user=publisher_user, comment="数据有误，撤回核实。")
    base = live_server.url

    page = new_page(viewport={"width": 1280, "height": 900})
    admin_login(page, base, "publisher", PASSWORD)
    page.goto(f"{base}/admin/editorial/issue/{issue.pk}/change/")
    buttons = page.locator("a.workflow-button")
    assert sorted(buttons.evaluate_all("els => els.map(e => e.dataset.action)")) == [
        "reopen", "republish",
    ]
    screenshot(page, "desk-withdrawn-issue")
    page.locator("a.workflow-button[data-action=reopen]").click()
    page.fill("#id_comment", "核实后重新编辑。")
    page.click("input[name=confirm]")
    page.wait_for_selector(".messagelist .success")
    issue.refresh_from_db()
    assert issue.state == IssueState.ASSEMBLING
    event = ReviewEvent.objects.filter(issue=issue).latest("created_at")
    assert (event.action, event.from_state, event.comment) == (
        "reopen", IssueState.WITHDRAWN, "核实后重新编辑。",
    )
    assert event.actor == publisher_user
    screenshot(page, "desk-withdrawn-issue-reopened")
