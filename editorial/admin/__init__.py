"""The Django admin: one module per concept, registered on import."""

from . import audience, audit, content, jobs, metrics, publication, review  # noqa: F401
