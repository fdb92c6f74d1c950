"""Repairing an import in a real browser: a PDF printed by Chromium is uploaded in 导入期刊,
a line the parser was sure of is corrected in the preview, the issue is created, and two
articles are merged in the assembly view."""

from __future__ import annotations

import re

import pytest

from editorial.models import Article, ImportJob, Issue
from editorial.workflow import EDITOR, IssueState
from tests.e2e.conftest import admin_login
from tests.factories import BulletinFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pass-word-123"

# A small bulletin as its publisher would lay it out: the section names, titles and
# subheadings set in larger or bold type, the body in the text face with indents.
BULLETIN_HTML = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><style>
@page { size: A4; margin: 20mm 18mm; }
body { font-family: "Noto Serif CJK SC", serif; font-size: 11pt; line-height: 1.7; }
.masthead { text-align: center; font-size: 22pt; font-weight: bold; }
.issue-line { text-align: center; margin-bottom: 16pt; }
h1 { font-family: "Noto Sans CJK SC", sans-serif; font-size: 18pt; margin: 18pt 0 8pt; }
h2 { font-family: "Noto Sans CJK SC", sans-serif; font-size: 15pt; margin: 12pt 0 6pt; }
p { text-indent: 2em; margin: 0 0 4pt; }
</style></head><body>
<div class="masthead">信息产业监测</div>
<div class="issue-line">2020年第48期　2020年12月3日</div>
<h1>产业环境</h1>
<h2>工信部发布12项人工智能行业标准</h2>
<p>12月1日，工业和信息化部发布人工智能芯片基准测试、深度学习算法评估等12项行业标准，自2021年3月1日起实施。</p>
<h2>标准覆盖芯片与算法评测</h2>
<p>据介绍，12项标准中有5项涉及芯片与计算设施，4项涉及算法与模型评测，3项涉及安全与伦理。</p>
<h2>前10个月电信业务收入累计完成12451亿元</h2>
<p>11月20日，工业和信息化部公布的数据显示，1—10月电信业务收入累计完成12451亿元，同比增长3.8%。</p>
<h1>运营竞争</h1>
<h2>三家基础电信企业5G套餐用户合计超3亿户</h2>
<p>12月2日，三家基础电信企业公布的数据显示，5G套餐用户合计已超过3亿户。</p>
<h2>携号转网服务满一周年</h2>
<p>11月27日，携号转网服务正式实施满一周年，累计转网用户近2000万。</p>
<h2>携号转网用户满意度持续提升</h2>
<p>调查显示，用户对携号转网服务的满意度较上年提高6个百分点。</p>
</body></html>"""


def print_pdf(browser) -> bytes:
    """The bulletin printed by the same Chromium the test drives."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_content(BULLETIN_HTML)
        page.evaluate("document.fonts.ready")
        return page.pdf(format="A4")
    finally:
        context.close()


def row_of(page, text: str):
    """The preview row (and its role select) of the line reading ``text``."""
    return page.locator(".pv-row", has_text=text).first


def test_upload_pdf_correct_a_line_merge_articles(browser, page, live_server, screenshot, tmp_path):
    bulletin = BulletinFactory(slug="xxcy", name="信息产业监测")
    UserFactory(username="editor", roles=[EDITOR])
    pdf = tmp_path / "xxcy-2020-48.pdf"
    pdf.write_bytes(print_pdf(browser))
    base = live_server.url

    admin_login(page, base, "editor", PASSWORD)
    page.goto(f"{base}/admin/editorial/issue/")
    page.get_by_role("link", name="导入期刊").click()
    page.set_input_files("#id_file", str(pdf))
    page.select_option("#id_bulletin", str(bulletin.pk))
    page.click("input[type=submit]")
    page.wait_for_selector("#import-lines")
    job = ImportJob.objects.get()
    assert job.format == ImportJob.Format.PDF

    # The number the file states, and the parser's evidence in Chinese beside each line.
    assert page.input_value("#id_number") == "48"
    assert "文件所载期号" in page.content()
    sub = row_of(page, "标准覆盖芯片与算法评测")
    assert "文章标题" in sub.locator("select").inner_text()  # "保留：文章标题"
    assert "依据：" in sub.inner_text()
    assert "doubtful" not in (sub.get_attribute("class") or "")  # the parser was sure
    # A paragraph opens line by line without reloading: its second line gets a select.
    lead = row_of(page, "12月1日，工业和信息化部发布人工智能芯片")
    assert lead.locator(".pv-more-line select").count() == 0
    lead.locator(".pv-lines-toggle").click()
    assert lead.locator(".pv-more-line select").count() >= 1
    assert "保留：正文" in lead.locator(".pv-more-line select").first.inner_text()
    screenshot(page, "import-repair-preview")

    # The editor knows better: it is a subheading of the article before it.
    sub.locator("select").select_option("subheading")
    assert page.locator("#pv-pending").is_visible()  # an unapplied correction is counted
    page.click(".pv-apply input[name=apply]")
    page.wait_for_selector("#import-lines")
    sub = row_of(page, "标准覆盖芯片与算法评测")
    assert "pv-subheading" in sub.get_attribute("class")
    assert sub.locator("select").input_value() == "subheading"  # the choice is kept
    assert "已修改1行" in page.content()
    screenshot(page, "import-repair-preview-corrected")

    page.click("input[name=confirm]")
    page.wait_for_selector(".messagelist .success")
    issue = Issue.objects.get()
    assert (issue.number, issue.state) == (48, IssueState.ASSEMBLING)

    # Two articles about the same thing: merge the second into the first.
    page.goto(f"{base}/admin/editorial/issue/{issue.pk}/assemble/")
    second = Article.objects.get(issue=issue, title="携号转网用户满意度持续提升")
    screenshot(page, "import-repair-assembly")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(f"button[name=merge][value='{second.pk}']")
    page.wait_for_selector(".messagelist .success")
    assert "已并入" in page.locator(".messagelist").inner_text()
    screenshot(page, "import-repair-assembly-merged")

    layout = [
        (a.section.name, a.title, a.body)
        for a in Article.objects.filter(issue=issue).order_by("section__position", "position")
    ]
    assert [(section, title) for section, title, _body in layout] == [
        ("产业环境", "工信部发布12项人工智能行业标准"),
        ("产业环境", "前10个月电信业务收入累计完成12451亿元"),
        ("运营竞争", "三家基础电信企业5G套餐用户合计超3亿户"),
        ("运营竞争", "携号转网服务满一周年"),
    ]
    first_body, merged_body = layout[0][2], layout[3][2]
    assert "<h3>标准覆盖芯片与算法评测</h3>" in first_body and "3项涉及安全与伦理" in first_body
    assert "<h3>携号转网用户满意度持续提升</h3>" in merged_body
    assert re.search(r"满意度较上年提高6个百分点", merged_body)
