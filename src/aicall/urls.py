from django.contrib import admin
from django.urls import include, path

from aicall.api.main import api
from aicall.metrics import metrics_view
from aicall.web.login import AdminLoginForm

# Operators sign in through the same throttle as customers (accounts/throttle.py).
admin.site.login_form = AdminLoginForm

urlpatterns = [
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("metrics", metrics_view, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("aicall.web.webhook_urls")),
    path("", include("aicall.web.urls")),
]
