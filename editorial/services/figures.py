"""Figures: the editor attaches an image to a figure, or has it show an indicator's chart.

Every figure write goes through one function here (the admin's figure inline, scripts),
checked against the permission table — a figure is part of its article, so it takes
"article.edit" in the article's issue — and recorded with ``record_action``.

Uploads are judged by their bytes, not their names: a raster image must be one Pillow
decodes as PNG, JPEG, GIF or WebP within the pixel limit, an SVG a well-formed SVG
document (parsed with defusedxml) with no scripts, event handlers or outside
references; both within ``FIGURE_IMAGE_MAX_BYTES``. Files are written through the
storage API only.

A figure that shows nothing (no image, no chart) is an import warning when the import
creates it, and keeps its issue from approval (``figures_without_artwork``, one of the
readiness gates in editorial.selectors.readiness); the renditions never print its
caption alone.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from editorial.models import Article, Figure, ImportWarning, Indicator
from editorial.parsing.tree import ParseWarning
from editorial.selectors.render_data import indicator_series
from editorial.services.audit import diff, record_action
from editorial.services.errors import ServiceError
from editorial.services.permissions import require_permission
from editorial.typesetting.render_data import chart_points

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 8000 × 5000 image; more is a decompression bomb, not a chart
# The import warning for a caption or source line with nothing to show above it.
FIGURE_WARNING = "figure-without-image"
RASTER_FORMATS = {"PNG": ("png", "image/png"), "JPEG": ("jpg", "image/jpeg"),
                  "GIF": ("gif", "image/gif"), "WEBP": ("webp", "image/webp")}
_SVG_FORBIDDEN_TAGS = {"script", "foreignobject", "iframe", "embed", "object"}
# An SVG may point inside itself (#id) or at inlined images, nothing else: a renderer
# would otherwise fetch or read other files.
_INSIDE_REFERENCE = re.compile(r"^\s*(?:#|data:image/)", re.I)
_CSS_OUTSIDE = re.compile(r"url\(\s*['\"]?\s*(?!#|data:image/)|@import", re.I)


def figure_image_max_bytes() -> int:
    return int(getattr(settings, "FIGURE_IMAGE_MAX_BYTES", DEFAULT_MAX_BYTES))


@dataclass(frozen=True)
class CheckedImage:
    content: bytes
    extension: str
    mime: str
    width: int | None = None
    height: int | None = None


def _not_an_image() -> ServiceError:
    return ServiceError(
        _("This file is not an image the bulletin can print: upload a PNG, JPEG, GIF, "
          "WebP or SVG file."),
        code="figure-image-type",
    )


def check_figure_image(upload) -> CheckedImage:
    """The upload's bytes, if they are an image a figure may show; else ServiceError
    with the reason in the user's language."""
    limit = figure_image_max_bytes()
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise _too_large(size, limit)
    if hasattr(upload, "seek"):
        upload.seek(0)
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise _too_large(len(content), limit)
    if not content:
        raise ServiceError(_("The image file is empty."), code="figure-image-empty")
    head = content[:256].lstrip()
    if head.startswith((b"<?xml", b"<svg", b"<!--", b"\xef\xbb\xbf")) or b"<svg" in head:
        return _check_svg(content)
    return _check_raster(content)


def _too_large(size: int, limit: int) -> ServiceError:
    return ServiceError(
        _("The image is %(size).1f MB; a figure image may be at most %(limit).1f MB.")
        % {"size": size / 1024 / 1024, "limit": limit / 1024 / 1024},
        code="figure-image-size",
    )


def _check_raster(content: bytes) -> CheckedImage:
    try:
        with Image.open(io.BytesIO(content)) as image:
            kind = image.format
            width, height = image.size
            if kind not in RASTER_FORMATS:
                raise _not_an_image()
            if width * height > MAX_PIXELS:
                raise ServiceError(
                    _("The image is %(width)s × %(height)s pixels; at most %(pixels)s million "
                      "pixels are accepted.")
                    % {"width": width, "height": height, "pixels": MAX_PIXELS // 1_000_000},
                    code="figure-image-pixels",
                )
            image.verify()  # reads the whole file: a truncated or corrupt one fails here
    except ServiceError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _not_an_image() from None
    extension, mime = RASTER_FORMATS[kind]
    return CheckedImage(content, extension, mime, width, height)


def _check_svg(content: bytes) -> CheckedImage:
    try:
        root = fromstring(content)
    except (ParseError, DefusedXmlException, ValueError):
        raise _not_an_image() from None
    if _local_name(root.tag) != "svg":
        raise _not_an_image()
    for element in root.iter():
        if _local_name(element.tag) in _SVG_FORBIDDEN_TAGS:
            raise _unsafe_svg()
        if _local_name(element.tag) == "style" and _CSS_OUTSIDE.search(element.text or ""):
            raise _unsafe_svg()
        for name, value in element.attrib.items():
            local = _local_name(name)
            if local.startswith("on"):
                raise _unsafe_svg()
            if local in ("href", "src") and not _INSIDE_REFERENCE.match(value or ""):
                raise _unsafe_svg()
            if local == "style" and _CSS_OUTSIDE.search(value or ""):
                raise _unsafe_svg()
    return CheckedImage(content, "svg", "image/svg+xml")


def _local_name(tag) -> str:
    return str(tag).rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _unsafe_svg() -> ServiceError:
    return ServiceError(
        _("This SVG contains scripts or links to other files; export the chart again as a "
          "plain SVG, or as PNG."),
        code="figure-image-svg",
    )


# --- Writes ----------------------------------------------------------------------------


def _require_open(user, article: Article) -> None:
    require_permission(user, "article.edit", issue_state=article.issue.state)


def _values(figure: Figure) -> dict:
    return {
        "position": figure.position,
        "caption": figure.caption,
        "source_line": figure.source_line,
        "image": figure.image.name if figure.image else "",
        "indicator": str(figure.indicator) if figure.indicator_id else None,
    }


def _record(user, action: str, figure: Figure, changes: dict) -> None:
    record_action(user=user, action=action, obj=figure, issue=figure.article.issue,
                  changes={"article": figure.article.title, **changes})


def _clean_text(value: str, field: str) -> str:
    text = (value or "").strip()
    limit = Figure._meta.get_field(field).max_length
    if len(text) > limit:
        raise ServiceError(
            _("%(field)s is %(length)s characters long; at most %(limit)s are allowed.")
            % {"field": Figure._meta.get_field(field).verbose_name, "length": len(text),
               "limit": limit},
            code="figure-text-length",
        )
    return text


@transaction.atomic
def create_figure(
    *, article: Article, user, caption: str = "", source_line: str = "",
    position: int | None = None,
) -> Figure:
    """A new figure at the end of the article (or at ``position``), showing nothing yet."""
    article = Article.objects.select_related("issue").get(pk=article.pk)
    _require_open(user, article)
    if not position:
        last = article.figures.order_by("-position").values_list("position", flat=True).first()
        position = (last or 0) + 1
    figure = Figure.objects.create(
        article=article, position=position,
        caption=_clean_text(caption, "caption"),
        source_line=_clean_text(source_line, "source_line"),
    )
    _record(user, "figure.create", figure, diff({}, _values(figure)))
    return figure


@transaction.atomic
def update_figure(
    *, figure: Figure, user, caption: str, source_line: str, position: int
) -> Figure:
    """Change a figure's caption, source line or position."""
    locked = _lock(figure)
    _require_open(user, locked.article)
    before = _values(locked)
    locked.caption = _clean_text(caption, "caption")
    locked.source_line = _clean_text(source_line, "source_line")
    locked.position = position
    changes = diff(before, _values(locked))
    if not changes:
        return locked
    locked.save(update_fields=["caption", "source_line", "position"])
    _record(user, "figure.edit", locked, changes)
    return locked


@transaction.atomic
def attach_figure_image(*, figure: Figure, user, upload) -> Figure:
    """Show ``upload`` (an uploaded or any file-like object with a name) in the figure,
    instead of its previous image or chart."""
    locked = _lock(figure)
    _require_open(user, locked.article)
    checked = check_figure_image(upload)
    before = _values(locked)
    name = f"figure-{locked.pk}.{checked.extension}"
    # Through the storage API only; the old file stays for the figure's history.
    locked.image.save(name, ContentFile(checked.content), save=False)
    locked.indicator = None
    locked.save(update_fields=["image", "indicator"])
    changes = diff(before, _values(locked))
    changes["size"] = len(checked.content)
    resolved = _resolve_warnings(locked, user)
    if resolved:
        changes["resolved_warnings"] = resolved
    _record(user, "figure.attach_image", locked, changes)
    return locked


@transaction.atomic
def choose_figure_chart(*, figure: Figure, user, indicator: Indicator) -> Figure:
    """Show ``indicator``'s chart (its confirmed values up to this issue) in the figure,
    instead of an image."""
    locked = _lock(figure)
    _require_open(user, locked.article)
    issue = locked.article.issue
    points = chart_points(indicator_series([indicator.pk], issue=issue).get(indicator.pk, []))
    if len(points) < 2:
        raise ServiceError(
            _("“%(name)s” has %(count)s confirmed values up to this issue; a chart needs at "
              "least two.") % {"name": indicator.name, "count": len(points)},
            code="figure-chart-too-short",
        )
    before = _values(locked)
    locked.indicator = indicator
    locked.image = ""
    locked.save(update_fields=["image", "indicator"])
    changes = diff(before, _values(locked))
    resolved = _resolve_warnings(locked, user)
    if resolved:
        changes["resolved_warnings"] = resolved
    _record(user, "figure.choose_chart", locked, changes)
    return locked


@transaction.atomic
def clear_figure_artwork(*, figure: Figure, user) -> Figure:
    """Take the image or chart off the figure (it then shows nothing: a readiness gate)."""
    locked = _lock(figure)
    _require_open(user, locked.article)
    before = _values(locked)
    if not locked.image and not locked.indicator_id:
        return locked
    locked.image = ""
    locked.indicator = None
    locked.save(update_fields=["image", "indicator"])
    _record(user, "figure.clear", locked, diff(before, _values(locked)))
    return locked


@transaction.atomic
def delete_figure(*, figure: Figure, user) -> None:
    """Remove a figure (e.g. a caption the import took for one); its import warning is
    resolved with it."""
    locked = _lock(figure)
    _require_open(user, locked.article)
    resolved = _resolve_warnings(locked, user)
    changes = {"deleted": _values(locked)}
    if resolved:
        changes["resolved_warnings"] = resolved
    _record(user, "figure.delete", locked, changes)
    locked.delete()


def _lock(figure: Figure) -> Figure:
    return (
        Figure.objects.select_for_update(of=("self",))
        .select_related("article__issue", "indicator")
        .get(pk=figure.pk)
    )


def _resolve_warnings(figure: Figure, user) -> int:
    """Resolve the issue's open "figure without image" warnings about this figure (the
    warning names the figure by its caption, or its source line when it has none)."""
    texts = {text for text in (figure.caption, figure.source_line) if text}
    if not texts:
        return 0
    return ImportWarning.objects.filter(
        issue_id=figure.article.issue_id, code=FIGURE_WARNING, resolved=False, text__in=texts
    ).update(resolved=True, resolved_by=user, resolved_at=timezone.now())


# --- The import warning ------------------------------------------------------------------


def figure_import_warnings(parsed) -> list:
    """A warning for each figure the parsed file has a caption or source line for but no
    image: an editor attaches one (or picks a chart) before the issue can be approved."""
    warnings = []
    for article in parsed.articles:
        for figure in article.figures:
            # The text the figure row is stored with, so attaching an image resolves it.
            text = figure.caption[:300] if figure.caption else (figure.source or "")[:300]
            warnings.append(ParseWarning(
                line=figure.line,
                message="A figure caption with no image: attach an image or choose an "
                        "indicator chart",
                code=FIGURE_WARNING,
                text=text,
            ))
    return warnings
