"""Reads of accounts."""

from datetime import datetime

from aicall.accounts.models import User


def account_by_email(email: str) -> User | None:
    """The account with this email address (any case), or None."""
    return User.objects.filter(email=email.lower()).first()


def key_and_start(user_id: int) -> tuple[str, datetime] | None:
    """(secret_key, created_at) of the active account: what a read of its calls checks and
    needs (two columns, not a User: the API's most frequent requests ask)."""
    found = User.objects.filter(pk=user_id, is_active=True).values_list("secret_key", "created_at")
    return next(iter(found[:1]), None)
