from django.urls import path, register_converter

from editorial.site import feeds, views


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
    path("", views.home, name="home"),
    path("search/", views.search_page, name="search"),
    path("feed/", feeds.LatestIssuesFeed(), name="feed"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("b/<slug:bulletin_slug>/", views.bulletin_archive, name="bulletin"),
    path("b/<slug:bulletin_slug>/feed/", feeds.BulletinFeed(), name="bulletin_feed"),
    path("b/<slug:bulletin_slug>/s/<slug:section_slug>/", views.section_detail, name="section"),
    path(
        "b/<slug:bulletin_slug>/s/<slug:section_slug>/feed/",
        feeds.SectionFeed(),
        name="section_feed",
    ),
    path("b/<slug:bulletin_slug>/<int:number>/", views.issue_detail, name="issue"),
    path(
        "b/<slug:bulletin_slug>/<int:number>/download/<str:kind>/",
        views.rendition_download,
        name="rendition",
    ),
    path(
        "b/<slug:bulletin_slug>/<int:number>/a/<int:article_id>/",
        views.article_detail,
        name="article",
    ),
    path(
        "b/<slug:bulletin_slug>/<int:number>/a/<int:article_id>/figures/<int:figure_id>/",
        views.figure_image,
        name="figure",
    ),
    path("indicators/", views.indicator_index, name="indicators"),
    path("indicators/<islug:indicator_slug>/", views.indicator_detail, name="indicator"),
    path("indicators/<islug:indicator_slug>/chart.svg", views.indicator_chart, name="indicator_chart"),
    path(
        "indicators/<islug:indicator_slug>/data.<str:fmt>",
        views.indicator_data,
        name="indicator_data",
    ),
    path("preview/issues/<int:issue_id>/", views.preview_link, name="preview_link"),
    path("preview/<str:token>/", views.preview_issue, name="preview_issue"),
    path("preview/<str:token>/a/<int:article_id>/", views.preview_article, name="preview_article"),
    path(
        "preview/<str:token>/a/<int:article_id>/figures/<int:figure_id>/",
        views.preview_figure,
        name="preview_figure",
    ),
    path("lang/<str:language>/", views.switch_language, name="switch_language"),
]
