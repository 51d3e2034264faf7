from django.apps import AppConfig


class TelephonyConfig(AppConfig):
    name = "aicall.telephony"
    label = "telephony"
