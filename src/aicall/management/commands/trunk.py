from django.core.management.base import BaseCommand

from aicall.accounts.models import User
from aicall.campaigns.models import Campaign
from aicall.management.output import die, emit
from aicall.telephony.models import SETTABLE_FIELDS, Trunk
from aicall.telephony.services import (
    TrunkError,
    do_add_trunk,
    do_assign_trunk,
    do_remove_trunk,
    do_set_default_trunk,
)
from aicall.telephony.trunks import public_trunk


class Command(BaseCommand):
    help = "Add, list and remove SIP trunks (the first one added is the default)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="add a SIP trunk")
        add.add_argument("--name", required=True)
        add.add_argument("--proxy", required=True, help="sip:HOST:PORT of the carrier")
        add.add_argument("--transport", choices=["udp", "tcp"], default="udp")
        add.add_argument("--username", default="", help="digest authentication user")
        add.add_argument("--password", default="", help="digest authentication password")
        add.add_argument("--caller-id", dest="caller_id", default="", help="default From number")
        add.add_argument("--max-channels", dest="max_channels", type=int, default=30)
        add.add_argument("--cps", dest="calls_per_second", type=float, default=10.0)
        add.add_argument(
            "--number-format",
            dest="number_format",
            choices=["national", "e164"],
            default="national",
            help="how called numbers are written: 0912… or +84912…",
        )
        add.add_argument(
            "--dtmf-pt",
            dest="dtmf_payload_type",
            type=int,
            default=101,
            help="RTP payload type offered for telephone-event (RFC 4733)",
        )
        add.add_argument(
            "--failover-proxy",
            dest="failover_proxies",
            action="append",
            default=[],
            metavar="sip:HOST:PORT",
            help="another target of this trunk, tried in order when the proxy is down or "
            "answers 503 (through the SIP edge; repeat for more)",
        )
        add.add_argument(
            "--register",
            action="store_true",
            help="the SIP edge REGISTERs with the proxy using --username/--password",
        )
        add.add_argument(
            "--register-expiry",
            dest="register_expiry_seconds",
            type=int,
            default=300,
            metavar="S",
            help="registration lifetime asked for, seconds (refreshed before it ends)",
        )
        add.add_argument(
            "--auth-username",
            dest="auth_username",
            default="",
            metavar="U",
            help="digest user when it differs from --username (the registered number)",
        )
        add.add_argument("--realm", default="", metavar="R", help="answer only this digest realm")
        add.add_argument("--default", dest="make_default", action="store_true")
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
                added = do_add_trunk({f: options[f] for f in SETTABLE_FIELDS})
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
                if action == "remove":
                    do_remove_trunk(trunk)
                    emit({"removed": trunk.name})
                else:
                    emit(public_trunk(do_set_default_trunk(trunk)))
        except TrunkError as exc:
            raise die(exc.message) from exc

    def _assign(self, options: dict) -> dict:
        trunk = None
        if options["name"] != "-":
            trunk = Trunk.objects.filter(name=options["name"]).first()
            if trunk is None:
                raise die(f"no trunk named {options['name']}")
        if options["email"]:
            account = User.objects.filter(email=options["email"].lower()).first()
            if account is None:
                raise die(f"no account with email {options['email']}")
            do_assign_trunk(trunk, account=account)
            return {"email": account.email, "trunk": trunk.name if trunk else None}
        campaign = Campaign.objects.filter(pk=options["campaign"]).first()
        if campaign is None:
            raise die(f"no campaign {options['campaign']}")
        do_assign_trunk(trunk, campaign=campaign)
        return {"campaign_id": campaign.pk, "trunk": trunk.name if trunk else None}
