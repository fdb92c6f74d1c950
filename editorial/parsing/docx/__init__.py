"""Read a Word (.docx) bulletin into the parser tree.

Editors sometimes receive a bulletin as the Word file it was laid out from rather than
as PDF text. Word keeps what the PDF loses (paragraph boundaries, heading styles, tables),
so this reader needs no line re-joining or furniture hunting; its work is deciding which
paragraphs are headings when the author formatted them by hand instead of with styles.

The reader walks the body in document order and gives every paragraph a *role*:

1. from its style (Title, Heading 1-4, Caption, TOC ...), with localised style names;
2. from the configured section names, whatever the paragraph's style;
3. from a figure-caption pattern (a short line followed by a ``资料来源：`` line);
4. for the heading levels the author never styled, from font size and boldness
   relative to the body text (each inferred heading is reported as a warning).

Then it assembles sections ▸ articles ▸ blocks. ``line`` numbers are 1-based positions
among the body's paragraphs and tables (empty paragraphs counted), so an editor can find
the spot in Word.

One module a step: wordml.py (the XML namespace and a paragraph's text as printed),
body.py (the body's paragraphs and tables in order), tables.py (cells on the grid),
styles.py (style roles and run fonts), roles.py (roles for unstyled paragraphs),
assembly.py (the tree), headers.py (name and date from headers and footers). The package
size check shared with spreadsheets is editorial.parsing.packages.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from docx import Document
from docx.document import Document as DocxDocument

from editorial.parsing.packages import PackageLimits, check_package_size
from editorial.parsing.tree import BulletinParseError, ParsedBulletin, ParseWarning

from .assembly import assemble
from .body import read_body
from .headers import first_date, header_footer_lines, name_from_header
from .roles import assign_roles
from .styles import style_role
from .vocabulary import Role, section_key
from .wordml import MALFORMED_XML

__all__ = ["Role", "parse_docx", "section_key", "style_role"]

_DOC_MAGIC_OLE = b"\xd0\xcf\x11\xe0"  # the old binary .doc format


def parse_docx(
    data: bytes,
    *,
    sections: Sequence[str] | None = None,
    limits: PackageLimits | None = None,
) -> ParsedBulletin:
    """Parse a .docx bulletin; ``sections`` are the bulletin's configured section names.

    Raises ``BulletinParseError`` with code ``empty``, ``docx-broken``, ``too-expanded``
    or ``no-structure``.
    """
    if not data:
        raise BulletinParseError("The file is empty.", code="empty")
    check_package_size(data, limits)
    document = _open_document(data)
    try:
        items = list(read_body(document))
        header_lines = header_footer_lines(document, "header")
        footer_lines = header_footer_lines(document, "footer")
    except MALFORMED_XML as exc:
        # A well-formed package whose XML is not the shape WordprocessingML promises.
        raise BulletinParseError(
            f"The Word file's content cannot be read: {exc}", code="docx-broken"
        ) from exc

    warnings: list[ParseWarning] = []
    assign_roles(items, {section_key(name): name for name in sections or ()}, warnings)
    bulletin = assemble(items, sections or (), warnings)
    bulletin.warnings = sorted(warnings, key=lambda warning: warning.line)
    if bulletin.bulletin_name is None:
        bulletin.bulletin_name = name_from_header(header_lines)
    bulletin.issue_date = first_date(header_lines + footer_lines + bulletin.furniture)
    return bulletin


def _open_document(data: bytes) -> DocxDocument:
    """Open the package; any failure here means the bytes are not a readable .docx."""
    try:
        document = Document(io.BytesIO(data))
        if document.element.body is None:
            raise ValueError("word/document.xml has no w:body")
        return document
    # python-docx and zipfile raise many types for bad bytes (BadZipFile, KeyError,
    # PackageNotFoundError, XMLSyntaxError, ValueError, zlib.error, EOFError ...), and
    # the contract is that bad bytes only ever produce BulletinParseError.
    except Exception as exc:
        hint = " (it looks like an old .doc file)" if data.startswith(_DOC_MAGIC_OLE) else ""
        raise BulletinParseError(
            f"The file is not a readable Word .docx document{hint}: {exc}", code="docx-broken"
        ) from exc
