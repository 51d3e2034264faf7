"""Sign-in throttling: wrong passwords counted per client address and per account.

A sliding window (`LOGIN_FAILURE_WINDOW_SECONDS`, default 15 minutes) of failures kept in
the database (`LoginFailure`), so the count holds across every web process and restart.
Once a key has `LOGIN_MAX_FAILURES` (default 10) failures in the window, sign-in attempts
under that key are refused without checking the password until the oldest failures age
out; refused attempts are not counted, so a person who keeps retrying is let in on time.
A successful sign-in clears the account's failures, never the address's: otherwise an
attacker could reset their address's count by signing in to an account of their own.
"""

import math
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from aicall.accounts.models import LoginFailure


def _policy() -> tuple[int, float]:
    conf = settings.AICALL
    return int(conf["LOGIN_MAX_FAILURES"]), float(conf["LOGIN_FAILURE_WINDOW_SECONDS"])


def _account_key(email: str) -> str:
    return f"account:{email.strip().lower()[:250]}"


def _keys(address: str, email: str) -> list[str]:
    return [f"ip:{address[:200]}", *([_account_key(email)] if email.strip() else [])]


def login_retry_after(address: str, email: str) -> int:
    """Seconds until a sign-in for this address and email may be tried; 0 when it may now."""
    limit, window = _policy()
    now = timezone.now()
    since = now - timedelta(seconds=window)
    wait = 0.0
    for key in _keys(address, email):
        times = list(
            LoginFailure.objects.filter(key=key, failed_at__gte=since)
            .order_by("-failed_at")
            .values_list("failed_at", flat=True)[:limit]
        )
        if len(times) >= limit:
            # Allowed again once the limit-th most recent failure leaves the window.
            wait = max(wait, (times[-1] + timedelta(seconds=window) - now).total_seconds())
    return max(1, math.ceil(wait)) if wait > 0 else 0


def do_record_login_failure(address: str, email: str) -> None:
    """Count one wrong password against the address and the account (and forget old ones)."""
    _, window = _policy()
    now = timezone.now()
    LoginFailure.objects.filter(failed_at__lt=now - timedelta(seconds=window)).delete()
    LoginFailure.objects.bulk_create(
        [LoginFailure(key=key, failed_at=now) for key in _keys(address, email)]
    )


def do_clear_login_failures(email: str) -> None:
    """After a successful sign-in (or by an operator): the account's count starts over."""
    LoginFailure.objects.filter(key=_account_key(email)).delete()
