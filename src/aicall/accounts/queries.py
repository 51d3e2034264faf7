"""Reads of accounts."""

from aicall.accounts.models import User


def account_by_email(email: str) -> User | None:
    """The account with this email address (any case), or None."""
    return User.objects.filter(email=email.lower()).first()
