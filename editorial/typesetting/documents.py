"""One rendition of an issue's render data (the PDF or the HTML file) and its key.

A rendition is keyed by what went into it: the render data and the template files
that typeset it (and ``RENDERER_VERSION``). The same key means the same file, so the
rendering service never typesets the same content twice. No database, no storage:
the Rendition rows and files are services.rendering's.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field

from editorial.typesetting.errors import RenderError
from editorial.typesetting.html import HTML_TEMPLATE_FILES, render_html
from editorial.typesetting.pdf import TYPST_TEMPLATE, typeset_pdf
from editorial.typesetting.render_data import content_hash

logger = logging.getLogger(__name__)

# The kinds of rendition (the values of Rendition.Kind).
PDF = "pdf"
HTML = "html"
# Bump when the renderer changes what it makes from the same data and templates.
RENDERER_VERSION = "1"
TEMPLATE_FILES = {PDF: (TYPST_TEMPLATE,), HTML: HTML_TEMPLATE_FILES}

_digest_cache: dict[tuple, str] = {}


def template_digest(kind: str) -> str:
    """sha256 of the template files a kind is made from (and of the renderer version)."""
    paths = TEMPLATE_FILES[kind]
    key = (kind, *((str(p), p.stat().st_mtime_ns) for p in paths))
    if key not in _digest_cache:
        digest = hashlib.sha256(f"{kind}:{RENDERER_VERSION}".encode())
        for path in paths:
            digest.update(path.read_bytes())
        _digest_cache[key] = digest.hexdigest()
    return _digest_cache[key]


def rendition_hash(data: dict, kind: str) -> str:
    """What a rendition is keyed by: the issue's data and the template that typesets it."""
    return content_hash(data, salt=template_digest(kind))


@dataclass
class RenderedDocument:
    kind: str
    content: bytes
    content_hash: str
    pages: int | None = None
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.content)


def render_document(data: dict, kind: str) -> RenderedDocument:
    """One rendition of already-built issue data."""
    started = time.perf_counter()
    digest = rendition_hash(data, kind)
    if kind == PDF:
        content, pages, warnings = typeset_pdf(data)
        for warning in warnings:
            logger.warning("Typst warning rendering issue %s: %s", data["issue"]["id"], warning)
    elif kind == HTML:
        content, pages, warnings = render_html(data).encode("utf-8"), None, []
    else:
        raise RenderError(f"Unknown rendition kind {kind!r}")
    return RenderedDocument(
        kind=kind, content=content, content_hash=digest, pages=pages,
        seconds=time.perf_counter() - started, warnings=warnings,
    )
