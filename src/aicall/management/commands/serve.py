"""`aicall serve`: migrations, then the website + API (uvicorn), and the dialer and the
webhook sender as supervised child processes."""

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time

import uvicorn
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from aicall.metrics_access import is_loopback

log = logging.getLogger("aicall.serve")


class ChildSupervisor(threading.Thread):
    """Keeps one `aicall <command>` child running; restarts it with a backoff if it dies.

    A child that crashes at start-up (bad trunk config, say) would otherwise be restarted
    in a tight loop; the delay doubles up to 30 s and resets after a minute of health.
    """

    def __init__(self, command: str, args: tuple[str, ...] = ()) -> None:
        super().__init__(name=f"{command}-supervisor", daemon=True)
        self.command = command
        self.args = args
        self.process: subprocess.Popen | None = None
        self.stopping = threading.Event()

    def run(self) -> None:
        delay = 1.0
        while not self.stopping.is_set():
            started = time.monotonic()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "aicall", self.command, *self.args]
            )
            code = self.process.wait()
            if self.stopping.is_set():
                return
            delay = 1.0 if time.monotonic() - started > 60 else min(delay * 2, 30.0)
            log.warning("%s exited with %s; restarting in %.0f s", self.command, code, delay)
            self.stopping.wait(delay)

    def send(self, signum: int) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signum)

    def stop(self, timeout: float) -> None:
        self.stopping.set()
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()


class Command(BaseCommand):
    help = (
        "Run the website, the API, the dialer and the webhook sender together "
        "(applies migrations first)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("AICALL_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("AICALL_PORT", 8000)))
        parser.add_argument("--no-dialer", action="store_true", help="do not run the dialer")
        parser.add_argument(
            "--no-webhooks", action="store_true", help="do not run the webhook sender"
        )
        port = os.environ.get("AICALL_DIALER_METRICS_PORT")
        parser.add_argument(
            "--dialer-metrics-port",
            type=int,
            default=int(port) if port else None,
            help="the dialer serves Prometheus metrics on 127.0.0.1:N "
            "(default: $AICALL_DIALER_METRICS_PORT; the web process's are at /metrics)",
        )

    def handle(self, *args, host: str, port: int, no_dialer: bool, no_webhooks: bool, **options):
        if not is_loopback(host) and settings.ALLOWED_HOSTS == settings.LOOPBACK_HOSTS:
            # Reachable from other machines, the web process must know its host names.
            raise CommandError(
                f"listening on {host} needs AICALL_ALLOWED_HOSTS (the host names clients "
                "use, e.g. calls.example.com), or AICALL_DEV=1 for development"
            )
        call_command("migrate", interactive=False, verbosity=0)
        metrics_port = options.get("dialer_metrics_port")
        dialer_args = ("--metrics-port", str(metrics_port)) if metrics_port else ()
        children = [
            ChildSupervisor(command, extra)
            for command, extra, wanted in (
                ("dialer", dialer_args, not no_dialer),
                ("webhooks", (), not no_webhooks),
            )
            if wanted
        ]
        for child in children:
            child.start()
        log.info("aicall on http://%s:%s (API docs at /api/docs)", host, port)
        config = uvicorn.Config(
            "aicall.asgi:application",
            host=host,
            port=port,
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=30,
        )
        server = uvicorn.Server(config)
        # uvicorn re-raises SIGTERM after its graceful shutdown, so the process would die
        # "killed by signal" before `finally` stops the children (orphaning them). Ask it
        # to exit instead, then stop the children and exit 0.
        server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: setattr(server, "should_exit", True))
        try:
            server.run()
        finally:
            # Stop them all at once: each gets the whole grace period, not what is left.
            for child in children:
                child.stopping.set()
                child.send(signal.SIGTERM)
            for child in children:
                child.stop(timeout=60)
