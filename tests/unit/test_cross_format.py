"""The same bulletin as text, as GB18030 text and as a .docx gives the same tree."""

from pathlib import Path

from editorial.parsing.docx import parse_docx
from editorial.parsing.text import parse_bulletin_bytes
from tests.docx_builder import build_docx, tree_outline

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bulletins"
SECTIONS = ["产业环境", "运营竞争", "技术情报", "企业情报", "海外借鉴"]


def test_every_fixture_reads_the_same_as_docx_with_heading_styles():
    for path in sorted(FIXTURES.glob("*.txt")):
        from_text = parse_bulletin_bytes(path.read_bytes(), sections=SECTIONS)
        docx = build_docx(from_text, use_styles=True)
        from_docx = parse_docx(docx, sections=SECTIONS)
        assert tree_outline(from_docx) == tree_outline(from_text), path.name


def test_every_fixture_reads_the_same_in_gb18030():
    for path in sorted(FIXTURES.glob("*.txt")):
        utf8 = parse_bulletin_bytes(path.read_bytes(), sections=SECTIONS)
        gb = parse_bulletin_bytes(path.read_text(encoding="utf-8").encode("gb18030"), sections=SECTIONS)
        assert tree_outline(gb) == tree_outline(utf8)
        assert gb.encoding != utf8.encoding
