"""`aicall dnc add|remove|list --email ...`: an account's do-not-call list."""

from django.core.management.base import BaseCommand

from aicall.accounts.models import User
from aicall.calls.models import DoNotCall
from aicall.calls.services import do_add_do_not_call, do_remove_do_not_call
from aicall.lib.phones import to_national
from aicall.management.output import die, emit


class Command(BaseCommand):
    help = "Manage an account's do-not-call list (numbers the dialer never calls)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        for name, text in (("add", "put numbers on the list"), ("remove", "take numbers off")):
            action = sub.add_parser(name, help=text)
            action.add_argument("--email", required=True, help="the account")
            action.add_argument("numbers", nargs="+", help="phone numbers, any usual form")
            if name == "add":
                action.add_argument("--note", default="", help="why (kept with the entry)")
        listing = sub.add_parser("list", help="print the list")
        listing.add_argument("--email", required=True, help="the account")

    def handle(self, *args, action: str, email: str, **options):
        owner = User.objects.filter(email=email.lower()).first()
        if owner is None:
            raise die(f"no account with email {email}")
        if action == "list":
            rows = DoNotCall.objects.filter(owner=owner).order_by("phone_e164")
            emit(
                [
                    {"phone_number": to_national(r.phone_e164), "note": r.note}
                    for r in rows.only("phone_e164", "note")
                ]
            )
            return
        invalid = []
        changed = 0
        for number in options["numbers"]:
            if action == "add":
                entry = do_add_do_not_call(owner.pk, number, options.get("note", ""))
                if entry is None:
                    invalid.append(number)
                else:
                    changed += 1
            elif do_remove_do_not_call(owner.pk, number):
                changed += 1
        emit({"action": action, "changed": changed, "invalid": invalid})
        if invalid:
            raise die(f"not valid phone numbers: {', '.join(invalid)}")
