"""`aicall destinations allow|deny|show --email E`: may the account call premium numbers?"""

from django.core.management.base import BaseCommand

from aicall.accounts.services import do_set_restricted_destinations
from aicall.management.output import account_or_die, emit


class Command(BaseCommand):
    help = (
        "Premium-rate, shared-cost and 1900/1800 numbers: skipped at import and refused as "
        "transfer targets unless allowed for the account."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["allow", "deny", "show"])
        parser.add_argument("--email", required=True, help="the account")

    def handle(self, *args, action: str, email: str, **options):
        owner = account_or_die(email)
        if action != "show":
            do_set_restricted_destinations(owner, action == "allow")
        emit(
            {
                "email": owner.email,
                "allow_restricted_destinations": owner.allow_restricted_destinations,
            }
        )
