from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path

from editorial.api.site import api as data_api
from editorial.operations import monitoring
from editorial.services.caching import cached_public_page
from editorial.site import plumbing
from editorial.site.media import stored_file
from editorial.site.sitemaps import SITEMAPS

# SimpleAdminConfig (settings.py) leaves discovery to the first URL lookup.
admin.autodiscover()

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("robots.txt", plumbing.robots_txt, name="robots"),
    path("healthz", plumbing.healthz, name="healthz"),
    path("readyz", monitoring.readyz, name="readyz"),
    path("metrics", monitoring.metrics, name="metrics"),
    path(
        "sitemap.xml",
        cached_public_page()(sitemap_views.index),
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap-section"},
        name="sitemap-index",
    ),
    path(
        "sitemap-<section>.xml",
        cached_public_page("p")(sitemap_views.sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap-section",
    ),
    path("subscriber/", include("editorial.site.subscriber_urls")),
    path("exports/", include("editorial.site.export_urls")),
    # The data API for subscribers' systems: /api/v1/…, /api/openapi.json (docs/api.md).
    path("api/", data_api.urls),
    # Stored files, each checked against the row it belongs to (DEBUG or not).
    path(f"{settings.MEDIA_URL.strip('/')}/<path:name>", stored_file, name="stored-file"),
    path("", include("editorial.site.urls")),
]
