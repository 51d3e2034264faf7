"""The signed-in account of a request, typed (views are all behind login_required),
and the reads scoped to it that every page needs."""

from typing import cast

from django.http import Http404, HttpRequest

from aicall.accounts.models import User
from aicall.campaigns.models import Campaign
from aicall.campaigns.queries import campaign_for_owner


def account(request: HttpRequest) -> User:
    return cast(User, request.user)


def owner_id(request: HttpRequest) -> int:
    return int(cast(User, request.user).pk)


def owned_campaign(request: HttpRequest, campaign_id: int) -> Campaign:
    """The signed-in account's campaign, or 404: another account's looks like no campaign."""
    campaign = campaign_for_owner(owner_id(request), campaign_id)
    if campaign is None:
        raise Http404
    return campaign
