from django.urls import path

from aicall.web.views import webhooks

app_name = "webhooks"

urlpatterns = [
    path("campaigns/<int:campaign_id>/webhooks/", webhooks.delivery_log, name="log"),
    path(
        "campaigns/<int:campaign_id>/webhooks/<int:delivery_id>/resend/",
        webhooks.resend,
        name="resend",
    ),
    path(
        "campaigns/<int:campaign_id>/webhooks/secret/",
        webhooks.rotate_secret,
        name="rotate_secret",
    ),
]
