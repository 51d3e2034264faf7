"""Command-line output: JSON on stdout, errors on stderr with a non-zero exit."""

import json
import sys
from typing import Any

from django.core.management.base import CommandError

from aicall.accounts.models import User
from aicall.accounts.queries import account_by_email


def emit(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def die(message: str) -> CommandError:
    return CommandError(message, returncode=1)


def account_or_die(email: str) -> User:
    """The account of `--email`, or the command stops with an error."""
    account = account_by_email(email)
    if account is None:
        raise die(f"no account with email {email}")
    return account
