"""An uploaded bulletin file (plain text, .docx or PDF) read into a parsed bulletin.

The first step of every import: tell the format by the bytes, parse the whole file with
the pure readers in editorial.parsing, and turn a reader's refusal code into a message the
editor can act on. Nothing is written here; the preview and the import both start from
``parse_upload``, and ``import_bulletin --dry-run --json`` prints ``dry_run_report``.
"""

from __future__ import annotations

import hashlib
import inspect
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from editorial.models import ImportJob
from editorial.operations.upload_limits import (
    import_size_refusal,
    import_too_large_message,
    package_limits,
)
from editorial.parsing.docx import parse_docx
from editorial.parsing.keyfigures import KeyFigure, extract_key_figures
from editorial.parsing.packages import ZIP_MAGIC
from editorial.parsing.text import parse_bulletin_bytes
from editorial.parsing.tree import BulletinParseError, ParsedBulletin
from editorial.services.errors import ImportRefused
from editorial.services.figures import figure_import_warnings

PDF_MAGIC = b"%PDF-"


def refusal_message(code: str) -> str:
    """The editor-facing text for a parser's refusal code."""
    messages = {
        "empty": _("The file is empty."),
        "binary": _(
            "The file is not text, a Word file or a PDF: it looks like a binary file (an image "
            "or an archive?)."
        ),
        "scanned-pdf": _(
            "This PDF has no text layer (it may be a scan). Run text recognition on it first, "
            "or import its text instead."
        ),
        "pdf-broken": _("The PDF file is damaged or incomplete and cannot be read."),
        "pdf-unsupported": _("PDF files cannot be read on this server; import the text instead."),
        "encoding": _(
            "The file's encoding could not be recognised. Save it as UTF-8 or GB18030 and try again."
        ),
        "docx-broken": _("The Word file is damaged or incomplete and cannot be read."),
        "no-structure": _(
            "No sections or article titles were recognised. Is this a bulletin? Check the "
            "section names configured for the bulletin."
        ),
        "too-large": import_too_large_message(),
        "too-expanded": _(
            "The file expands to more than %(size)s MB when unpacked, or holds too many "
            "parts, and is refused. Save it again without embedded objects, or import its "
            "text instead."
        )
        % {"size": package_limits().max_bytes // (1024 * 1024)},
        "too-much-memory": _(
            "Reading the file needed more memory than an import may use, and was stopped. "
            "Import its text instead, or split it."
        ),
        "not-started": _(
            "No worker took the file up within %(minutes)s minutes. Upload it again later, "
            "or tell the administrator."
        )
        % {"minutes": max(1, settings.BULLETIN_IMPORT_QUEUE_SECONDS // 60)},
        "too-slow": _(
            "Reading the file took longer than %(seconds)s seconds and was stopped. Import "
            "its text instead, or split it."
        )
        % {"seconds": settings.BULLETIN_IMPORT_PARSE_SECONDS},
    }
    return messages.get(code, _("The file could not be read as a bulletin."))


def detect_format(filename: str, data: bytes) -> str:
    """The upload's format: the bytes' magic number first, then the file name."""
    name = filename.lower()
    if data.startswith(PDF_MAGIC):
        return ImportJob.Format.PDF
    if data.startswith(ZIP_MAGIC):
        return ImportJob.Format.DOCX
    if name.endswith(".pdf"):
        return ImportJob.Format.PDF
    if name.endswith(".docx"):
        return ImportJob.Format.DOCX
    return ImportJob.Format.TEXT


def accepts_overrides(file_format: str) -> bool:
    """Whether the reader for this format honours an editor's per-line roles."""
    if file_format == ImportJob.Format.DOCX:
        return "overrides" in inspect.signature(parse_docx).parameters
    return file_format in (ImportJob.Format.TEXT, ImportJob.Format.PDF)


def checksum_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_upload(
    *,
    data: bytes,
    filename: str = "",
    sections: list[str] | None = None,
    overrides: dict[int, str] | None = None,
) -> ParsedBulletin:
    """Parse an uploaded bulletin, or raise ImportRefused with a clear message."""
    if refusal := import_size_refusal(len(data)):
        raise ImportRefused(refusal, code="too-large")
    file_format = detect_format(filename, data)
    try:
        if file_format == ImportJob.Format.PDF:
            parsed = _parse_pdf(data, sections=sections or None, overrides=overrides)
        elif file_format == ImportJob.Format.DOCX:
            extra = {"overrides": overrides} if overrides and accepts_overrides(file_format) else {}
            parsed = parse_docx(
                data, sections=sections or None, limits=package_limits(), **extra
            )
        else:
            parsed = parse_bulletin_bytes(data, sections=sections or None, overrides=overrides)
    except BulletinParseError as exc:
        raise ImportRefused(refusal_message(exc.code), code=exc.code) from exc
    if not parsed.articles:
        raise ImportRefused(refusal_message("no-structure"), code="no-structure")
    # A caption the file has no image for: the editor attaches one before approval.
    parsed.warnings.extend(figure_import_warnings(parsed))
    return parsed


def _parse_pdf(data: bytes, **options) -> ParsedBulletin:
    try:
        # Loaded on first use: the PDF reader (pdfplumber, pdfminer) is heavy, and a
        # server without it still imports text and Word files.
        from editorial.parsing.pdf import parse_pdf
    except ImportError as exc:
        raise ImportRefused(refusal_message("pdf-unsupported"), code="pdf-unsupported") from exc
    return parse_pdf(data, **options)


@dataclass
class MetricProposal:
    section_index: int
    article_index: int
    figure: KeyFigure


def propose_metrics(parsed: ParsedBulletin, *, year: int | None) -> list[MetricProposal]:
    proposals = []
    for s_index, section in enumerate(parsed.sections):
        for a_index, article in enumerate(section.articles):
            text = "\n".join(article.paragraphs)
            for figure in extract_key_figures(text, year=year):
                proposals.append(MetricProposal(s_index, a_index, figure))
    return proposals


def number_for_json(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def dry_run_report(parsed: ParsedBulletin, proposals: list[MetricProposal]) -> dict:
    """The stable ``import_bulletin --dry-run --json`` shape."""
    report = parsed.to_dict()
    report["metrics"] = [
        {
            "indicator": p.figure.indicator,
            "period": p.figure.period,
            "value": number_for_json(p.figure.value),
            "unit": p.figure.unit,
            "yoy": number_for_json(p.figure.yoy) if p.figure.yoy is not None else None,
            "sentence": p.figure.sentence,
        }
        for p in proposals
    ]
    return report
