from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "aicall.campaigns"
    label = "campaigns"
