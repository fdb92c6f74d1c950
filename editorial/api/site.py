"""The NinjaAPI: token auth and the per-token rate limit on every operation, and one
place every response passes through on its way out (ETag / 304, and the access log).

Mounted at ``/api/`` by the project's URLconf: operations under ``/api/v1/``, the OpenAPI
3.1 document at ``/api/openapi.json``, its browsable view at ``/api/docs``.
"""

from __future__ import annotations

import json
import math

from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import Throttled
from ninja.openapi.docs import Swagger

from editorial.api import articles, issues, metrics
from editorial.api.auth import TokenAuth
from editorial.api.conditional import conditional
from editorial.api.throttling import TokenRateThrottle
from editorial.models import AccessLogEntry
from editorial.selectors.access import Reader
from editorial.services.access_log import record_access

API_VERSION = "1"
RESOURCE_CHARS = 200

DESCRIPTION = """\
Read-only JSON for subscribers' systems: published issues with their contents, articles
with their text, key figures (metrics) and indicator series.

Every request carries an organisation's token: `Authorization: Bearer bk_…`. A token
reads every published issue of a public bulletin, and the issues of subscriber-only
bulletins its organisation holds an active subscription to; anything else answers as if
it did not exist. Lists are paged with `limit` (1–100, default 50) and `offset`. Every
answer carries an `ETag`; send it back as `If-None-Match` to get `304 Not Modified` when
nothing changed. Requests are limited per token and minute (429 with `Retry-After`).
"""


class OwnAssetsSwagger(Swagger):
    """The browsable docs page with django-ninja's own Swagger assets, never a CDN.

    ninja serves its own assets only when "ninja" is an installed app, and it is not one
    here (bulletin/settings.py says why); its templates and static files are on the
    project's paths instead, so the page is rendered from them directly.
    """

    def render_page(self, request, api, **kwargs):
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {
            "swagger_settings": json.dumps(self.settings, indent=1),
            "api": api,
            "add_csrf": False,  # bearer tokens only: no cookie auth, so no CSRF token
        }
        return render(request, self.template, context)


class BulletinApi(NinjaAPI):
    def create_response(self, request, data, *, status=None, temporal_response=None):
        response = super().create_response(
            request, data, status=status, temporal_response=temporal_response
        )
        if response.status_code == 401:
            response["WWW-Authenticate"] = 'Bearer realm="api"'
        elif response.status_code == 429:
            wait = getattr(request, "_api_retry_after", None)
            if wait is not None:
                response["Retry-After"] = str(max(1, math.ceil(wait)))
        response = conditional(request, response)
        _log_call(request, response.status_code)
        return response


def _log_call(request, status_code: int) -> None:
    """One access-log row per answered call of a token (throttled calls are not rows:
    they read nothing, and a client hammering the API must not fill the table)."""
    reader = getattr(request, "auth", None)
    if not isinstance(reader, Reader) or status_code == 429:
        return
    if getattr(request, "_api_logged", False):
        return
    request._api_logged = True
    record_access(
        reader,
        channel=AccessLogEntry.Channel.API,
        resource=f"api:{request.get_full_path()}"[:RESOURCE_CHARS],
        issue=getattr(request, "_api_issue", None),
        status_code=status_code,
    )


api = BulletinApi(
    title="Bulletin data API",
    version=API_VERSION,
    description=DESCRIPTION,
    urls_namespace="api",
    auth=TokenAuth(),
    throttle=[TokenRateThrottle()],
    openapi_url="/openapi.json",
    docs_url="/docs",
    docs=OwnAssetsSwagger(),
)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(
        request, {"detail": _("Not found, or not readable with this token.")}, status=404
    )


@api.exception_handler(Throttled)
def _throttled(request, exc):
    return api.create_response(
        request, {"detail": _("Too many requests with this token; try again shortly.")},
        status=429,
    )


for _module in (issues, articles, metrics):
    api.add_router(f"/v{API_VERSION}/", _module.router)
