"""API access tokens: HS256 JWTs shaped like the original service's.

The payload carries `user_id`, `sign`, `iat`, `exp`. `sign` is an HMAC of the account's
current secret_key, so rotating the key changes the expected `sign` and every older token
fails at once on every server: nothing to broadcast, the database row is the truth.
"""

import hashlib
import hmac
import time
from typing import NamedTuple

import jwt
from django.conf import settings

from aicall.accounts.models import User

ALGORITHM = "HS256"


def _sign_for(secret_key: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), secret_key.encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def mint_access_token(user: User, now: float | None = None) -> str:
    issued_at = int(now if now is not None else time.time())
    payload = {
        "user_id": user.pk,
        "sign": _sign_for(user.secret_key),
        "iat": issued_at,
        "exp": issued_at + int(settings.AICALL["TOKEN_TTL_SECONDS"]),
    }
    return jwt.encode(payload, settings.SECRET_KEY, algorithm=ALGORITHM)


class Claims(NamedTuple):
    user_id: int
    sign: str


def claims_of(token: object) -> Claims | None:
    """The account a well-formed, unexpired token names, before the database is asked; None
    for any token that must get `401`."""
    if not isinstance(token, str) or not token or len(token) > 2048:
        return None
    try:
        payload = jwt.decode(
            token,
            settings.SECRET_KEY,
            algorithms=[ALGORITHM],
            options={"require": ["user_id", "sign", "iat", "exp"]},
        )
    except jwt.PyJWTError:
        return None
    user_id, sign = payload.get("user_id"), payload.get("sign")
    if not isinstance(user_id, int) or not isinstance(sign, str):
        return None
    return Claims(user_id, sign)


def signed_with(secret_key: str, claims: Claims) -> bool:
    """Whether the token was minted from this secret_key, the account's current one (constant
    time)."""
    return hmac.compare_digest(claims.sign, _sign_for(secret_key))


def user_for_access_token(token: object) -> User | None:
    """The active user a token belongs to, or None for any token that must get `401`."""
    claims = claims_of(token)
    if claims is None:
        return None
    user = User.objects.filter(pk=claims.user_id, is_active=True).first()
    if user is None or not signed_with(user.secret_key, claims):
        return None
    return user
