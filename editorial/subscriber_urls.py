"""The subscriber's own pages, reached through signed links (no password)."""

from django.urls import path

from editorial import subscriber_views

app_name = "subscriber"

urlpatterns = [
    path("download/<str:token>/", subscriber_views.download, name="download"),
    path("unsubscribe/<str:token>/", subscriber_views.unsubscribe, name="unsubscribe"),
    path("renew/<str:token>/", subscriber_views.renew_link, name="renew"),
    path("<str:token>/", subscriber_views.subscriber_page, name="page"),
]
