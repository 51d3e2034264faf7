"""Sign-in throttling: wrong passwords counted per client address and per account.

A sliding window (`LOGIN_FAILURE_WINDOW_SECONDS`, default 15 minutes) of failures kept in
the database (`LoginFailure`), so the count holds across every web process and restart.
Once a key has `LOGIN_MAX_FAILURES` (default 10) failures in the window, sign-in attempts
under that key are refused without checking the password until the oldest failures age
out; refused attempts are not counted, so a person who keeps retrying is let in on time.

An attempt is written as a failure *before* its password is checked and taken back if it
turns out right (or is refused): checking a password takes a good part of a second, and a
burst of parallel guesses must not all pass a count made before any of them failed.
A successful sign-in clears the account's failures, never the address's: otherwise an
attacker could reset their address's count by signing in to an account of their own.
"""

import math
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from aicall.accounts.models import LoginFailure


@dataclass(frozen=True)
class LoginAttempt:
    row_ids: list[int]
    retry_after_seconds: int  # 0: go ahead and check the password


def _policy() -> tuple[int, float]:
    conf = settings.AICALL
    return int(conf["LOGIN_MAX_FAILURES"]), float(conf["LOGIN_FAILURE_WINDOW_SECONDS"])


def _account_key(email: str) -> str:
    return f"account:{email.strip().lower()[:250]}"


def _keys(address: str, email: str) -> list[str]:
    return [f"ip:{address[:200]}", *([_account_key(email)] if email.strip() else [])]


def _retry_after(keys: list[str], exclude_ids: list[int]) -> int:
    limit, window = _policy()
    now = timezone.now()
    wait = 0.0
    for key in keys:
        times = list(
            LoginFailure.objects.filter(key=key, failed_at__gte=now - timedelta(seconds=window))
            .exclude(id__in=exclude_ids)
            .order_by("-failed_at")
            .values_list("failed_at", flat=True)[:limit]
        )
        if len(times) >= limit:
            # Allowed again once the limit-th most recent failure leaves the window.
            wait = max(wait, (times[-1] + timedelta(seconds=window) - now).total_seconds())
    return max(1, math.ceil(wait)) if wait > 0 else 0


def do_start_login_attempt(address: str, email: str) -> LoginAttempt:
    """Counts this attempt as a failure now, and says whether it may go ahead: if not
    (retry_after_seconds > 0) it has already been taken back."""
    _, window = _policy()
    now = timezone.now()
    LoginFailure.objects.filter(failed_at__lt=now - timedelta(seconds=window)).delete()
    keys = _keys(address, email)
    row_ids = [LoginFailure.objects.create(key=key, failed_at=now).pk for key in keys]
    wait = _retry_after(keys, row_ids)
    if wait:
        LoginFailure.objects.filter(id__in=row_ids).delete()
    return LoginAttempt(row_ids, wait)


def do_end_login_attempt(attempt: LoginAttempt, *, failed: bool) -> None:
    """A wrong password stays counted; anything else (a success, no password given) is
    taken back."""
    if failed:
        return
    LoginFailure.objects.filter(id__in=attempt.row_ids).delete()


def do_clear_login_failures(email: str) -> None:
    """After a successful sign-in (or by an operator): the account's count starts over."""
    LoginFailure.objects.filter(key=_account_key(email)).delete()
