"""Stored files (MEDIA_URL) served through a permission check, in production as in DEBUG.

Nothing under MEDIA_ROOT is public by its path alone. Each stored file belongs to a row,
and the row decides who may read it: renditions and uploads are for staff with the
model's view permission (the public reads renditions through the public download view,
which also refuses withdrawn issues), a figure's image is public while its issue is.
Anything else is a 404, so the path of a rejected upload or a withdrawn issue's file
tells an outsider nothing.

With ``MEDIA_ACCEL_REDIRECT_PREFIX`` set (for example ``/protected-media/``) the answer
is an ``X-Accel-Redirect`` for nginx to send the file itself; otherwise it is streamed.
"""

from __future__ import annotations

import mimetypes

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.views.decorators.http import require_safe

from editorial.models import ExportJob, Figure, ImportJob, Rendition


def _owner(name: str):
    """The model and row a stored file belongs to, or (None, None)."""
    for model in (Rendition, ImportJob, ExportJob):
        row = model.objects.filter(file=name).first()
        if row is not None:
            return model, row
    row = Figure.objects.filter(image=name).select_related("article__issue").first()
    if row is not None:
        return Figure, row
    return None, None


def _may_read(user, model, row) -> bool:
    from editorial.workflow import ISSUE_PUBLIC_STATES

    if model is Figure and row.article.issue.state in ISSUE_PUBLIC_STATES:
        return True
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    if model is ExportJob:
        return row.created_by_id == user.pk or user.has_perm("editorial.view_exportjob")
    return user.has_perm(f"editorial.view_{model._meta.model_name}")


@require_safe
def stored_file(request, name: str):
    if "\x00" in name or name.startswith("/") or ".." in name.split("/"):
        raise Http404
    model, row = _owner(name)
    if model is None or not default_storage.exists(name):
        raise Http404
    if not _may_read(request.user, model, row):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        raise Http404
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    prefix = getattr(settings, "MEDIA_ACCEL_REDIRECT_PREFIX", "")
    if prefix:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + name
    else:
        response = FileResponse(default_storage.open(name, "rb"), content_type=content_type)
        response.block_size = 512 * 1024
    # Stored HTML (renditions, uploads) must not run as a page of this site.
    response["Content-Security-Policy"] = "sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
