"""The issue as one self-contained HTML page, from the render data. No database, no storage.

The page (templates/render/issue.html) includes the same block template the public
article pages use, so the web page, the file and the e-mail set a body alike.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string

HTML_TEMPLATE = "render/issue.html"
# The files the page is made from, for the rendition's content hash.
HTML_TEMPLATE_FILES = (
    Path(settings.BASE_DIR) / "templates" / "render" / "issue.html",
    Path(settings.BASE_DIR) / "templates" / "editorial" / "_article_blocks.html",
)


def render_html(data: dict) -> str:
    """The self-contained issue HTML from its data. No database, no storage."""
    return render_to_string(HTML_TEMPLATE, {"data": data})
