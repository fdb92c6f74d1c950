"""Old links keep working after a bulletin's or section's slug is changed.

When a page with a ``bulletin_slug`` (and maybe ``section_slug``) in its URL is not
found, the slug may be one the bulletin or section used to have: answer with a permanent
redirect to the same page under the current slug. Looked up only on a 404, so pages that
are found pay nothing for it.
"""

from __future__ import annotations

from django.http import Http404, HttpResponsePermanentRedirect
from django.urls import NoReverseMatch, reverse

from editorial.selectors import public as selectors


def current_slugs(kwargs: dict) -> dict | None:
    """The URL kwargs with retired slugs replaced by current ones, or None if none was."""
    bulletin_slug = kwargs.get("bulletin_slug")
    if bulletin_slug is None:
        return None
    changed = dict(kwargs)
    bulletin = selectors.bulletin_for_slug(bulletin_slug)
    if bulletin is None:
        return None
    changed["bulletin_slug"] = bulletin.slug
    section_slug = kwargs.get("section_slug")
    if section_slug is not None:
        current = selectors.renamed_section_slug(bulletin, section_slug)
        if current is not None:
            changed["section_slug"] = current
    return changed if changed != kwargs else None


class RetiredSlugRedirectMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        match = getattr(request, "resolver_match", None)
        if not isinstance(exception, Http404) or match is None or request.method not in (
            "GET",
            "HEAD",
        ):
            return None
        kwargs = current_slugs(match.kwargs)
        if kwargs is None:
            return None
        try:
            url = reverse(match.view_name, args=match.args, kwargs=kwargs)
        except NoReverseMatch:
            return None
        query = request.META.get("QUERY_STRING")
        return HttpResponsePermanentRedirect(f"{url}?{query}" if query else url)
