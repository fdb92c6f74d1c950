"""Who and what a log line is about: the request id, the user, the issue, the task.

A web request takes its id from ``X-Request-ID`` (set by the proxy in front) or gets a
new one, and answers with it in the same header, so a complaint with that header in hand
finds every line the request logged. Celery tasks carry the id of the request that queued
them (editorial/task_observability.py), so the render a publish started logs the same id.
The values live in context variables, which follow the request's thread or the task, and
``LogContextFilter`` copies them onto every log record for the JSON formatter.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid

from django.core.signals import request_finished
from django.utils.functional import empty

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is kept only when it looks like one (it ends up in logs and headers).
_REQUEST_ID_SHAPE = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
user_id_var: contextvars.ContextVar[int | None] = contextvars.ContextVar("user_id", default=None)
issue_id_var: contextvars.ContextVar[int | None] = contextvars.ContextVar("issue_id", default=None)
task_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("task_id", default=None)
task_name_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "task_name", default=None
)

_ALL_VARS = {
    "request_id": request_id_var,
    "user_id": user_id_var,
    "issue_id": issue_id_var,
    "task_id": task_id_var,
    "task_name": task_name_var,
}


def new_request_id() -> str:
    return uuid.uuid4().hex


def accepted_request_id(raw: str | None) -> str:
    """The caller's request id when it is well-formed, otherwise a new one."""
    if raw and _REQUEST_ID_SHAPE.match(raw):
        return raw
    return new_request_id()


def bind_issue(issue_id: int | None) -> None:
    """Mark the rest of this request or task as being about ``issue_id``."""
    if issue_id is not None:
        issue_id_var.set(int(issue_id))


def current_context() -> dict:
    """The values set now (unset ones left out)."""
    return {name: var.get() for name, var in _ALL_VARS.items() if var.get() is not None}


def bind(**values) -> list[tuple[contextvars.ContextVar, contextvars.Token]]:
    """Set the named context values; returns tokens for ``unbind``."""
    return [(_ALL_VARS[name], _ALL_VARS[name].set(value)) for name, value in values.items()]


def unbind(tokens) -> None:
    for var, token in reversed(tokens):
        var.reset(token)


# The request being served, so that the filter can name its user once the app has
# looked the user up; the filter never looks it up itself (a session read, and a
# ``Vary: Cookie`` on public pages that are cached for everyone).
_request_var: contextvars.ContextVar = contextvars.ContextVar("request", default=None)


def _known_user_id(request) -> int | None:
    user = getattr(request, "user", None)
    if user is None:
        return None
    wrapped = getattr(user, "_wrapped", user)
    if wrapped is empty or wrapped is None:
        return None
    return wrapped.pk if getattr(wrapped, "is_authenticated", False) else None


class LogContextFilter(logging.Filter):
    """Copies the request and task context onto each record (None when unknown)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in _ALL_VARS.items():
            if not hasattr(record, name):
                setattr(record, name, var.get())
        if record.user_id is None:
            request = _request_var.get()
            if request is not None:
                record.user_id = _known_user_id(request)
        return True


def _issue_id_from_view(request, view_kwargs: dict) -> int | None:
    if "issue_id" in view_kwargs:
        # A str converter hands over whatever the URL held: only a number names an issue.
        value = view_kwargs["issue_id"]
        return int(value) if str(value).isdigit() else None
    match = getattr(request, "resolver_match", None)
    # The admin's issue pages: /admin/editorial/issue/<object_id>/…
    if (
        match is not None
        and "admin" in match.namespaces
        and (match.url_name or "").startswith("editorial_issue_")
        and str(view_kwargs.get("object_id", "")).isdigit()
    ):
        return int(view_kwargs["object_id"])
    return None


class RequestContextMiddleware:
    """Sets the request id (and, once known, user and issue) for the request's logs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = accepted_request_id(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        # Left set after the middleware returns: Django logs a 4xx/5xx answer only once
        # every middleware is done; cleared when the request is finished (below).
        bind(request_id=request_id, user_id=None, issue_id=None, task_id=None, task_name=None)
        _request_var.set(request)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        issue_id = _issue_id_from_view(request, view_kwargs)
        if issue_id is not None:
            bind_issue(issue_id)
        return None


def clear_context(**_signal_arguments) -> None:
    """Forget the finished request, so nothing logged later is put down to it."""
    for var in _ALL_VARS.values():
        var.set(None)
    _request_var.set(None)


request_finished.connect(clear_context, dispatch_uid="editorial.operations.request_context.clear")
