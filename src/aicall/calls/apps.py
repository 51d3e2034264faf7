from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "aicall.calls"
    label = "calls"
