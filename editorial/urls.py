from django.urls import path

from editorial import views

app_name = "editorial"

urlpatterns = [
    path("", views.home, name="home"),
    path("b/<slug:bulletin_slug>/", views.bulletin_archive, name="bulletin"),
    path("b/<slug:bulletin_slug>/<int:number>/", views.issue_detail, name="issue"),
    path(
        "b/<slug:bulletin_slug>/<int:number>/a/<int:article_id>/",
        views.article_detail,
        name="article",
    ),
    path("indicators/<str:indicator_slug>/", views.indicator_detail, name="indicator"),
]
