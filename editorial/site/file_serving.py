"""A stored file as an HTTP response, from whichever storage holds it.

Every download view (public renditions and figures, subscriber links, exports, the
admin's job files, the checked media URLs) ends here, so the way a file leaves the
storage is decided once:

- in a bucket (django-storages' S3 backend): HTML and SVG relayed by the web process (so
  the caller's sandbox policy applies); anything else a 302 to a signed URL that expires in
  ``MEDIA_SIGNED_URL_SECONDS``, carrying the file name and type as ``response-content-*``
  parameters, so the bucket sends the bytes and objects never need to be public. With
  ``MEDIA_BUCKET_STREAM`` on, the web process relays the object in chunks instead (for
  a bucket readers cannot reach);
- on the filesystem: an ``X-Accel-Redirect`` for nginx when
  ``MEDIA_ACCEL_REDIRECT_PREFIX`` is set, else a streamed ``FileResponse``.

A file is never read whole into memory. ``HEAD`` gets the headers without the body
(a signed URL is signed for ``GET`` only, so HEAD is answered here, not redirected).
"""

from __future__ import annotations

import mimetypes

from django.conf import settings
from django.core.files.storage import Storage, default_storage
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.utils.http import content_disposition_header

# Large blocks: a big file takes a few hundred writes of the worker, not thousands.
BLOCK_SIZE = 512 * 1024


def stored_file_response(
    request,
    file: FieldFile | str,
    *,
    filename: str,
    attachment: bool,
    content_type: str | None = None,
    storage: Storage | None = None,
) -> HttpResponse:
    """The response sending ``file`` (a FieldFile, or a name in ``storage``) as ``filename``.

    Raises Http404 when the file is not in the storage.
    """
    if isinstance(file, FieldFile):
        if not file:
            raise Http404("No file")
        name, storage = file.name, file.storage
    else:
        name, storage = file, storage or default_storage
    content_type = content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    disposition = content_disposition_header(attachment, filename)
    if is_bucket(storage):
        return _from_bucket(request, storage, name, content_type, disposition)
    return _from_filesystem(request, storage, name, content_type, disposition)


def is_bucket(storage: Storage) -> bool:
    """Whether ``storage`` is an S3-compatible bucket (signed URLs, no local paths)."""
    try:
        # Brings boto3, slow to import: loaded at the first file served, not at startup.
        from storages.backends.s3 import S3Storage
    except ImportError:  # django-storages not installed: only the filesystem is in use
        return False
    return isinstance(storage, S3Storage)


def is_active_content(content_type: str) -> bool:
    """Types a browser would run scripts in: they must leave with this site's policy."""
    return content_type.startswith(("text/html", "image/svg", "application/xhtml"))


def _private(response: HttpResponse) -> HttpResponse:
    # A signed URL or a private file must not sit in a shared cache or leak as a Referer.
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _head(content_type: str, disposition: str | None, size: int) -> HttpResponse:
    response = HttpResponse(content_type=content_type)
    response["Content-Length"] = str(size)
    if disposition:
        response["Content-Disposition"] = disposition
    return _private(response)


def _from_bucket(request, storage, name: str, content_type: str, disposition: str | None):
    if request.method == "HEAD":
        try:
            size = storage.size(name)
        except Exception as exc:  # botocore's ClientError: no such object
            raise Http404("File missing") from exc
        return _head(content_type, disposition, size)
    if getattr(settings, "MEDIA_BUCKET_STREAM", False) or is_active_content(content_type):
        # HTML and SVG are relayed, never redirected: from the bucket's origin they would
        # open without the sandbox policy the calling view puts on them.
        return _relayed(storage, name, content_type, disposition)
    if not storage.exists(name):
        raise Http404("File missing")
    parameters = {"ResponseContentType": content_type, "ResponseCacheControl": "private, no-store"}
    if disposition:
        parameters["ResponseContentDisposition"] = disposition
    url = storage.url(name, parameters=parameters, expire=settings.MEDIA_SIGNED_URL_SECONDS)
    return _private(HttpResponseRedirect(url))


def _relayed(storage, name: str, content_type: str, disposition: str | None):
    """The object's body passed on in blocks as S3 sends it (S3File would fetch it whole)."""
    # The storage's own key for the name (it adds AWS_LOCATION and cleans the path).
    key = storage._normalize_name(name)
    try:
        reply = storage.bucket.Object(key).get()
    except Exception as exc:  # botocore's ClientError (NoSuchKey) or an unreachable bucket
        raise Http404("File missing") from exc
    response = FileResponse(reply["Body"], content_type=content_type)
    response.block_size = BLOCK_SIZE
    response["Content-Length"] = str(reply["ContentLength"])
    if disposition:
        response["Content-Disposition"] = disposition
    return _private(response)


def _from_filesystem(request, storage, name: str, content_type: str, disposition: str | None):
    # Cache headers are the calling view's: a public figure may be cached, a job file not.
    prefix = getattr(settings, "MEDIA_ACCEL_REDIRECT_PREFIX", "")
    if prefix or request.method == "HEAD":
        if not storage.exists(name):
            raise Http404("File missing")
        response = HttpResponse(content_type=content_type)
        if request.method == "HEAD":
            response["Content-Length"] = str(storage.size(name))
        else:  # nginx sends the file from its internal location, with these headers
            response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + name
    else:
        try:
            handle = storage.open(name, "rb")
        except OSError as exc:  # FileNotFoundError, or the file cannot be read
            raise Http404("File missing") from exc
        response = FileResponse(handle, content_type=content_type)
        response.block_size = BLOCK_SIZE
    if disposition:
        response["Content-Disposition"] = disposition
    response["X-Content-Type-Options"] = "nosniff"
    return response
