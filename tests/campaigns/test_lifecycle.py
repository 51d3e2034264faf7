"""A campaign's life cycle: draft, scheduled, running, completed, stopped, archived; what it
waits for; duplicate, delete; test calls kept out of the campaign's own figures."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from aicall.calls.models import Call
from aicall.calls.queries import campaign_progress
from aicall.calls.services import import_contacts
from aicall.calls.test_calls import do_place_test_call, find_test_call
from aicall.campaigns.errors import CampaignError
from aicall.campaigns.models import Campaign
from aicall.campaigns.queries import campaign_for_owner, campaigns_of
from aicall.campaigns.services import (
    do_archive_campaign,
    do_create_campaign,
    do_delete_campaign,
    do_duplicate_campaign,
    do_restore_campaign,
    do_schedule_campaign,
    do_start_campaign,
    do_stop_campaign,
)
from aicall.dialer.campaign_state import (
    Waiting,
    activity,
    advance_campaigns,
    next_calling_moment,
)
from aicall.dialer.policy import VIETNAM
from tests.web.helpers import finish

pytestmark = pytest.mark.django_db


def vn(*args) -> datetime:
    return datetime(*args, tzinfo=VIETNAM)


def ivr(user, **extra) -> Campaign:
    return do_create_campaign(user.pk, {"name": "Nhắc lịch", "campaign_type": "ivr", **extra})


def test_a_new_campaign_is_a_draft_and_says_so(user):
    campaign = ivr(user)
    assert campaign.status == "draft"
    assert activity(campaign, campaign_progress(campaign.pk)).waiting == Waiting.DRAFT


def test_next_calling_moment_follows_hours_and_weekdays(user):
    campaign = ivr(user, calling_hours="08:00-17:00", calling_weekdays="01234")
    # Tuesday 2026-12-01 at 03:17: today at 08:00.
    assert next_calling_moment(campaign, vn(2026, 12, 1, 3, 17)) == vn(2026, 12, 1, 8, 0)
    # Inside the hours: now.
    assert next_calling_moment(campaign, vn(2026, 12, 1, 9, 30)) == vn(2026, 12, 1, 9, 30)
    # 17:00 is closed: Wednesday 08:00.
    assert next_calling_moment(campaign, vn(2026, 12, 1, 17, 0)) == vn(2026, 12, 2, 8, 0)
    # Friday evening: Monday morning (Saturday and Sunday are off).
    assert next_calling_moment(campaign, vn(2026, 12, 4, 18, 0)) == vn(2026, 12, 7, 8, 0)
    always = ivr(user, calling_hours="00:00-24:00")
    assert next_calling_moment(always, vn(2026, 12, 1, 3, 17)) == vn(2026, 12, 1, 3, 17)
    otp = do_create_campaign(user.pk, {"name": "otp", "campaign_type": "voice_otp"})
    assert next_calling_moment(otp, vn(2026, 12, 1, 3, 17)) == vn(2026, 12, 1, 3, 17)


def test_running_outside_calling_hours_says_when_the_first_calls_go_out(user):
    campaign = do_start_campaign(ivr(user))  # default hours 08:00-17:00, every day
    import_contacts(campaign, [{"phone_number": f"090123456{n}"} for n in range(3)])
    night = vn(2026, 12, 1, 3, 17)
    current = activity(campaign, campaign_progress(campaign.pk), night)
    assert current.waiting == Waiting.CALLING_HOURS
    assert current.next_call_at == vn(2026, 12, 1, 8, 0)


def test_running_without_contacts_and_with_only_retries_left(user):
    campaign = do_start_campaign(ivr(user, calling_hours="00:00-24:00"))
    assert activity(campaign, campaign_progress(campaign.pk)).waiting == Waiting.NO_CONTACTS
    import_contacts(campaign, [{"phone_number": "0901234567"}])
    later = timezone.now() + timedelta(minutes=5)
    Call.objects.update(due_at=later)
    current = activity(campaign, campaign_progress(campaign.pk))
    assert current.waiting == Waiting.RETRY_LATER and current.next_call_at == later


def test_no_dialer_running_is_a_reason_too(user):
    campaign = do_start_campaign(ivr(user, calling_hours="00:00-24:00"))
    import_contacts(campaign, [{"phone_number": "0901234567"}])
    assert activity(campaign, campaign_progress(campaign.pk)).waiting == Waiting.NO_DIALER


def test_scheduled_start_waits_then_runs(user):
    campaign = ivr(user, calling_hours="00:00-24:00")
    with pytest.raises(CampaignError):
        do_schedule_campaign(campaign, timezone.now() - timedelta(minutes=1))
    start = timezone.now() + timedelta(hours=2)
    do_schedule_campaign(campaign, start)
    campaign.refresh_from_db()
    assert campaign.status == "scheduled" and campaign.scheduled_start_at == start
    current = activity(campaign, campaign_progress(campaign.pk))
    assert current.waiting == Waiting.SCHEDULED and current.next_call_at == start
    assert advance_campaigns(timezone.now())["started"] == 0
    assert Campaign.objects.get(pk=campaign.pk).status == "scheduled"
    assert advance_campaigns(start + timedelta(seconds=1))["started"] == 1
    assert Campaign.objects.get(pk=campaign.pk).status == "running"


def test_scheduled_at_night_first_calls_at_opening(user):
    campaign = ivr(user)  # 08:00-17:00
    tomorrow_night = timezone.localtime() + timedelta(days=1)
    start = tomorrow_night.replace(hour=3, minute=17, second=0, microsecond=0)
    do_schedule_campaign(campaign, start)
    current = activity(campaign, campaign_progress(campaign.pk))
    assert current.next_call_at == start.replace(hour=8, minute=0)


def test_completed_when_nothing_is_left_and_reopened_by_an_import(user):
    campaign = do_start_campaign(ivr(user))
    ids = import_contacts(campaign, [{"phone_number": f"090123456{n}"} for n in range(2)]).call_ids
    now = timezone.now()
    advance_campaigns(now)
    assert Campaign.objects.get(pk=campaign.pk).status == "running"  # calls still queued
    for call in Call.objects.filter(pk__in=ids):
        finish(call, state=40, cause="NORMAL CLEARING")
    assert advance_campaigns(now)["completed"] == 1
    campaign.refresh_from_db()
    assert campaign.status == "completed" and campaign.completed_at == now
    assert activity(campaign, campaign_progress(campaign.pk)).waiting == Waiting.COMPLETED
    import_contacts(campaign, [{"phone_number": "0912345678"}])
    campaign.refresh_from_db()
    assert campaign.status == "running" and campaign.completed_at is None


def test_a_completion_racing_an_import_is_undone(user):
    campaign = do_start_campaign(ivr(user))
    import_contacts(campaign, [{"phone_number": "0901234567"}])
    # As if the completion had committed just before the import's calls became visible.
    Campaign.objects.filter(pk=campaign.pk).update(status="completed", completed_at=timezone.now())
    assert advance_campaigns(timezone.now())["reopened"] == 1
    assert Campaign.objects.get(pk=campaign.pk).status == "running"


def test_otp_empty_and_stopped_campaigns_never_complete(user):
    otp = do_start_campaign(
        do_create_campaign(user.pk, {"name": "o", "campaign_type": "voice_otp"})
    )
    import_contacts(otp, [{"phone_number": "0901234567", "otp_code": "123456"}])
    finish(Call.objects.get(campaign=otp), state=40, cause="NORMAL CLEARING")
    empty = do_start_campaign(ivr(user))
    stopped = do_start_campaign(ivr(user))
    import_contacts(stopped, [{"phone_number": "0901234568"}])
    finish(Call.objects.get(campaign=stopped), state=50, cause="USER BUSY")
    do_stop_campaign(stopped)
    assert advance_campaigns(timezone.now())["completed"] == 0
    statuses = dict(Campaign.objects.values_list("id", "status"))
    assert statuses == {otp.pk: "running", empty.pk: "running", stopped.pk: "stopped"}


def test_stop_only_stops_what_runs(user):
    draft = ivr(user)
    assert do_stop_campaign(draft).status == "draft"
    scheduled = do_schedule_campaign(ivr(user), timezone.now() + timedelta(hours=1))
    do_stop_campaign(scheduled)
    scheduled.refresh_from_db()
    assert scheduled.status == "stopped" and scheduled.scheduled_start_at is None


def test_archive_and_restore(user):
    never_ran, ran = ivr(user), do_start_campaign(ivr(user))
    for campaign in (never_ran, ran):
        do_archive_campaign(campaign)
        campaign.refresh_from_db()
        assert campaign.status == "archived" and campaign.archived_at is not None
    assert do_restore_campaign(never_ran).status == "draft"
    assert do_restore_campaign(ran).status == "stopped"
    assert Campaign.objects.get(pk=ran.pk).archived_at is None


def test_duplicate_copies_every_setting_but_no_contacts(user):
    source = ivr(
        user,
        script="Xin chào {ho_ten}",
        calling_hours="07:30-20:00",
        max_attempts=3,
        ivr_menu={"prompt": "Bấm 1", "keys": {"1": {"action": "hangup"}}},
        webhook_url="https://example.com/hook",
    )
    do_start_campaign(source)
    import_contacts(source, [{"phone_number": "0901234567"}])
    copy = do_duplicate_campaign(source, "Nhắc lịch (bản sao)")
    assert copy.pk != source.pk and copy.name == "Nhắc lịch (bản sao)"
    assert copy.status == "draft" and copy.started_at is None
    for field in ("script", "calling_hours_start", "calling_hours_end", "max_attempts"):
        assert getattr(copy, field) == getattr(source, field), field
    assert copy.ivr_menu == source.ivr_menu and copy.webhook_url == source.webhook_url
    assert copy.webhook_secret and copy.webhook_secret != source.webhook_secret
    assert campaign_progress(copy.pk)["total"] == 0


def test_delete_only_without_contacts(user):
    empty = ivr(user)
    do_delete_campaign(empty)
    assert not Campaign.objects.filter(pk=empty.pk).exists()
    used = ivr(user)
    import_contacts(used, [{"phone_number": "0901234567"}])
    with pytest.raises(CampaignError):
        do_delete_campaign(used)
    assert Campaign.objects.filter(pk=used.pk).exists()


def test_a_test_call_is_queued_outside_the_campaigns_figures(user):
    campaign = ivr(
        user, script="Xin chào {ho_ten}", caller_id="0281234567", webhook_url="https://e.com/h"
    )
    call = do_place_test_call(campaign, {"phone_number": "0901234567", "ho_ten": "Tôi"})
    assert call.status == "queued" and call.ho_ten == "Tôi"
    companion = call.campaign
    assert companion.test_for_id == campaign.pk and companion.status == "running"
    # The real path: the campaign's settings, but at any hour, once, and no webhook.
    assert companion.script == campaign.script and companion.caller_id == "0281234567"
    assert companion.webhook_url == "" and companion.max_attempts == 1
    assert next_calling_moment(companion, vn(2026, 12, 1, 3, 17)) == vn(2026, 12, 1, 3, 17)
    # Not a contact of the campaign, not a campaign of the account.
    assert campaign_progress(campaign.pk)["total"] == 0
    assert list(campaigns_of(user.pk)) == [campaign]
    assert campaign_for_owner(user.pk, companion.pk) is None
    assert find_test_call(campaign, call.pk) == call
    # A second test reuses the companion, with the campaign's settings of now.
    campaign.script = "Chào {ho_ten}"
    campaign.save()
    again = do_place_test_call(campaign, {"phone_number": "0901234568"})
    assert again.campaign_id == companion.pk
    assert Campaign.objects.get(pk=companion.pk).script == "Chào {ho_ten}"
    # Deleting the (contact-less) campaign takes its test calls with it.
    do_delete_campaign(campaign)
    assert not Call.objects.exists() and not Campaign.objects.exists()


def test_a_test_call_refuses_a_bad_number_and_fills_an_otp(user, other_user):
    campaign = ivr(user)
    with pytest.raises(CampaignError) as error:
        do_place_test_call(campaign, {"phone_number": "12345"})
    assert error.value.field == "phone_number"
    otp = do_create_campaign(user.pk, {"name": "o", "campaign_type": "voice_otp"})
    call = do_place_test_call(otp, {"phone_number": "0901234567"})
    assert call.otp_code == "123456"
    with pytest.raises(CampaignError) as error:
        do_place_test_call(otp, {"phone_number": "0901234567", "otp_code": "12"})
    assert error.value.field == "otp_code"
    other = do_create_campaign(other_user.pk, {"name": "x", "campaign_type": "ivr"})
    assert find_test_call(other, call.pk) is None


def test_campaign_status_webhook_events_when_asked_for(user):
    from aicall.webhooks.models import WebhookDelivery

    quiet = do_start_campaign(ivr(user, webhook_url="https://e.com/h"))  # not asked for
    campaign = ivr(user, webhook_url="https://e.com/h", webhook_campaign_events=True)
    do_start_campaign(campaign)
    import_contacts(campaign, [{"phone_number": "0901234567"}])
    finish(Call.objects.get(campaign=campaign), state=40, cause="NORMAL CLEARING")
    now = timezone.now()
    advance_campaigns(now)
    do_archive_campaign(Campaign.objects.get(pk=campaign.pk))
    events = list(
        WebhookDelivery.objects.filter(campaign=campaign).order_by("id").values_list("payload")
    )
    changes = [(e["data"]["previous_status"], e["data"]["status"]) for (e,) in events]
    assert changes == [("draft", "running"), ("running", "completed"), ("completed", "archived")]
    first = events[0][0]
    assert first["event"] == "campaign.status" and first["data"]["campaign_id"] == campaign.pk
    assert re_time(first["data"]["changed_at"])
    assert not WebhookDelivery.objects.filter(campaign=quiet).exists()
    assert WebhookDelivery.objects.filter(call__isnull=True).count() == 3


def re_time(text: str) -> bool:
    import re

    return re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", text) is not None
