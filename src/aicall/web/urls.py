from django.urls import path

from aicall.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("campaigns/", views.campaigns, name="campaigns"),
]
