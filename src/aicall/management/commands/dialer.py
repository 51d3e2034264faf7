"""`aicall dialer`: claim and place the calls of running campaigns until SIGTERM."""

import asyncio
import logging
import os
import signal

from django.core.management.base import BaseCommand, CommandError

from aicall.dialer.checkpoint import WalCheckpointer
from aicall.dialer.engine import Dialer, DialerOptions
from aicall.telephony.registry import UnknownTelephony, get_carrier

log = logging.getLogger("aicall.dialer")


class Command(BaseCommand):
    help = (
        "Run a dialer: places the calls of running campaigns through the configured telephony "
        "(AICALL_TELEPHONY). Several may run against one PostgreSQL database."
    )

    def add_arguments(self, parser):
        port = os.environ.get("AICALL_DIALER_METRICS_PORT")
        parser.add_argument(
            "--metrics-port",
            type=int,
            default=int(port) if port else None,
            help="serve Prometheus metrics on this port (default: $AICALL_DIALER_METRICS_PORT)",
        )
        parser.add_argument(
            "--metrics-addr",
            default="127.0.0.1",
            help="address for --metrics-port (beyond loopback needs AICALL_METRICS_TOKEN)",
        )
        parser.add_argument("--max-calls", type=int, help="calls this process holds at most")
        parser.add_argument("--claim-batch", type=int, help="calls claimed per round at most")
        parser.add_argument(
            "--drain-seconds", type=float, help="on SIGTERM, how long running calls may last"
        )

    def handle(self, *args, **options):
        if options["metrics_port"] is not None:
            from aicall.metrics_access import is_loopback, metrics_token, start_metrics_server

            address = options["metrics_addr"]
            if not is_loopback(address) and not metrics_token():
                raise CommandError(
                    f"--metrics-addr {address} is reachable beyond this machine: set "
                    "AICALL_METRICS_TOKEN (scrapers send it as a Bearer token)"
                )
            start_metrics_server(options["metrics_port"], address)
        try:
            carrier = get_carrier()
        except (ImportError, UnknownTelephony) as exc:
            raise CommandError(f"cannot start the telephony: {exc}") from exc
        dialer = Dialer(
            carrier,
            options=DialerOptions.from_settings(
                max_calls=options["max_calls"],
                claim_batch=options["claim_batch"],
                drain_seconds=options["drain_seconds"],
            ),
        )
        checkpointer = WalCheckpointer()
        checkpointer.start()
        try:
            asyncio.run(_run(dialer))
        finally:
            checkpointer.stop()


async def _run(dialer: Dialer) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, dialer.request_stop)
    await dialer.run()
