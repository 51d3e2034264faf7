from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "aicall.webhooks"
    label = "webhooks"
