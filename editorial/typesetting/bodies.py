"""Turning parsed article blocks into the body HTML an Article stores.

The HTML vocabulary matches editorial.sanitising; figures are stored as Figure rows
and marked in the body by an empty ``<figure class="figure-N">`` placeholder so the
renderers can put each one back where it stood.
"""

from __future__ import annotations

from django.utils.html import escape

from editorial.parsing.tree import FigureCaption, Paragraph, ParsedArticle, Subheading, Table


def figure_placeholder(position: int) -> str:
    return f'<figure class="figure-{position}"></figure>'


def article_body_html(article: ParsedArticle) -> str:
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
