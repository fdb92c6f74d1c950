"""Organisations' API tokens: issued once, stored as a digest, revoked by a publisher.

The plain token is returned by ``create_api_token`` and never stored: the row keeps its
first characters (so people can tell tokens apart) and its SHA-256 digest, which is what
the API looks a presented token up by (editorial.api.auth).
"""

from __future__ import annotations

import hashlib
import secrets
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from editorial.models import ApiToken, Organisation
from editorial.services.audit import record_action
from editorial.services.errors import ServiceError
from editorial.services.permissions import require_permission

# Every token starts with this, so one found in a log or a repository is recognisable.
# A prefix, not a secret (bandit B105 reviewed).
TOKEN_PREFIX = "bk_"  # nosec B105
# 32 random bytes: 43 URL-safe characters after the prefix.
TOKEN_BYTES = 32
SHOWN_PREFIX_CHARS = 12


class IssuedApiToken(NamedTuple):
    token: ApiToken
    plain: str  # shown once to the person who asked for it, never stored


def token_digest(plain: str) -> str:
    """The SHA-256 hex digest a token is stored and looked up by."""
    return hashlib.sha256(plain.encode("utf-8")).hexdigest()


@transaction.atomic
def create_api_token(*, organisation: Organisation, name: str, actor) -> IssuedApiToken:
    """A new token for the organisation's systems; the plain value is in the result only."""
    require_permission(actor, "api_token.manage")
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("Give the token a name that says what it is for."), code="name")
    if not organisation.active:
        raise ServiceError(
            _("%(organisation)s is deactivated; it cannot be given an API token.")
            % {"organisation": organisation.name},
            code="organisation",
        )
    plain = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    token = ApiToken.objects.create(
        organisation=organisation,
        name=name[: ApiToken._meta.get_field("name").max_length],
        prefix=plain[:SHOWN_PREFIX_CHARS],
        token_digest=token_digest(plain),
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    record_action(
        user=actor, action="api_token.create", obj=token,
        changes={"organisation": organisation.name, "name": token.name, "prefix": token.prefix},
    )
    return IssuedApiToken(token=token, plain=plain)


@transaction.atomic
def revoke_api_token(*, token: ApiToken, actor) -> ApiToken:
    """Stop a token from working, at once. Revoking a revoked token changes nothing."""
    require_permission(actor, "api_token.manage")
    token = ApiToken.objects.select_for_update().select_related("organisation").get(pk=token.pk)
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record_action(
        user=actor, action="api_token.revoke", obj=token,
        changes={"organisation": token.organisation.name, "name": token.name,
                 "prefix": token.prefix},
    )
    return token
