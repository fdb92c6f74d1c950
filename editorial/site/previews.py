"""Staff previews: an issue, its articles and figures as the public will see them,
before publication, through a signed and expiring link (editorial.links).

A preview is never cached and never indexed; it shows everything (no subscribe panel)
and links no downloads.
"""

from __future__ import annotations

import datetime
import posixpath

from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from editorial.links import issue_from_preview_token, preview_max_age, preview_token_for
from editorial.selectors import public as selectors
from editorial.site.articles import article_context
from editorial.site.issues import issue_context
from editorial.site.responses import private, sandboxed_file_response


@staff_member_required
@never_cache
def preview_link(request, issue_id: int):
    """A signed link to an issue as the public will see it, for staff to share."""
    issue = selectors.get_issue_to_preview(issue_id)
    if not request.user.has_perm("editorial.view_issue"):
        raise Http404("No such issue")
    token = preview_token_for(issue)
    url = request.build_absolute_uri(reverse("editorial:preview_issue", args=[token]))
    expires = timezone.now() + datetime.timedelta(seconds=preview_max_age())
    return private(
        render(
            request,
            "editorial/preview_link.html",
            {"issue": issue, "url": url, "expires": expires, "robots": "noindex, nofollow"},
        )
    )


@require_safe
def preview_issue(request, token: str):
    issue = issue_from_preview_token(token)
    context = issue_context(issue, preview_token=token)
    context["robots"] = "noindex, nofollow"
    return private(render(request, "editorial/issue_detail.html", context))


@require_safe
def preview_article(request, token: str, article_id: int):
    issue = issue_from_preview_token(token)
    article = selectors.get_issue_article(issue=issue, article_id=article_id)
    context = article_context(article, preview_token=token)
    context["robots"] = "noindex, nofollow"
    return private(render(request, "editorial/article_detail.html", context))


@require_safe
def preview_figure(request, token: str, article_id: int, figure_id: int):
    issue = issue_from_preview_token(token)
    article = selectors.get_issue_article(issue=issue, article_id=article_id)
    figure = selectors.get_article_figure(article=article, figure_id=figure_id)
    if not figure.image:
        raise Http404("This figure has no image")
    response = sandboxed_file_response(
        request, figure.image, filename=posixpath.basename(figure.image.name), attachment=False
    )
    return private(response)
