"""Uploads are limited by size and type before anything reads them whole.

Three layers, from the outside in:

- ``RequestBodyLimitMiddleware`` answers 413 to a request whose ``Content-Length`` is
  over ``UPLOAD_MAX_BYTES``, before a byte of the body is read (under WSGI Django never
  reads past ``Content-Length``, so a body without one is read as empty, never streamed
  without end). The message is in the visitor's language.
- Django's own ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (form fields without files) and
  ``FILE_UPLOAD_MAX_MEMORY_SIZE`` (files above it are spooled to a temporary file, not
  kept in memory) in settings.
- ``validate_bulletin_upload``, on the import form's file field: the size the upload
  handler counted and the file's first bytes against its name (a .docx must be a ZIP
  package, a .pdf a PDF, a text file not binary). The deeper checks stay where they are:
  the importer's format detection and encodings (services/upload_parsing.py), the ZIP-bomb
  check of .docx/.xlsx packages (parsing/packages.py) and the CSV/XLSX decoding
  (tables/reading.py).

Every import path (bulletins and tables, form, service and worker) asks the same two
questions here: ``import_size_refusal`` (over ``BULLETIN_IMPORT_MAX_BYTES``?) and
``package_limits`` (how far a ZIP package may expand, from the settings).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _

from editorial.parsing.packages import ZIP_MAGIC, PackageLimits

_PDF_MAGIC = b"%PDF-"
# Headers of programs and compressed archives, never a bulletin. (A PDF or a Word file
# saved under a .txt name is read as what its bytes say: services.upload_parsing.detect_format.)
_BINARY_MAGICS = (b"\x7fELF", b"MZ", b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf", b"\xca\xfe\xba\xbe")
# PDF readers accept the header anywhere in the first kilobyte.
_PDF_HEADER_WINDOW = 1024


def upload_max_bytes() -> int:
    return settings.UPLOAD_MAX_BYTES


def import_size_refusal(size: int) -> str:
    """Why an import file of ``size`` bytes is refused, in the user's language; "" when
    it is within ``BULLETIN_IMPORT_MAX_BYTES``. Callers raise their own error with it."""
    return "" if size <= settings.BULLETIN_IMPORT_MAX_BYTES else import_too_large_message()


def import_too_large_message() -> str:
    """The refusal of an import file over ``BULLETIN_IMPORT_MAX_BYTES``, with the limit."""
    limit = settings.BULLETIN_IMPORT_MAX_BYTES
    return _("The file is too large (at most %(size)s MB).") % {"size": limit // (1024 * 1024)}


def package_limits() -> PackageLimits:
    """How far an uploaded .docx or .xlsx package may expand, from the settings."""
    return PackageLimits(
        max_bytes=settings.BULLETIN_PACKAGE_MAX_EXPANDED_BYTES,
        max_ratio=settings.BULLETIN_PACKAGE_MAX_RATIO,
        max_entries=settings.BULLETIN_PACKAGE_MAX_ENTRIES,
    )


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f}"


class RequestBodyLimitMiddleware:
    """Refuses a request body over ``UPLOAD_MAX_BYTES`` from its declared length."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        declared = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(declared)
        except ValueError:
            length = 0  # Django reads such a body as empty
        limit = upload_max_bytes()
        if length > limit:
            return self.refuse(request, limit)
        return self.get_response(request)

    def refuse(self, request, limit: int) -> HttpResponse:
        # Before LocaleMiddleware has run: choose the visitor's language here.
        language = translation.get_language_from_request(request)
        with translation.override(language):
            message = _(
                "The upload is too large: at most %(size)s MB may be sent at once."
            ) % {"size": _megabytes(limit)}
        response = HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        response["Content-Language"] = language
        # The unread body must not be taken for the next request on a kept-alive connection.
        response["Connection"] = "close"
        return response


def _head(upload, size: int) -> bytes:
    position = upload.tell() if hasattr(upload, "tell") else 0
    upload.seek(0)
    head = upload.read(size)
    upload.seek(position)
    return head


def validate_bulletin_upload(upload) -> None:
    """A bulletin file: small enough, and its first bytes agree with its name."""
    refusal = import_size_refusal(upload.size)
    if refusal:
        raise ValidationError(refusal, code="too-large")
    name = (upload.name or "").lower()
    head = _head(upload, _PDF_HEADER_WINDOW)
    if name.endswith(".pdf") and _PDF_MAGIC not in head:
        raise ValidationError(_("The file is named .pdf but is not a PDF."), code="file-type")
    if name.endswith(".docx") and not head.startswith(ZIP_MAGIC):
        raise ValidationError(
            _("The file is named .docx but is not a Word document."), code="file-type"
        )
    # Other binary files (an image, say) reach the importer, which explains at the
    # preview that the file is not text; programs and compressed archives stop here.
    if head.startswith(_BINARY_MAGICS):
        raise ValidationError(
            _("This is a program or a compressed archive, not a bulletin."), code="file-type"
        )
