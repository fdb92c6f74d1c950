"""Download URLs; the project includes them under ``exports/``."""

from django.urls import path

from editorial.site import exports

app_name = "exports"

issue = "issues/<slug:bulletin_slug>/<int:number>/"

urlpatterns = [
    path(f"{issue}metrics.csv", exports.issue_metrics_csv, name="issue_metrics_csv"),
    path(f"{issue}metrics.xlsx", exports.issue_metrics_xlsx, name="issue_metrics_xlsx"),
    path(f"{issue}articles.json", exports.issue_articles_json, name="issue_articles_json"),
    path(f"{issue}issue.pdf", exports.issue_rendition, {"kind": "pdf"}, name="issue_pdf"),
    path(f"{issue}issue.html", exports.issue_rendition, {"kind": "html"}, name="issue_html"),
    path(f"{issue}bundle.zip", exports.issue_bundle, name="issue_bundle"),
    path(
        "indicators/<str:indicator_slug>/series.csv",
        exports.indicator_series_csv,
        name="indicator_series_csv",
    ),
    path(
        "indicators/<str:indicator_slug>/series.xlsx",
        exports.indicator_series_xlsx,
        name="indicator_series_xlsx",
    ),
    path("metrics.csv", exports.all_metrics_csv, name="all_metrics_csv"),
    path("metrics.xlsx", exports.all_metrics_xlsx, name="all_metrics_xlsx"),
    path("subscribers.csv", exports.subscribers_csv, name="subscribers_csv"),
]
