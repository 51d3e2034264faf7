"""Where an access_token travels: query string, JSON body, or `Authorization: Bearer`."""

from typing import Any

from django.http import HttpRequest

from aicall.accounts.models import User
from aicall.accounts.tokens import user_for_access_token
from aicall.api.ratelimit import charge_account


def token_from(request: HttpRequest, body: Any = None) -> str | None:
    token = request.GET.get("access_token")
    if not token and isinstance(body, dict):
        candidate = body.get("access_token")
        token = candidate if isinstance(candidate, str) else None
    if not token:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer":
            token = value.strip()
    return token or None


def authenticate(request: HttpRequest, body: Any = None) -> User | None:
    """The account behind the request's access_token, or None (answer `401`).

    Spends one request of the account's budget: raises RateLimited (answer 429) when it is
    empty, before any work is done.
    """
    user = user_for_access_token(token_from(request, body))
    if user is not None:
        request.aicall_user = user  # type: ignore[attr-defined]
        charge_account(request, user.pk)
    return user
