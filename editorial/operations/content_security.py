"""The Content-Security-Policy of every page: strict on the public site, the admin's own.

The public site runs no script of its own and styles only from its static CSS, so its
policy (``CONTENT_SECURITY_POLICY`` in settings) allows scripts and styles from the site
alone. The admin needs more: Django's widgets set style attributes and a few of our admin
templates carry a short inline script, so its pages get ``ADMIN_CONTENT_SECURITY_POLICY``,
where inline scripts run only with the request's nonce. Responses that set their own
header (the sandboxed downloads) keep it: django-csp never overwrites one.
"""

from __future__ import annotations

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.urls import Resolver404, resolve


def is_admin_request(request) -> bool:
    """Whether the request is for a page of the admin site (its URL namespace)."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
    return "admin" in match.namespaces


class SitePolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, choosing the admin's policy for admin pages."""

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if report_only or parts.config is not None or not is_admin_request(request):
            return parts
        admin_policy = getattr(settings, "ADMIN_CONTENT_SECURITY_POLICY", None)
        if admin_policy:
            parts.config = dict(admin_policy["DIRECTIVES"])
        return parts
