"""Writing the record of actions: one AuditEntry for every service write.

Services call ``record_action`` inside their transaction, so the entry is kept exactly
when the write is. ``save_recorded`` is the shared way to save a settings-like object
(bulletin, tag, organisation …) with the fields that changed in the entry.
"""

from __future__ import annotations

import datetime
import decimal
import uuid

from django.contrib.contenttypes.models import ContentType
from django.db import models

from editorial.models import AuditEntry, Issue

REPR_CHARS = 200
VALUE_CHARS = 300  # long texts (article bodies) are cut: the entry says what changed, the
#                    revision history keeps the text


def plain(value):
    """A JSON-friendly, short form of a field value."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, models.Model):
        return str(value)[:VALUE_CHARS]
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    text = str(value)
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 1] + "…"


def field_values(obj: models.Model, fields=None) -> dict:
    """The concrete field values of ``obj`` (foreign keys as ids)."""
    names = fields or [f.name for f in obj._meta.concrete_fields if not f.primary_key]
    values = {}
    for name in names:
        field = obj._meta.get_field(name)
        values[name] = getattr(obj, field.attname) if field.concrete else getattr(obj, name)
    return values


def diff(before: dict, after: dict) -> dict:
    """{field: [old, new]} for the fields whose value changed."""
    return {
        name: [plain(before.get(name)), plain(value)]
        for name, value in after.items()
        if before.get(name) != value
    }


def record_action(
    *, user, action: str, obj: models.Model | None = None, issue: Issue | None = None,
    changes: dict | None = None, object_repr: str = "",
) -> AuditEntry:
    actor = user if user is not None and user.is_authenticated else None
    if issue is None and isinstance(obj, Issue):
        issue = obj
    return AuditEntry.objects.create(
        actor=actor,
        action=action,
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=obj.pk if obj is not None else None,
        object_repr=(object_repr or (str(obj) if obj is not None else ""))[:REPR_CHARS],
        issue=issue if issue is not None and issue.pk else None,
        changes=plain(changes or {}),
    )


def save_recorded(
    obj: models.Model, *, user, action_prefix: str, issue: Issue | None = None,
    clean: bool = True,
) -> models.Model:
    """Save ``obj`` (already carrying the new values) and record what changed.

    Records ``<prefix>.create`` for a new object, ``<prefix>.edit`` with the changed
    fields for an existing one. An unchanged object is saved without an entry.
    """
    creating = obj.pk is None or obj._state.adding
    before = {}
    if not creating:
        current = type(obj)._default_manager.filter(pk=obj.pk).first()
        before = field_values(current) if current is not None else {}
    if clean:
        obj.full_clean()
    obj.save()
    changes = diff(before, field_values(obj))
    if creating or changes:
        record_action(
            user=user, action=f"{action_prefix}.{'create' if creating else 'edit'}", obj=obj,
            issue=issue, changes=changes,
        )
    return obj
