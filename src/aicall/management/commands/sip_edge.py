"""`aicall sip-edge`: the Kamailio SIP edge's configuration, a foreground run, its status."""

import signal
import sys
import threading
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from aicall.management.output import emit
from aicall.telephony.edge import UnknownEdgeMode, supervisor_from_settings, trunk_table
from aicall.telephony.edge.config import EdgeSettings, render_cfg, write_files
from aicall.telephony.models import Trunk
from aicall.telephony.trunks import registration_status


class Command(BaseCommand):
    help = (
        "The SIP edge (Kamailio in front of the media workers): print its configuration "
        "for a system service, run it in the foreground, or show what it reports per trunk."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        config = sub.add_parser(
            "config", help="print kamailio.cfg; --write also writes it and the trunk files"
        )
        config.add_argument(
            "--write",
            action="store_true",
            help="write kamailio.cfg, dispatcher.list and db/uacreg to AICALL_SIP_EDGE_RUN_DIR",
        )
        sub.add_parser(
            "run",
            help="run and supervise Kamailio in the foreground, following the trunk table "
            "(for a system service; then give the dialers AICALL_SIP_EDGE=external)",
        )
        sub.add_parser("status", help="registration and target health per trunk (JSON)")

    def handle(self, *args, action: str, **options):
        try:
            edge = EdgeSettings.from_settings(settings.AICALL)
        except UnknownEdgeMode as exc:
            raise CommandError(str(exc)) from exc
        if action == "config":
            if options["write"]:
                write_files(edge, trunk_table())
                sys.stderr.write(f"written to {Path(edge.run_dir).resolve()}\n")
            sys.stdout.write(render_cfg(edge))
        elif action == "status":
            emit(
                [
                    {
                        "name": t.name,
                        "registration": registration_status(t),
                        "target_health": dict(t.target_health or {}),
                    }
                    for t in Trunk.objects.order_by("created_at", "pk")
                ]
            )
        else:
            self._run(edge)

    def _run(self, edge: EdgeSettings) -> None:
        supervisor = supervisor_from_settings({**settings.AICALL, "SIP_EDGE": "kamailio"})
        assert supervisor is not None
        done = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: done.set())
        supervisor.start()
        if not supervisor.wait_ready(15):
            sys.stderr.write(f"kamailio is not answering yet; see {edge.run_dir}/kamailio.log\n")
        done.wait()
        supervisor.stop()
