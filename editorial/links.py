"""Signed links: the tokens in the URLs the product hands out, made and read in one place.

Every token is Django's ``signing`` (HMAC of SECRET_KEY) with a salt of its own, so a token
made for one purpose never opens another. What a token carries is an id, never a secret.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.http import Http404

from editorial.models import Issue

# --- Issue previews (staff share an unpublished issue as the public will see it) ----------------

PREVIEW_SALT = "editorial.issue-preview"


def preview_max_age() -> int:
    return int(getattr(settings, "PREVIEW_LINK_MAX_AGE", 7 * 24 * 3600))


def preview_token_for(issue: Issue) -> str:
    return signing.dumps({"issue": issue.pk}, salt=PREVIEW_SALT, compress=True)


def issue_from_preview_token(token: str) -> Issue:
    """The issue a preview token names; 404 when the token is forged, expired or stale."""
    try:
        data = signing.loads(token, salt=PREVIEW_SALT, max_age=preview_max_age())
    except signing.SignatureExpired as exc:
        raise Http404("This preview link has expired") from exc
    except signing.BadSignature as exc:
        raise Http404("Not a valid preview link") from exc
    try:
        return Issue.objects.select_related("bulletin").get(pk=data["issue"])
    except (Issue.DoesNotExist, KeyError, TypeError) as exc:
        raise Http404("No such issue") from exc
