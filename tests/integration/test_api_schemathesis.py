"""schemathesis against the served OpenAPI document: every operation, with a valid token and
with none, answers no 5xx and nothing the document does not describe.

Bounded for CI: 20 examples an operation (positive and negative inputs), no deadline, no
example database: the 7 operations, with and without a token, take about 20 s.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bulletin.wsgi import application
from tests.integration.test_api import World

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def world(publisher, settings):
    settings.BULLETIN_API_REQUESTS_PER_MINUTE = 100_000  # the limit has its own test
    cache.clear()
    # As Django's test client does: the WSGI handler would otherwise close the test's
    # connection (it is inside the test's transaction) at the start of each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield World(publisher)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


# The document as the application serves it (no database needed to serve it), loaded
# when the tests are collected so that each operation is a test of its own.
schema = schemathesis.openapi.from_wsgi(
    "/api/openapi.json",
    application,
    # The token is ours to send (or not); ignored_auth tries the calls without it.
    config=schemathesis.Config.from_dict(
        {"generation": {"allow-x00": False, "with-security-parameters": False}}
    ),
)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _texts(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _texts(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _texts(item)
    else:
        yield str(value)


def guarded_by_the_site(case) -> bool:
    """Whether the URL holds a control character: the site answers such URLs with its
    404 page before the API sees them (editorial.operations.url_guard), which is not the API's to
    describe."""
    values = [case.path_parameters or {}, case.query or {}]
    return any(_CONTROL.search(unquote(text)) for text in _texts(values))


def answered_by_the_guard(case, response) -> bool:
    return (
        guarded_by_the_site(case)
        and response.status_code == 404
        and response.headers.get("content-type", [""])[0].startswith("text/html")
    )


@schema.parametrize()
@EXAMPLES
def test_with_a_valid_token(case, world):
    headers = {"Authorization": f"Bearer {world.token}"}
    response = case.call(headers=headers)
    if answered_by_the_guard(case, response):
        return
    case.validate_response(
        response, checks=[*CONFORMANCE, negative_data_rejection, ignored_auth], headers=headers
    )
    assert response.status_code != 401, response.text


@schema.parametrize()
@EXAMPLES
def test_without_a_token(case, world):
    case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    response = case.call()
    if answered_by_the_guard(case, response):
        return
    case.validate_response(response, checks=CONFORMANCE)
    if case.method.upper() == "GET":  # the coverage phase also tries other methods: 405
        assert response.status_code == 401, response.text
