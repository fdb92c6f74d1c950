"""The subscriber's own pages, reached through signed links, and signing in to the site
(no password either way)."""

from django.urls import path

from editorial.site import sign_in_views, subscriber_views

app_name = "subscriber"

urlpatterns = [
    # Before the page's catch-all token pattern.
    path("sign-in/", sign_in_views.sign_in, name="sign_in"),
    path("sign-in/<str:token>/", sign_in_views.sign_in_link, name="sign_in_link"),
    path("sign-out/", sign_in_views.sign_out, name="sign_out"),
    path("download/<str:token>/", subscriber_views.download, name="download"),
    path("unsubscribe/<str:token>/", subscriber_views.unsubscribe, name="unsubscribe"),
    path("renew/<str:token>/", subscriber_views.renew_link, name="renew"),
    path("<str:token>/", subscriber_views.subscriber_page, name="page"),
]
