from django.urls import path

from aicall.webhooks import web_views

app_name = "webhooks"

urlpatterns = [
    path("campaigns/<int:campaign_id>/webhooks/", web_views.delivery_log, name="log"),
    path(
        "campaigns/<int:campaign_id>/webhooks/<int:delivery_id>/resend/",
        web_views.resend,
        name="resend",
    ),
    path(
        "campaigns/<int:campaign_id>/webhooks/secret/",
        web_views.rotate_secret,
        name="rotate_secret",
    ),
]
