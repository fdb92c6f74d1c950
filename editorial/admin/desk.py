"""The admin's home page as an editorial desk, and the admin's name.

The admin is Django's default site (set up in settings and bulletin/urls.py), so its
index is extended here rather than by replacing the site: ``install_desk`` gives the site
the bulletin's name and hands the index page the panels of editorial.selectors.desk for the
user's roles. Writes stay where they are: each panel links to the page that acts.
"""

from __future__ import annotations

import contextlib
import types

from django.core.cache import cache
from django.utils.translation import gettext as _

from editorial.operations.worker_status import worker_status
from editorial.selectors import desk
from editorial.services.import_jobs import can_import
from editorial.services.permissions import user_roles
from editorial.workflow import EDITOR, PUBLISHER, REVIEWER

NAME_CACHE_KEY = "admin-desk-name"
NAME_CACHE_SECONDS = 60


def desk_panels(user) -> dict:
    """What the desk shows ``user``: the panels of their roles and those for everyone."""
    roles = user_roles(user)
    every = user.is_superuser
    context: dict = {
        "recent_imports": desk.recent_imports(),
        "failed_renditions": desk.failed_renditions(),
        "failed_deliveries": desk.failed_deliveries(),
        "scheduler": desk.scheduler_status(),
        "can_import_bulletin": can_import(user),
        "desk_roles": sorted(roles),
    }
    if every or EDITOR in roles:
        context["draft_articles"] = desk.draft_articles(user)
        context["sent_back_articles"] = desk.sent_back_articles(user)
        context["show_editor_panels"] = True
    if every or REVIEWER in roles:
        context["articles_awaiting_review"] = desk.articles_awaiting_review(user)
        context["issues_awaiting_review"] = desk.issues_awaiting_review()
        context["show_reviewer_panels"] = True
    if every or PUBLISHER in roles:
        readiness = desk.issue_readiness()
        context["ready_issues"] = [r for r in readiness if r.ready]
        context["open_issues"] = [r for r in readiness if not r.ready]
        context["scheduled_releases"] = desk.scheduled_releases()
        context["show_publisher_panels"] = True
        # Workers and queues (editorial.operations.worker_status): at most ~1 s, cached a few seconds.
        context["processes"] = worker_status()
    return context


def _desk_name() -> str:
    # Every admin page shows the name, so a cache that cannot be reached (Redis down)
    # must not take the admin down with it: read the name from the database then.
    try:
        name = cache.get(NAME_CACHE_KEY)
    except Exception:
        return desk.desk_name()
    if name is None:
        name = desk.desk_name()
        with contextlib.suppress(Exception):
            cache.set(NAME_CACHE_KEY, name, NAME_CACHE_SECONDS)
    return name


def install_desk(site) -> None:
    site.index_template = "admin/index.html"
    plain_each_context = site.each_context
    plain_index = site.index

    def each_context(self, request):
        context = plain_each_context(request)
        name = _desk_name()
        if name:
            context["site_header"] = _("%(name)s · editorial desk") % {"name": name}
            context["site_title"] = name
        else:
            context["site_header"] = context["site_title"] = _("Bulletin editorial desk")
        return context

    def index(self, request, extra_context=None):
        panels = desk_panels(request.user) if request.user.is_active else {}
        return plain_index(request, {**panels, **(extra_context or {})})

    site.each_context = types.MethodType(each_context, site)
    site.index = types.MethodType(index, site)
