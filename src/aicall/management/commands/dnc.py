"""`aicall dnc add|remove|list --email ...`: an account's do-not-call list."""

from django.core.management.base import BaseCommand

from aicall.calls.models import DoNotCall
from aicall.calls.services import do_add_do_not_call, do_remove_do_not_call
from aicall.lib.phones import to_national
from aicall.management.arguments import add_number_list_actions
from aicall.management.output import account_or_die, die, emit


class Command(BaseCommand):
    help = "Manage an account's do-not-call list (numbers the dialer never calls)."

    def add_arguments(self, parser):
        add_number_list_actions(
            parser,
            add="put numbers on the list",
            remove="take numbers off",
            numbers="phone numbers, any usual form",
            note="why (kept with the entry)",
            listing="print the list",
        )

    def handle(self, *args, action: str, email: str, **options):
        owner = account_or_die(email)
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
