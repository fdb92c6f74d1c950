"""Bulletin settings and their sections (publishers only)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from editorial.models import Bulletin, Section
from editorial.services.audit import record_action, save_recorded
from editorial.services.errors import ServiceError
from editorial.services.permissions import require_permission


@transaction.atomic
def save_bulletin(*, bulletin: Bulletin, user) -> Bulletin:
    require_permission(user, "bulletin.edit")
    return save_recorded(bulletin, user=user, action_prefix="bulletin")


@transaction.atomic
def save_section(*, section: Section, user) -> Section:
    require_permission(user, "bulletin.edit")
    return save_recorded(section, user=user, action_prefix="section")


@transaction.atomic
def delete_section(*, section: Section, user) -> None:
    """Remove a section no article has used (articles keep their section for ever)."""
    require_permission(user, "bulletin.edit")
    if section.articles.exists():
        raise ServiceError(
            _("The section “%(name)s” has articles and cannot be removed.") % {"name": section.name},
            code="section-used",
        )
    record_action(user=user, action="section.delete", obj=section,
                  changes={"name": section.name, "bulletin": str(section.bulletin)})
    section.delete()
