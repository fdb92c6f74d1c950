"""The import preview as a repair bench: every line correctable, warnings in Chinese, the
issue number shown and editable, duplicates caught before anything is created, PDFs
accepted."""

from __future__ import annotations

import datetime
import re
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from editorial.admin.importing import EVIDENCE_PHRASES, preview_blocks
from editorial.models import ImportJob, ImportWarning, Issue
from editorial.models.jobs import IMPORT_WARNING_TEXTS, describe_import_warning
from editorial.parsing.text import WARNING_CODES
from editorial.parsing.tree import EVIDENCE_CODES
from editorial.selectors.imports import job_overrides
from editorial.services import import_previews, upload_parsing
from editorial.services.errors import ServiceError
from tests.factories import IssueFactory

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "bulletins" / "xxcy-2020-48.txt"
HEADING_ROLES = {"section", "title", "subheading"}


def upload(client, bulletin, data: bytes, name="xxcy.txt", **fields):
    response = client.post(
        reverse("admin:editorial_import_upload"),
        {"file": SimpleUploadedFile(name, data), "bulletin": bulletin.pk, **fields},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportJob.objects.latest("created_at"), response.url


def parsed_fixture(job):
    return import_previews.preview_import_job(job=job).parsed


def selects_in(html: str) -> set[int]:
    return {int(n) for n in re.findall(r'<select name="role-(\d+)"', html)}


def decision(parsed, line):
    return next(d for d in parsed.decisions if d.line == line)


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


# --- Every line correctable ---------------------------------------------------------------


def test_every_heading_line_and_paragraph_start_has_a_role_select(editor_client, bulletin):
    job, url = upload(editor_client, bulletin, FIXTURE.read_bytes())
    html = editor_client.get(url).content.decode()
    parsed = parsed_fixture(job)
    assert parsed.decisions, "the text parser reports a decision for every line"
    selects = selects_in(html)
    headings = {d.line for d in parsed.decisions if d.role in HEADING_ROLES}
    starts = {b.line for a in parsed.articles for b in a.blocks if b.line}
    assert headings <= selects
    assert starts <= selects
    # Lines inside paragraphs wait until their paragraph is opened.
    assert len(selects) < len(parsed.decisions)
    # Evidence and warnings in Chinese: no English sentence, no raw code.
    for english in list(EVIDENCE_CODES.values()) + list(WARNING_CODES.values()):
        assert english not in html
    for w in parsed.warnings:
        assert w.message not in html
        assert f">{w.code}<" not in html
    shown = {code for d in parsed.decisions for code in d.evidence}
    with translation.override("zh-hans"):
        for code in shown:
            assert str(EVIDENCE_PHRASES[code]) in html
    assert "可能是标题也可能是小标题" in html  # the fixture's unsure subheadings
    assert "doubtful" in html


def test_opening_a_paragraph_gives_each_of_its_lines_a_select(editor_client, bulletin):
    job, url = upload(editor_client, bulletin, FIXTURE.read_bytes())
    editor_client.get(url)
    parsed = parsed_fixture(job)
    blocks = preview_blocks(parsed, overrides={}, warnings=job.report["warnings"])
    paragraph = next(b for b in blocks if b.kind == "paragraph" and len(b.more) >= 2)
    inner = {line.line for line in paragraph.more}
    assert not inner & selects_in(editor_client.get(url).content.decode())
    opened = editor_client.get(url, {"lines": paragraph.line}).content.decode()
    assert inner <= selects_in(opened)
    assert f'href="?lines={paragraph.line}#l-{paragraph.line}"' not in opened


def test_correcting_unflagged_lines_keeps_earlier_choices(editor_client, bulletin):
    job, url = upload(editor_client, bulletin, FIXTURE.read_bytes())
    editor_client.get(url)
    parsed = parsed_fixture(job)
    warned = {w.line for w in parsed.warnings}
    sure_titles = [
        a for a in parsed.articles
        if a.line not in warned and decision(parsed, a.line).sure and len(a.blocks) > 1
    ]
    first, second = sure_titles[1], sure_titles[3]

    # The editor takes an unflagged title for a subheading; untouched selects post "keep".
    editor_client.post(url, {"apply": "1", f"role-{first.line}": "subheading",
                             f"role-{second.line}": ""})
    job.refresh_from_db()
    assert job_overrides(job) == {first.line: "subheading"}
    html = editor_client.get(url).content.decode()
    job.refresh_from_db()
    titles = [a["title"] for s in job.report["sections"] for a in s["articles"]]
    assert first.title not in titles
    assert any(first.title in " ".join(a["subheadings"]) for s in job.report["sections"]
               for a in s["articles"])
    assert '<option value="subheading" selected>' in html  # the choice is shown

    # A second round adds to the first; "keep" gives a line back to the parser.
    editor_client.post(url, {"apply": "1", f"role-{second.line}": "subheading"})
    job.refresh_from_db()
    assert job_overrides(job) == {first.line: "subheading", second.line: "subheading"}
    editor_client.post(url, {"apply": "1", f"role-{first.line}": ""})
    job.refresh_from_db()
    assert job_overrides(job) == {second.line: "subheading"}

    editor_client.post(url, {"confirm": "1", "checksum": job.checksum})
    issue = Issue.objects.get()
    assert not issue.articles.filter(title=second.title).exists()
    assert issue.articles.filter(title=first.title).exists()


def test_confirming_with_unapplied_corrections_applies_them_first(editor_client, bulletin):
    job, url = upload(editor_client, bulletin, FIXTURE.read_bytes())
    editor_client.get(url)
    title = parsed_fixture(job).articles[2]
    response = editor_client.post(
        url, {"confirm": "1", "checksum": job.checksum, f"role-{title.line}": "subheading"},
        follow=True,
    )
    assert not Issue.objects.exists()
    assert "修改已应用" in response.content.decode()
    job.refresh_from_db()
    assert job_overrides(job) == {title.line: "subheading"}


def test_unknown_roles_are_refused(editor_client, bulletin, editor):
    job, url = upload(editor_client, bulletin, FIXTURE.read_bytes())
    response = editor_client.post(url, {"apply": "1", "role-3": "banner"}, follow=True)
    assert "未知的行或角色" in response.content.decode()
    job.refresh_from_db()
    assert job_overrides(job) == {}


def test_a_word_file_without_line_decisions_falls_back_to_its_flagged_lines(
    editor_client, bulletin
):
    from editorial.parsing.tree import Paragraph, ParsedArticle, ParsedBulletin, ParsedSection
    from tests.docx_builder import build_docx

    tree = ParsedBulletin(
        bulletin_name="信息产业监测",
        sections=[ParsedSection("产业环境", articles=[
            ParsedArticle("工信部发布12项人工智能行业标准", blocks=[
                Paragraph("12月1日，工业和信息化部发布12项行业标准。"),
            ]),
        ])],
    )
    job, url = upload(editor_client, bulletin, build_docx(tree, use_styles=False), name="x.docx")
    parsed = parsed_fixture(job)
    html = editor_client.get(url).content.decode()
    assert "工信部发布12项人工智能行业标准" in html and 'id="import-lines"' not in html
    assert parsed.warnings
    for warning in parsed.warnings:  # headings found by their font, in Chinese
        assert describe_import_warning(warning.code) in html and warning.message not in html
    if not parsed.decisions and not upload_parsing.accepts_overrides(job.format):
        assert "<select" not in html  # the Word reader would ignore a correction


# --- Warnings in the editor's language ----------------------------------------------------


def test_every_evidence_and_warning_code_has_a_chinese_phrase():
    from editorial.parsing.pdf import PDF_WARNING_CODES

    assert set(EVIDENCE_CODES) <= set(EVIDENCE_PHRASES)
    assert set(WARNING_CODES) | set(PDF_WARNING_CODES) <= set(IMPORT_WARNING_TEXTS)
    with translation.override("zh-hans"):
        for phrase in list(EVIDENCE_PHRASES.values()) + list(IMPORT_WARNING_TEXTS.values()):
            assert re.search(r"[\u4e00-\u9fff]", str(phrase)), str(phrase)
        assert describe_import_warning("some-new-code") == "解析器对此行没有把握"


def test_import_warnings_read_in_chinese(editor_client, bulletin):
    job, url = upload(editor_client, bulletin, FIXTURE.read_bytes())
    editor_client.get(url)
    editor_client.post(url, {"confirm": "1", "checksum": job.checksum})
    warning = ImportWarning.objects.filter(code="unsure-subheading").first()
    with translation.override("zh-hans"):
        assert warning.description == "可能是标题也可能是小标题，暂作小标题"
        assert str(warning) == f"{warning.line}: {warning.description}"
    assert warning.text and warning.message  # the line and the parser's own sentence kept


# --- Duplicates ---------------------------------------------------------------------------


def test_the_same_file_again_is_flagged_and_needs_import_anyway(editor_client, bulletin):
    job, url = upload(editor_client, bulletin, FIXTURE.read_bytes())
    editor_client.get(url)
    editor_client.post(url, {"confirm": "1", "checksum": job.checksum})
    first = Issue.objects.get()

    again, url = upload(editor_client, bulletin, FIXTURE.read_bytes())
    html = editor_client.get(url).content.decode()
    assert "可能已经导入过" in html and "同一文件已导入为" in html
    assert reverse("admin:editorial_issue_change", args=[first.pk]) in html
    assert 'name="import_anyway"' in html

    response = editor_client.post(
        url, {"confirm": "1", "checksum": again.checksum, "number": "49"}, follow=True
    )
    assert "仍要导入" in response.content.decode()
    assert Issue.objects.count() == 1
    editor_client.post(
        url, {"confirm": "1", "checksum": again.checksum, "number": "49", "import_anyway": "1"}
    )
    assert sorted(Issue.objects.values_list("number", flat=True)) == [48, 49]


def test_an_issue_of_the_same_date_is_flagged(editor_client, bulletin):
    existing = IssueFactory(bulletin=bulletin, number=7, issue_date=datetime.date(2020, 12, 3))
    job, url = upload(editor_client, bulletin, FIXTURE.read_bytes())
    html = editor_client.get(url).content.decode()
    assert "出刊日期相同" in html
    assert reverse("admin:editorial_issue_change", args=[existing.pk]) in html
    editor_client.post(url, {"confirm": "1", "checksum": job.checksum})
    assert Issue.objects.count() == 1  # not without the tick

    # A date given at upload is the one compared.
    other, url = upload(editor_client, bulletin, FIXTURE.read_bytes(), issue_date="2020-12-10")
    assert "出刊日期相同" not in editor_client.get(url).content.decode()
    editor_client.post(url, {"confirm": "1", "checksum": other.checksum})
    assert Issue.objects.count() == 2


# --- The issue number ---------------------------------------------------------------------


def test_the_preview_shows_the_number_the_file_states(editor_client, bulletin):
    IssueFactory(bulletin=bulletin, number=47, issue_date=datetime.date(2020, 11, 26))
    job, url = upload(editor_client, bulletin, FIXTURE.read_bytes())
    html = editor_client.get(url).content.decode()
    assert 'name="number" id="id_number" value="48"' in html
    assert "文件所载期号" in html
    editor_client.post(url, {"confirm": "1", "checksum": job.checksum, "number": "48"})
    assert Issue.objects.get(number=48).bulletin == bulletin


def test_without_a_stated_number_the_next_free_one_is_proposed(editor_client, bulletin):
    IssueFactory(bulletin=bulletin, number=5, volume=2020, issue_date=datetime.date(2020, 3, 1))
    IssueFactory(bulletin=bulletin, number=6, volume=2020, issue_date=datetime.date(2020, 3, 8))
    data = FIXTURE.read_text(encoding="utf-8").replace("2020年第48期（总第1236期）", "")
    _job, url = upload(editor_client, bulletin, data.encode())
    html = editor_client.get(url).content.decode()
    assert 'name="number" id="id_number" value="7"' in html
    assert "下一个可用期号" in html


def test_a_clashing_number_is_refused_in_chinese(editor_client, bulletin):
    taken = IssueFactory(bulletin=bulletin, number=48, issue_date=datetime.date(2020, 1, 2))
    job, url = upload(editor_client, bulletin, FIXTURE.read_bytes())
    html = editor_client.get(url).content.decode()
    assert "此期号已被" in html
    assert reverse("admin:editorial_issue_change", args=[taken.pk]) in html
    response = editor_client.post(
        url, {"confirm": "1", "checksum": job.checksum, "number": "48"}, follow=True
    )
    assert f"{bulletin.name}已有第48期" in response.content.decode()
    assert Issue.objects.count() == 1
    response = editor_client.post(url, {"apply": "1", "number": "47"}, follow=True)
    assert "已有第47期" not in response.content.decode()  # 47 is free
    IssueFactory(bulletin=bulletin, number=51, issue_date=datetime.date(2020, 2, 2))
    response = editor_client.post(url, {"apply": "1", "number": "51"}, follow=True)
    assert "已有第51期" in response.content.decode()

    editor_client.post(url, {"apply": "1", "number": "50"})
    job.refresh_from_db()
    assert job.options["number"] == 50
    assert 'value="50"' in editor_client.get(url).content.decode()
    editor_client.post(url, {"confirm": "1", "checksum": job.checksum, "number": "50"})
    assert Issue.objects.filter(bulletin=bulletin, number=50).exists()


# --- PDF ----------------------------------------------------------------------------------


def test_pdf_is_recognised_by_its_magic_or_its_name():
    assert upload_parsing.detect_format("bulletin.pdf", b"%PDF-1.7\n...") == ImportJob.Format.PDF
    assert upload_parsing.detect_format("upload.txt", b"%PDF-1.4\n...") == ImportJob.Format.PDF
    assert upload_parsing.detect_format("BULLETIN.PDF", b"\x00\x01") == ImportJob.Format.PDF
    assert upload_parsing.detect_format("x.docx", b"PK\x03\x04...") == ImportJob.Format.DOCX
    assert upload_parsing.detect_format("x.txt", "信息产业监测".encode()) == ImportJob.Format.TEXT


def test_a_pdf_is_never_called_binary():
    # A PDF goes to the PDF reader, never to the text decoder that refuses binary files.
    with pytest.raises(ServiceError) as refused:
        upload_parsing.parse_upload(data=b"%PDF-1.4\n\x00\x01\x02 broken", filename="x.txt")
    assert refused.value.code != "binary"
    with translation.override("en"):
        assert "(an image or an archive?)" in upload_parsing.refusal_message("binary")
    with translation.override("zh-hans"):
        assert "二进制" not in upload_parsing.refusal_message("scanned-pdf")
        assert "文字层" in upload_parsing.refusal_message("scanned-pdf")
        assert "PDF" in upload_parsing.refusal_message("pdf-broken")


def test_the_upload_form_offers_pdf(editor_client):
    html = editor_client.get(reverse("admin:editorial_import_upload")).content.decode()
    assert ".pdf" in html and "文字层的PDF" in html


def blank_pdf() -> bytes:
    """A valid one-page PDF with no text on it: what a scan without OCR looks like."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length 0 >>\nstream\n\nendstream",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def test_a_pdf_without_text_is_refused_with_advice(editor_client, bulletin):
    pytest.importorskip("editorial.parsing.pdf")
    job, url = upload(editor_client, bulletin, blank_pdf(), name="scan.pdf")
    assert job.format == ImportJob.Format.PDF
    response = editor_client.get(url, follow=True)
    assert "没有文字层" in response.content.decode()
    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED and not Issue.objects.exists()


def test_a_damaged_pdf_is_refused(editor_client, bulletin):
    pytest.importorskip("editorial.parsing.pdf")
    _job, url = upload(editor_client, bulletin, blank_pdf()[:60], name="broken.pdf")
    response = editor_client.get(url, follow=True)
    assert "PDF文件已损坏" in response.content.decode()


# --- A long bulletin ----------------------------------------------------------------------


def long_bulletin(lines: int = 2000) -> bytes:
    """The sample bulletin's pages repeated to about ``lines`` lines."""
    text = FIXTURE.read_text(encoding="utf-8")
    pages = text.split("\f", 2)[-1]
    copies = [text]
    while sum(c.count("\n") for c in copies) < lines:
        copies.append(pages)
    return "\f".join(copies).encode("utf-8")


def test_a_2000_line_preview_stays_small_and_quick(editor_client, bulletin, capsys):
    data = long_bulletin()
    job, url = upload(editor_client, bulletin, data)
    editor_client.get(url)  # warm: templates compiled, translations loaded
    start = time.perf_counter()
    response = editor_client.get(url)
    elapsed = time.perf_counter() - start
    html = response.content.decode()
    parsed = parsed_fixture(job)
    selects = selects_in(html)
    blocks = preview_blocks(parsed, overrides={}, warnings=job.report["warnings"])
    heads = {line.line for block in blocks for line in block.heads}
    input_lines = data.count(b"\n")
    with capsys.disabled():
        print(
            f"\n2,000-line preview: {input_lines} input lines, {len(parsed.decisions)} "
            f"decisions, {len(selects)} selects, {len(response.content) / 1024:.0f} KB, "
            f"{elapsed * 1000:.0f} ms"
        )
    assert input_lines >= 2000
    # Selects for the heading lines, paragraph starts and doubtful lines only.
    assert selects == heads and len(selects) < len(parsed.decisions)
    assert len(response.content) < 1_500_000
    assert elapsed < 3.0
