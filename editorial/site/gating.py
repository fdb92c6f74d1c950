"""The subscribe panel: what a reader who may not read a subscriber-only issue in full
is shown instead, on pages and in place of files and data.

Whether a reader may read an issue in full is editorial.selectors.access's answer; this
module only turns a refusal into the panel's context, or into the 403 page.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.shortcuts import render
from django.urls import reverse

from editorial.models import AccessLogEntry, Issue
from editorial.selectors.access import (
    Reader,
    gate_refusal,
    is_subscriber_only,
    may_read_in_full,
    reader_for_request,
)
from editorial.services.access_log import record_access


def subscribe_gate(reader: Reader, issue: Issue) -> dict | None:
    """What the subscribe panel needs, or None when the reader may read the issue in full."""
    if may_read_in_full(reader, issue):
        return None
    sign_in = reverse("subscriber:sign_in")
    next_url = issue.get_absolute_url()
    return {
        "reason": gate_refusal(reader),
        "organisation": reader.organisation.name if reader.organisation else "",
        "sign_in_url": f"{sign_in}?{urlencode({'next': next_url})}",
    }


def refuse_unless_full(request, issue: Issue, *, resource: str):
    """None when the reader may have the issue's files and data (the read is logged for
    a subscriber of a subscriber-only issue); else the 403 answer with the panel."""
    reader = reader_for_request(request)
    gate = subscribe_gate(reader, issue)
    if is_subscriber_only(issue):
        record_access(
            reader, channel=AccessLogEntry.Channel.DOWNLOAD, resource=resource, issue=issue,
            status_code=403 if gate else 200,
        )
    if gate is None:
        return None
    response = render(
        request,
        "editorial/subscribers_only.html",
        {"issue": issue, "bulletin": issue.bulletin, "gate": gate, "robots": "noindex, nofollow"},
        status=403,
    )
    response["Cache-Control"] = "private, no-store"
    return response
