"""sitemap.xml: an index over bulletins, sections, issues, articles and indicators.

Only published issues and their articles are listed, as the public sees them
(editorial.selectors.access): a subscriber-only issue's page (cover and contents) is
listed, its articles (open only in their first paragraph) are not. Django pages each sitemap at
50,000 URLs, so a large archive simply gets more pages in the index.
"""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from editorial.selectors import public as selectors
from editorial.selectors.access import ANONYMOUS


class BulletinSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.6

    def items(self):
        return selectors.sitemap_bulletins()


class SectionSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.4

    def items(self):
        return selectors.sitemap_sections()

    def location(self, section):
        return reverse("editorial:section", args=[section.bulletin.slug, section.slug])


class IssueSitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.8

    def items(self):
        return selectors.sitemap_issues()

    def lastmod(self, issue):
        return issue.updated_at


class ArticleSitemap(Sitemap):
    changefreq = "yearly"
    priority = 0.5

    def items(self):
        return selectors.sitemap_articles()

    def lastmod(self, article):
        return max(article.updated_at, article.issue.updated_at)


class IndicatorSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.4

    def items(self):
        return selectors.public_indicators(reader=ANONYMOUS).order_by("pk")


SITEMAPS = {
    "bulletins": BulletinSitemap,
    "sections": SectionSitemap,
    "issues": IssueSitemap,
    "articles": ArticleSitemap,
    "indicators": IndicatorSitemap,
}
