"""Requests whose path or parameters hold control characters are answered 404.

A NUL byte (``/indicators/%00/``) reaches the database as part of a lookup and
PostgreSQL refuses it with an error, which would be a 500; no URL of the site ever holds
a control character, so such a request names nothing.
"""

from __future__ import annotations

import re

from django.http import Http404

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class RefuseControlCharactersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _CONTROL.search(request.path) or any(
            _CONTROL.search(value) for _name, values in request.GET.lists() for value in values
        ):
            raise Http404("control character in the URL")
        return self.get_response(request)
