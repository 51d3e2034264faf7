from django.apps import AppConfig


class AicallConfig(AppConfig):
    name = "aicall"
    verbose_name = "aicall"
