"""Bearer tokens: ``Authorization: Bearer bk_…`` names an organisation's ApiToken.

A token is looked up by its SHA-256 digest on every request (one indexed query), so a
revoked token, or one of an organisation that was deactivated, stops working on the next
request. What the token may read is decided per request by editorial.selectors.access.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from editorial.models import ApiToken
from editorial.selectors.access import Reader, reader_for_token
from editorial.services.api_tokens import TOKEN_PREFIX, token_digest

# ``last_used_at`` is written at most this often per token: one UPDATE a minute, not one
# per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
_MAX_TOKEN_CHARS = 200


class TokenAuth(HttpBearer):
    """The API's one authentication: a valid, unrevoked token of an active organisation."""

    def __call__(self, request) -> Reader:
        header = request.headers.get(self.header, "")
        scheme, _space, token = header.partition(" ")
        if not header:
            raise AuthenticationError(message=_("This API needs a token: send the header “Authorization: Bearer <token>”."))
        if scheme.lower() != self.openapi_scheme or not token.strip():
            raise AuthenticationError(message=_("Send the token as “Authorization: Bearer <token>”."))
        return self.authenticate(request, token.strip())

    def authenticate(self, request, token: str) -> Reader:
        if not token.startswith(TOKEN_PREFIX) or len(token) > _MAX_TOKEN_CHARS:
            raise AuthenticationError(message=_("This token is not valid."))
        api_token = (
            ApiToken.objects.select_related("organisation")
            .filter(token_digest=token_digest(token))
            .first()
        )
        if api_token is None:
            raise AuthenticationError(message=_("This token is not valid."))
        if api_token.revoked_at is not None:
            raise AuthenticationError(message=_("This token has been revoked."))
        if not api_token.organisation.active:
            raise AuthenticationError(message=_("This token's organisation is deactivated."))
        note_use(api_token)
        return reader_for_token(api_token)


def note_use(api_token: ApiToken) -> None:
    """Set ``last_used_at`` when it is older than a minute (the UPDATE's condition keeps
    concurrent requests from all writing it)."""
    now = timezone.now()
    if api_token.last_used_at is not None and now - api_token.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(pk=api_token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    ).update(last_used_at=now)
    api_token.last_used_at = now
