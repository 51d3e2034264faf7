from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "aicall.accounts"
    label = "accounts"
    verbose_name = "Accounts"
