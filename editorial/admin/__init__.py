"""The Django admin: one module per concept, registered on import."""

from . import content, jobs, metrics, publication, review  # noqa: F401
