"""What the public pages' answers share: paging, private answers, and
stored files sent with a policy that keeps them from running on this origin."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.http import Http404

from editorial.site.file_serving import stored_file_response


def page_number(request) -> int:
    """The ``page`` query parameter; anything that is not a number is the first page."""
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


def paginate(request, items, per_page: int) -> Page:
    """The requested page of ``items``; a page past the last is a 404."""
    paginator = Paginator(items, per_page)
    number = page_number(request)
    if number > paginator.num_pages:
        raise Http404("No such page")
    return paginator.page(number)


def private(response):
    """Mark a staff-only answer (previews): never cached, never indexed."""
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def sandboxed_file_response(
    request, field_file, *, filename: str, attachment: bool, content_type: str | None = None
):
    """A stored file as a response; HTML and SVG go with a policy that runs no script."""
    response = stored_file_response(
        request, field_file, filename=filename, attachment=attachment, content_type=content_type
    )
    content_type = response.get("Content-Type", "")
    if content_type.startswith("image/svg") or content_type.startswith("text/html"):
        # Our own files, but never let one run a script on this origin.
        response["Content-Security-Policy"] = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"
    return response
