"""Handing a delivery's e-mail to the mail server after its row says "sent".

``send(message, commit=...)`` calls ``commit`` (the conditional UPDATE that marks the row
sent; False when another worker took the row over) at the last moment the hand-over can
still be stopped, and raises what went wrong:

- ``TwoPhaseSMTPTransport`` (Django's SMTP backend): envelope and content first, then
  the commit, then the single ``.`` that ends DATA. A server never delivers a message
  whose DATA did not end (RFC 5321 §4.1.1.4), so a row still ``sending`` was never
  handed over.
- ``BackendTransport`` (console, locmem, API backends): commit, then ``send_messages``,
  i.e. at-most-once.

SMTP 5xx replies are permanent failures; 4xx replies, refused connections and timeouts
are worth a retry (``describe_smtp_error``).
"""

from __future__ import annotations

import logging
import re
import smtplib
import socket
from collections.abc import Callable

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPEmailBackend
from django.core.mail.message import sanitize_address

logger = logging.getLogger(__name__)


class Superseded(Exception):
    """Another worker took the row over; nothing was handed over by this one."""


class DeliveryFailure(Exception):
    def __init__(self, message: str, *, permanent: bool, committed: bool):
        super().__init__(message)
        self.permanent = permanent
        self.committed = committed  # the row had already been marked sent


class DeliveryUncertain(Exception):
    """The message was handed over but no reply came; it is left as sent."""


def smtp_code_is_permanent(code: int | None) -> bool:
    return code is not None and 500 <= code < 600


def describe_smtp_error(exc: BaseException) -> tuple[str, bool]:
    """A short description of a sending error and whether it is permanent."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _resp in exc.recipients.values()]
        text = "; ".join(
            f"{addr}: {code} {resp.decode(errors='replace') if isinstance(resp, bytes) else resp}"
            for addr, (code, resp) in exc.recipients.items()
        )
        return text, bool(codes) and all(smtp_code_is_permanent(c) for c in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error
        text = error.decode(errors="replace") if isinstance(error, bytes) else str(error)
        return f"{exc.smtp_code} {text}", smtp_code_is_permanent(exc.smtp_code)
    return f"{type(exc).__name__}: {exc}", False


class BackendTransport:
    """Any Django e-mail backend: commit, then ``send_messages`` (at-most-once)."""

    def __init__(self, connection):
        self.connection = connection

    def send(self, message: EmailMultiAlternatives, *, commit: Callable[[], bool]) -> None:
        if not commit():
            raise Superseded
        try:
            self.connection.send_messages([message])
        except Exception as exc:
            text, permanent = describe_smtp_error(exc)
            raise DeliveryFailure(text, permanent=permanent, committed=True) from exc

    def close(self) -> None:
        try:
            self.connection.close()
        except Exception:  # closing a dead connection is not worth a failed batch
            logger.debug("Closing the e-mail connection failed", exc_info=True)


_LEADING_DOT = re.compile(rb"(?m)^\.")


class TwoPhaseSMTPTransport:
    """SMTP with the commit between the message content and the dot that ends DATA."""

    def __init__(self, backend: SMTPEmailBackend):
        self.backend = backend

    def _drop(self) -> None:
        connection, self.backend.connection = self.backend.connection, None
        if connection is not None:
            try:
                connection.close()  # no QUIT: mid-DATA that would end the message
            except OSError:
                pass

    def _reply(self, code: int, response, *, expected: tuple[int, ...], committed: bool):
        if code in expected:
            return
        text = response.decode(errors="replace") if isinstance(response, bytes) else str(response)
        if code == -1 or not code:
            self._drop()
            raise DeliveryFailure(f"connection lost: {text}", permanent=False, committed=committed)
        try:
            if not committed:
                self.backend.connection.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()
        raise DeliveryFailure(f"{code} {text}", permanent=smtp_code_is_permanent(code), committed=committed)

    def send(self, message: EmailMultiAlternatives, *, commit: Callable[[], bool]) -> None:
        encoding = message.encoding or settings.DEFAULT_CHARSET
        try:
            sender = sanitize_address(message.from_email, encoding)
            recipients = [sanitize_address(address, encoding) for address in message.recipients()]
            data = _LEADING_DOT.sub(b"..", message.message().as_bytes(linesep="\r\n"))
        except ValueError as exc:  # a malformed address or header: no retry will help
            raise DeliveryFailure(f"malformed message: {exc}", permanent=True, committed=False) from exc
        if not data.endswith(b"\r\n"):
            data += b"\r\n"
        try:
            self.backend.open()
        except (smtplib.SMTPException, OSError) as exc:
            # Connecting, TLS or login: the server or our settings, never this message.
            self._drop()
            self.backend._partial_connection = None
            raise DeliveryFailure(
                f"connecting: {describe_smtp_error(exc)[0]}", permanent=False, committed=False
            ) from exc
        try:
            connection = self.backend.connection
            # The dot goes out as its own tiny segment; without NODELAY, Nagle's algorithm
            # holds it for the server's delayed ACK (~40 ms per message).
            connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connection.ehlo_or_helo_if_needed()
            self._reply(*connection.mail(sender), expected=(250,), committed=False)
            for recipient in recipients:
                self._reply(*connection.rcpt(recipient), expected=(250, 251), committed=False)
            self._reply(*connection.docmd("data"), expected=(354,), committed=False)
            connection.send(data)
        except DeliveryFailure:
            raise
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            text, permanent = describe_smtp_error(exc)
            raise DeliveryFailure(text, permanent=permanent, committed=False) from exc
        try:
            committed = commit()
        except BaseException:
            self._drop()  # the row stays "sending"; its lease runs out and it is sent again
            raise
        if not committed:
            self._drop()
            raise Superseded
        try:
            connection.send(b".\r\n")
            code, response = connection.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()
            raise DeliveryUncertain(f"no reply after the end of data: {exc}") from exc
        self._reply(code, response, expected=(250,), committed=True)

    def close(self) -> None:
        try:
            self.backend.close()
        except (smtplib.SMTPException, OSError):
            self._drop()


def open_transport():
    """The transport for the configured e-mail backend: two-phase over SMTP, otherwise
    commit-then-send. One per batch; ``close`` it when the batch is done."""
    connection = get_connection()
    if isinstance(connection, SMTPEmailBackend):
        return TwoPhaseSMTPTransport(connection)
    return BackendTransport(connection)
