"""E-mail to the people in the workflow: reviewers on submit, authors on send-back."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.utils.translation import gettext as _

from editorial import workflow
from editorial.models import Article

logger = logging.getLogger(__name__)


def notify_article_transition(*, article_id: int, action: str) -> int:
    """Send the e-mails an article transition calls for; returns how many were sent."""
    article = Article.objects.select_related("issue__bulletin", "created_by").get(pk=article_id)
    if action == "submit":
        recipients = list(
            get_user_model()
            .objects.filter(groups__name=workflow.REVIEWER, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
        subject = _("For review: %(title)s") % {"title": article.title}
    elif action == "request_changes" and article.created_by and article.created_by.email:
        recipients = [article.created_by.email]
        subject = _("Changes requested: %(title)s") % {"title": article.title}
    else:
        return 0
    if not recipients:
        return 0
    comment = article.review_events.order_by("-created_at").values_list("comment", flat=True).first()
    body = "\n\n".join(
        part
        for part in (
            f"{article.issue.display_title} · {article.title}",
            comment or "",
            f"{settings.SITE_URL}/admin/editorial/article/{article.pk}/change/",
        )
        if part
    )
    try:
        return send_mail(subject, body, None, recipients)
    except OSError:
        # A mail outage must not undo a review step; the trail has the record.
        logger.exception("Could not send the review notification for article %s", article_id)
        return 0
