"""The block vocabulary of an article body, and both directions of its round trip.

An article body travels in three forms:

1. **parsed blocks**, the dataclasses the importers produce (editorial.parsing.tree:
   ``Paragraph``, ``Subheading``, ``FigureCaption``, ``Table``);
2. **body HTML**, what an Article stores and editors edit: the small vocabulary of
   editorial.sanitising, with each figure marked by an empty
   ``<figure class="figure-N">`` placeholder (the figure itself is a Figure row, N its
   position) — ``article_body_html`` writes it from parsed blocks;
3. **render blocks**, plain dicts (the TypedDicts below) the renderers read: the Typst
   template (templates/render/issue.typ), the issue HTML and the public pages
   (templates/editorial/_article_blocks.html) — ``html_to_blocks`` reads them from body
   HTML, putting each figure back where its placeholder stood.

Render blocks are dicts, not objects, because they go as JSON to Typst and into the
content hash of a rendition; the TypedDicts name their keys. Renderers may add keys of
their own to copies (``image_file`` for Typst, ``email_chart`` for e-mail). Pure: no
database, no storage.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from html.parser import HTMLParser
from typing import Any, Literal, TypedDict

from django.utils.html import escape

from editorial.parsing.tree import FigureCaption, Paragraph, ParsedArticle, Subheading, Table

# --- The render blocks ------------------------------------------------------------------


class Run(TypedDict):
    """A stretch of text in one inline style."""

    text: str
    bold: bool
    italic: bool
    link: str | None  # an http(s) or mailto address; other links are dropped
    script: str | None  # "sup" or "sub"


class ParagraphBlock(TypedDict):
    type: Literal["paragraph"]
    runs: list[Run]


class SubheadingBlock(TypedDict):
    type: Literal["subheading"]
    text: str
    kicker: str | None  # the short line printed above it ("一、")
    level: int  # 3 or 4, as the body's <h3> / <h4>


class FigureBlock(TypedDict):
    """A figure: an image, or an indicator's chart as an SVG data URI.

    ``number``/``label`` ("图3") are set per issue by render_data.number_figures (None
    and "" elsewhere); the caption carries no number of its own (``caption_text``).
    """

    type: Literal["figure"]
    caption: str
    source: str
    image_data_uri: str | None
    chart: bool
    number: int | None
    label: str


class TableBlock(TypedDict):
    type: Literal["table"]
    rows: list[list[str]]  # every row as wide as the widest
    header: bool  # the first row is a header row


class ListBlock(TypedDict):
    type: Literal["list"]
    ordered: bool
    items: list[list[Run]]  # nested lists are flattened into the outer one


Block = ParagraphBlock | SubheadingBlock | FigureBlock | TableBlock | ListBlock


def _run(text: str, *, bold=False, italic=False, link=None, script=None) -> Run:
    return {"text": text, "bold": bold, "italic": italic, "link": link, "script": script}


def figure_block(
    *, caption: str = "", source: str = "", image_data_uri: str | None = None,
    chart: bool = False, **_ignored,
) -> FigureBlock:
    return {
        "type": "figure",
        "caption": caption or "",
        "source": source or "",
        "image_data_uri": image_data_uri or None,
        "chart": chart,
        "number": None,
        "label": "",
    }


_SAFE_LINK = re.compile(r"^(https?:|mailto:)", re.I)


def is_safe_link(address: str) -> bool:
    """Whether a link may be printed: web and mail addresses only, never ``javascript:``."""
    return bool(_SAFE_LINK.match(address or ""))


# A number the caption carries itself ("图3 ", "图 2-1：", "Figure 4. "): the renditions
# number figures per issue, so an imported number would print twice or disagree.
_CAPTION_NUMBER = re.compile(
    r"^\s*(?:图|圖|Figure|Fig\.)\s*[0-9０-９]+(?:\s*[-－.．]\s*[0-9０-９]+)?\s*[：:、.．]?\s*",
    re.I,
)


def caption_text(caption: str) -> str:
    """The caption without the figure number it may start with."""
    text = (caption or "").strip()
    stripped = _CAPTION_NUMBER.sub("", text, count=1)
    return stripped if stripped else text


# --- Parsed blocks → body HTML ----------------------------------------------------------


def figure_placeholder(position: int) -> str:
    return f'<figure class="figure-{position}"></figure>'


def article_body_html(article: ParsedArticle) -> str:
    """The body HTML an Article stores, from an imported article's blocks."""
    parts: list[str] = []
    figure_position = 0
    for block in article.blocks:
        if isinstance(block, Paragraph):
            parts.append(f"<p>{escape(block.text)}</p>")
        elif isinstance(block, Subheading):
            if block.kicker:
                parts.append(f'<p class="kicker">{escape(block.kicker)}</p>')
            parts.append(f"<h3>{escape(block.text)}</h3>")
        elif isinstance(block, FigureCaption):
            figure_position += 1
            parts.append(figure_placeholder(figure_position))
        elif isinstance(block, Table):
            rows = "".join(
                "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>"
                for row in block.rows
            )
            parts.append(f"<table><tbody>{rows}</tbody></table>")
    return "\n".join(parts)


def article_summary(article: ParsedArticle, *, limit: int = 120) -> str:
    """The first paragraph, cut at a sentence end near ``limit`` characters."""
    first = next(iter(article.paragraphs), "")
    if len(first) <= limit:
        return first
    cut = max(first.rfind(mark, 0, limit) for mark in "。！？；")
    return first[: cut + 1] if cut > limit // 3 else first[:limit] + "……"


# --- Body HTML → render blocks ----------------------------------------------------------

_FIGURE_CLASS = re.compile(r"(?:^|\s)figure-(\d+)(?:\s|$)")
_SPACES = re.compile(r"[ \t\r\n\f]+")
_STYLE_KEYS = ("bold", "italic", "link", "script")


class _BlockBuilder(HTMLParser):
    """Walks sanitised body HTML and collects render blocks.

    The vocabulary is small and known (editorial.sanitising), so a flat state machine
    is enough: one open block at a time, inline styles on a stack. Each tag has its
    opening and closing handler in ``_STARTS`` and ``_ENDS``; other tags (``span``,
    ``blockquote``, ``tbody`` …) only pass their text through.
    """

    def __init__(self, figures: Mapping[int, Mapping[str, Any]]):
        super().__init__(convert_charrefs=True)
        self.figures = figures
        self.used_figures: set[int] = set()
        self.blocks: list[Block] = []
        self.bold = 0
        self.italic = 0
        self.script: list[str] = []
        self.links: list[str | None] = []
        self.runs: list[Run] | None = None  # the inline runs being collected
        self.kind: str | None = None  # "p", "kicker", "h", "li", "cell", "figcaption"
        self.heading_level = 3
        self.pending_kicker: str | None = None
        self.lists: list[ListBlock] = []
        self.table: TableBlock | None = None
        self.row: list[str] | None = None
        self.row_is_header = True
        self.in_thead = False
        self.figure: dict | None = None
        self.figcaption: list[Run] | None = None

    # Inline runs -------------------------------------------------------------------------

    def _ensure_runs(self):
        if self.runs is None:
            # Text outside any block (a bare body "正文") becomes a paragraph of its own.
            self._open("p")

    def _open(self, kind: str):
        self._close_inline()
        self.kind = kind
        self.runs = []

    def _target(self) -> list[Run] | None:
        """Where text goes now: the figure caption being read, else the open block."""
        return self.figcaption if self.figcaption is not None else self.runs

    def handle_data(self, data: str):
        if self.figure is not None and self.figcaption is None:
            return  # whitespace inside a figure placeholder
        if self.runs is None and self.figcaption is None:
            if not data.strip() or self.table is not None or self.lists:
                return
            self._ensure_runs()
        self._append(_SPACES.sub(" ", data))

    def _append(self, text: str):
        if not text:
            return
        run = _run(
            text,
            bold=self.bold > 0,
            italic=self.italic > 0,
            link=next((href for href in reversed(self.links) if href), None),
            script=self.script[-1] if self.script else None,
        )
        target = self._target()
        if target is None:
            return
        if target and target[-1]["text"].endswith("\n"):
            run["text"] = text = text.lstrip(" ")
            if not text:
                return
        if target and all(target[-1][k] == run[k] for k in _STYLE_KEYS):
            target[-1]["text"] += text
        else:
            target.append(run)

    def _close_inline(self):
        """Finish the open inline container and turn it into a block (or part of one)."""
        runs, kind = self.runs, self.kind
        self.runs, self.kind = None, None
        if runs is None:
            return
        runs = _trim_runs(runs)
        if kind == "kicker":
            text = _runs_text(runs)
            if text:
                self.pending_kicker = text
        elif kind == "h":
            text = _runs_text(runs)
            if text:
                self.blocks.append(
                    {"type": "subheading", "text": text, "kicker": self.pending_kicker,
                     "level": self.heading_level}
                )
            self.pending_kicker = None
        elif kind == "li":
            if runs and self.lists:
                self.lists[0]["items"].append(runs)
        elif kind == "cell":
            if self.row is not None:
                self.row.append(_runs_text(runs))
        else:
            self._flush_kicker()
            if runs:
                self.blocks.append({"type": "paragraph", "runs": runs})

    def _flush_kicker(self):
        # A kicker line not followed by a heading is kept as an ordinary paragraph.
        if self.pending_kicker:
            kicker, self.pending_kicker = self.pending_kicker, None
            self.blocks.append({"type": "paragraph", "runs": [_run(kicker)]})

    def _close_block(self):
        """Before a block that stands on its own (list, table, figure): end the open one."""
        self._close_inline()
        self._flush_kicker()

    # Tags --------------------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs):
        handler = self._STARTS.get(tag)
        if handler is not None:
            handler(self, tag, dict(attrs))

    def handle_endtag(self, tag: str):
        handler = self._ENDS.get(tag)
        if handler is not None:
            handler(self, tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in ("br",):
            self.handle_endtag(tag)

    # Inline styles

    def _start_bold(self, tag, attributes):
        self.bold += 1

    def _end_bold(self, tag):
        self.bold = max(0, self.bold - 1)

    def _start_italic(self, tag, attributes):
        self.italic += 1

    def _end_italic(self, tag):
        self.italic = max(0, self.italic - 1)

    def _start_script(self, tag, attributes):
        self.script.append(tag)

    def _end_script(self, tag):
        if self.script:
            self.script.pop()

    def _start_link(self, tag, attributes):
        href = (attributes.get("href") or "").strip()
        self.links.append(href if is_safe_link(href) else None)

    def _end_link(self, tag):
        if self.links:
            self.links.pop()

    def _start_line_break(self, tag, attributes):
        target = self._target()
        if target:
            target[-1]["text"] = target[-1]["text"].rstrip(" ")
            self._append("\n")

    # Paragraphs and headings

    def _start_paragraph(self, tag, attributes):
        if self.table is not None or self.lists or self.figcaption is not None:
            return  # a paragraph inside a cell, item or caption is part of it
        classes = (attributes.get("class") or "").split()
        self._open("kicker" if "kicker" in classes else "p")

    def _start_heading(self, tag, attributes):
        if self.kind == "kicker":
            self._close_inline()
        self.heading_level = int(tag[1])
        self._open("h")

    def _end_paragraph_or_heading(self, tag):
        if self.kind in ("p", "kicker", "h"):
            self._close_inline()

    # Lists

    def _start_list(self, tag, attributes):
        if not self.lists:
            self._close_block()
            self.lists.append({"type": "list", "ordered": tag == "ol", "items": []})
        else:
            self._close_inline()  # nested lists are flattened into the outer one
            self.lists.append(self.lists[0])

    def _end_list(self, tag):
        if self.lists:
            self._close_inline()
            block = self.lists.pop()
            if not self.lists and block["items"]:
                self.blocks.append(block)

    def _start_item(self, tag, attributes):
        if self.lists:
            self._open("li")

    def _end_item(self, tag):
        if self.kind == "li":
            self._close_inline()

    # Tables

    def _start_table(self, tag, attributes):
        self._close_block()
        if self.table is None:
            self.table = {"type": "table", "rows": [], "header": False}

    def _end_table(self, tag):
        if self.table is None:
            return
        self._close_inline()
        table, self.table = self.table, None
        if table["rows"]:
            width = max(len(row) for row in table["rows"])
            table["rows"] = [row + [""] * (width - len(row)) for row in table["rows"]]
            self.blocks.append(table)

    def _start_head(self, tag, attributes):
        self.in_thead = True

    def _end_head(self, tag):
        self.in_thead = False

    def _start_row(self, tag, attributes):
        if self.table is not None:
            self.row, self.row_is_header = [], True

    def _end_row(self, tag):
        if self.table is None or self.row is None:
            return
        self._close_inline()
        if any(cell for cell in self.row):
            if not self.table["rows"] and self.row_is_header:
                self.table["header"] = True
            self.table["rows"].append(self.row)
        self.row = None

    def _start_cell(self, tag, attributes):
        if self.row is not None:
            self.row_is_header = self.row_is_header and (tag == "th" or self.in_thead)
            self._open("cell")

    def _end_cell(self, tag):
        if self.kind == "cell":
            self._close_inline()

    # Figures

    def _start_figure(self, tag, attributes):
        self._close_block()
        match = _FIGURE_CLASS.search(attributes.get("class") or "")
        self.figure = {"position": int(match.group(1)) if match else None}

    def _start_caption(self, tag, attributes):
        if self.figure is not None:
            self.figcaption = []  # kept until </figure>

    def _end_figure(self, tag):
        figure, caption_runs = self.figure, self.figcaption
        self.figure, self.figcaption = None, None
        if figure is None:
            return
        position = figure["position"]
        stored = self.figures.get(position) if position is not None else None
        if stored is not None:
            self.used_figures.add(position)
            self.blocks.append(figure_block(**stored))
        elif caption_runs:
            self.blocks.append(figure_block(caption=_runs_text(_trim_runs(caption_runs))))

    _STARTS = {
        "strong": _start_bold, "b": _start_bold,
        "em": _start_italic, "i": _start_italic,
        "sup": _start_script, "sub": _start_script,
        "a": _start_link,
        "br": _start_line_break,
        "p": _start_paragraph,
        "h3": _start_heading, "h4": _start_heading,
        "ul": _start_list, "ol": _start_list,
        "li": _start_item,
        "table": _start_table,
        "thead": _start_head,
        "tr": _start_row,
        "td": _start_cell, "th": _start_cell,
        "figure": _start_figure,
        "figcaption": _start_caption,
    }
    _ENDS = {
        "strong": _end_bold, "b": _end_bold,
        "em": _end_italic, "i": _end_italic,
        "sup": _end_script, "sub": _end_script,
        "a": _end_link,
        "p": _end_paragraph_or_heading, "h3": _end_paragraph_or_heading,
        "h4": _end_paragraph_or_heading,
        "ul": _end_list, "ol": _end_list,
        "li": _end_item,
        "table": _end_table,
        "thead": _end_head,
        "tr": _end_row,
        "td": _end_cell, "th": _end_cell,
        "figure": _end_figure,
    }

    def close(self):
        super().close()
        self._close_block()
        if self.lists:
            block = self.lists[0]
            self.lists = []
            if block["items"]:
                self.blocks.append(block)


def _trim_runs(runs: list[Run]) -> list[Run]:
    """Strip the whitespace HTML layout leaves at both ends; drop empty runs."""
    runs = [dict(run) for run in runs if run["text"]]
    if runs:
        runs[0]["text"] = runs[0]["text"].lstrip()
        runs[-1]["text"] = runs[-1]["text"].rstrip()
    return [run for run in runs if run["text"]]


def _runs_text(runs: Iterable[Run]) -> str:
    return "".join(run["text"] for run in runs).strip()


def html_to_blocks(html: str, figures: Mapping[int, Mapping[str, Any]] | None = None) -> list[Block]:
    """The render blocks of a sanitised article body, in reading order.

    ``figures`` maps Figure.position to ``{"caption", "source", "image_data_uri"}``;
    each ``<figure class="figure-N">`` placeholder becomes that figure, and figures the
    body never mentions follow at the end, in position order, so none is lost.
    """
    figures = figures or {}
    builder = _BlockBuilder(figures)
    builder.feed(html or "")
    builder.close()
    blocks = builder.blocks
    for position in sorted(set(figures) - builder.used_figures):
        blocks.append(figure_block(**figures[position]))
    return blocks


def blocks_text(blocks: Iterable[Block]) -> str:
    """The plain text of blocks, a line each (tests and search snippets)."""
    lines = []
    for block in blocks:
        kind = block["type"]
        if kind == "paragraph":
            lines.append(_runs_text(block["runs"]))
        elif kind == "subheading":
            lines.append(" ".join(filter(None, [block.get("kicker"), block["text"]])))
        elif kind == "figure":
            lines.append(" ".join(filter(None, [block["caption"], block["source"]])))
        elif kind == "table":
            lines.extend(" ".join(row) for row in block["rows"])
        elif kind == "list":
            lines.extend(_runs_text(item) for item in block["items"])
    return "\n".join(lines)
