"""Atom feeds: the whole site (the latest issues of every bulletin), one per bulletin
(its issues) and one per section (its articles).

Only published issues and their articles appear; a bulletin or section that does not
exist answers 404. Feeds are cached like pages (editorial.services.caching).

A feed is a public document (feed readers carry no session), so it says what the public
may see (editorial.selectors.access): titles and summaries — the contents of an issue —
and never an article's text; a subscriber-only article's entry says so.
"""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from editorial.selectors import public as selectors
from editorial.selectors.access import ANONYMOUS, may_read_in_full
from editorial.services.caching import cached_public_page

ISSUES_IN_FEED = 20
ARTICLES_IN_FEED = 40


class CachedFeed(Feed):
    feed_type = Atom1Feed

    def __call__(self, request, *args, **kwargs):
        return cached_public_page()(super().__call__)(request, *args, **kwargs)


class BulletinFeed(CachedFeed):
    """A bulletin's latest published issues, each with its table of contents."""

    def get_object(self, request, bulletin_slug: str):
        return selectors.public_bulletin(bulletin_slug)

    def title(self, bulletin):
        return bulletin.name

    def subtitle(self, bulletin):
        return bulletin.description or _("The latest issues of %(name)s") % {"name": bulletin.name}

    def link(self, bulletin):
        return bulletin.get_absolute_url()

    def author_name(self, bulletin):
        return bulletin.publisher_name or None

    def feed_copyright(self, bulletin):
        return bulletin.copyright_line or None

    def items(self, bulletin):
        return selectors.feed_issues(bulletin=bulletin, limit=ISSUES_IN_FEED)

    def item_title(self, issue):
        return issue.display_title

    def item_description(self, issue):
        # Plain text (escaped by the feed generator): the article titles of the issue.
        return "；".join(article.title for article in issue.feed_articles)

    def item_link(self, issue):
        return issue.get_absolute_url()

    def item_pubdate(self, issue):
        return issue.published_at

    def item_updateddate(self, issue):
        return issue.updated_at


class LatestIssuesFeed(BulletinFeed):
    """The latest published issues of every bulletin: what a feed reader given the
    site's address finds."""

    def get_object(self, request):
        return None

    def title(self, obj):
        return _("Monitoring bulletins")

    def subtitle(self, obj):
        return _("The latest issues of every bulletin")

    def link(self, obj):
        return reverse("editorial:home")

    def author_name(self, obj):
        return None

    def feed_copyright(self, obj):
        return None

    def items(self, obj):
        return selectors.feed_issues(limit=ISSUES_IN_FEED)

    def item_title(self, issue):
        title = issue.display_title
        return title if issue.bulletin.name in title else f"{issue.bulletin.name} · {title}"


class SectionFeed(CachedFeed):
    """A section's latest published articles, across issues."""

    def get_object(self, request, bulletin_slug: str, section_slug: str):
        return selectors.public_section(bulletin_slug=bulletin_slug, section_slug=section_slug)

    def title(self, section):
        return f"{section.bulletin.name} · {section.name}"

    def subtitle(self, section):
        return _("The latest articles of %(section)s in %(bulletin)s") % {
            "section": section.name,
            "bulletin": section.bulletin.name,
        }

    def link(self, section):
        return reverse("editorial:section", args=[section.bulletin.slug, section.slug])

    def items(self, section):
        return list(selectors.section_articles(section)[:ARTICLES_IN_FEED])

    def item_title(self, article):
        return article.title

    def item_description(self, article):
        if may_read_in_full(ANONYMOUS, article.issue):
            return article.summary
        note = _("Subscribe to read the full text")
        return f"{article.summary}（{note}）" if article.summary else note

    def item_link(self, article):
        return article.get_absolute_url()

    def item_pubdate(self, article):
        return article.issue.published_at

    def item_author_name(self, article):
        return article.source or None

    def item_categories(self, article):
        return [article.section.name]
