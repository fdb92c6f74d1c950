"""The Django admin: one module per concept, registered on import."""

from django.contrib import admin

from . import access, audience, audit, content, jobs, metrics, publication, review  # noqa: F401
from .api_tokens import ApiTokenAdmin  # noqa: F401
from .desk import install_desk

# The home page is the editorial desk, and the admin carries the bulletin's name.
install_desk(admin.site)
