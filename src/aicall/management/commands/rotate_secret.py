from django.core.management.base import BaseCommand

from aicall.accounts.services import do_rotate_secret_key
from aicall.management.output import account_or_die, emit


class Command(BaseCommand):
    help = "Give an account a new secret_key; every older access_token stops working."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)

    def handle(self, *args, email: str, **options):
        user = account_or_die(email)
        emit({"secret_key": do_rotate_secret_key(user)})
