"""The subscriber's own pages, reached through signed links, and signing in to the site
(no password either way)."""

from django.urls import path

from editorial.site import sign_in, subscriber

app_name = "subscriber"

urlpatterns = [
    # Before the page's catch-all token pattern.
    path("sign-in/", sign_in.sign_in, name="sign_in"),
    path("sign-in/<str:token>/", sign_in.sign_in_link, name="sign_in_link"),
    path("sign-out/", sign_in.sign_out, name="sign_out"),
    path("download/<str:token>/", subscriber.download, name="download"),
    path("unsubscribe/<str:token>/", subscriber.unsubscribe, name="unsubscribe"),
    path("renew/<str:token>/", subscriber.renew_link, name="renew"),
    path("<str:token>/", subscriber.subscriber_page, name="page"),
]
