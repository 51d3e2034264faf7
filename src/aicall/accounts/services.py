"""Every write to an account goes through one of these actions."""

import hmac

from django.db import transaction
from django.utils import timezone

from aicall.accounts.models import User, new_secret_key


def do_create_user(email: str, password: str, *, is_staff: bool = False) -> User:
    return User.objects.create_user(email=email, password=password, is_staff=is_staff)


@transaction.atomic
def do_rotate_secret_key(user: User) -> str:
    """Give the account a new secret_key; every access_token minted before stops working."""
    user.secret_key = new_secret_key()
    user.secret_rotated_at = timezone.now()
    user.save(update_fields=["secret_key", "secret_rotated_at"])
    return user.secret_key


def user_for_secret_key(secret_key: object) -> User | None:
    """The active account owning this secret_key, compared in constant time."""
    if not isinstance(secret_key, str) or not secret_key or len(secret_key) > 200:
        return None
    user = User.objects.filter(secret_key=secret_key, is_active=True).first()
    if user is None or not hmac.compare_digest(user.secret_key, secret_key):
        return None
    return user


def do_set_active(user: User, active: bool) -> None:
    user.is_active = active
    user.save(update_fields=["is_active"])


def do_set_restricted_destinations(user: User, allowed: bool) -> None:
    """Operator: let the account (or not) call premium-rate and 1900/1800 numbers."""
    user.allow_restricted_destinations = allowed
    user.save(update_fields=["allow_restricted_destinations"])
