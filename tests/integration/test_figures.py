"""Figures are real: an editor attaches an image or picks an indicator chart; the PDF and
the HTML rendition number them per issue (图1, 图2 …) with caption and source; a figure
with nothing to show is an import warning and keeps its issue from approval."""

from __future__ import annotations

import datetime
import io
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms import inlineformset_factory
from django.urls import reverse
from django.utils import translation

from bench._sample_issue import sample_png, sample_svg_diagram
from editorial.admin.figures import FigureInlineForm, save_figure_formset
from editorial.models import (
    Article,
    AuditEntry,
    Figure,
    ImportWarning,
    Indicator,
    Metric,
)
from editorial.selectors import desk, readiness
from editorial.selectors.imports import section_names
from editorial.services import figures, importing, rendering, upload_parsing
from editorial.services.errors import PermissionRefused, ServiceError
from editorial.workflow import ArticleState, IssueState
from tests.factories import IssueFactory

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "bulletins" / "xxcy-2020-48.txt"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def open_issue(bulletin):
    return IssueFactory(bulletin=bulletin, state=IssueState.ASSEMBLING,
                        issue_date=datetime.date(2020, 12, 7))


@pytest.fixture
def figure(open_issue, editor):
    section = open_issue.bulletin.sections.order_by("position").first()
    article = Article.objects.create(
        issue=open_issue, section=section, position=1, title="5G基站建设进展",
        body='<p>截至10月底，5G基站总数达69万个。</p><figure class="figure-1"></figure>',
        state=ArticleState.APPROVED, created_by=editor,
    )
    return Figure.objects.create(article=article, position=1, caption="图1 5G基站数量",
                                 source_line="资料来源：工业和信息化部")


def indicator_with_values(issue, article, count: int) -> Indicator:
    indicator = Indicator.objects.create(name="5G基站总数", slug="5g-base-stations", unit="万个",
                                         source="工业和信息化部")
    for month in range(1, count + 1):
        Metric.objects.create(
            indicator=indicator, issue=issue, article=article, period_label=f"{month}月",
            period_end=datetime.date(2020, month, 28), value=Decimal(50 + month * 3),
            unit="万个", status=Metric.Status.CONFIRMED,
        )
    return indicator


def upload(name: str, content: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


# --- The service ------------------------------------------------------------------------------


def test_an_image_is_attached_through_storage_and_recorded(figure, editor):
    figures.attach_figure_image(figure=figure, user=editor,
                                upload=upload("基站.png", sample_png(64, 32)))
    figure.refresh_from_db()
    assert figure.image.name.startswith("figures/") and figure.image.name.endswith(".png")
    assert figure.image.storage.exists(figure.image.name)
    with figure.image.open("rb") as handle:
        assert handle.read() == sample_png(64, 32)
    [entry] = AuditEntry.objects.filter(action="figure.attach_image")
    assert entry.actor == editor and entry.issue_id == figure.article.issue_id
    assert entry.changes["image"][0] == "" and entry.changes["size"] == len(sample_png(64, 32))


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("chart.png", "不是图片，是文字".encode(), "figure-image-type"),  # a name is not a type
        ("chart.png", sample_png(64, 32)[:60], "figure-image-type"),  # truncated
        ("chart.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
         "figure-image-svg"),
        ("chart.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="x()"></svg>',
         "figure-image-svg"),
        ("chart.svg", b'<svg xmlns="http://www.w3.org/2000/svg" '
                      b'xmlns:xlink="http://www.w3.org/1999/xlink">'
                      b'<image xlink:href="https://example.org/a.png"/></svg>', "figure-image-svg"),
        ("chart.svg", b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]>'
                      b'<svg xmlns="http://www.w3.org/2000/svg">&a;</svg>', "figure-image-type"),
        ("chart.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><image href="other.png"/></svg>',
         "figure-image-svg"),  # a file beside it, which a renderer would go and read
        ("empty.png", b"", "figure-image-empty"),
    ],
)
def test_a_bad_upload_is_refused_with_a_reason_and_changes_nothing(figure, editor, name, content,
                                                                   code):
    with pytest.raises(ServiceError) as refused:
        figures.attach_figure_image(figure=figure, user=editor, upload=upload(name, content))
    assert refused.value.code == code
    assert str(refused.value)  # a sentence for the editor
    figure.refresh_from_db()
    assert not figure.image and not AuditEntry.objects.filter(action__startswith="figure.").exists()


def test_an_image_over_the_size_limit_is_refused(figure, editor, settings):
    settings.FIGURE_IMAGE_MAX_BYTES = 1000
    content = sample_png(200, 200)
    assert len(content) > 1000
    with pytest.raises(ServiceError) as refused:
        figures.attach_figure_image(figure=figure, user=editor, upload=upload("big.png", content))
    assert refused.value.code == "figure-image-size"
    assert "MB" in str(refused.value)


def test_a_plain_svg_is_accepted(figure, editor):
    figures.attach_figure_image(figure=figure, user=editor,
                                upload=upload("区域.svg", sample_svg_diagram(), "image/svg+xml"))
    figure.refresh_from_db()
    assert figure.image.name.endswith(".svg")


def test_a_chart_needs_two_values_and_replaces_the_image(figure, editor):
    article, issue = figure.article, figure.article.issue
    short = indicator_with_values(issue, article, 1)
    with pytest.raises(ServiceError) as refused:
        figures.choose_figure_chart(figure=figure, user=editor, indicator=short)
    assert refused.value.code == "figure-chart-too-short"
    Metric.objects.create(indicator=short, issue=issue, article=article, period_label="2月",
                          period_end=datetime.date(2020, 2, 28), value=Decimal(61), unit="万个",
                          status=Metric.Status.CONFIRMED)
    figures.attach_figure_image(figure=figure, user=editor, upload=upload("a.png", sample_png()))
    figures.choose_figure_chart(figure=figure, user=editor, indicator=short)
    figure.refresh_from_db()
    assert figure.indicator == short and not figure.image
    figures.clear_figure_artwork(figure=figure, user=editor)
    figure.refresh_from_db()
    assert figure.indicator is None and not figure.image
    actions = list(AuditEntry.objects.filter(action__startswith="figure.")
                   .order_by("id").values_list("action", flat=True))
    assert actions == ["figure.attach_image", "figure.choose_chart", "figure.clear"]


def test_only_an_editor_of_an_open_issue_may_change_figures(figure, editor, reviewer):
    with pytest.raises(PermissionRefused):
        figures.attach_figure_image(figure=figure, user=reviewer, upload=upload("a.png", sample_png()))
    issue = figure.article.issue
    issue.state = IssueState.APPROVED
    issue.save()
    with pytest.raises(PermissionRefused):
        figures.attach_figure_image(figure=figure, user=editor, upload=upload("a.png", sample_png()))
    figure.refresh_from_db()
    assert not figure.image


# --- Import warning and readiness gate ------------------------------------------------------------


def test_an_imported_caption_without_image_warns_and_gates_until_an_image_is_attached(
    bulletin, editor
):
    parsed = upload_parsing.parse_upload(data=FIXTURE.read_bytes(), filename=FIXTURE.name,
                                         sections=section_names(bulletin))
    issue = importing.import_bulletin(parsed=parsed, bulletin=bulletin, user=editor)
    bare = list(Figure.objects.filter(article__issue=issue).order_by("article__position", "id"))
    assert len(bare) == 2
    warnings = ImportWarning.objects.filter(issue=issue, code=figures.FIGURE_WARNING)
    assert warnings.count() == 2
    assert {w.text for w in warnings} == {f.caption or f.source_line for f in bare}
    assert all("image" in w.description.lower() or "图" in w.description for w in warnings)
    with translation.override("en"):
        assert "2 figures have no image or chart." in readiness.issue_blockers(issue)
    with translation.override("zh-hans"):
        assert "2 幅插图没有图片或走势图。" in readiness.issue_blockers(issue)
    [row] = [r for r in desk.issue_readiness() if r.issue.pk == issue.pk]
    assert row.blockers == readiness.issue_blockers(issue)

    figures.attach_figure_image(figure=bare[0], user=editor, upload=upload("a.png", sample_png()))
    assert warnings.filter(resolved=False).count() == 1  # the warning about that figure
    with translation.override("en"):
        assert "1 figures have no image or chart." in readiness.issue_blockers(issue)
    figures.delete_figure(figure=bare[1], user=editor)
    assert not warnings.filter(resolved=False).exists()
    with translation.override("en"):
        assert not [b for b in readiness.issue_blockers(issue) if "image or chart" in b]


# --- The admin inline ----------------------------------------------------------------------------


FigureFormSet = inlineformset_factory(Article, Figure, form=FigureInlineForm, extra=1,
                                      fields=FigureInlineForm.Meta.fields)


def formset_data(figure, **fields) -> dict:
    data = {
        "figures-TOTAL_FORMS": "2", "figures-INITIAL_FORMS": "1",
        "figures-MIN_NUM_FORMS": "0", "figures-MAX_NUM_FORMS": "1000",
        "figures-0-id": str(figure.pk), "figures-0-article": str(figure.article_id),
        "figures-0-position": "1", "figures-0-caption": figure.caption,
        "figures-0-source_line": figure.source_line, "figures-0-indicator": "",
        "figures-1-article": str(figure.article_id), "figures-1-position": "0",
    }
    data.update({f"figures-0-{k}": v for k, v in fields.items()})
    return data


def test_the_admin_inline_saves_through_the_service(figure, editor):
    files = {"figures-0-image": upload("现场.png", sample_png(40, 20))}
    formset = FigureFormSet(formset_data(figure, caption="图1 现场照片"), files,
                            instance=figure.article, prefix="figures")
    assert formset.is_valid(), formset.errors
    save_figure_formset(formset, article=figure.article, user=editor)
    figure.refresh_from_db()
    assert figure.caption == "图1 现场照片" and figure.image
    assert set(AuditEntry.objects.values_list("action", flat=True)) == {
        "figure.edit", "figure.attach_image"}
    assert [f for f, _changed in formset.changed_objects] == [figure]


def test_the_admin_inline_shows_a_bad_upload_on_its_field(figure, editor):
    files = {"figures-0-image": upload("chart.png", b"GIF89a but not really")}
    formset = FigureFormSet(formset_data(figure), files, instance=figure.article, prefix="figures")
    assert not formset.is_valid()
    assert "PNG" in " ".join(formset.forms[0].errors["image"])


def test_the_article_page_offers_image_and_indicator(client, superuser, figure):
    client.force_login(superuser)
    page = client.get(reverse("admin:editorial_article_change", args=[figure.article_id]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="figures-0-image"' in html and 'name="figures-0-indicator"' in html


# --- The renditions ------------------------------------------------------------------------------


def issue_with_three_figures(bulletin, editor):
    """An image, a chart, and a caption with nothing to show (printed nowhere)."""
    issue = IssueFactory(bulletin=bulletin, state=IssueState.ASSEMBLING,
                         issue_date=datetime.date(2020, 12, 7))
    sections = list(bulletin.sections.order_by("position")[:2])
    text = "<p>今年以来，全国5G基站建设稳步推进，截至10月底总数达69万个，同比增长较快。</p>" * 6
    first = Article.objects.create(
        issue=issue, section=sections[0], position=1, title="基站建设",
        body=text + '<figure class="figure-1"></figure>' + text, created_by=editor,
        state=ArticleState.APPROVED,
    )
    second = Article.objects.create(
        issue=issue, section=sections[1], position=1, title="流量增长",
        body=text + '<figure class="figure-1"></figure><figure class="figure-2"></figure>' + text,
        created_by=editor, state=ArticleState.APPROVED,
    )
    photo = Figure.objects.create(article=first, position=1, caption="图3 区域分布",
                                  source_line="资料来源：测试机构")
    photo.image.save("region.svg", ContentFile(sample_svg_diagram()), save=True)
    chart = Figure.objects.create(article=second, position=1, caption="",
                                  source_line="")
    indicator = indicator_with_values(issue, second, 6)
    figures.choose_figure_chart(figure=chart, user=editor, indicator=indicator)
    Figure.objects.create(article=second, position=2, caption="图5 无图的说明",
                          source_line="资料来源：无")
    return issue


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils is not installed")
def test_the_pdf_numbers_figures_per_issue_and_prints_no_bare_caption(bulletin, editor, tmp_path):
    pdfplumber = pytest.importorskip("pdfplumber")
    issue = issue_with_three_figures(bulletin, editor)
    path = tmp_path / "issue.pdf"
    path.write_bytes(rendering.render_issue_document(issue=issue, kind="pdf").content)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    squashed = re.sub(r"\s+", "", text)
    # The issue's numbers, not the ones the captions came with; the chart's caption and
    # source from its indicator.
    assert "图1区域分布" in squashed and "资料来源：测试机构" in squashed
    assert "图2" in squashed and "5G基站总数走势" in squashed
    assert squashed.index("图1区域分布") < squashed.index("图25G基站总数走势")
    assert "资料来源：工业和信息化部" in squashed
    assert "图3" not in squashed and "无图的说明" not in squashed and "资料来源：无" not in squashed
    # Each numbered caption sits under its drawing: vector paths just above the caption.
    with pdfplumber.open(str(path)) as pdf:
        captions = {}
        for page in pdf.pages:
            for top, line in caption_lines(page):
                captions[line.split(" ")[0]] = (page, top)
        assert set(captions) == {"图1", "图2"}
        for label, (page, top) in captions.items():
            drawn = [o for o in page.curves + page.rects + page.lines + page.images
                     if top - 260 < o["bottom"] <= top]
            assert len(drawn) >= 3, (label, len(drawn))


def caption_lines(page):
    """(top, text) of the 9 pt lines that start with a figure number."""
    rows: dict[float, list] = {}
    for char in page.chars:
        if abs(char["size"] - 9) < 0.1:
            rows.setdefault(round(char["top"], 1), []).append(char)
    for top, chars in rows.items():
        text = "".join(c["text"] for c in sorted(chars, key=lambda c: c["x0"]))
        if re.match(r"图\d+ ", text):
            yield top, text


def test_the_html_rendition_numbers_figures_and_inlines_the_chart(bulletin, editor):
    issue = issue_with_three_figures(bulletin, editor)
    html = rendering.render_issue_document(issue=issue, kind="html").content.decode()
    numbers = re.findall(r'<span class="figure-number">([^<]+)</span>\s*([^<]*)</span>', html)
    assert numbers == [("图1", "区域分布"), ("图2", "5G基站总数走势")]
    figures_html = re.findall(r"<figure class=\"figure[^\"]*\">.*?</figure>", html, re.S)
    assert len(figures_html) == 2
    assert 'src="data:image/svg+xml;base64,' in figures_html[1] and "figure-chart" in figures_html[1]
    assert "无图的说明" not in html


def test_a_figure_chart_is_not_drawn_twice_with_the_key_figure_chart(bulletin, editor):
    from editorial.selectors.render_data import issue_render_data

    issue = issue_with_three_figures(bulletin, editor)  # the chart's metrics are quoted too
    blocks = [b for s in issue_render_data(issue)["sections"] for a in s["articles"]
              for b in a["blocks"] if b["type"] == "figure"]
    assert [b["label"] for b in blocks] == ["图1", "图2"]
    assert sum(1 for b in blocks if b["chart"]) == 1


def test_upload_checks_read_the_bytes_not_the_name():
    checked = figures.check_figure_image(io.BytesIO(sample_png(10, 10)))
    assert (checked.extension, checked.mime, checked.width, checked.height) == (
        "png", "image/png", 10, 10)


def test_the_public_article_page_shows_the_chart_and_no_bare_caption(client, bulletin, editor):
    from editorial.links import preview_token_for

    issue = issue_with_three_figures(bulletin, editor)
    second = issue.articles.get(title="流量增长")
    url = reverse("editorial:preview_article", args=[preview_token_for(issue), second.pk])
    html = client.get(url).content.decode()
    assert "5G基站总数走势" in html and 'src="data:image/svg+xml;base64,' in html
    assert "无图的说明" not in html and "资料来源：无" not in html
