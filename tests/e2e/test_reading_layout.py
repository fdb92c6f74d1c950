"""Reading layout in a real browser at phone (390 px) and desktop (1280 px) widths.

Measured, not eyeballed: glyph positions of numbers in justified paragraphs (justifying
must not letter-space digits or Latin words), the last line of every paragraph (never
one character alone), the issue page's order (articles before key figures), the empty
search's message, and the HTML rendition's heading levels and printed running heads.
Screenshots: test-artifacts/screenshots/reading-*.png.
"""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from editorial.models import Indicator, Metric, Rendition
from editorial.workflow import IssueState
from tests.factories import ArticleFactory, BulletinFactory, IssueFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}

# Long mixed paragraphs: numbers and Latin words in the middle of justified lines.
PARAGRAPHS = [
    "据工业和信息化部统计，今年前10个月电信业务收入累计完成1592亿元，同比增长3.6%，"
    "其中IPTV业务收入同比增长15.7%，互联网数据中心业务收入同比增长21.3%，云计算业务收入1592亿元以上，"
    "大数据业务收入同比增长35.2%，物联网业务收入同比增长17.8%，新兴业务收入占比持续提高。",
    "三家基础电信企业积极发展IPTV、互联网数据中心、大数据、云计算、人工智能等新兴业务，"
    "全年新兴业务收入预计达到1592亿元，在电信业务收入中的占比提升至20.7%，拉动电信业务收入增长2.9个百分点，"
    "5G套餐用户规模持续扩大，千兆光纤宽带用户数达到1592万户，比上年末净增1048万户。",
    "截至10月末，全国移动电话用户总数达16.0亿户，其中5G手机终端连接数达1592万户，"
    "蜂窝物联网终端用户11.36亿户，全年净增2.28亿户，NB-IoT终端规模领先全球，"
    "固定互联网宽带接入用户总数达4.8亿户，100Mbps及以上接入速率的用户占总用户数的89.4%。",
]

# For each occurrence of `needle` in each justified paragraph: the width of its glyph run
# as set, the width of the same characters set unjustified, and whether its line is the
# paragraph's last (which is not justified and proves nothing).
MEASURE_JS = """
([selector, needle]) => {
  const out = [];
  for (const p of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
    const all = document.createRange(); all.selectNodeContents(p);
    const rects = [...all.getClientRects()];
    const lastTop = Math.max(...rects.map(r => r.top));
    for (let node; (node = walker.nextNode());) {
      let at = node.data.indexOf(needle);
      while (at >= 0) {
        // Left edges of each character: the gap a glyph is given, whatever spacing
        // (CJK/Latin autospace) sits before the run or after it.
        const lefts = (textNode, start) => [...Array(needle.length).keys()].map(i => {
          const r = document.createRange();
          r.setStart(textNode, start + i); r.setEnd(textNode, start + i + 1);
          return r.getBoundingClientRect();
        });
        const boxes = lefts(node, at);
        const probe = document.createElement("span");
        probe.textContent = needle;
        probe.style.cssText = "position:absolute;white-space:nowrap;text-align:left;text-indent:0;letter-spacing:normal";
        p.appendChild(probe);
        const natural = lefts(probe.firstChild, 0).map(b => b.left);
        probe.remove();
        const xs = boxes.map(b => b.left);
        const advances = xs.slice(1).map((x, i) => x - xs[i]);
        const naturalAdvances = natural.slice(1).map((x, i) => x - natural[i]);
        out.push({advances, naturalAdvances, onLastLine: Math.abs(boxes[0].top - lastTop) < 2});
        at = node.data.indexOf(needle, at + 1);
      }
    }
  }
  return out;
}
"""

# The number of characters on each paragraph's last line.
LAST_LINE_JS = """
(selector) => [...document.querySelectorAll(selector)].map(p => {
  const text = p.textContent.replace(/\\s+$/, "");
  const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
  const boxes = [];
  for (let node; (node = walker.nextNode());) {
    for (let i = 0; i < node.data.length; i++) {
      if (/\\s/.test(node.data[i])) continue;
      const r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + 1);
      const box = r.getBoundingClientRect();
      if (box.width > 0) boxes.push({top: box.top, ch: node.data[i]});
    }
  }
  if (!boxes.length) return {text, last: 0, lines: 0};
  const lastTop = boxes[boxes.length - 1].top;
  const tops = new Set(boxes.map(b => Math.round(b.top)));
  const onLast = boxes.filter(b => Math.abs(b.top - lastTop) < 2).map(b => b.ch).join("");
  return {text: text.slice(0, 20), last: onLast, lines: tops.size};
})
"""


def build_site():
    bulletin = BulletinFactory(name="信息产业监测", slug="xxcy", publisher_name="信息产业研究咨询部")
    sections = list(bulletin.sections.order_by("position"))
    issue = IssueFactory(
        bulletin=bulletin, number=48, volume=2020, issue_date=datetime.date(2020, 12, 3),
        state=IssueState.PUBLISHED, published_at=timezone.now() - datetime.timedelta(days=1),
    )
    body = "".join(f"<p>{text}</p>" for text in PARAGRAPHS)
    articles = [
        ArticleFactory(
            issue=issue, section=sections[0], position=1, title="前10个月电信业务收入累计完成1592亿元",
            summary="电信业务收入稳步增长，新兴业务占比提高。", body=body + "<h3>新兴业务拉动增长</h3>" + body,
        ),
        ArticleFactory(
            issue=issue, section=sections[1], position=1, title="IPTV用户规模突破3亿户",
            summary="IPTV用户持续增长。", body=body,
        ),
    ]
    # Many key figures, as a real issue has: they must come after the articles.
    for n in range(40):
        indicator = Indicator.objects.create(name=f"指标{n:02d}", slug=f"ind-{n}", unit="亿元", confirmed=True)
        Metric.objects.create(
            indicator=indicator, issue=issue, article=articles[n % 2], period_label="1—10月",
            period_end=issue.issue_date, value=Decimal(1000 + n), unit="亿元", status=Metric.Status.CONFIRMED,
        )
    for kind in ("pdf", "html"):
        rendition = Rendition.objects.create(issue=issue, kind=kind, state="succeeded", size=2048, pages=36 if kind == "pdf" else None)
        rendition.file.save(f"xxcy-48.{kind}", ContentFile(b"%PDF-1.7" if kind == "pdf" else b"<!doctype html>"))
    return issue, articles


def assert_not_letter_spaced(page, selector: str, needle: str) -> int:
    runs = page.evaluate(MEASURE_JS, [selector, needle])
    justified = [run for run in runs if not run["onLastLine"]]
    assert justified, f"no {needle} inside a justified line of {selector}"
    for run in justified:
        # Set as written: each glyph advances as far as it does in unjustified text.
        # (Justified between ideographs the gaps match within 0.02 px; inter-character
        # justification of the same paragraphs at 390 px adds 0.3-0.7 px a gap.)
        stretch = [a - n for a, n in zip(run["advances"], run["naturalAdvances"], strict=True)]
        assert max(abs(d) for d in stretch) < 0.2, run
    return len(justified)


def assert_no_lonely_last_character(page, selector: str) -> None:
    lines = page.evaluate(LAST_LINE_JS, selector)
    assert lines
    lonely = [line for line in lines if line["lines"] > 1 and len(line["last"]) < 2]
    assert not lonely, lonely


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_reading_layout(browser, live_server, screenshot, settings, tmp_path, device):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_PAGE_CACHE = False
    issue, articles = build_site()
    context = browser.new_context(locale="zh-CN", viewport=WIDTHS[device], is_mobile=device == "phone")
    page = context.new_page()
    page.set_default_timeout(15_000)
    base = live_server.url
    try:
        # The issue page leads with its articles; key figures after them.
        page.goto(f"{base}{issue.get_absolute_url()}")
        first_article = page.locator(".toc-section .teaser").first.bounding_box()
        key_figures = page.locator("#key-figures").bounding_box()
        assert first_article["y"] < key_figures["y"]
        assert first_article["y"] < WIDTHS[device]["height"] * 2, "the first article is near the top"
        groups = page.locator("details.figure-group")
        assert groups.count() == 2
        table_visible = page.locator("details.figure-group table").first.is_visible()
        assert table_visible == (device == "desktop"), "collapsed on phones, open on wide screens"
        if device == "phone":
            # Opened with a tap, the values are on screen, not off to the right.
            groups.first.locator("summary").click()
            value = page.locator("details.figure-group table td.number").first.bounding_box()
            assert value["x"] + value["width"] <= WIDTHS["phone"]["width"]
            assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS["phone"]["width"]
        screenshot(page, f"reading-issue-{device}")

        # The article: justified, digits and Latin words set as written.
        page.goto(f"{base}{articles[0].get_absolute_url()}")
        page.evaluate("document.fonts.ready")
        counted = assert_not_letter_spaced(page, ".article-body p", "1592")
        counted += assert_not_letter_spaced(page, ".article-body p", "IPTV")
        assert counted >= 3
        assert_no_lonely_last_character(page, ".article-body p")
        assert page.evaluate("getComputedStyle(document.querySelector('.article-body p')).textAlign") == "justify"
        screenshot(page, f"reading-article-{device}")

        # The search that finds nothing says so and how to find more.
        page.goto(f"{base}/search/?q=量子引力+石墨烯")
        message = page.locator(".no-results")
        assert message.is_visible()
        assert "量子引力 石墨烯" in message.inner_text()
        assert page.locator(".broader-search").is_visible()
        screenshot(page, f"reading-search-empty-{device}")
    finally:
        context.close()


def test_html_rendition_headings_justification_and_print(browser, settings, tmp_path, screenshot):
    """The self-contained HTML edition: real heading levels, justified text that keeps
    digits together, and a print with running heads and page numbers."""
    from editorial.selectors.render_data import issue_render_data
    from editorial.typesetting.html import render_html

    settings.MEDIA_ROOT = tmp_path / "media"
    issue, _articles = build_site()
    html = render_html(issue_render_data(issue))
    context = browser.new_context(locale="zh-CN", viewport=WIDTHS["phone"])
    page = context.new_page()
    try:
        page.set_content(html)
        levels = page.evaluate(
            "[...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => [h.tagName, h.className])"
        )
        titles = {tag for tag, cls in levels if "article-title" in cls}
        subheadings = {tag for tag, cls in levels if "subheading" in cls}
        assert titles == {"H3"} and subheadings == {"H4"}
        assert_not_letter_spaced(page, ".article-body p", "1592")
        assert_no_lonely_last_character(page, ".article-body p")
        screenshot(page, "reading-rendition-phone")
        pdf_path = tmp_path / "printed.pdf"
        page.pdf(path=str(pdf_path), prefer_css_page_size=True)
        if shutil.which("pdftotext"):
            text = subprocess.run(
                ["pdftotext", "-layout", str(pdf_path), "-"], capture_output=True, text=True, check=True
            ).stdout
            pages = text.split("\f")
            assert len(pages) >= 3
            # Running head and page number from page 2 on; none on the first page.
            assert "信息产业监测" in pages[1] and re.search(r"—\s*2\s*—", pages[1])
            assert not re.search(r"—\s*1\s*—", pages[0])
        if shutil.which("pdftoppm"):
            from tests.e2e.conftest import SCREENSHOTS

            for number in (1, 2):
                png = tmp_path / f"printed-page-{number}"
                subprocess.run(
                    ["pdftoppm", "-png", "-r", "60", "-f", str(number), "-l", str(number), "-singlefile",
                     str(pdf_path), str(png)],
                    check=True,
                )
                shutil.copy(png.with_suffix(".png"), SCREENSHOTS / f"reading-rendition-print-page-{number}.png")
    finally:
        context.close()


def test_email_chart_shows_in_a_browser_from_its_cid_part(browser, settings, tmp_path, screenshot):
    """The HTML e-mail as a mail client shows it: each cid: reference resolved to its
    related part (as Gmail and Outlook do), the chart a real PNG that decodes."""
    import base64

    from editorial.mail import compose
    from editorial.models import Delivery, Subscription
    from tests.integration.test_delivery_support import make_subscriptions

    settings.MEDIA_ROOT = tmp_path / "media"
    issue, articles = build_site()
    earlier = IssueFactory(
        bulletin=issue.bulletin, number=47, volume=2020, issue_date=datetime.date(2020, 11, 26),
        state=IssueState.PUBLISHED, published_at=timezone.now() - datetime.timedelta(days=8),
    )
    for metric in Metric.objects.filter(issue=issue, article=articles[0])[:1]:
        Metric.objects.create(
            indicator=metric.indicator, issue=earlier, period_label="1—9月", period_end=earlier.issue_date,
            value=Decimal(900), unit="亿元", status=Metric.Status.CONFIRMED,
        )
    [subscription] = make_subscriptions(issue.bulletin, 1, languages=("zh-hans",))
    Subscription.objects.filter(pk=subscription.pk).update(formats=["html"])
    subscription.refresh_from_db()
    row = Delivery.objects.create(subscription=subscription, issue=issue)
    message = compose.build_delivery_message(row).message()
    parts = {part["Content-ID"].strip("<>"): part for part in message.walk() if part["Content-ID"]}
    html = next(part for part in message.walk() if part.get_content_type() == "text/html")
    html = html.get_payload(decode=True).decode("utf-8")
    assert parts and all(f'src="cid:{cid}"' in html for cid in parts)
    for cid, part in parts.items():
        uri = "data:image/png;base64," + base64.b64encode(part.get_payload(decode=True)).decode("ascii")
        html = html.replace(f"cid:{cid}", uri)
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.set_content(html)
        widths = page.evaluate("[...document.images].map(i => [i.naturalWidth, i.getBoundingClientRect().width])")
        assert widths and all(natural >= 1200 and 0 < shown <= 390 for natural, shown in widths)
        screenshot(page, "reading-email-phone")
    finally:
        context.close()
