"""Invented bulletins shaped like real ones, with the truth known.

``generate(seed, family)`` writes one bulletin from a seeded ``random.Random``: sections
(the configured names, some possibly absent), articles with titles, subheadings,
paragraphs, figures and tables, and the page furniture a layout program prints. It is
written from shared/formats/plain-text-bulletin.md, not from any parser: the printed
text has every quirk that page describes, and ``truth`` says what each piece is.

Families (``FAMILIES``):

- ``features``: long features and commentary; plain unnumbered subheadings, some as long
  as a full line, holding ``，`` or ``？`` or two phrases split by a space; few dated leads.
- ``briefs``: dated news briefs (``12月14日，……``), titles with figures, few subheadings.
- ``mixed``: features with short undated briefs of two or three paragraphs between them;
  a brief's first sentence repeats its title's words.
- ``labelled``: colon headlines (``话题：事件``) as titles, label series (``需求侧：…`` /
  ``供给侧：…``) and a single colon line as subheadings.
- ``kickers``: kicker + heading pairs (``从概念到实践`` / ``边云协同进入新阶段``) and quote
  pairs (``“网”与“云”``) as subheadings.

Every family also has wrapped titles with a one- or two-character tail, figures (caption,
sometimes right under the title, then ``资料来源：……``), the odd table (one cell a line),
one furniture cluster per ~50 printed lines (bulletin name, copyright notice — sometimes
cut at its start —, page number) dropped mid-paragraph, and an optional cover.

Renderers: ``extracted_text(style)`` (what pdftotext gives: "trailing" or "stripped"),
``extracted_bytes(variant)`` (encodings and line ends), ``render_html()`` (a standalone
page for Chromium's print-to-PDF) and ``render_data()`` (the render model the project's
Typst typesetter takes). ``pdf_via_chromium`` and ``pdf_via_typst`` print them.
"""

from __future__ import annotations

import datetime
import html
import random
import re
import struct
import subprocess
import tempfile
import unicodedata
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from tests.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.corpus import vocabulary as V

FAMILIES = ("features", "briefs", "mixed", "labelled", "kickers")
DEFAULT_SECTIONS = ("产业环境", "运营竞争", "技术情报", "企业情报", "海外借鉴")
STYLES = ("trailing", "stripped")
BYTE_VARIANTS = ("utf-8", "utf-8-sig", "crlf", "cr", "gb18030", "utf-16")

# Closing marks never start a printed line (they hang on the line before); opening marks
# never end one (they move down with the character they open).
_NO_LINE_START = frozenset("，。、；：？！）》”’%…")
_NO_LINE_END = frozenset("“‘（《")
_LATIN_RUN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.%+\-/]*")
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.%+\-/]*| |.")
_IDEOGRAPH = re.compile(r"[\u3400-\u9fff]")
_SENTENCE_END = "。！？”）"


# ============================================================================ the truth


@dataclass
class Block:
    """One block of an article. ``kind``: subheading, paragraph, figure, table."""

    kind: str
    text: str = ""  # paragraph text; subheading heading; figure caption
    kicker: str | None = None  # subheading: the short line above it
    source: str | None = None  # figure: the 资料来源 line
    rows: list[list[str]] | None = None  # table

    @property
    def truth(self) -> tuple:
        if self.kind == "subheading":
            return ("subheading", f"{self.kicker} {self.text}" if self.kicker else self.text)
        if self.kind == "figure":
            return ("figure", self.text, self.source)
        if self.kind == "table":
            return ("table", [list(row) for row in self.rows or []])
        return ("paragraph", self.text)


@dataclass
class Article:
    title: str  # as an editor would type it: no title-font spaces (a two-phrase space kept)
    blocks: list[Block]
    kind: str = "feature"  # feature, commentary, brief, short-brief
    topic: tuple[str, ...] = ()

    @property
    def truth(self) -> tuple[str, list[tuple]]:
        return (self.title, [block.truth for block in self.blocks])


@dataclass
class Section:
    name: str
    articles: list[Article]


@dataclass
class ExtractedLine:
    """One line of the extracted text, and what it is (for tests and for scoring)."""

    text: str  # exactly as in the "trailing" text, edge spaces included
    role: str  # blank, section, title, kicker, subheading, body, caption, source, cell,
    #            furniture, cover
    block_end: bool = False  # the last printed line of its block


@dataclass
class _Printed:
    text: str
    role: str
    end: bool


# ============================================================================ widths


def char_width(char: str) -> float:
    """Printed width in full-width characters: ASCII 0.5, wide and ambiguous CJK 1."""
    if ord(char) < 0x80:
        return 0.5
    return 1.0 if unicodedata.east_asian_width(char) in ("W", "F", "A") else 0.5


def width(text: str) -> float:
    return sum(char_width(char) for char in text)


def bigrams(text: str) -> set[str]:
    """The character pairs of ``text``'s ideographs, letters and digits."""
    kept = "".join(ch for ch in text if _IDEOGRAPH.match(ch) or ch.isalnum())
    return {kept[i : i + 2] for i in range(len(kept) - 1)}


def title_spacing(text: str) -> str:
    """The title font's extraction artefact: a space at every CJK/digit and CJK/Latin
    boundary (``2021年`` → ``2021 年``)."""
    out: list[str] = []
    last = 0
    for match in _LATIN_RUN.finditer(text):
        start, end = match.span()
        out.append(text[last:start])
        before = text[start - 1] if start else ""
        after = text[end] if end < len(text) else ""
        run = match.group()
        if before and _IDEOGRAPH.match(before):
            run = " " + run
        if after and _IDEOGRAPH.match(after):
            run = run + " "
        out.append(run)
        last = end
    out.append(text[last:])
    return "".join(out)


def wrap(text: str, first: float, full: float, rng: random.Random | None = None) -> list[str]:
    """Hard-wrap like the layout program: Latin words and numbers are never split, closing
    marks hang on the line before, opening marks move down. ``first`` is the first line's
    capacity (a paragraph's is two characters less: the lost indent)."""
    lines: list[str] = []
    current: list[str] = []
    used = 0.0
    capacity = first
    for token in _TOKEN.findall(text):
        size = width(token)
        if token == " " and not current:
            continue  # a space at a line break disappears
        if current and used + size > capacity + 1e-9 and token not in _NO_LINE_START:
            carried: list[str] = []
            while current and current[-1] in _NO_LINE_END:
                carried.insert(0, current.pop())
            if current:
                lines.append("".join(current).rstrip())
                current, used = carried, width("".join(carried))
                capacity = full + (rng.choice((0.0, 0.0, 0.5, -0.5)) if rng else 0.0)
                if token == " ":
                    continue
            else:
                current = carried
        current.append(token)
        used += size
    if current:
        lines.append("".join(current).rstrip())
    return [line for line in lines if line]


# ============================================================================ the bulletin


@dataclass
class GeneratedBulletin:
    seed: int
    family: str
    sections: list[Section]
    section_names: list[str]  # the bulletin's configured sections, in order
    bulletin_name: str
    publisher: str
    issue_date: datetime.date
    issue_number: int | None  # printed on the cover (2020年第48期), else None
    total_number: int | None  # 总第1234期 on the cover, else None
    line_width: float  # a full body line, in full-width characters
    title_width: float  # a full title line (larger font)
    notice: str  # the copyright line as printed in full
    _lines: list[ExtractedLine] = field(default_factory=list, repr=False)

    # --- the truth ----------------------------------------------------------------------

    @property
    def truth(self) -> list[tuple[str, list[tuple[str, list[tuple]]]]]:
        """sections ▸ articles ▸ ordered blocks:
        ``[(section, [(title, [("subheading", text) | ("paragraph", text) |
        ("figure", caption, source) | ("table", rows)])])]``."""
        return [(s.name, [a.truth for a in s.articles]) for s in self.sections]

    @property
    def articles(self) -> list[Article]:
        return [a for s in self.sections for a in s.articles]

    @property
    def furniture(self) -> list[str]:
        """Every furniture and cover line of the extracted text, stripped, in order."""
        return [line.text.strip() for line in self._lines if line.role in ("furniture", "cover")]

    @property
    def lines(self) -> list[ExtractedLine]:
        return list(self._lines)

    def as_parsed(self):
        """The truth as the ``ParsedBulletin`` a perfect parser would return."""
        from editorial.parsing.tree import (
            FigureCaption,
            Paragraph,
            ParsedArticle,
            ParsedBulletin,
            ParsedSection,
            Subheading,
            Table,
        )

        sections = []
        for section in self.sections:
            articles = []
            for article in section.articles:
                blocks = []
                for block in article.blocks:
                    if block.kind == "paragraph":
                        blocks.append(Paragraph(block.text))
                    elif block.kind == "subheading":
                        blocks.append(Subheading(block.text, kicker=block.kicker))
                    elif block.kind == "figure":
                        blocks.append(FigureCaption(block.text, block.source))
                    else:
                        blocks.append(Table([list(r) for r in block.rows or []]))
                articles.append(ParsedArticle(article.title, blocks=blocks))
            sections.append(ParsedSection(section.name, articles=articles))
        return ParsedBulletin(
            bulletin_name=self.bulletin_name,
            issue_date=self.issue_date,
            issue_number=self.issue_number,
            total_number=self.total_number,
            sections=sections,
            furniture=self.furniture,
        )

    # --- extracted text -----------------------------------------------------------------

    def extracted_text(self, style: str = "trailing") -> str:
        """The text as pdftotext gives it. "trailing": a trailing space ends every block's
        last printed line; "stripped": a tool removed every trailing space."""
        if style not in STYLES:
            raise ValueError(f"unknown style {style!r}; one of {STYLES}")
        lines = [line.text for line in self._lines]
        if style == "stripped":
            lines = [line.rstrip() for line in lines]
        return "\n".join(lines) + "\n"

    def extracted_bytes(self, variant: str = "utf-8", *, style: str = "trailing") -> bytes:
        """The extracted text as a file arrives: utf-8, utf-8-sig (BOM), crlf, cr,
        gb18030 (with CRLF, as Windows tools write it) or utf-16 (with BOM)."""
        text = self.extracted_text(style)
        if variant == "utf-8":
            return text.encode("utf-8")
        if variant == "utf-8-sig":
            return text.encode("utf-8-sig")
        if variant == "crlf":
            return text.replace("\n", "\r\n").encode("utf-8")
        if variant == "cr":
            return text.replace("\n", "\r").encode("utf-8")
        if variant == "gb18030":
            return text.replace("\n", "\r\n").encode("gb18030")
        if variant == "utf-16":
            return text.encode("utf-16")
        raise ValueError(f"unknown variant {variant!r}; one of {BYTE_VARIANTS}")

    # --- printing -----------------------------------------------------------------------

    def render_html(self) -> str:
        """A standalone A4 page of the bulletin for Chromium's print-to-PDF: titles in a
        larger font, subheadings bold at body size, paragraphs indented 2em, the name,
        notice and page number in the page margins."""
        esc = html.escape
        notice = self.notice.replace('"', "'")
        parts = [
            "<!DOCTYPE html>",
            '<html lang="zh-CN"><head><meta charset="utf-8">',
            f"<title>{esc(self.bulletin_name)}</title>",
            "<style>",
            "@page { size: A4; margin: 24mm 22mm 24mm 22mm;",
            f'  @top-left {{ content: "{esc(self.bulletin_name)}"; font: 9pt "Noto Sans CJK SC"; }}',
            f'  @bottom-left {{ content: "{esc(notice)}"; font: 7.5pt "Noto Sans CJK SC"; }}',
            '  @bottom-right { content: "第" counter(page) "页"; font: 8pt "Noto Sans CJK SC"; } }',
            "@page cover { @top-left { content: none; } @bottom-left { content: none; }",
            "  @bottom-right { content: none; } }",
            'body { font-family: "Noto Serif CJK SC", serif; font-size: 10.5pt;'
            " line-height: 1.7; margin: 0; text-align: justify; }",
            "p { text-indent: 2em; margin: 0 0 0.3em 0; }",
            'h1 { font-family: "Noto Sans CJK SC", sans-serif; font-size: 17pt; color: #8a1c1c;'
            " margin: 0.8em 0 0.8em 0; break-after: avoid; }",
            "h1.section { break-before: page; }",
            'h2 { font-family: "Noto Sans CJK SC", sans-serif; font-size: 13pt; font-weight: bold;'
            " margin: 1.6em 0 0.6em 0; break-after: avoid; }",
            "h3 { font-size: 10.5pt; font-weight: bold; margin: 1em 0 0.4em 0; break-after: avoid; }",
            "p.kicker { text-indent: 0; font-weight: bold; margin: 1em 0 0 0; break-after: avoid; }",
            "figure { margin: 0.8em 0; text-align: center; break-inside: avoid; }",
            "figure img { width: 70%; }",
            'figcaption { font-family: "Noto Sans CJK SC", sans-serif; font-size: 9pt; }',
            "p.source { text-indent: 0; text-align: center; font-size: 8pt; color: #555; }",
            "table { border-collapse: collapse; margin: 0.8em auto; font-size: 9pt; }",
            "td, th { border: 0.5pt solid #888; padding: 2pt 8pt; }",
            ".cover { page: cover; text-align: center; padding-top: 60mm; }",
            '.cover .name { font-family: "Noto Sans CJK SC", sans-serif; font-size: 30pt; }',
            "</style></head><body>",
        ]
        if self.issue_number is not None or self.total_number is not None:
            parts.append('<div class="cover">')
            parts.append(f'<p class="name">{esc(self.bulletin_name)}</p>')
            parts.append(f"<p>{esc(self._number_line())}</p>")
            parts.append(f"<p>{esc(self._date_cn())}</p></div>")
        image = _data_uri_png()
        for index, section in enumerate(self.sections):
            css = ' class="section"' if index or self.issue_number or self.total_number else ""
            parts.append(f"<h1{css}>{esc(section.name)}</h1>")
            for article in section.articles:
                parts.append(f"<h2>{esc(article.title)}</h2>")
                for block in article.blocks:
                    if block.kind == "paragraph":
                        parts.append(f"<p>{esc(block.text)}</p>")
                    elif block.kind == "subheading":
                        if block.kicker:
                            parts.append(f'<p class="kicker">{esc(block.kicker)}</p>')
                        parts.append(f"<h3>{esc(block.text)}</h3>")
                    elif block.kind == "figure":
                        parts.append(
                            f'<figure><img src="{image}" alt=""><figcaption>{esc(block.text)}'
                            "</figcaption></figure>"
                        )
                        parts.append(f'<p class="source">{esc(block.source or "")}</p>')
                    else:
                        rows = block.rows or []
                        body = "".join(
                            "<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>"
                            for row in rows
                        )
                        parts.append(f"<table>{body}</table>")
        parts.append("</body></html>")
        return "\n".join(parts)

    def render_data(self) -> dict:
        """The render model (editorial.selectors.render_data.issue_render_data's shape) of this
        bulletin, for ``editorial.typesetting.pdf.typeset_pdf`` or ``render_html``."""
        labels = _labels()
        number = self.issue_number or 1
        image = _data_uri_png()
        sections = []
        next_id = 1
        for position, section in enumerate(self.sections, start=1):
            articles = []
            for article in section.articles:
                blocks = []
                for block in article.blocks:
                    if block.kind == "paragraph":
                        blocks.append({"type": "paragraph", "runs": [_run(block.text)]})
                    elif block.kind == "subheading":
                        blocks.append(
                            {
                                "type": "subheading",
                                "text": block.text,
                                "kicker": block.kicker,
                                "level": 3,
                            }
                        )
                    elif block.kind == "figure":
                        blocks.append(
                            {
                                "type": "figure",
                                "caption": block.text,
                                "source": block.source or "",
                                "image_data_uri": image,
                                "chart": False,
                            }
                        )
                    else:
                        blocks.append(
                            {
                                "type": "table",
                                "rows": [list(r) for r in block.rows or []],
                                "header": True,
                            }
                        )
                articles.append(
                    {
                        "id": next_id,
                        "anchor": f"article-{next_id}",
                        "title": article.title,
                        "subtitle": "",
                        "source": "",
                        "source_url": "",
                        "author": "",
                        "original_date": "",
                        "summary": "",
                        "blocks": blocks,
                    }
                )
                next_id += 1
            sections.append(
                {
                    "id": position,
                    "anchor": f"section-{position}",
                    "name": section.name,
                    "articles": articles,
                }
            )
        date = self.issue_date
        return {
            "version": 1,
            "language": "zh-CN",
            "labels": labels,
            "bulletin": {
                "name": self.bulletin_name,
                "publisher": self.publisher,
                "publisher_line": labels["published_by"].format(publisher=self.publisher),
                "copyright": self.notice,
            },
            "issue": {
                "id": self.seed,
                "number": number,
                "volume": date.year,
                "number_label": f"{date.year}年 第{number}期",
                "title": f"{self.bulletin_name} {date.year}年第{number}期",
                "date": date.isoformat(),
                "year": date.year,
                "month": date.month,
                "day": date.day,
                "date_display": self._date_cn(),
                "erratum": "",
            },
            "sections": sections,
        }

    def _date_cn(self) -> str:
        d = self.issue_date
        return f"{d.year}年{d.month}月{d.day}日"

    def _number_line(self) -> str:
        parts = []
        if self.issue_number is not None:
            parts.append(f"{self.issue_date.year}年第{self.issue_number}期")
        if self.total_number is not None:
            parts.append(f"总第{self.total_number}期")
        return "（".join(parts) + ("）" if len(parts) == 2 else "")


# ============================================================================ writing


class _Writer:
    """Writes one bulletin's articles. One instance per bulletin: it keeps the pools of
    topics, actors and predicates so two articles of the issue share few words."""

    def __init__(self, rng: random.Random, family: str, date: datetime.date):
        self.rng = rng
        self.family = family
        self.date = date
        self.topics = rng.sample(V.TOPICS, len(V.TOPICS))
        self.title_predicates = rng.sample(V.TITLE_PREDICATES, len(V.TITLE_PREDICATES))
        self.sub_predicates = rng.sample(V.SUB_PREDICATES, len(V.SUB_PREDICATES))
        self.companies = rng.sample(V.COMPANIES, len(V.COMPANIES))
        self.cities = rng.sample(V.CITIES, len(V.CITIES))
        self.line_width = 40.0
        self.title_width = 30.0
        self.figure_count = 0
        self.deck: list[str] = []
        self.seen = ""  # the current article so far
        self.previous_title = ""

    # --- pools ----------------------------------------------------------------------------

    def _take(self, pool: list):
        item = pool.pop(0)
        pool.append(item)  # recycled only once every item has been used
        return item

    def topic(self):
        return self._take(self.topics)

    def actor(self, section: str) -> str:
        rng = self.rng
        if section == "海外借鉴":
            return rng.choice(V.OVERSEAS)
        if section == "企业情报" or rng.random() < 0.5:
            return self._take(self.companies)
        return rng.choice(V.AGENCIES)

    # --- numbers ----------------------------------------------------------------------------

    def numbers(self, topic) -> dict:
        rng = self.rng
        year = self.date.year
        return {
            "n": rng.randint(12, 980),
            "n2": rng.randint(3, 90),
            "x": f"{rng.uniform(1.5, 999):.1f}",
            "p": f"{rng.uniform(2, 45):.1f}",
            "q": rng.randint(12, 78),
            "dd": f"{rng.uniform(0.2, 4):.1f}",
            "k": rng.randint(3, 24),
            "year": year - 1,
            "future": year + rng.randint(2, 5),
            "month": max(1, self.date.month - 1),
            "period": rng.choice(V.PERIODS).format(year=year),
            "unit": topic[2],
            "lat": rng.choice(V.LATIN),
            "range": f"{year - 2}—{year}",
        }

    def slots(self, topic, section: str, *, seen: str = "") -> dict:
        """Fill-ins for one template. With ``seen`` (the article so far), the topic words
        already used come first, so a subheading repeats what the text has said."""
        words = list(topic[1])
        self.rng.shuffle(words)
        if seen:
            words.sort(key=lambda word: word not in seen)
        return {
            "m": topic[0],
            "a": words[0],
            "b": words[1],
            "c": words[2],
            "d": words[3],
            "actor": self.actor(section),
            "actor2": self._take(self.companies),
            "city": self._take(self.cities),
            **self.numbers(topic),
        }

    # --- sentences and paragraphs -------------------------------------------------------

    def sentence(self, topic, section: str) -> str:
        # Each article deals its own deck of sentence shapes, so one shape comes back
        # only after all the others have been used.
        if not self.deck:
            self.deck = self.rng.sample(V.SENTENCES, len(V.SENTENCES))
        return self.deck.pop().format(**self.slots(topic, section))

    def paragraph(
        self, topic, section: str, *, sentences: tuple[int, int], opener: str = ""
    ) -> str:
        rng = self.rng
        count = rng.randint(*sentences)
        text = "".join(self.sentence(topic, section) for _ in range(count))
        if not opener and rng.random() < 0.12:
            return rng.choice(V.ORDINAL_SENTENCES).format(**self.slots(topic, section)) + text
        if not opener and rng.random() < 0.35:
            opener = rng.choice(V.OPENERS)
        if opener and not text.startswith("“"):
            text = opener + text
        return text

    def lead(self, section: str, dated: bool) -> str:
        rng = self.rng
        if dated:
            month = self.date.month if self.date.day > 8 else max(1, self.date.month - 1)
            day = rng.randint(1, 28)
            prefix = "当地时间" if section == "海外借鉴" and rng.random() < 0.6 else ""
            return f"{prefix}{month}月{day}日，"
        return rng.choice(["近日，", "日前，", "今年以来，", "", ""])

    # --- titles -------------------------------------------------------------------------

    def title(self, topic, section: str, *, shape: str) -> tuple[str, str, list[str]]:
        """(title, its first phrase, the topic words it uses)."""
        rng = self.rng
        s = self.slots(topic, section)
        pred = self._take(self.title_predicates)
        if shape == "commentary":
            text = rng.choice(V.COMMENTARY).format(**s)
            return text, text, [s["m"], s["a"]]
        if shape == "colon":
            head = rng.choice(["{m}", "聚焦{m}", "{m}观察"]).format(**s)
            event = f"{s['a']}{pred}"
            return f"{head}：{event}", event, [s["m"], s["a"]]
        if shape == "figure":
            forms = [
                f"{s['period']}{s['a']}规模同比增长{s['p']}%",
                f"{s['actor']}{s['a']}订单突破{s['n']}{s['unit']}",
                f"{s['m']}{pred} {s['future']}年{s['a']}有望{rng.choice(V.GROWTH)}",
                f"{s['actor']}{rng.choice(V.TITLE_VERBS)}{s['a']}{rng.choice(V.TITLE_OBJECTS)}",
                f"{s['period']}{s['m']}投资完成{s['x']}亿元",
            ]
            text = rng.choice(forms)
            return text, text.split(" ")[0], [s["m"], s["a"]]
        forms = [
            (f"{s['a']}{pred}", [s["a"]]),
            (f"{s['m']}{pred}", [s["m"]]),
            (f"{s['a']}{pred} {s['b']}{self._take(self.sub_predicates)}", [s["a"], s["b"]]),
            (
                f"{rng.choice(V.BASE_VERBS)}{s['a']}{rng.choice(V.BASE_NOUNS)} "
                f"{rng.choice(V.VALUE_VERBS)}{s['m']}{rng.choice(V.VALUE_NOUNS)}",
                [s["a"], s["m"]],
            ),
            (f"{s['m']}{pred} {s['future']}年{s['a']}有望{rng.choice(V.GROWTH)}", [s["m"], s["a"]]),
            (f"{s['m']}走热？{s['actor']}加码{s['a']}", [s["m"], s["a"]]),
            (
                f"{s['actor']}{rng.choice(V.TITLE_VERBS)}{s['m']}{rng.choice(V.TITLE_OBJECTS)}",
                [s["m"]],
            ),
        ]
        text, words = rng.choice(forms)
        return text, re.split("[ ？]", text)[0], words

    def long_title(self, topic, section: str) -> tuple[str, str, list[str]]:
        """A title that wraps and leaves a one- or two-character tail on the next line."""
        rng = self.rng
        best = None
        for _ in range(300):
            s = self.slots(topic, section)
            goal = rng.choice(
                ["", "推动{a}规模化应用", "助力{a}提质增效", "加快{a}建设", "推进{a}与{b}协同发展"]
            ).format(**s)
            pieces = [
                s["actor"],
                rng.choice(["", f"联合{s['actor2']}"]),
                rng.choice(V.TITLE_VERBS),
                s["m"],
                rng.choice(V.TITLE_OBJECTS),
                goal,
            ]
            text = "".join(pieces)
            over = width(title_spacing(text)) - self.title_width
            if 0.5 <= over <= 2.0:
                return text, text, [s["m"], s["a"]]
            if over > 0 and (best is None or over < best[0]):
                best = (over, text, [s["m"], s["a"]])
        if best:
            return best[1], best[1], best[2]
        return self.title(topic, section, shape="plain")

    # --- subheadings --------------------------------------------------------------------

    def plain_subheading(self, topic, section: str) -> str:
        rng = self.rng
        for _ in range(20):
            s = self.slots(topic, section, seen=self.seen)
            pred = self._take(self.sub_predicates)
            forms = [
                f"{s['a']}{pred}",
                f"{s['a']}{pred}，{s['b']}{self._take(self.sub_predicates)}",
                rng.choice(V.SUB_QUESTIONS).format(**s),
                f"{rng.choice(V.TWO_PHRASE_VERBS)}{s['a']} {s['b']}{pred}"
                if _IDEOGRAPH.match(s["a"][-1]) and _IDEOGRAPH.match(s["b"][0])
                else f"{s['b']}{pred}",
                rng.choice(V.SUB_LONG).format(**s),
                f"{s['a']}{rng.choice(V.SUB_FIGURE_VERBS)}{s['n']}{s['unit']}",
                f"{s['m']}{pred}",
            ]
            text = rng.choice(forms)
            if width(text) <= self.line_width - 1:
                return text
        return f"{topic[1][0]}{self._take(self.sub_predicates)}"

    def labelled_subheading(self, label: str, topic, section: str) -> str:
        s = self.slots(topic, section, seen=self.seen)
        pred = self._take(self.sub_predicates)
        return self.rng.choice([f"{label}：{s['a']}{pred}", f"{label}：{s['b']}{pred}"])

    # --- figures and tables ---------------------------------------------------------------

    def figure(self, topic, section: str) -> Block:
        rng = self.rng
        s = self.slots(topic, section)
        self.figure_count += 1
        caption = rng.choice(V.CAPTIONS).format(
            **{**s, "k": self.figure_count, "what": rng.choice(V.CAPTION_WHATS)}
        )
        source = rng.choice(V.SOURCE_LINES).format(**s)
        return Block("figure", caption, source=source)

    def table(self, topic, section: str) -> Block:
        rng = self.rng
        header = list(rng.choice(V.TABLE_HEADERS))
        if header[0] == "企业":
            names = [self._take(self.companies) for _ in range(rng.randint(3, 4))]
        else:
            names = rng.sample(V.TABLE_REGIONS, rng.randint(3, 4))
        rows = [header] + [
            [name, str(rng.randint(20, 990)), f"{rng.uniform(-5, 40):.1f}"] for name in names
        ]
        return Block("table", rows=rows)

    # --- articles -----------------------------------------------------------------------

    def article(self, section: str, kind: str, *, wrapped: bool = False) -> Article:
        self.deck = []
        topic = self.topic()
        if kind == "short-brief":
            # No digits or Latin in a short brief's title: take a topic written in Chinese.
            plain = next(
                (t for t in self.topics if not re.search("[A-Za-z0-9]", t[0] + "".join(t[1]))),
                topic,
            )
            if plain is not topic:  # give the drawn topic back, mark the plain one used
                self.topics.remove(topic)
                self.topics.insert(0, topic)
                self.topics.remove(plain)
                self.topics.append(plain)
            article = self.short_brief(plain, section)
        else:
            article = self.long_article(topic, section, kind, wrapped=wrapped)
        self.previous_title = article.title
        return article

    def _fresh_title(self, make) -> tuple[str, str, list[str]]:
        """A title sharing at most one character pair with the previous article's."""
        best = None
        for _ in range(12):
            candidate = make()
            shared = len(bigrams(candidate[0]) & bigrams(self.previous_title))
            if shared <= 1:
                return candidate
            if best is None or shared < best[0]:
                best = (shared, candidate)
        return best[1]

    def long_article(self, topic, section: str, kind: str, *, wrapped: bool) -> Article:
        rng = self.rng
        family = self.family
        if wrapped:
            shape = "long"
        elif kind == "brief":
            shape = "figure"
        elif kind == "commentary":
            shape = "commentary"
        elif family == "labelled" and rng.random() < 0.7:
            shape = "colon"
        else:
            shape = "plain"
        if shape == "long":
            title, phrase, words = self._fresh_title(lambda: self.long_title(topic, section))
        else:
            title, phrase, words = self._fresh_title(
                lambda: self.title(topic, section, shape=shape)
            )
        dated = kind == "brief" or family == "briefs" or rng.random() < 0.2
        blocks: list[Block] = []
        if rng.random() < 0.12:
            blocks.append(self.figure(topic, section))  # a chart right under the title
        echo = rng.choice(V.ECHOES).format(
            lead=self.lead(section, dated),
            tp=phrase,
            t1=words[0],
            t2=words[-1] if len(words) > 1 else topic[1][1],
            **self.slots(topic, section),
        )
        long_form = kind in ("feature", "commentary")
        more = rng.randint(*((2, 4) if long_form else (1, 2)))
        blocks.append(
            Block("paragraph", echo + "".join(self.sentence(topic, section) for _ in range(more)))
        )
        first_paragraph = len(blocks) - 1
        sentences = (3, 6) if long_form else (1, 3)
        self.seen = title + blocks[-1].text
        if kind == "brief":
            for _ in range(rng.randint(0, 2)):
                self._add_paragraph(blocks, topic, section, (1, 3))
            if rng.random() < 0.15:
                self._subheading_group(blocks, topic, section, paragraphs=(1, 1))
        elif kind == "commentary":
            for _ in range(rng.randint(3, 6)):
                self._add_paragraph(blocks, topic, section, sentences)
        else:
            for _ in range(rng.randint(0, 2)):
                self._add_paragraph(blocks, topic, section, sentences)
            self._subheading_group(blocks, topic, section, paragraphs=(1, 3))
        if rng.random() < 0.22:
            position = rng.randint(first_paragraph + 1, len(blocks))
            blocks.insert(position, self.figure(topic, section))
            if position == len(blocks) - 1:
                self._add_paragraph(blocks, topic, section, (1, 2))
        if rng.random() < 0.08:
            position = rng.randint(first_paragraph + 1, len(blocks))
            blocks.insert(position, self.table(topic, section))
            text = self.paragraph(topic, section, sentences=(1, 2))
            blocks.insert(position + 1, Block("paragraph", text))
        return Article(title, blocks, kind=kind, topic=(topic[0], *topic[1]))

    def _add_paragraph(self, blocks: list[Block], topic, section: str, sentences) -> None:
        text = self.paragraph(topic, section, sentences=sentences)
        blocks.append(Block("paragraph", text))
        self.seen += text

    def _subheading_group(self, blocks: list[Block], topic, section: str, *, paragraphs) -> None:
        rng = self.rng
        family = self.family
        count = rng.randint(2, 4)
        heads: list[Block] = []
        if family == "labelled" and rng.random() < 0.8:
            style = rng.choice(["series", "series", "single"])
            if style == "series":
                labels = list(rng.choice(V.LABEL_SERIES))
                heads = [
                    Block("subheading", self.labelled_subheading(label, topic, section))
                    for label in labels
                ]
                if rng.random() < 0.4:  # a plain subheading after a labelled one
                    heads.append(Block("subheading", self.plain_subheading(topic, section)))
            else:
                label = rng.choice(V.SINGLE_LABELS)
                heads = [Block("subheading", self.labelled_subheading(label, topic, section))]
                heads += [
                    Block("subheading", self.plain_subheading(topic, section))
                    for _ in range(count - 1)
                ]
        elif family == "kickers" and rng.random() < 0.8:
            style = rng.choice(["from-to", "part", "quotes"])
            if style == "quotes":
                pairs = rng.sample(V.QUOTE_PAIRS, count)
                heads = [Block("subheading", pair) for pair in pairs]
            else:
                pool = V.KICKERS_FROM_TO if style == "from-to" else V.KICKERS_PART
                kickers = rng.sample(pool, min(count, len(pool)))
                heads = [
                    Block("subheading", self.plain_subheading(topic, section), kicker=kicker)
                    for kicker in kickers
                ]
        elif rng.random() < 0.15:
            numbering = rng.choice(V.NUMBERINGS)
            heads = [
                Block("subheading", numbering[i] + self.plain_subheading(topic, section))
                for i in range(count)
            ]
        else:
            heads = [
                Block("subheading", self.plain_subheading(topic, section)) for _ in range(count)
            ]
        for head in heads:
            blocks.append(head)
            self.seen += head.text
            for _ in range(rng.randint(*paragraphs)):
                self._add_paragraph(blocks, topic, section, (2, 5))

    def short_brief(self, topic, section: str) -> Article:
        """An undated brief of two or three paragraphs, with no digits in its title."""
        rng = self.rng
        s = self.slots(topic, section)
        title_form, lead_form = rng.choice(V.SHORT_BRIEFS)
        title = title_form.format(**s)
        first = lead_form.format(**s) + self.rng.choice(V.SENTENCES).format(**s)
        blocks = [Block("paragraph", first)]
        for _ in range(rng.randint(1, 2)):
            blocks.append(Block("paragraph", self.paragraph(topic, section, sentences=(1, 3))))
        return Article(title, blocks, kind="short-brief", topic=(topic[0], *topic[1]))


def _article_kinds(rng: random.Random, family: str, count: int) -> list[str]:
    if family == "briefs":
        return ["brief" if rng.random() < 0.85 else "feature" for _ in range(count)]
    if family == "mixed":
        kinds = []
        for _ in range(count):
            kinds.append(
                "short-brief"
                if kinds and kinds[-1] != "short-brief" and rng.random() < 0.45
                else "feature"
            )
        return kinds
    return ["commentary" if rng.random() < 0.2 else "feature" for _ in range(count)]


# ============================================================================ laying out


def _print_blocks(
    bulletin: GeneratedBulletin, rng: random.Random, caption_spaced: bool
) -> list[_Printed]:
    out: list[_Printed] = []
    full = bulletin.line_width
    for section in bulletin.sections:
        out.append(_Printed(section.name, "section", True))
        for article in section.articles:
            title_lines = wrap(
                title_spacing(article.title), bulletin.title_width, bulletin.title_width
            )
            for i, line in enumerate(title_lines):
                out.append(_Printed(line, "title", i == len(title_lines) - 1))
            for block in article.blocks:
                if block.kind == "paragraph":
                    lines = wrap(block.text, full - 2, full, rng)
                    out += [
                        _Printed(line, "body", i == len(lines) - 1) for i, line in enumerate(lines)
                    ]
                elif block.kind == "subheading":
                    if block.kicker:
                        out.append(_Printed(block.kicker, "kicker", True))
                    out.append(_Printed(block.text, "subheading", True))
                elif block.kind == "figure":
                    caption = title_spacing(block.text) if caption_spaced else block.text
                    out.append(_Printed(caption, "caption", True))
                    out.append(_Printed(block.source or "", "source", True))
                else:
                    for row in block.rows or []:
                        out += [_Printed(cell, "cell", True) for cell in row]
    return out


def _notice_text(rng: random.Random, bulletin: GeneratedBulletin) -> str:
    d = bulletin.issue_date
    return rng.choice(V.NOTICES).format(
        year=d.year,
        publisher=bulletin.publisher,
        name=bulletin.bulletin_name,
        phone=f"010-{rng.randint(5000, 8999)}-{rng.randint(1000, 9999)}",
        date=f"{d.year}.{d.month:02d}.{d.day:02d}",
    )


def _cut_notice(rng: random.Random, notice: str) -> str:
    """The copyright line cut off at its start, as a text box overlapping the margin
    leaves it: from a phrase boundary on."""
    cuts = [m.end() for m in re.finditer(r"[ ，]", notice)][:3]
    return notice[rng.choice(cuts) :] if cuts else notice


def _lay_out(
    bulletin: GeneratedBulletin, rng: random.Random, printed: list[_Printed], cover: list[str]
) -> list[ExtractedLine]:
    """Blank lines, edge spaces, chunks and page furniture, as extraction gives them."""
    cluster_order = rng.choice(
        [
            ("name", "notice", "page"),
            ("notice", "page", "name"),
            ("page", "notice"),
            ("notice", "page"),
        ]
    )
    page_format = rng.choice(V.PAGE_FORMATS)
    page = 1 if cover else rng.randint(1, 3)
    lines: list[ExtractedLine] = []

    def separator():
        lines.append(ExtractedLine(" " if rng.random() < 0.1 else "", "blank"))
        if rng.random() < 0.04:
            lines.append(ExtractedLine("", "blank"))

    for text in cover:
        lines.append(ExtractedLine(f"{text} ", "cover", True))
        separator()
    next_page = rng.randint(44, 54)
    next_chunk = rng.randint(40, 60)
    page_start = False
    for index, item in enumerate(printed, start=1):
        if index == next_chunk and printed[index - 2].role == "section":
            next_chunk += 1  # the line holding one space stays under a section heading
        chunk = index == next_chunk
        if chunk:
            next_chunk += rng.randint(40, 60)
            if lines and lines[-1].role == "blank":
                while lines and lines[-1].role == "blank":
                    lines.pop()
        lead = " " if chunk or item.role == "section" or (page_start and rng.random() < 0.5) else ""
        page_start = False
        trail = " " if item.end else ""
        lines.append(ExtractedLine(f"{lead}{item.text}{trail}", item.role, item.end))
        if item.role == "section":
            lines.append(ExtractedLine(" ", "blank"))
        separator()
        if index == next_page and index < len(printed):
            next_page += rng.randint(44, 54)
            for part in cluster_order:
                if part == "name":
                    text = bulletin.bulletin_name
                elif part == "notice":
                    text = (
                        bulletin.notice
                        if rng.random() < 0.75
                        else _cut_notice(rng, bulletin.notice)
                    )
                else:
                    text = page_format.format(n=page)
                lead = " " if rng.random() < 0.3 else ""
                trail = " " if rng.random() < 0.7 else ""
                lines.append(ExtractedLine(f"{lead}{text}{trail}", "furniture", True))
                separator()
            page += 1
            page_start = True
    while lines and lines[-1].role == "blank":
        lines.pop()
    return lines


# ============================================================================ public API


def generate(
    seed: int,
    family: str = "features",
    *,
    sections: list[str] | tuple[str, ...] | None = None,
    articles: tuple[int, int] | None = None,
) -> GeneratedBulletin:
    """One invented bulletin of ``family``, the same for the same (seed, family).

    ``sections``: the configured section names (default ``DEFAULT_SECTIONS``); one or
    two may be absent from the issue. ``articles``: (min, max) articles a section.
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; one of {FAMILIES}")
    rng = random.Random(f"bulletin-corpus:{family}:{seed}")
    names = list(sections or DEFAULT_SECTIONS)
    present = [name for name in names if rng.random() > 0.15]
    if len(present) < min(3, len(names)):
        present = names[: max(3, len(present))] if len(names) >= 3 else names
    year = rng.choice([2020, 2021, 2022])
    date = datetime.date(year, rng.choice([3, 6, 9, 11, 12]), rng.randint(1, 28))
    writer = _Writer(rng, family, date)
    writer.line_width = rng.choice([38.0, 39.0, 40.0, 41.0, 42.0])
    writer.title_width = round(writer.line_width * rng.uniform(0.74, 0.8))
    low, high = articles or ((3, 6) if family in ("briefs", "mixed") else (2, 4))
    built: list[Section] = []
    for name in present:
        count = rng.randint(low, high)
        kinds = _article_kinds(rng, family, count)
        wrapped = {i for i in range(count) if kinds[i] != "short-brief" and rng.random() < 0.12}
        built.append(
            Section(
                name,
                [writer.article(name, kind, wrapped=i in wrapped) for i, kind in enumerate(kinds)],
            )
        )
    issue_number = total_number = None
    cover: list[str] = []
    name = rng.choice(V.BULLETIN_NAMES)
    if rng.random() < 0.5:
        issue_number = rng.randint(1, 52) if rng.random() < 0.85 else None
        total_number = (
            rng.randint(300, 1500) if rng.random() < 0.5 or issue_number is None else None
        )
    bulletin = GeneratedBulletin(
        seed=seed,
        family=family,
        sections=built,
        section_names=names,
        bulletin_name=name,
        publisher=rng.choice(V.PUBLISHERS),
        issue_date=date,
        issue_number=issue_number,
        total_number=total_number,
        line_width=writer.line_width,
        title_width=writer.title_width,
        notice="",
    )
    bulletin.notice = _notice_text(rng, bulletin)
    if issue_number is not None or total_number is not None:
        cover = [name, bulletin._number_line(), f"{bulletin.publisher}编", bulletin._date_cn()]
        if rng.random() < 0.5:
            cover = [
                name,
                *([f"{date.year}年第{issue_number}期"] if issue_number is not None else []),
                *([f"总第{total_number}期"] if total_number is not None else []),
                bulletin._date_cn(),
            ]
    printed = _print_blocks(bulletin, rng, caption_spaced=rng.random() < 0.35)
    bulletin._lines = _lay_out(bulletin, rng, printed, cover)
    return bulletin


def corpus(
    family: str, count: int = 6, *, first_seed: int = 1, **kwargs
) -> list[GeneratedBulletin]:
    """``count`` bulletins of ``family`` with seeds ``first_seed``, ``first_seed + 1``, …"""
    return [generate(seed, family, **kwargs) for seed in range(first_seed, first_seed + count)]


# ============================================================================ PDFs


def pdf_via_chromium(page_html: str, *, timeout: float = 120.0) -> bytes:
    """Print ``page_html`` to PDF with headless Chromium (A4, no browser header/footer)."""
    with tempfile.TemporaryDirectory(prefix="corpus-chromium-") as tmp:
        root = Path(tmp)
        source = root / "bulletin.html"
        source.write_text(page_html, encoding="utf-8")
        target = root / "bulletin.pdf"
        command = [
            CHROMIUM,
            "--headless",
            *CHROMIUM_ARGS,
            f"--user-data-dir={root / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={target}",
            source.as_uri(),
        ]
        result = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
        if not target.exists() or target.stat().st_size == 0:
            raise RuntimeError(
                f"chromium printed no PDF (exit {result.returncode}): "
                f"{result.stderr.decode('utf-8', 'replace')[-800:]}"
            )
        return target.read_bytes()


def pdf_via_typst(data: dict) -> bytes:
    """Typeset render data with the project's Typst template (needs Django set up:
    ``DJANGO_SETTINGS_MODULE=bulletin.settings``, ``DEBUG=1``)."""
    from editorial.typesetting.pdf import typeset_pdf

    pdf, _pages, _warnings = typeset_pdf(data)
    return pdf


def pdftotext(pdf: bytes, *, layout: bool = False, timeout: float = 60.0) -> str:
    """Poppler's ``pdftotext`` of ``pdf`` (UTF-8)."""
    with tempfile.TemporaryDirectory(prefix="corpus-pdftotext-") as tmp:
        source = Path(tmp) / "in.pdf"
        source.write_bytes(pdf)
        command = ["pdftotext", "-enc", "UTF-8", *(["-layout"] if layout else []), str(source), "-"]
        result = subprocess.run(command, capture_output=True, timeout=timeout, check=True)
        return result.stdout.decode("utf-8", "replace")


# ============================================================================ helpers


def _run(text: str) -> dict:
    return {"text": text, "bold": False, "italic": False, "link": None, "script": None}


def _labels() -> dict:
    from editorial.typesetting.render_data import labels_for

    return dict(labels_for("zh-hans"))


_PNG_CACHE: dict[str, str] = {}


def _data_uri_png(width_px: int = 360, height_px: int = 150) -> str:
    """A small bar-chart-like PNG (no text in it), as a data URI."""
    key = f"{width_px}x{height_px}"
    if key not in _PNG_CACHE:
        import base64

        bars = [0.55, 0.8, 0.35, 0.95, 0.65]
        rows = bytearray()
        for y in range(height_px):
            rows.append(0)
            for x in range(width_px):
                bar = x * len(bars) // width_px
                inside = (x % (width_px // len(bars))) > 10 and y > height_px * (1 - bars[bar])
                rows.extend((40, 90, 170) if inside else (250, 250, 250))

        def chunk(kind: bytes, payload: bytes) -> bytes:
            return (
                struct.pack(">I", len(payload))
                + kind
                + payload
                + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
            )

        header = struct.pack(">IIBBBBB", width_px, height_px, 8, 2, 0, 0, 0)
        png = (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
            + chunk(b"IEND", b"")
        )
        _PNG_CACHE[key] = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return _PNG_CACHE[key]
