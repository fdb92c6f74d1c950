"""The PDF's text layer, as readers copy it out: the characters of the article and no
others, and the breaks a Chinese typesetter allows.

Extracted with poppler (pdftotext) and pdfminer (through pdfplumber), the two families
of extractors that PDF viewers and indexing tools build on.
"""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from editorial.models import Article
from editorial.services import rendering
from editorial.workflow import ArticleState
from tests.integration.test_rendering import PARAGRAPH, make_issue

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils is not installed"),
]

pdfminer_high_level = pytest.importorskip("pdfminer.high_level")
pdfplumber = pytest.importorskip("pdfplumber")

CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef\u2018-\u201d\u2014"
SPACE_AT_CJK = re.compile(rf"(?<=[{CJK}]) | (?=[{CJK}])")
# Tokens that must never be broken across lines.
UNBREAKABLE = ["10%～20%", "2021—2023年", "5G-V2X", "1100个", "58482亿元", "16.8%"]


def ranges_paragraph(k: int) -> str:
    # A filler of varying length moves the tokens through every position in the line.
    return (
        "业" * k + "数据显示，相关指标增长10%～20%，2021—2023年将推进5G-V2X部署，"
        "累计建成站点1100个，完成收入58482亿元，同比增长16.8%。"
    )


@pytest.fixture
def pdf_path(bulletin, tmp_path) -> Path:
    issue = make_issue(bulletin)
    section = bulletin.sections.order_by("position").first()
    body = "".join(f"<p>{ranges_paragraph(k)}</p>" for k in range(48))
    Article.objects.create(
        issue=issue, section=section, position=99, title="区间与单位", source="测试",
        body=body, state=ArticleState.APPROVED,
    )
    document = rendering.render_issue_document(issue=issue, kind="pdf")
    path = tmp_path / "issue.pdf"
    path.write_bytes(document.content)
    return path


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[。；！？])", text) if len(s) > 4]


def extractions(path: Path) -> dict[str, str]:
    poppler = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-nopgbrk", str(path), "-"],
        check=True, capture_output=True, text=True,
    ).stdout
    return {"pdftotext": poppler, "pdfminer": pdfminer_high_level.extract_text(str(path))}


def test_copied_text_is_the_text_as_written(pdf_path):
    expected = sentences(PARAGRAPH) + [s for k in range(48) for s in sentences(ranges_paragraph(k))]
    for tool, text in extractions(pdf_path).items():
        joined = re.sub(r"\n+", "", text)
        missing = [s for s in expected if s not in joined]
        # Every sentence whole: no space inserted where Chinese meets Latin or digits, no
        # quotation taken out of its sentence; one may cross a page break.
        assert len(missing) <= 2, (tool, missing[:3])
        # Nor anywhere else in the body: the article text itself has no such spaces.
        body_lines = [
            line for line in text.splitlines()
            if any(s[:6] in line for s in expected) and "·" not in line
        ]
        spurious = sum(len(SPACE_AT_CJK.findall(line)) for line in body_lines)
        assert spurious == 0, (tool, [line for line in body_lines if SPACE_AT_CJK.search(line)][:3])


def printed_lines(path: Path) -> list[str]:
    lines = []
    with pdfplumber.open(str(path)) as pdf:
        for page in pdf.pages:
            rows: dict[int, list] = {}
            for char in page.chars:
                rows.setdefault(round(char["top"]), []).append(char)
            for _, chars in sorted(rows.items()):
                lines.append("".join(c["text"] for c in sorted(chars, key=lambda c: c["x0"])))
    return lines


def test_ranges_terms_and_units_are_never_broken(pdf_path):
    lines = printed_lines(pdf_path)
    assert not [line for line in lines if line.startswith(("～", "—", "-"))]
    broken = []
    for before, after in itertools.pairwise(lines):
        for token in UNBREAKABLE:
            for cut in range(1, len(token)):
                if before.endswith(token[:cut]) and after.startswith(token[cut:]):
                    broken.append((token, before[-8:], after[:8]))
    assert not broken, broken


def test_the_pdf_opens_with_its_bookmarks_and_ends_with_a_colophon(pdf_path, bulletin):
    content = pdf_path.read_bytes()
    assert b"/PageMode/UseOutlines" in content
    info = subprocess.run(["pdfinfo", str(pdf_path)], capture_output=True, text=True)
    assert info.returncode == 0 and "Pages:" in info.stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))
    last = subprocess.run(
        ["pdftotext", "-f", str(pages), "-l", str(pages), str(pdf_path), "-"],
        capture_output=True, text=True,
    ).stdout
    assert "本期完" in last and bulletin.name in last


def test_no_empty_slots_without_publisher_or_copyright(bulletin, tmp_path):
    bulletin.publisher_name = ""
    bulletin.copyright_line = ""
    bulletin.save()
    issue = make_issue(bulletin, long_first_section=False)
    path = tmp_path / "bare.pdf"
    path.write_bytes(rendering.render_issue_document(issue=issue, kind="pdf").content)
    with pdfplumber.open(str(path)) as pdf:
        cover, inner = pdf.pages[0], pdf.pages[3]
        # Cover: the date stands alone under the rule, nothing printed at the foot.
        assert "编印" not in cover.extract_text()
        assert not [c for c in cover.chars if c["top"] > cover.height * 0.9]
        # Footer: date and page number only, the date taking the copyright's place.
        footer = [c for c in inner.chars if c["top"] > inner.height - 24 * 72 / 25.4]
        text = "".join(c["text"] for c in sorted(footer, key=lambda c: c["x0"]))
        assert "2020年12月7日" in text and "页" in text
        date_x = min(c["x0"] for c in footer if c["text"] == "2")
        assert date_x < 22 * 72 / 25.4 + 2  # at the left margin: no blank cell before it
