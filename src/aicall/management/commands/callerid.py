"""`aicall callerid add|remove|list --email E NUMBER…`: the numbers an account may show."""

from django.core.management.base import BaseCommand

from aicall.accounts.callerids import (
    CallerIdError,
    do_verify_caller_id,
    verified_caller_ids,
)
from aicall.campaigns.services import do_unverify_caller_id
from aicall.management.arguments import add_number_list_actions
from aicall.management.output import account_or_die, die, emit


class Command(BaseCommand):
    help = "Verified caller IDs: the numbers an account's campaigns may show (besides the trunk's)."

    def add_arguments(self, parser):
        add_number_list_actions(
            parser,
            add="verify numbers for the account (checked to be the customer's)",
            remove="withdraw numbers; campaigns showing them fall back to the trunk's",
            numbers="digits, e.g. 02873001234",
            note="how it was verified",
            listing="print the account's verified numbers",
        )

    def handle(self, *args, action: str, email: str, **options):
        owner = account_or_die(email)
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
