from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from django.db import IntegrityError
from django.utils import translation

from aicall.accounts.models import User
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
            # The same validators as the website's password change (settings.py), in
            # English like the command's other errors.
            with translation.override("en"):
                validate_password(password, User(email=email.lower()))
        except ValidationError as exc:
            raise die("password refused: " + " ".join(exc.messages)) from exc
        try:
            user = do_create_user(email, password, is_staff=staff)
        except IntegrityError as exc:
            raise die(f"an account with email {email} exists already") from exc
        emit({"user_id": user.pk, "secret_key": user.secret_key})
