"""ETags on every successful GET, and 304 Not Modified for an ``If-None-Match`` that matches.

The ETag is a digest of the response body, which already reflects everything it depends
on (the data, the token's access, the page, the language), so it needs no bookkeeping
of its own; Django's ``get_conditional_response`` does the comparison (weak, as RFC 9110
asks for If-None-Match). Responses are ``private``: they differ per token, and shared
caches must not keep them; ``no-cache`` lets clients keep them and revalidate.
"""

from __future__ import annotations

from django.utils.cache import get_conditional_response, patch_vary_headers, set_response_etag


def conditional(request, response):
    """The response, or a 304 in its place when the client already holds this body."""
    if request.method not in ("GET", "HEAD"):
        return response
    patch_vary_headers(response, ("Authorization",))
    if response.status_code != 200:
        response["Cache-Control"] = "private, no-store"
        return response
    response["Cache-Control"] = "private, no-cache"
    set_response_etag(response)
    return get_conditional_response(request, etag=response["ETag"], response=response)
