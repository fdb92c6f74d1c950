"""The public site's URLs (namespace ``editorial``); the project includes them at the root."""

from django.urls import path, register_converter

from editorial.site import (
    articles,
    feeds,
    indicators,
    issues,
    plumbing,
    previews,
    searching,
    sections,
)


class IndicatorSlugConverter:
    """Indicator slugs may be Chinese (allow_unicode): anything but a slash."""

    regex = r"[^/]+"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(IndicatorSlugConverter, "islug")

app_name = "editorial"

urlpatterns = [
    path("", issues.home, name="home"),
    path("search/", searching.search_page, name="search"),
    path("feed/", feeds.LatestIssuesFeed(), name="feed"),
    path("favicon.ico", plumbing.favicon, name="favicon"),
    path("b/<slug:bulletin_slug>/", issues.bulletin_archive, name="bulletin"),
    path("b/<slug:bulletin_slug>/feed/", feeds.BulletinFeed(), name="bulletin_feed"),
    path("b/<slug:bulletin_slug>/s/<slug:section_slug>/", sections.section_detail, name="section"),
    path(
        "b/<slug:bulletin_slug>/s/<slug:section_slug>/feed/",
        feeds.SectionFeed(),
        name="section_feed",
    ),
    path("b/<slug:bulletin_slug>/<int:number>/", issues.issue_detail, name="issue"),
    path(
        "b/<slug:bulletin_slug>/<int:number>/download/<str:kind>/",
        issues.rendition_download,
        name="rendition",
    ),
    path(
        "b/<slug:bulletin_slug>/<int:number>/a/<int:article_id>/",
        articles.article_detail,
        name="article",
    ),
    path(
        "b/<slug:bulletin_slug>/<int:number>/a/<int:article_id>/figures/<int:figure_id>/",
        articles.figure_image,
        name="figure",
    ),
    path("indicators/", indicators.indicator_index, name="indicators"),
    path("indicators/<islug:indicator_slug>/", indicators.indicator_detail, name="indicator"),
    path("indicators/<islug:indicator_slug>/chart.svg", indicators.indicator_chart, name="indicator_chart"),
    path(
        "indicators/<islug:indicator_slug>/data.<str:fmt>",
        indicators.indicator_data,
        name="indicator_data",
    ),
    path("preview/issues/<int:issue_id>/", previews.preview_link, name="preview_link"),
    path("preview/<str:token>/", previews.preview_issue, name="preview_issue"),
    path("preview/<str:token>/a/<int:article_id>/", previews.preview_article, name="preview_article"),
    path(
        "preview/<str:token>/a/<int:article_id>/figures/<int:figure_id>/",
        previews.preview_figure,
        name="preview_figure",
    ),
    path("lang/<str:language>/", plumbing.switch_language, name="switch_language"),
]
