"""Sanitising article HTML with nh3 (the Ammonia sanitiser), and reading its text.

Bodies come from imports, pasted Word text and the admin editor; whatever arrives,
only this small vocabulary survives. Render templates rely on it. ``html_to_text`` is
the one way a body becomes plain text (search documents and snippets, revision
compares), with a separator where each block starts and ends.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser

import nh3

ALLOWED_TAGS = {
    "p", "br", "h3", "h4", "strong", "b", "em", "i", "u", "sub", "sup", "a",
    "ul", "ol", "li", "blockquote", "table", "thead", "tbody", "tr", "th", "td",
    "figure", "figcaption", "span",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "p": {"class"},
    "span": {"class"},
    "figure": {"class"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def sanitise_body_html(html: str) -> str:
    """Strip scripts, event handlers, styles and unknown tags, keeping the text."""
    if not html:
        return ""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


# Tags whose start and end break the text: blocks, table cells and line breaks.
TEXT_BREAKING_TAGS = frozenset(
    {"p", "h3", "h4", "li", "td", "th", "tr", "figcaption", "blockquote", "br", "figure"}
)


class _TextExtractor(HTMLParser):
    def __init__(self, separator: str):
        super().__init__(convert_charrefs=True)
        self.separator = separator
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)

    def handle_starttag(self, tag, attrs):
        if tag in TEXT_BREAKING_TAGS:
            self.parts.append(self.separator)

    def handle_endtag(self, tag):
        if tag in TEXT_BREAKING_TAGS:
            self.parts.append(self.separator)


def html_to_text(body_html: str, *, separator: str = "\n") -> str:
    """The text of body HTML, markup dropped and entities decoded, with ``separator``
    where each block (paragraph, heading, list item, cell, caption …) starts and ends."""
    if not body_html:
        return ""
    extractor = _TextExtractor(separator)
    extractor.feed(body_html)
    extractor.close()
    return html.unescape("".join(extractor.parts))
