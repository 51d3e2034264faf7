"""`aicall callerid add|remove|list --email E NUMBER…`: the numbers an account may show."""

from django.core.management.base import BaseCommand

from aicall.accounts.callerids import (
    CallerIdError,
    do_verify_caller_id,
    verified_caller_ids,
)
from aicall.accounts.models import User
from aicall.campaigns.services import do_unverify_caller_id
from aicall.management.output import die, emit


class Command(BaseCommand):
    help = "Verified caller IDs: the numbers an account's campaigns may show (besides the trunk's)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        for name, text in (
            ("add", "verify numbers for the account (checked to be the customer's)"),
            ("remove", "withdraw numbers; campaigns showing them fall back to the trunk's"),
        ):
            action = sub.add_parser(name, help=text)
            action.add_argument("--email", required=True, help="the account")
            action.add_argument("numbers", nargs="+", help="digits, e.g. 02873001234")
            if name == "add":
                action.add_argument("--note", default="", help="how it was verified")
        listing = sub.add_parser("list", help="print the account's verified numbers")
        listing.add_argument("--email", required=True, help="the account")

    def handle(self, *args, action: str, email: str, **options):
        owner = User.objects.filter(email=email.lower()).first()
        if owner is None:
            raise die(f"no account with email {email}")
        if action == "list":
            emit({"email": owner.email, "caller_ids": verified_caller_ids(owner.pk)})
            return
        try:
            if action == "add":
                for number in options["numbers"]:
                    do_verify_caller_id(owner.pk, number, options.get("note", ""))
                emit({"email": owner.email, "caller_ids": verified_caller_ids(owner.pk)})
                return
            cleared, unknown = 0, []
            for number in options["numbers"]:
                outcome = do_unverify_caller_id(owner.pk, number)
                if outcome is None:
                    unknown.append(number)
                else:
                    cleared += outcome
        except CallerIdError as exc:
            raise die(exc.message) from exc
        emit(
            {
                "email": owner.email,
                "caller_ids": verified_caller_ids(owner.pk),
                "campaigns_cleared": cleared,
                "not_verified": unknown,
            }
        )
