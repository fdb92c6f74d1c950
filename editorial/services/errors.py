"""Errors services raise for the caller to show: a message in the user's language."""

from __future__ import annotations


class ServiceError(Exception):
    """A refused action: nothing was changed. ``str(error)`` is the user-facing message."""

    def __init__(self, message, *, code: str = "refused"):
        super().__init__(str(message))
        self.code = code


class PermissionRefused(ServiceError):
    def __init__(self, message, *, code: str = "permission"):
        super().__init__(message, code=code)


class ImportRefused(ServiceError):
    """The upload cannot be imported; ``code`` says why (empty, binary, encoding, …)."""
