"""One short e-mail to one subscriber, in their language: sign-in links, page links.

The issue deliveries have their own exactly-once machinery (services.delivery, with
mail.compose and mail.transport); these are
single messages a subscriber asked for, sent at once, where a refused send is logged and
reported to the caller, which undoes what it prepared for the link.
"""

from __future__ import annotations

import logging
import smtplib

from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)


def mail_subscriber(subscriber, *, subject, template: str, context: dict) -> bool:
    """Send ``template``.txt and .html (with ``subscriber`` and ``language`` in the
    context) to the subscriber; ``subject`` is a lazy text, translated here. False when
    the mail server could not take it."""
    with translation.override(subscriber.language):
        context = {"subscriber": subscriber, "language": subscriber.language, **context}
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
        subject = str(subject)
    try:
        send_mail(subject, text, None, [subscriber.email], html_message=html)
    except (OSError, smtplib.SMTPException):
        logger.exception("Could not send %s to subscriber %s", template, subscriber.pk)
        return False
    return True
