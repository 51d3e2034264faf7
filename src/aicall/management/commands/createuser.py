from django.core.management.base import BaseCommand
from django.db import IntegrityError

from aicall.accounts.services import do_create_user
from aicall.management.output import die, emit


class Command(BaseCommand):
    help = "Create a customer account; prints its user_id and secret_key."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--staff", action="store_true", help="operator (Django admin) access")

    def handle(self, *args, email: str, password: str, staff: bool, **options):
        if "@" not in email:
            raise die(f"not an email address: {email}")
        try:
            user = do_create_user(email, password, is_staff=staff)
        except IntegrityError as exc:
            raise die(f"an account with email {email} exists already") from exc
        emit({"user_id": user.pk, "secret_key": user.secret_key})
