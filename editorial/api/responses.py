"""The answers every operation declares besides its own, so the document lists them all."""

from __future__ import annotations

from editorial.api.schemas import Error, ValidationErrors


def answers(ok, *, not_found: bool = False) -> dict:
    """``ok`` for 200, and the statuses any GET of this API may give."""
    declared = {
        200: ok,
        304: None,  # Not Modified: the client's If-None-Match matched the ETag
        401: Error,
        422: ValidationErrors,
        429: Error,
    }
    if not_found:
        declared[404] = Error
    return declared
