"""A section's page: its public articles across issues, newest issue first."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from editorial.links import absolute_url
from editorial.selectors import public as selectors
from editorial.services.caching import cached_public_page
from editorial.site.responses import paginate

SECTION_PAGE_SIZE = 30


@require_safe
@cached_public_page("page")
def section_detail(request, bulletin_slug: str, section_slug: str):
    section = selectors.public_section(bulletin_slug=bulletin_slug, section_slug=section_slug)
    page = paginate(request, selectors.section_articles(section), SECTION_PAGE_SIZE)
    return render(
        request,
        "editorial/section_detail.html",
        {
            "section": section,
            "bulletin": section.bulletin,
            "page": page,
            "canonical_url": absolute_url(
                reverse("editorial:section", args=[section.bulletin.slug, section.slug])
            ),
        },
    )
