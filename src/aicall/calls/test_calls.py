"""Test calls ("Gọi thử"): one call to a number the user types, placed the real way.

A test call is an ordinary queued call that the dialer claims and places like any other:
same carrier, trunk, caller ID, script, voice, key-press menu and ring time as the campaign.
It belongs to a hidden companion campaign (`test_for` = the campaign) whose settings are
copied from the campaign at every test, so that it never counts in the campaign's contacts,
progress, dashboard, export or webhooks. The account-wide call log (and the website's "all
calls" list) does show it: it is a real call the account placed.

What differs from a contact's call, on purpose: a test call goes out at once, whatever the
campaign's calling hours (the person testing is calling themselves), is tried once, sends
no webhook, and the do-not-call list still applies.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aicall.calls.contacts import SkipReason
from aicall.calls.models import Call
from aicall.calls.services import import_contacts
from aicall.campaigns.errors import CampaignError
from aicall.campaigns.models import ALL_WEEKDAYS, Campaign, CampaignStatus
from aicall.campaigns.services import copy_settings

SAMPLE_OTP = "123456"


def _companion(campaign: Campaign) -> Campaign:
    companion = (
        Campaign.objects.select_for_update().filter(test_for=campaign).order_by("id").first()
    )
    if companion is None:
        companion = Campaign(owner_id=campaign.owner_id, test_for=campaign)
    copy_settings(campaign, companion)
    now = timezone.now()
    companion.name = f"{campaign.name} · test"[:200]
    companion.status = CampaignStatus.RUNNING
    companion.started_at = now
    companion.completed_at = None
    companion.calling_hours_start, companion.calling_hours_end = time(0, 0), time(0, 0)
    companion.calling_weekdays = ALL_WEEKDAYS
    companion.max_attempts = 1
    companion.webhook_url = ""
    companion.webhook_call_started = False
    companion.webhook_campaign_events = False
    companion.save()
    return companion


@transaction.atomic
def do_place_test_call(campaign: Campaign, contact: dict[str, Any]) -> Call:
    """Queue one test call of `campaign` to `contact["phone_number"]`; the dialer places it.

    `contact` is shaped like an imported contact (danh_xung, ho_ten, custom fields); a
    voice-OTP test reads `otp_code` (default 123456). CampaignError("phone_number") for a
    number the import would not accept.
    """
    contact = {k: v for k, v in contact.items() if v not in (None, "")}
    if campaign.is_voice_otp:
        contact.setdefault("otp_code", SAMPLE_OTP)
    companion = _companion(campaign)
    outcome = import_contacts(companion, [contact])
    if not outcome.call_ids:
        reasons = [reason for _index, reason in outcome.checked.skipped]
        if SkipReason.INVALID_OTP in reasons:
            raise CampaignError("otp_code", _("otp_code must be six digits, 000001 to 999999"))
        raise CampaignError("phone_number", _("not a valid Vietnamese phone number"))
    return Call.objects.get(pk=outcome.call_ids[0])


def find_test_call(campaign: Campaign, call_id: object) -> Call | None:
    """One of the campaign's test calls (scoped by the campaign, hence by its account)."""
    try:
        pk = int(str(call_id))
    except ValueError:
        return None
    return Call.objects.filter(pk=pk, campaign__test_for=campaign).first()
