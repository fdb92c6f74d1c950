"""The issue PDF, typeset by Typst from the render data. No database, no storage.

The Typst template (templates/render/issue.typ) reads the issue's data as JSON from
``sys.inputs``; images travel as files in a temporary compile root, since Typst cannot
decode base64. One compiler per process keeps the Noto CJK fonts parsed between renders.
After the compile the PDF is set to open with its bookmarks shown, by an incremental
update that leaves Typst's bytes as they are.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import re
import tempfile
import threading
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from editorial.typesetting.errors import RenderError
from editorial.typesetting.render_data import data_uri_bytes

logger = logging.getLogger(__name__)

TYPST_TEMPLATE = Path(settings.BASE_DIR) / "templates" / "render" / "issue.typ"
FONT_FAMILIES = ("Noto Serif CJK SC", "Noto Sans CJK SC")
FONT_DIR_CANDIDATES = (
    "/usr/share/fonts/opentype/noto",
    "/usr/share/fonts/noto-cjk",
    "/usr/share/fonts/google-noto-cjk",
    "/usr/share/fonts/opentype/noto-cjk",
    "/usr/share/fonts/truetype/noto",
    "/usr/local/share/fonts",
    "/Library/Fonts",
)


def font_dirs() -> list[str]:
    """Folders holding the Noto CJK fonts: RENDER_FONT_DIRS, else the usual places."""
    configured = getattr(settings, "RENDER_FONT_DIRS", None)
    if configured:
        return [str(d) for d in configured]
    found = []
    for candidate in FONT_DIR_CANDIDATES:
        path = Path(candidate)
        if path.is_dir() and any(path.glob("Noto*CJK*")):
            found.append(candidate)
    return found


class _Typesetter:
    """One Typst compiler per process: fonts are found and parsed once, not per render."""

    def __init__(self):
        self.lock = threading.Lock()
        self.compiler = None

    def get(self):
        if self.compiler is None:
            import typst  # a native module: loaded by the processes that typeset PDFs only

            dirs = font_dirs()
            fonts = typst.Fonts(
                include_system_fonts=not dirs, include_embedded_fonts=True, font_paths=dirs
            )
            missing = [family for family in FONT_FAMILIES if family not in fonts.families()]
            if missing:
                raise RenderError(
                    "Fonts not found: %s (install fonts-noto-cjk or set RENDER_FONT_DIRS)"
                    % ", ".join(missing)
                )
            self.compiler = typst.Compiler(font_paths=fonts, ignore_system_fonts=bool(dirs))
        return self.compiler

    def warm(self) -> None:
        """Find and parse the fonts now (a tiny document in each face), e.g. in a thread
        while the issue's data is being built; the compiler keeps them loaded."""
        with self.lock:
            compiler = self.get()
            faces = "".join(
                f'#text(font: "{family}", weight: "{weight}")[中文 Aa1，]'
                for family in FONT_FAMILIES
                for weight in ("regular", "bold")
            )
            compiler.compile(input=faces.encode("utf-8"), format="pdf")


_typesetter = _Typesetter()


def start_warming() -> threading.Thread | None:
    """Load the fonts on another core now, when this process has no compiler yet (a
    one-off render: the fonts load while the issue's data is built). None when warm."""
    if _typesetter.compiler is not None:
        return None
    warming = threading.Thread(target=_warm_quietly, daemon=True)
    warming.start()
    return warming


def _warm_quietly() -> None:
    try:
        _typesetter.warm()
    except Exception:  # the real compile reports the problem
        logger.debug("Typst warm-up failed", exc_info=True)

_IMAGE_EXTENSIONS = {
    "image/svg+xml": "svg",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
}


def typst_data(data: dict, root: Path) -> dict:
    """The data as the Typst template reads it: images as files under ``root``.

    Typst has no base64 decoder, so each data-URI image is written once to the
    compile root and the block names the file instead of carrying the bytes.
    """
    result = copy.copy(data)
    result["sections"] = []
    written: dict[str, str] = {}
    for section in data["sections"]:
        section_copy = {**section, "articles": []}
        for article in section["articles"]:
            blocks = []
            for block in article["blocks"]:
                if block["type"] == "figure":
                    block = {**block, "image_file": None}
                    uri = block.pop("image_data_uri", None)
                    if uri:
                        block["image_file"] = _write_image(uri, root, written)
                blocks.append(block)
            section_copy["articles"].append({**article, "blocks": blocks})
        result["sections"].append(section_copy)
    return result


def _write_image(uri: str, root: Path, written: dict[str, str]) -> str | None:
    try:
        mime, content = data_uri_bytes(uri)
    except ValueError:
        return None
    extension = _IMAGE_EXTENSIONS.get(mime)
    if extension is None:
        return None
    name = f"img/{hashlib.sha1(content, usedforsecurity=False).hexdigest()}.{extension}"
    if name not in written:
        (root / "img").mkdir(exist_ok=True)
        (root / name).write_bytes(content)
        written[name] = name
    return "/" + name


_PAGES_COUNT = re.compile(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)|/Count\s+(\d+)[^>]*?/Type\s*/Pages\b")


def pdf_page_count(pdf: bytes) -> int | None:
    match = _PAGES_COUNT.search(pdf)
    if not match:
        return None
    return int(match.group(1) or match.group(2))


def typeset_pdf(data: dict, *, timestamp: datetime | None = None) -> tuple[bytes, int | None, list]:
    """The issue PDF from its data: (bytes, pages, warnings). No database, no storage."""
    template = TYPST_TEMPLATE.read_bytes()
    with tempfile.TemporaryDirectory(prefix="bulletin-typst-") as tmp:
        root = Path(tmp)
        compile_data = typst_data(data, root)
        with _typesetter.lock:
            compiler = _typesetter.get()

            def compile_once():
                return compiler.compile_with_warnings(
                    input=template,
                    format="pdf",
                    root=str(root),
                    sys_inputs={"issue": json.dumps(compile_data, ensure_ascii=False)},
                    # The PDF's dates come from the issue, so the same content gives the
                    # same bytes.
                    timestamp=timestamp or _issue_timestamp(data),
                )

            try:
                pdf, warnings = compile_once()
            except RuntimeError as exc:  # typst.TypstError
                # One unreadable upload must not cost the whole issue its PDF: print that
                # figure without its image and say so in the log.
                if not _drop_broken_images(compiler, compile_data, root):
                    raise RenderError(_typst_message(exc)) from exc
                try:
                    pdf, warnings = compile_once()
                except RuntimeError as again:
                    raise RenderError(_typst_message(again)) from again
    pdf = open_with_bookmarks(pdf)
    pages = pdf_page_count(pdf)
    return pdf, pages, [getattr(w, "message", str(w)) for w in warnings]


_TRAILER = re.compile(rb"trailer\s*<<(.*?)>>\s*startxref\s*(\d+)\s*%%EOF\s*$", re.S)
_ROOT_REF = re.compile(rb"/Root\s+(\d+)\s+(\d+)\s+R")


def open_with_bookmarks(pdf: bytes) -> bytes:
    """The PDF set to open with its bookmarks panel shown (/PageMode /UseOutlines).

    Typst has no option for the page mode, so the catalog is rewritten as an incremental
    update appended to the file (a new catalog object, a one-entry cross-reference
    section and a trailer pointing back to the original): the bytes Typst wrote stay
    as they are. A PDF this does not recognise is returned unchanged.
    """
    trailer = _TRAILER.search(pdf[-4096:])
    root = _ROOT_REF.search(trailer.group(1)) if trailer else None
    if root is None or b"/Outlines" not in pdf:
        return pdf
    number, generation = root.group(1), root.group(2)
    start = pdf.rfind(b"\n" + number + b" " + generation + b" obj")
    end = pdf.find(b"endobj", start)
    if start < 0 or end < 0:
        return pdf
    body = pdf[start:end]
    opening = body.find(b"<<")
    closing = body.rfind(b">>")
    if opening < 0 or closing < 0 or b"/PageMode" in body:
        return pdf
    catalog = body[opening:closing] + b"/PageMode/UseOutlines>>"
    offset = len(pdf) + 1
    obj = b"\n" + number + b" " + generation + b" obj\n" + catalog + b"\nendobj\n"
    xref_at = offset - 1 + len(obj)
    old_trailer = trailer.group(1)
    size = re.search(rb"/Size\s+(\d+)", old_trailer)
    keep = b"".join(
        m.group(0) for m in re.finditer(rb"/(?:Info|ID)\s*(?:\d+\s+\d+\s+R|\[[^\]]*\])", old_trailer)
    )
    update = (
        obj
        + b"xref\n0 1\n0000000000 65535 f\r\n"
        + number + b" 1\n" + b"%010d %05d n\r\n" % (offset, int(generation))
        + b"trailer\n<</Size " + (size.group(1) if size else b"0") + b"/Root " + number + b" "
        + generation + b" R" + keep + b"/Prev " + trailer.group(2) + b">>\n"
        + b"startxref\n%d\n%%%%EOF\n" % xref_at
    )
    return pdf + update


def _drop_broken_images(compiler, compile_data: dict, root: Path) -> bool:
    """Try each image alone; unset the ones Typst cannot decode. True if any were."""
    checked: dict[str, bool] = {}  # image file → decodes
    for section in compile_data["sections"]:
        for article in section["articles"]:
            for block in article["blocks"]:
                name = block.get("image_file") if block["type"] == "figure" else None
                if not name:
                    continue
                if name not in checked:
                    probe = f'#image("{name}")'.encode()  # a path we made: /img/<sha1>.<ext>
                    try:
                        compiler.compile(input=probe, format="pdf", root=str(root))
                        checked[name] = True
                    except RuntimeError as exc:
                        logger.warning("Figure image %s (article %s) cannot be decoded: %s",
                                       name, article["id"], _typst_message(exc))
                        checked[name] = False
                if not checked[name]:
                    block["image_file"] = None
    return not all(checked.values())


def _issue_timestamp(data: dict) -> datetime:
    issue = data["issue"]
    return datetime(issue["year"], issue["month"], issue["day"], tzinfo=timezone.get_fixed_timezone(480))


def _typst_message(exc: Exception) -> str:
    message = getattr(exc, "diagnostic", None) or getattr(exc, "message", None) or str(exc)
    hints = getattr(exc, "hints", None) or []
    return "Typst: " + "\n".join([str(message), *map(str, hints)])
