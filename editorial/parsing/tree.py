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


@dataclass
class ParsedBulletin:
    bulletin_name: str | None = None
    issue_date: date | None = None
    sections: list[ParsedSection] = field(default_factory=list)
    furniture: list[str] = field(default_factory=list)  # removed lines, in input order
    warnings: list[ParseWarning] = field(default_factory=list)
    encoding: str | None = None  # what the bytes were decoded as, when parsed from bytes

    @property
    def articles(self) -> list[ParsedArticle]:
        return [a for s in self.sections for a in s.articles]

    def to_dict(self) -> dict:
        """The dry-run JSON shape (metrics are added by the caller)."""
        return {
            "bulletin": self.bulletin_name,
            "date": self.issue_date.isoformat() if self.issue_date else None,
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
