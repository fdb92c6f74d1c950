"""Download URLs; the project includes them under ``exports/``."""

from django.urls import path

from editorial.site import export_views as views

app_name = "exports"

issue = "issues/<slug:bulletin_slug>/<int:number>/"

urlpatterns = [
    path(f"{issue}metrics.csv", views.issue_metrics_csv, name="issue_metrics_csv"),
    path(f"{issue}metrics.xlsx", views.issue_metrics_xlsx, name="issue_metrics_xlsx"),
    path(f"{issue}articles.json", views.issue_articles_json, name="issue_articles_json"),
    path(f"{issue}issue.pdf", views.issue_rendition, {"kind": "pdf"}, name="issue_pdf"),
    path(f"{issue}issue.html", views.issue_rendition, {"kind": "html"}, name="issue_html"),
    path(f"{issue}bundle.zip", views.issue_bundle, name="issue_bundle"),
    path(
        "indicators/<str:indicator_slug>/series.csv",
        views.indicator_series_csv,
        name="indicator_series_csv",
    ),
    path(
        "indicators/<str:indicator_slug>/series.xlsx",
        views.indicator_series_xlsx,
        name="indicator_series_xlsx",
    ),
    path("metrics.csv", views.all_metrics_csv, name="all_metrics_csv"),
    path("metrics.xlsx", views.all_metrics_xlsx, name="all_metrics_xlsx"),
    path("subscribers.csv", views.subscribers_csv, name="subscribers_csv"),
]
