from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "aicall.web"
    label = "web"
