import argparse
import json
import os
import sys

from django.core.management.base import BaseCommand
from django.utils import timezone

from aicall.campaigns.models import Campaign
from aicall.management.output import account_or_die, die, emit
from aicall.telephony.health import do_mark_trunk
from aicall.telephony.models import SETTABLE_FIELDS, Trunk
from aicall.telephony.services import (
    TrunkError,
    do_add_trunk,
    do_assign_trunk,
    do_remove_trunk,
    do_set_default_trunk,
    do_set_fallback_trunk,
    do_update_trunk,
    parse_header_option,
)
from aicall.telephony.trunks import public_trunk

_BOOL = {"on": True, "yes": True, "true": True, "1": True}
_BOOL.update({"off": False, "no": False, "false": False, "0": False})


def _on_off(value: str) -> bool:
    try:
        return _BOOL[value.strip().lower()]
    except KeyError:
        raise ValueError(value) from None


_on_off.__name__ = "on/off"


def _trunk_flags(parser, *, update: bool) -> None:
    """The settable flags; `update` leaves every default unset (None = keep)."""

    def default(value):
        return None if update else value

    parser.add_argument("--proxy", required=not update, help="sip:HOST:PORT of the carrier")
    parser.add_argument("--transport", choices=["udp", "tcp"], default=default("udp"))
    parser.add_argument("--username", default=default(""), help="digest authentication user")
    parser.add_argument(
        "--password-stdin",
        dest="password_stdin",
        action="store_true",
        help="read the digest password from the first line of standard input "
        "(or set AICALL_TRUNK_PASSWORD); never on the command line",
    )
    # Refused with an explanation: argv is visible in `ps` and kept in shell history.
    parser.add_argument("--password", dest="password_argv", default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "--caller-id", dest="caller_id", default=default(""), help="default From number"
    )
    parser.add_argument("--max-channels", dest="max_channels", type=int, default=default(30))
    parser.add_argument("--cps", dest="calls_per_second", type=float, default=default(10.0))
    parser.add_argument(
        "--number-format",
        dest="number_format",
        choices=["national", "e164"],
        default=default("national"),
        help="how called numbers are written: 0912… or +84912…",
    )
    parser.add_argument(
        "--dtmf-pt",
        dest="dtmf_payload_type",
        type=int,
        default=default(101),
        help="RTP payload type offered for telephone-event (RFC 4733)",
    )
    parser.add_argument(
        "--caller-id-format",
        dest="caller_id_format",
        choices=["national", "e164", "as_stored"],
        default=default("national"),
        help="how the caller ID is written in From and P-Asserted-Identity",
    )
    parser.add_argument(
        "--display-name", dest="display_name", default=default(""), help="From display name"
    )
    parser.add_argument(
        "--pai",
        dest="send_pai",
        type=_on_off,
        default=default(False),
        help="send P-Asserted-Identity with the caller ID: on or off",
    )
    parser.add_argument(
        "--privacy", default=default(""), help="Privacy header value, e.g. id or none (RFC 3323)"
    )
    parser.add_argument(
        "--header",
        dest="headers",
        action="append",
        default=None,
        metavar="'NAME: VALUE'",
        help="a static header on every INVITE (repeatable)",
    )
    parser.add_argument(
        "--headers-json",
        dest="headers_json",
        default=None,
        help='every static header as a JSON object, e.g. \'{"X-Account": "42"}\'',
    )
    parser.add_argument(
        "--media-timeout",
        dest="media_timeout_seconds",
        type=int,
        default=default(20),
        help="seconds without RTP that end a call (MEDIA TIMEOUT)",
    )
    _edge_flags(parser, update=update)


def _edge_flags(parser, *, update: bool) -> None:
    """Failover targets and registration, carried out by the SIP edge (docs/sip.md)."""
    parser.add_argument(
        "--failover-proxy",
        dest="failover_proxies",
        action="append",
        default=None if update else [],
        metavar="sip:HOST:PORT",
        help="another target of this trunk, tried in order when the ones before are down or "
        "answer 503 (repeat for more; on update the list given replaces the old one)",
    )
    if update:
        parser.add_argument(
            "--register", type=_on_off, default=None, help="registration by the edge: on or off"
        )
    else:
        parser.add_argument(
            "--register",
            action="store_true",
            help="the SIP edge REGISTERs with the proxy using --username/--password",
        )
    parser.add_argument(
        "--register-expiry",
        dest="register_expiry_seconds",
        type=int,
        default=None if update else 300,
        metavar="S",
        help="registration lifetime asked for, seconds (refreshed before it ends)",
    )
    parser.add_argument(
        "--auth-username",
        dest="auth_username",
        default=None if update else "",
        metavar="U",
        help="digest user when it differs from --username (the registered number)",
    )
    parser.add_argument(
        "--realm", default=None if update else "", metavar="R", help="answer only this realm"
    )
    parser.add_argument(
        "--fallback",
        default=None,
        metavar="TRUNK",
        help="the next trunk in priority order, for calls this one cannot carry (down, 503, "
        "registration failed); - clears it",
    )


def _extra_headers(options: dict):
    """--header / --headers-json (None: not given); `--headers-json '{}'` clears them."""
    if options.get("headers_json") is not None and options.get("headers"):
        raise TrunkError("extra_headers", "use --header or --headers-json, not both")
    if options.get("headers_json") is not None:
        try:
            return json.loads(options["headers_json"])
        except ValueError:
            raise TrunkError("extra_headers", "--headers-json must be a JSON object") from None
    if options.get("headers"):
        return parse_header_option(options["headers"])
    return None


class Command(BaseCommand):
    help = "Add, update, list and remove SIP trunks (the first one added is the default)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="add a SIP trunk")
        add.add_argument("--name", required=True)
        _trunk_flags(add, update=False)
        add.add_argument("--default", dest="make_default", action="store_true")
        update = sub.add_parser("update", help="change some settings of a trunk")
        update.add_argument("name")
        update.add_argument("--rename", dest="new_name", default=None)
        _trunk_flags(update, update=True)
        update.add_argument(
            "--health",
            choices=["up", "down"],
            default=None,
            help="mark the trunk up (calls resume at once) or down (calls wait, OPTIONS probes)",
        )
        sub.add_parser("list", help="list trunks as JSON (passwords are never shown)")
        remove = sub.add_parser("remove", help="remove a trunk")
        remove.add_argument("name")
        default = sub.add_parser("default", help="make a trunk the default")
        default.add_argument("name")
        assign = sub.add_parser(
            "assign", help="route an account's or a campaign's calls through a trunk"
        )
        assign.add_argument("name", help="the trunk, or - to clear the choice")
        target = assign.add_mutually_exclusive_group(required=True)
        target.add_argument("--email", help="the account (its default trunk)")
        target.add_argument("--campaign", type=int, help="the campaign id")

    def handle(self, *args, action: str, **options):
        try:
            if action == "add":
                options["password"] = _password(options) or ""
                values = {f: options.get(f) for f in SETTABLE_FIELDS}
                values["extra_headers"] = _extra_headers(options) or {}
                fallback = options.get("fallback")
                if fallback not in (None, "-") and not Trunk.objects.filter(name=fallback).exists():
                    raise TrunkError("fallback", f"no trunk named {fallback}")
                added = do_add_trunk(values)
                self._fallback(added, options)
                if options["make_default"]:
                    do_set_default_trunk(added)
                emit(public_trunk(added))
            elif action == "assign":
                emit(self._assign(options))
            elif action == "list":
                emit([public_trunk(t) for t in Trunk.objects.order_by("created_at", "pk")])
            else:
                trunk = Trunk.objects.filter(name=options["name"]).first()
                if trunk is None:
                    raise die(f"no trunk named {options['name']}")
                if action == "update":
                    emit(public_trunk(self._update(trunk, options)))
                elif action == "remove":
                    do_remove_trunk(trunk)
                    emit({"removed": trunk.name})
                else:
                    emit(public_trunk(do_set_default_trunk(trunk)))
        except TrunkError as exc:
            raise die(exc.message) from exc

    def _update(self, trunk: Trunk, options: dict) -> Trunk:
        options["password"] = _password(options)
        changes = {f: options.get(f) for f in SETTABLE_FIELDS if f != "name"}
        changes["name"] = options.get("new_name")
        changes["extra_headers"] = _extra_headers(options)
        trunk = do_update_trunk(trunk, changes)
        self._fallback(trunk, options)
        if options.get("health"):
            trunk = do_mark_trunk(trunk, options["health"], timezone.now())
        return trunk

    def _fallback(self, trunk: Trunk, options: dict) -> None:
        name = options.get("fallback")
        if name is None:
            return
        fallback = None
        if name != "-":
            fallback = Trunk.objects.filter(name=name).first()
            if fallback is None:
                raise TrunkError("fallback", f"no trunk named {name}")
        do_set_fallback_trunk(trunk, fallback)

    def _assign(self, options: dict) -> dict:
        trunk = None
        if options["name"] != "-":
            trunk = Trunk.objects.filter(name=options["name"]).first()
            if trunk is None:
                raise die(f"no trunk named {options['name']}")
        if options["email"]:
            account = account_or_die(options["email"])
            do_assign_trunk(trunk, account=account)
            return {"email": account.email, "trunk": trunk.name if trunk else None}
        campaign = Campaign.objects.filter(pk=options["campaign"]).first()
        if campaign is None:
            raise die(f"no campaign {options['campaign']}")
        do_assign_trunk(trunk, campaign=campaign)
        return {"campaign_id": campaign.pk, "trunk": trunk.name if trunk else None}


def _password(options: dict) -> str | None:
    """The digest password from standard input or AICALL_TRUNK_PASSWORD, never from argv
    (None: neither given, so `update` keeps the stored one)."""
    if options.get("password_argv") is not None:
        raise die(
            "--password is not accepted: the command line shows in `ps` and shell history. "
            "Pipe it with --password-stdin or set AICALL_TRUNK_PASSWORD"
        )
    if options.get("password_stdin"):
        return sys.stdin.readline().rstrip("\r\n")
    return os.environ.get("AICALL_TRUNK_PASSWORD")
