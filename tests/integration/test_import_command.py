"""import_bulletin: the stable command-line interface."""

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from editorial.models import Article, Bulletin, ImportWarning, Issue, Metric, Section
from editorial.workflow import EDITOR, PUBLISHER, IssueState
from tests.factories import UserFactory

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "bulletins" / "xxcy-2020-48.txt"
SECTIONS = "产业环境,运营竞争,技术情报,企业情报,海外借鉴"


def run(*args) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_bulletin", *map(str, args), stdout=out, stderr=err)
    return out.getvalue() + "\n---stderr---\n" + err.getvalue()


def stdout_of(*args) -> str:
    out = io.StringIO()
    call_command("import_bulletin", *map(str, args), stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_dry_run_json_has_the_documented_shape_and_touches_no_table(django_assert_num_queries):
    with django_assert_num_queries(0):
        report = json.loads(stdout_of(FIXTURE, "--dry-run", "--json", "--sections", SECTIONS))
    assert set(report) == {
        "bulletin", "date", "number", "sections", "furniture", "metrics", "warnings"
    }
    assert report["bulletin"] == "信息产业监测"
    assert report["date"] == "2020-12-03"
    assert report["number"] == 48  # "2020年第48期" on the cover
    assert [s["title"] for s in report["sections"]] == SECTIONS.split(",")
    article = report["sections"][0]["articles"][0]
    assert set(article) == {"title", "subheadings", "paragraphs", "figures"}
    metric = report["metrics"][0]
    assert set(metric) == {"indicator", "period", "value", "unit", "yoy", "sentence"}
    assert isinstance(metric["value"], int | float)
    assert all(set(w) == {"line", "message"} for w in report["warnings"])
    assert Issue.objects.count() == 0


@pytest.mark.django_db
def test_import_creates_a_draft_issue_and_prints_its_id_last():
    output = run(FIXTURE, "--bulletin", "xxcy", "--sections", SECTIONS)
    issue_id = int(output.split("\n---stderr---\n")[0].strip().splitlines()[-1])
    issue = Issue.objects.get(pk=issue_id)
    assert issue.state == IssueState.ASSEMBLING
    assert issue.issue_date.isoformat() == "2020-12-03"
    assert "Created bulletin" in output  # the command says it created the bulletin
    bulletin = Bulletin.objects.get(slug="xxcy")
    assert list(bulletin.sections.values_list("name", flat=True)) == SECTIONS.split(",")
    assert issue.articles.count() >= 14
    assert Metric.objects.filter(issue=issue, status=Metric.Status.SUGGESTED).exists()
    first = issue.articles.order_by("section__position", "position").first()
    assert first.body.startswith("<p>") and first.summary


def without_stated_number(tmp_path) -> Path:
    path = tmp_path / "no-number.txt"
    text = FIXTURE.read_text(encoding="utf-8").replace("2020年第48期（总第1236期）", "")
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.django_db
def test_the_issue_gets_the_number_the_file_states(settings):
    settings.LANGUAGE_CODE = "en"
    run(FIXTURE, "--bulletin", "xxcy", "--sections", SECTIONS)
    assert list(Issue.objects.values_list("number", flat=True)) == [48]
    # The same number again is refused, saying how to choose another; nothing is saved.
    with pytest.raises(CommandError, match=r"48.*--number"):
        run(FIXTURE, "--bulletin", "xxcy", "--date", "2020-12-10")
    assert Issue.objects.count() == 1
    out = run(FIXTURE, "--bulletin", "xxcy", "--date", "2020-12-10", "--number", "60")
    assert "Created bulletin" not in out
    assert sorted(Issue.objects.values_list("number", flat=True)) == [48, 60]
    assert Section.objects.filter(bulletin__slug="xxcy").count() == 5


@pytest.mark.django_db
def test_a_file_without_a_number_gets_the_next_free_one(tmp_path):
    source = without_stated_number(tmp_path)
    run(source, "--bulletin", "xxcy", "--sections", SECTIONS, "--number", "47")
    run(FIXTURE, "--bulletin", "xxcy")  # states 48
    run(source, "--bulletin", "xxcy", "--date", "2020-12-10")
    assert sorted(Issue.objects.values_list("number", flat=True)) == [47, 48, 49]
    report = json.loads(stdout_of(source, "--dry-run", "--json"))
    assert report["number"] is None


@pytest.mark.django_db
def test_gb18030_file_gives_the_same_tree(tmp_path):
    gb = tmp_path / "gb.txt"
    gb.write_bytes(FIXTURE.read_text(encoding="utf-8").encode("gb18030"))
    utf8 = json.loads(stdout_of(FIXTURE, "--dry-run", "--json", "--sections", SECTIONS))
    other = json.loads(stdout_of(gb, "--dry-run", "--json", "--sections", SECTIONS))
    assert other == utf8


@pytest.mark.django_db
def test_publish_as_publisher_publishes_in_one_recorded_step():
    UserFactory(username="pub", roles=[PUBLISHER])
    out = stdout_of(FIXTURE, "--bulletin", "xxcy", "--sections", SECTIONS, "--publish-as", "pub")
    issue = Issue.objects.get(pk=int(out.strip().splitlines()[-1]))
    assert issue.state == IssueState.PUBLISHED and issue.published_by.username == "pub"
    event = issue.review_events.get()
    assert event.action == "publish_back_catalogue" and event.actor.username == "pub"
    assert not ImportWarning.objects.filter(issue=issue, resolved=False).exists()


@pytest.mark.django_db
def test_publish_as_non_publisher_is_refused_and_saves_nothing(settings):
    settings.LANGUAGE_CODE = "en"
    UserFactory(username="ed", roles=[EDITOR])
    with pytest.raises(CommandError, match="publishers"):
        run(FIXTURE, "--bulletin", "xxcy", "--sections", SECTIONS, "--publish-as", "ed")
    assert not Issue.objects.exists() and not Article.objects.exists()
    assert not Bulletin.objects.exists()


def truncated_docx(tmp_path) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document>" + "x" * 5000)
    path = tmp_path / "broken.docx"
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    return path


@pytest.mark.django_db
@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p.write_bytes(b""), "empty"),
        (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20), "binary"),
        (lambda p: p.write_bytes("数据中心".encode() * 2_000_000), "too large"),
        (lambda p: p.write_text("正文" * 3000 + "。", encoding="utf-8"), "No sections"),
    ],
    ids=["empty", "binary", "huge", "no-structure"],
)
def test_bad_input_is_refused_clearly_and_saves_nothing(tmp_path, settings, make, message):
    settings.LANGUAGE_CODE = "en"
    path = tmp_path / "input.txt"
    make(path)
    with pytest.raises(CommandError) as raised:
        run(path, "--bulletin", "xxcy", "--sections", SECTIONS)
    assert message.lower() in str(raised.value).lower()
    assert not Issue.objects.exists() and not Bulletin.objects.exists()


@pytest.mark.django_db
def test_truncated_docx_is_refused(tmp_path, settings):
    settings.LANGUAGE_CODE = "en"
    with pytest.raises(CommandError, match="damaged"):
        run(truncated_docx(tmp_path), "--bulletin", "xxcy", "--sections", SECTIONS)
    assert not Issue.objects.exists()


@pytest.mark.django_db
def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run(tmp_path / "nope.txt", "--dry-run")


PDF_BULLETIN = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><style>
@page { size: A4; margin: 20mm; }
body { font-family: "Noto Serif CJK SC", serif; font-size: 11pt; }
h1 { font-size: 18pt; } h2 { font-size: 15pt; } p { text-indent: 2em; }
</style></head><body>
<p style="text-align:center;font-size:20pt">信息产业监测</p>
<p style="text-align:center">2020年第48期　2020年12月3日</p>
<h1>产业环境</h1>
<h2>工信部发布12项人工智能行业标准</h2>
<p>12月1日，工业和信息化部发布人工智能芯片基准测试等12项行业标准，自2021年3月1日起实施。</p>
<h1>运营竞争</h1>
<h2>三家基础电信企业5G套餐用户合计超3亿户</h2>
<p>12月2日，三家基础电信企业公布的数据显示，5G套餐用户合计已超过3亿户。</p>
</body></html>"""


@pytest.mark.django_db
def test_a_pdf_is_imported_with_the_number_it_states(tmp_path):
    from tests.chromium import CHROMIUM
    from tests.corpus.generator import pdf_via_chromium

    pytest.importorskip("editorial.parsing.pdf")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"needs chromium at {CHROMIUM} to print the PDF")
    path = tmp_path / "xxcy-48.pdf"
    path.write_bytes(pdf_via_chromium(PDF_BULLETIN))
    out = stdout_of(path, "--bulletin", "xxcy", "--sections", SECTIONS)
    issue = Issue.objects.get(pk=int(out.strip().splitlines()[-1]))
    assert (issue.number, issue.issue_date.isoformat()) == (48, "2020-12-03")
    assert list(issue.articles.order_by("section__position", "position")
                .values_list("section__name", "title")) == [
        ("产业环境", "工信部发布12项人工智能行业标准"),
        ("运营竞争", "三家基础电信企业5G套餐用户合计超3亿户"),
    ]


@pytest.mark.django_db
def test_a_pdf_without_a_text_layer_is_refused_clearly(tmp_path, settings):
    from tests.integration.test_import_preview_repair import blank_pdf

    pytest.importorskip("editorial.parsing.pdf")
    settings.LANGUAGE_CODE = "en"
    path = tmp_path / "scan.pdf"
    path.write_bytes(blank_pdf())
    with pytest.raises(CommandError, match="no text layer"):
        run(path, "--bulletin", "xxcy", "--sections", SECTIONS)
    assert not Issue.objects.exists() and not Bulletin.objects.exists()
