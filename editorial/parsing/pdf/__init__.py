"""Read a bulletin from the PDF itself into the parser tree.

Plain text extracted from a PDF has lost what the PDF knows: font sizes, bold faces,
positions, images and ruled tables. This reader works from the PDF's characters
(pdfplumber / pdfminer.six) and uses them directly:

1. characters: every glyph with its position, baseline, size and font; radical code
   points that stand for ordinary ideographs are unified (``glyphs.unify_radicals``);
2. page objects: ruled tables (pdfplumber ``find_tables``, lines strategy) take their
   characters out of the running text; images and clusters of vector graphics become
   figures, and text drawn inside a figure (chart labels) is set aside with it;
3. lines: characters are grouped on their baselines, per column where the page has a
   gutter, and put in reading order (above a full-width item, the left column then the
   right one);
4. furniture: running headers and footers (top/bottom of the page and repeated, or
   shaped like a page number or a copyright notice), a cover and a contents page;
5. roles, from the body font size (the size most characters are set in): configured
   section names, titles (clearly larger), subheadings (bold at the body size, or
   between body and title size), figure captions and source lines, body;
6. tree: body lines become paragraphs (a new one at a first-line indent, after a line
   that stops short in sentence punctuation, or after extra vertical space), joined
   across columns, pages and the furniture between them.

Every line (table rows and furniture included) gets a ``LineDecision`` numbered in
reading order over the whole document; ``overrides`` use those numbers. Nothing is
dropped: apart from furniture and whitespace every character of the text layer is in
the tree exactly once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from editorial.parsing.text import WARNING_CODES, checked_overrides
from editorial.parsing.tree import BulletinParseError, ParsedBulletin

from .document import MAX_PAGES, quiet_pdfminer, read_document
from .roles import Parser

__all__ = ["MAX_PAGES", "PDF_WARNING_CODES", "parse_pdf"]

# Every ``ParseWarning.code`` this reader emits: the plain-text parser's codes it shares,
# and the few only a PDF gives rise to.
PDF_WARNING_CODES = {
    **{
        code: WARNING_CODES[code]
        for code in (
            "unsure-title",
            "unsure-subheading",
            "unknown-heading",
            "guessed-section",
            "section-order",
            "no-section",
            "untitled-article",
            "empty-article",
            "orphan-source",
            "front-matter",
            "bad-override",
        )
    },
    "uncaptioned-figure": "an image or chart with no caption line next to it",
    "unmapped-glyphs": "characters the PDF draws without saying which they are (shown as �)",
}

# ============================================================================ public API


def parse_pdf(
    data: bytes,
    *,
    sections: Sequence[str] | None = None,
    overrides: Mapping[int, str] | None = None,
) -> ParsedBulletin:
    """Parse a bulletin PDF.

    ``sections``: the bulletin's configured section names, in order (``None``: guess
    them from known names and font size, and warn). ``overrides``: PDF line number (as
    in ``ParsedBulletin.decisions``) -> one of section, title, subheading, body, caption,
    furniture; an editor's correction, always honoured.

    Raises ``BulletinParseError`` with code ``empty``, ``pdf-broken`` (not a PDF,
    damaged, encrypted), ``too-large``, ``scanned-pdf`` (no text layer) or
    ``no-structure``.
    """
    if not data:
        raise BulletinParseError("The file is empty.", code="empty")
    checked = checked_overrides(overrides)
    with quiet_pdfminer():
        pages = read_document(data)
    return Parser(pages, sections, checked).parse()


