"""Sanitising article HTML with nh3 (the Ammonia sanitiser).

Bodies come from imports, pasted Word text and the admin editor; whatever arrives,
only this small vocabulary survives. Render templates rely on it.
"""

from __future__ import annotations

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
