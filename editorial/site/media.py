"""Stored files (MEDIA_URL) served through a permission check, in production as in DEBUG.

Nothing under MEDIA_ROOT is public by its path alone. Each stored file belongs to a row,
and the row decides who may read it: renditions and uploads are for staff with the
model's view permission (the public reads renditions through the public download view,
which also refuses withdrawn issues), a figure's image is public while its issue is.
Anything else is a 404, so the path of a rejected upload or a withdrawn issue's file
tells an outsider nothing.

How the bytes leave (a signed bucket redirect, ``X-Accel-Redirect`` for nginx, or a
stream) is editorial.site.file_serving's choice, as for every download.
"""

from __future__ import annotations

import posixpath

from django.contrib.auth.views import redirect_to_login
from django.core.files.storage import default_storage
from django.http import Http404
from django.views.decorators.http import require_safe

from editorial.models import ExportJob, Figure
from editorial.selectors.access import may_read_in_full, reader_for_request
from editorial.selectors.public import stored_file_owner
from editorial.site.file_serving import stored_file_response
from editorial.workflow import ISSUE_PUBLIC_STATES


def _may_read(user, model, row) -> bool:
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
    model, row = stored_file_owner(name)
    if model is None or not default_storage.exists(name):
        raise Http404
    if model is Figure and not may_read_in_full(reader_for_request(request), row.article.issue):
        raise Http404  # a subscriber-only issue's figure: as for any refused stored file
    if not _may_read(request.user, model, row):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        raise Http404
    response = stored_file_response(
        request, name, storage=default_storage, filename=posixpath.basename(name), attachment=False
    )
    # Stored HTML (renditions, uploads) must not run as a page of this site.
    response["Content-Security-Policy"] = "sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
