"""The plain-data tree every bulletin parser returns.

Parsers (plain text, .docx) build these dataclasses; the importing service turns
them into model rows and the dry-run command prints ``ParsedBulletin.to_dict()``.
Nothing here imports Django, so the whole parsing package is testable without a
database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass
class Paragraph:
    text: str
    line: int = 0  # 1-based line (or paragraph index for .docx) where it starts


@dataclass
class Subheading:
    text: str
    line: int = 0
    kicker: str | None = None  # the short line printed above the heading, if any

    @property
    def full_text(self) -> str:
        return f"{self.kicker} {self.text}" if self.kicker else self.text


@dataclass
class FigureCaption:
    caption: str
    source: str | None = None  # "资料来源：……" line, kept whole
    line: int = 0


@dataclass
class Table:
    rows: list[list[str]]
    line: int = 0


Block = Paragraph | Subheading | FigureCaption | Table


@dataclass
class ParsedArticle:
    title: str
    line: int = 0
    blocks: list[Block] = field(default_factory=list)

    @property
    def paragraphs(self) -> list[str]:
        return [b.text for b in self.blocks if isinstance(b, Paragraph)]

    @property
    def subheadings(self) -> list[str]:
        return [b.full_text for b in self.blocks if isinstance(b, Subheading)]

    @property
    def figures(self) -> list[FigureCaption]:
        return [b for b in self.blocks if isinstance(b, FigureCaption)]

    @property
    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]

    def to_dict(self) -> dict:
        return {
            "title": self.title,
            "subheadings": self.subheadings,
            "paragraphs": self.paragraphs,
            "figures": [{"caption": f.caption, "source": f.source} for f in self.figures],
        }


@dataclass
class ParsedSection:
    title: str
    line: int = 0
    articles: list[ParsedArticle] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"title": self.title, "articles": [a.to_dict() for a in self.articles]}


@dataclass
class ParseWarning:
    line: int
    message: str  # English, for logs and --json; the admin shows a translated text by `code`
    code: str = "unsure"  # machine-readable kind, e.g. "unsure-subheading", "unknown-heading"
    text: str = ""  # the line concerned, so a preview can show it beside the warning


# Why a line was given its role: short codes a preview shows (translated) beside the line.
EVIDENCE_CODES = {
    "configured-section": "the line is one of the bulletin's configured section names",
    "guessed-section": "no sections configured: the line has the shape of a section name",
    "title-font": "CJK/Latin or CJK/digit boundaries are spaced (set in a larger font)",
    "body-font": "CJK/Latin or CJK/digit boundaries are not spaced (set in the body font)",
    "block-end": "the line ends a block (a trailing space in the extracted text)",
    "inside-block": "the line does not end a block (no trailing space)",
    "new-topic": "shares no words with the article so far",
    "same-topic": "repeats words of the current article's title or text",
    "echoed-by-lead": "the paragraph after it repeats its words",
    "dated-lead": "the paragraph after it opens with a date",
    "label-series": "a short label that repeats across sibling subheadings",
    "plain-series": "a plain heading followed closely by another, neither with a dated lead",
    "numbered": "numbered like a subheading (一、 / （一） / 1.)",
    "kicker": "a short kicker line above a heading",
    "wrapped-title": "a long title that wrapped onto a second line",
    "would-empty-article": "as a title it would leave the article before it with no text",
    "first-in-section": "the first heading after a section heading",
    "after-end-mark": "follows an article's end mark (完)",
    "full-width-line": "as wide as a full printed line: body text",
    "sentence-end": "ends in sentence punctuation",
    "continues-sentence": "the line before stops mid-sentence",
    "source-line": "a 资料来源 / 数据来源 line",
    "caption-before-source": "a short line directly above a source line",
    "numeric-cells": "short numeric lines read as table cells",
    "ruled-table": "a row of a table drawn with rules (PDF)",
    "furniture": "running header, footer, page number or copyright notice",
    "font-size": "set in a larger font size than the body (PDF)",
    "bold": "set in bold at the body size (PDF)",
    "image": "an image or chart on the page (PDF)",
    "editor": "set by an editor in the preview",
}


@dataclass
class LineDecision:
    """What one input line was taken as, and why: the preview shows these for correction.

    ``line`` is the number an override uses (a 1-based text line, a .docx paragraph
    index, or a PDF line index); ``role`` is one of section, title, subheading, body,
    caption, source, table, furniture.
    """

    line: int
    text: str
    role: str
    evidence: tuple[str, ...] = ()  # EVIDENCE_CODES keys
    sure: bool = True

    def to_dict(self) -> dict:
        return {
            "line": self.line,
            "text": self.text,
            "role": self.role,
            "evidence": list(self.evidence),
            "sure": self.sure,
        }


@dataclass
class ParsedBulletin:
    bulletin_name: str | None = None
    issue_date: date | None = None
    issue_number: int | None = None  # "2020年第48期" → 48, when the file says so
    total_number: int | None = None  # "总第1234期" → 1234
    sections: list[ParsedSection] = field(default_factory=list)
    furniture: list[str] = field(default_factory=list)  # removed lines, in input order
    warnings: list[ParseWarning] = field(default_factory=list)
    encoding: str | None = None  # what the bytes were decoded as, when parsed from bytes
    decisions: list[LineDecision] = field(default_factory=list)  # one per kept input line

    @property
    def articles(self) -> list[ParsedArticle]:
        return [a for s in self.sections for a in s.articles]

    def to_dict(self) -> dict:
        """The dry-run JSON shape (metrics are added by the caller)."""
        return {
            "bulletin": self.bulletin_name,
            "date": self.issue_date.isoformat() if self.issue_date else None,
            "number": self.issue_number,
            "sections": [s.to_dict() for s in self.sections],
            "furniture": list(self.furniture),
            "warnings": [{"line": w.line, "message": w.message} for w in self.warnings],
        }


class BulletinParseError(ValueError):
    """The input cannot be read as a bulletin at all (empty, binary, no structure).

    ``code`` lets the admin show a translated message; ``str(error)`` is English.
    """

    def __init__(self, message: str, *, code: str = "invalid"):
        super().__init__(message)
        self.code = code
