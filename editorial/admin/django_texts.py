"""Texts of Django's own admin templates that Django's Chinese catalogue lacks.

The admin's app list names its hidden table headings "Model name", "Add link" and
"Change or view list link" (read out by screen readers). Marking them here puts them in
this app's catalogue, which Django consults beside its own.
"""

from django.utils.translation import gettext_noop

DJANGO_ADMIN_TEXTS = (
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
)
