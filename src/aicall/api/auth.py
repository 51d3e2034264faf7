"""Where an access_token travels: query string, JSON body, or `Authorization: Bearer`."""

from typing import Any

from django.http import HttpRequest, HttpResponse

from aicall.accounts.models import User
from aicall.accounts.queries import key_and_start
from aicall.accounts.tokens import claims_of, signed_with, user_for_access_token
from aicall.api.ratelimit import charge_account
from aicall.api.responses import bad_campaign, bad_token
from aicall.calls.queries import CallHistory
from aicall.campaigns.models import Campaign
from aicall.campaigns.queries import campaign_for_owner, owner_key_and_start, parse_id


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
        charge_account(request, user.pk)
    return user


class Refused(Exception):
    """A request answered with a contract error before any work (`401`, `01`).

    Raised by the helpers below and turned into its response by the API's handler
    (api/main.py), so that each endpoint states what it needs in one line.
    """

    def __init__(self, response: HttpResponse):
        super().__init__(response.status_code)
        self.response = response


def account_of(request: HttpRequest, body: Any = None) -> User:
    """The account behind the access_token; raises Refused (`401`) without a valid one."""
    user = authenticate(request, body)
    if user is None:
        raise Refused(bad_token())
    return user


def account_and_campaign(
    request: HttpRequest, campaign_id: str, body: Any = None
) -> tuple[User, Campaign]:
    """The account and its campaign `campaign_id`; raises Refused with `401`, or with `01`
    when the campaign does not exist or belongs to another account (the same answer)."""
    user = account_of(request, body)
    campaign = campaign_for_owner(user.pk, campaign_id)
    if campaign is None:
        raise Refused(bad_campaign())
    return user, campaign


def call_history(request: HttpRequest, campaign_id: str | None = None) -> CallHistory:
    """The account's finished calls, or with `campaign_id` those of one campaign of its own,
    for export and call-log; raises Refused as account_of and account_and_campaign do.

    These are the API's most frequent requests: a valid token asking for what it owns costs
    one query of two columns (the owner's secret_key, the history's start), not a User and
    a Campaign. Anything else takes the long way, so that a bad token gets `401`, not `01`.
    """
    claims = claims_of(token_from(request))
    campaign_pk = None if campaign_id is None else parse_id(campaign_id)
    if claims is not None and (campaign_id is None or campaign_pk is not None):
        if campaign_pk is None:
            found = key_and_start(claims.user_id)
        else:
            found = owner_key_and_start(claims.user_id, campaign_pk)
        if found is not None and signed_with(found[0], claims):
            charge_account(request, claims.user_id)
            return CallHistory(claims.user_id, campaign_pk, found[1])
    account_of(request)  # raises Refused (401) unless the token is good
    raise Refused(bad_campaign())
