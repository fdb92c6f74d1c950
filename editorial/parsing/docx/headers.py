"""Headers and footers: the bulletin's name and the issue date when the body lacks them."""

from __future__ import annotations

import re
from datetime import date

from docx.document import Document as DocxDocument

from editorial.parsing.normalise import clean_title, fullwidth_to_ascii

from .wordml import MALFORMED_XML, W, element_text, inside_hidden


def header_footer_lines(document: DocxDocument, kind: str) -> list[str]:
    """Text lines of every defined header (or footer), sections in order."""
    lines: list[str] = []
    for section in document.sections:
        for variant in ("", "first_page_", "even_page_"):
            proxy = getattr(section, f"{variant}{kind}")
            # Checking first matters: .part on an undefined header would create one.
            if not proxy.is_linked_to_previous:
                lines.extend(_part_lines(proxy))
    return lines


def _part_lines(proxy) -> list[str]:
    try:
        root = proxy.part.element
    except MALFORMED_XML:
        return []  # a dangling header reference: the body is still worth reading
    texts = (
        element_text(p).strip() for p in root.iter(f"{W}p") if not inside_hidden(p, stop=root)
    )
    return [text for text in texts if text]


_DATE = re.compile(
    r"(?<!\d)(\d{4})(?:年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日|([.\-/．－／])(\d{1,2})\4(\d{1,2}))(?!\d)"
)
_PAGE_OR_ISSUE = re.compile(r"^(?:page\s*\d+|-\s*\d+\s*-|第\s*\d+\s*[页期]|\d+)$", re.I)


def first_date(lines: list[str]) -> date | None:
    for line in lines:
        for match in _DATE.finditer(fullwidth_to_ascii(line)):
            year, month_cn, day_cn, _, month, day = match.groups()
            try:
                return date(int(year), int(month_cn or month), int(day_cn or day))
            except ValueError:
                continue
    return None


def name_from_header(lines: list[str]) -> str | None:
    """The first header line's first chunk that is not a date, page or issue number."""
    if not lines:
        return None
    for chunk in re.split(r"\t|\s{2,}|\u3000", lines[0]):
        chunk = chunk.strip()
        if (
            chunk
            and not _DATE.search(fullwidth_to_ascii(chunk))
            and not _PAGE_OR_ISSUE.match(fullwidth_to_ascii(chunk))
            and not chunk.startswith("©")
        ):
            return clean_title(chunk)
    return None
