from django.apps import AppConfig


class AicallConfig(AppConfig):
    name = "aicall"
    verbose_name = "aicall"

    def ready(self) -> None:
        # No `_created` series in any process (web, dialer, webhook sender): they double
        # every counter's series and sum() over them is meaningless.
        from prometheus_client import disable_created_metrics

        disable_created_metrics()
