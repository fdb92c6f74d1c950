"""A reader in a real browser: archive → issue → article → search → indicator chart.

Screenshots go to test-artifacts/screenshots/public-*.png for a person to look at:
desktop pages, the article on a phone and as printed, keyboard focus, and English.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from editorial.models import Figure, Indicator, Metric, Rendition, Tag
from editorial.typesetting.charts import ChartPoint, indicator_chart_svg
from editorial.workflow import IssueState
from tests.factories import ArticleFactory, BulletinFactory, IssueFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ARTICLES = [
    # (section index, title, source, summary, body)
    (0, "工信部发布12项AI标准 覆盖芯片与算法评测", "工信部网站",
     "工业和信息化部发布人工智能芯片基准测试、深度学习算法评估等12项行业标准。",
     "<p>12月1日，工业和信息化部发布人工智能芯片基准测试、深度学习算法评估等12项行业标准，自2021年3月1日起实施。</p>"
     "<p>据介绍，12项标准中有5项涉及芯片与计算设施，4项涉及算法与模型评测，3项涉及安全与伦理。</p>"),
    (0, "四部门联合印发指导意见推动全国一体化大数据中心协同创新体系建设", "国家发展改革委",
     "到2025年，全国范围内数据中心形成布局合理、绿色集约的基础设施一体化格局。",
     "<p>近日，国家发展改革委、中央网信办、工业和信息化部、国家能源局联合印发指导意见。</p>"
     "<h3>布局大数据中心国家枢纽节点</h3>"
     "<p>意见明确，在京津冀、长三角、粤港澳大湾区、成渝等重点区域布局大数据中心国家枢纽节点，新建数据中心平均电能利用效率降至1.3以下。</p>"
     "<figure class=\"figure-1\"></figure>"
     "<h3>推动数据资源流通共享</h3>"
     "<p>意见同时提出，要加快建立数据中心、云计算和大数据协同发展的体制机制，到2025年东西部数据中心实现结构性平衡。</p>"),
    (1, "三家基础电信企业5G套餐用户合计超3亿户", "人民邮电报",
     "截至11月末，三家基础电信企业5G套餐用户合计超过3亿户。",
     "<p>12月2日，三家基础电信企业相继公布11月运营数据。截至11月末，5G套餐用户合计超过3亿户。</p>"),
    (2, "边缘计算迈入规模商用期", "通信世界",
     "边缘计算从概念走向实践，边云协同进入新阶段。",
     "<p>随着5G网络规模部署，边缘计算正在从概念验证走向规模商用。</p>"
     "<h3>从概念到实践 边云协同进入新阶段</h3><p>运营商、云服务商和设备商纷纷推出边缘计算平台。</p>"),
    (2, "我国科研团队研制出新型硅基光电子芯片", "科技日报",
     "新型硅基光电子芯片可用于数据中心高速互联。",
     "<p>近日，我国科研团队研制出新型硅基光电子芯片，可用于数据中心内部的高速光互联。</p>"),
]


def build_reading_site(media_root):
    bulletin = BulletinFactory(
        name="信息产业监测", slug="xxcy", publisher_name="信息产业研究咨询部",
        description="每周汇集信息产业的政策环境、运营竞争、技术与企业动态及海外借鉴。",
    )
    sections = list(bulletin.sections.order_by("position"))
    indicator = Indicator.objects.create(name="电信业务收入", slug="telecom-revenue", unit="亿元",
                                         description="电信业务收入累计值，来自各期引用的工业和信息化部数据。")
    issues = []
    for week in range(10):
        issue_date = datetime.date(2020, 9, 24) + datetime.timedelta(weeks=week)
        issue = IssueFactory(
            bulletin=bulletin, number=39 + week, volume=2020, issue_date=issue_date,
            state=IssueState.PUBLISHED, published_at=timezone.now() - datetime.timedelta(weeks=10 - week),
        )
        issues.append(issue)
        ArticleFactory(issue=issue, section=sections[3], position=1, title=f"第{39 + week}期企业动态综述",
                       summary="企业营收与研发投入情况。", body="<p>多家企业发布季度业绩。</p>")
        Metric.objects.create(
            indicator=indicator, issue=issue, period_label=f"1—{week + 1}月" if week < 9 else "1—10月",
            period_end=issue_date, value=Decimal(1200 + week * 1250 + (week % 3) * 40), unit="亿元",
            yoy_percent=Decimal("3.5") - Decimal(week) / 10, status=Metric.Status.CONFIRMED,
        )
    latest = issues[-1]
    created = []
    for position, (section, title, source, summary, body) in enumerate(ARTICLES, start=2):
        created.append(ArticleFactory(
            issue=latest, section=sections[section], position=position, title=title, source=source,
            source_url="https://www.miit.gov.cn/", summary=summary, body=body,
            original_date=latest.issue_date - datetime.timedelta(days=2),
        ))
    Metric.objects.filter(issue=latest).update(article=created[0])
    created[1].tags.add(Tag.objects.create(name="数据中心"), Tag.objects.create(name="算力"))
    figure = Figure.objects.create(article=created[1], position=1, caption="2019—2020年数据中心机架规模",
                                   source_line="资料来源：工业和信息化部")
    svg = indicator_chart_svg(
        [ChartPoint(f"{y}年", v) for y, v in [(2016, 166), (2017, 226), (2018, 287), (2019, 315), (2020, 400)]],
        title="数据中心机架规模", unit="万架",
    )
    figure.image.save("racks.svg", ContentFile(svg.encode("utf-8")), save=True)
    for kind, size, pages in (("pdf", 2_345_678, 36), ("html", 456_789, None)):
        rendition = Rendition.objects.create(issue=latest, kind=kind, state="succeeded", size=size, pages=pages)
        rendition.file.save(f"xxcy-48.{kind}", ContentFile(b"%PDF-1.7" if kind == "pdf" else b"<!doctype html>"))
    # Something unpublished, which the reader must never meet.
    draft = IssueFactory(bulletin=bulletin, number=60, issue_date=datetime.date(2021, 1, 7))
    ArticleFactory(issue=draft, section=sections[0], title="未发布的数据中心草稿")
    return bulletin, latest, created, indicator


def test_archive_issue_article_search_indicator(page, new_page, live_server, screenshot, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_PAGE_CACHE = False
    _bulletin, latest, articles, indicator = build_reading_site(settings.MEDIA_ROOT)
    base = live_server.url
    shots = []

    # Archive: issues by year.
    page.goto(f"{base}/b/xxcy/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("h1").inner_text() == "信息产业监测"
    shots.append(screenshot(page, "public-1-archive"))

    # → the latest issue.
    page.get_by_role("link", name=latest.display_title).first.click()
    page.wait_for_url(f"{base}{latest.get_absolute_url()}")
    assert page.locator("h1").inner_text() == latest.display_title
    assert page.locator(".downloads").is_visible()
    assert "未发布" not in page.content()
    shots.append(screenshot(page, "public-2-issue"))

    # → an article with subheadings, a figure and tags.
    page.get_by_role("link", name=articles[1].title).first.click()
    page.wait_for_url(f"{base}{articles[1].get_absolute_url()}")
    assert page.locator("h1").inner_text() == articles[1].title
    figure = page.locator(".article-body figure img")
    figure.wait_for()
    assert page.evaluate("document.querySelector('.article-body figure img').naturalWidth") > 0
    assert page.locator(".subheading").count() == 2
    shots.append(screenshot(page, "public-3-article"))
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    shots.append(screenshot(page, "public-3-article-print"))
    page.emulate_media(media="screen")

    # Keyboard: the first Tab shows the skip link with a visible focus ring.
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip-link"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    shots.append(screenshot(page, "public-3-article-focus"))

    # → search from the header.
    page.fill("#site-search-q", "数据中心")
    page.locator(".site-search button").click()
    page.wait_for_url("**/search/?q=*")
    marks = page.locator(".results mark")
    assert marks.count() >= 2
    assert "未发布" not in page.content()
    shots.append(screenshot(page, "public-4-search"))

    # → the indicator, from the issue's key figures.
    page.goto(f"{base}{latest.get_absolute_url()}")
    page.get_by_role("link", name="电信业务收入").first.click()
    page.wait_for_url(f"{base}{indicator.get_absolute_url()}")
    chart = page.locator(".chart img")
    chart.wait_for()
    page.wait_for_function("document.querySelector('.chart img').complete")
    assert page.evaluate("document.querySelector('.chart img').naturalWidth") > 0
    assert page.locator("table.metrics tbody tr").count() == 10
    shots.append(screenshot(page, "public-5-indicator"))

    # The article on a phone.
    phone = new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone.goto(f"{base}{articles[1].get_absolute_url()}")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "no sideways scrolling on a phone"
    shots.append(screenshot(phone, "public-6-article-phone"))

    # English through the language switch.
    page.goto(f"{base}{latest.get_absolute_url()}")
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    shots.append(screenshot(page, "public-7-issue-english"))

    assert all(path.exists() and path.stat().st_size > 10_000 for path in shots)
