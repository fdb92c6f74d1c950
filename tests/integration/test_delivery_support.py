"""Builders and a real SMTP server (aiosmtpd) for the delivery tests; no tests here."""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import re
import socket
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.utils import timezone

from editorial.models import Organisation, Rendition, Subscriber, Subscription
from editorial.workflow import ArticleState, IssueState
from tests.factories import ArticleFactory, IssueFactory

URL = re.compile(r"https?://[^\s<>\"']+")


def make_subscriptions(bulletin, count: int, *, formats=("pdf_link",), prefix="reader",
                       languages=("zh-hans", "en"), organisation=None) -> list[Subscription]:
    organisation = organisation or Organisation.objects.create(name=f"{prefix} 单位")
    subscribers = Subscriber.objects.bulk_create(
        [
            Subscriber(
                organisation=organisation,
                name=f"读者{n}",
                email=f"{prefix}{n:03d}@example.org",
                language=languages[n % len(languages)],
            )
            for n in range(count)
        ]
    )
    return Subscription.objects.bulk_create(
        [Subscription(subscriber=s, bulletin=bulletin, formats=list(formats)) for s in subscribers]
    )


def approved_issue(bulletin, *, articles_per_section=1, number=None):
    """An approved issue with approved articles in every section, ready to publish."""
    kwargs = {"number": number} if number else {}
    issue = IssueFactory(bulletin=bulletin, state=IssueState.APPROVED, **kwargs)
    for section in bulletin.sections.order_by("position"):
        for n in range(articles_per_section):
            ArticleFactory(
                issue=issue, section=section, position=n + 1, state=ArticleState.APPROVED,
                title=f"{section.name}要闻{n + 1}", summary=f"{section.name}摘要{n + 1}",
                body=f"<p>{section.name}正文第{n + 1}篇。</p>",
            )
    return issue


def published_issue(bulletin, **kwargs):
    issue = approved_issue(bulletin, **kwargs)
    issue.state = IssueState.PUBLISHED
    issue.published_at = timezone.now()
    issue.save()
    return issue


def add_rendition(issue, kind="pdf", content=b"%PDF-1.7\n% test rendition\n%%EOF\n"):
    rendition = Rendition(issue=issue, kind=kind, state=Rendition.State.SUCCEEDED)
    rendition.file.save(f"test-{issue.pk}.{kind}", ContentFile(content), save=False)
    rendition.save()
    return rendition


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self):
        return email.message_from_bytes(self.data, policy=email.policy.default)


@dataclass
class RecordingHandler:
    """An aiosmtpd handler that records messages and fails on request.

    ``permanent``: addresses refused at RCPT with 550. ``transient``: address → how many
    times DATA is refused with 451 before it is accepted. ``hold``: addresses whose RCPT
    is not answered until the event is set (to catch a worker in the middle of a send).
    """

    received: list[Received] = field(default_factory=list)
    permanent: set[str] = field(default_factory=set)
    transient: dict[str, int] = field(default_factory=dict)
    hold: dict[str, threading.Event] = field(default_factory=dict)
    held: set[str] = field(default_factory=set)
    refusals: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.permanent:
            self.refusals[address] += 1
            return "550 5.1.1 No such user here"
        event = self.hold.get(address)
        if event is not None:
            self.held.add(address)
            while not event.is_set():
                await asyncio.sleep(0.02)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            for address in envelope.rcpt_tos:
                if self.transient.get(address, 0) > 0:
                    self.transient[address] -= 1
                    self.refusals[address] += 1
                    return "451 4.3.0 Temporary failure, try again later"
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content))
            )
        return "250 2.0.0 Message accepted"

    def recipients(self) -> Counter:
        with self.lock:
            return Counter(address for item in self.received for address in item.rcpt_tos)

    def wait_for(self, count: int, *, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return True
            time.sleep(0.05)
        return False


@contextmanager
def smtp_server():
    """A real SMTP server on a free local port; yields (handler, port)."""
    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # a line per SMTP command
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        for event in handler.hold.values():
            event.set()
        controller.stop()


def smtp_settings(port: int) -> dict:
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": port,
        "EMAIL_USE_TLS": False,
        "EMAIL_USE_SSL": False,
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
        "EMAIL_TIMEOUT": 10,
    }


def urls_in(text: str) -> list[str]:
    return URL.findall(text)


def text_part(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_part(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()
