from django.apps import AppConfig


class DialerConfig(AppConfig):
    name = "aicall.dialer"
    label = "dialer"
