"""Reads of campaigns, always scoped to the account that owns them."""

from datetime import datetime

from django.db.models import QuerySet

from aicall.campaigns.models import Campaign, DigitRecording


def parse_id(raw: object) -> int | None:
    try:
        value = int(str(raw))
    except (TypeError, ValueError):
        return None
    return value if 0 < value < 2**63 else None


def campaign_for_owner(owner_id: int, campaign_id: object) -> Campaign | None:
    """The campaign if it exists and belongs to this account; None otherwise (code `01`)."""
    pk = parse_id(campaign_id)
    if pk is None:
        return None
    return Campaign.objects.filter(pk=pk, owner_id=owner_id, test_for__isnull=True).first()


def owner_key_and_start(owner_id: int, campaign_pk: int) -> tuple[str, datetime] | None:
    """(the owner's secret_key, the campaign's created_at) when the campaign belongs to this
    active account: what a read of its calls checks and needs, in one query of two columns."""
    found = Campaign.objects.filter(
        pk=campaign_pk, owner_id=owner_id, owner__is_active=True, test_for__isnull=True
    ).values_list("owner__secret_key", "created_at")
    return next(iter(found[:1]), None)


def campaigns_of(owner_id: int) -> QuerySet[Campaign]:
    """The account's campaigns, newest first (test-call companions are not campaigns)."""
    return Campaign.objects.filter(owner_id=owner_id, test_for__isnull=True).order_by(
        "-created_at", "-id"
    )


def digit_recordings_of(owner_id: int) -> dict[str, DigitRecording]:
    """The account's recorded digits by digit ("0".."9"); some may be missing."""
    return {r.digit: r for r in DigitRecording.objects.filter(owner_id=owner_id)}


def has_all_digit_recordings(owner_id: int) -> bool:
    return DigitRecording.objects.filter(owner_id=owner_id).count() == 10
