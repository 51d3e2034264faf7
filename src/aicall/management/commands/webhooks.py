"""`aicall webhooks`: the webhook sender (also started by `aicall serve`)."""

import asyncio
import logging
import os
import signal

from django.core.management.base import BaseCommand

from aicall.webhooks.sender import Sender

log = logging.getLogger("aicall.webhooks")


class Command(BaseCommand):
    help = "Deliver queued webhook events (signed POSTs, retried with backoff for a day)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--concurrency", type=int, default=None, help="POSTs in flight (default 100)"
        )
        parser.add_argument(
            "--poll", type=float, default=0.5, help="seconds between polls when idle"
        )
        parser.add_argument(
            "--until-idle", action="store_true", help="exit when nothing is due or in flight"
        )
        parser.add_argument(
            "--nice",
            type=int,
            default=int(os.environ.get("AICALL_WEBHOOK_NICE", "10")),
            help="lower this process's CPU priority by this much (default 10; 0 keeps it)",
        )

    def handle(
        self, *args, concurrency: int | None, poll: float, until_idle: bool, nice: int, **options
    ):
        if nice > 0:
            # On a shared machine the dialer (and its call audio) comes first: events wait
            # in the outbox when the CPU is short, calls do not.
            os.nice(nice)
        asyncio.run(self._run(Sender(concurrency, poll), until_idle))

    async def _run(self, sender: Sender, until_idle: bool) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            # Finish the POSTs in flight and store their results, then exit.
            loop.add_signal_handler(sig, sender.stopping.set)
        log.info("webhook sender running (%d in flight at most)", sender.concurrency)
        await sender.run(until_idle=until_idle)
        log.info("webhook sender stopped after %d attempts", sender.sent)
