"""The command line sets every dialer rule, and manages the do-not-call list."""

import json
from datetime import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from aicall.calls.models import DoNotCall
from aicall.campaigns.models import Campaign


def run(capsys, *args) -> object:
    call_command(*args)
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


@pytest.mark.django_db
def test_campaign_create_and_update_set_every_dialer_setting(user, capsys):
    created = run(
        capsys,
        "campaign",
        "create",
        "--email",
        user.email,
        "--type",
        "ivr",
        "--name",
        "Nhắc hẹn",
        "--calling-hours",
        "00:00-24:00",
        "--weekdays",
        "0123456",
        "--max-concurrent",
        "7",
        "--max-attempts",
        "3",
        "--retry-interval",
        "120",
        "--ring-timeout",
        "30",
        "--caller-id",
        "0281234567",
        "--start",
    )
    campaign = Campaign.objects.get(pk=created["campaign_id"])
    assert (campaign.calling_hours_start, campaign.calling_hours_end) == (time(0), time(0))
    assert campaign.calling_weekdays == "0123456"
    assert (campaign.max_concurrent_calls, campaign.max_attempts) == (7, 3)
    assert (campaign.retry_interval_seconds, campaign.ring_timeout_seconds) == (120, 30)
    assert campaign.status == "running"
    run(
        capsys,
        "campaign",
        "update",
        str(campaign.pk),
        "--calling-hours",
        "08:30-17:30",
        "--weekdays",
        "01234",
        "--otp-expiry",
        "120",
    )
    campaign.refresh_from_db()
    assert (campaign.calling_hours_start, campaign.calling_hours_end) == (time(8, 30), time(17, 30))
    assert campaign.calling_weekdays == "01234" and campaign.otp_expiry_seconds == 120
    assert run(capsys, "campaign", "stop", str(campaign.pk))["status"] == "stopped"
    with pytest.raises(CommandError):
        call_command("campaign", "update", str(campaign.pk), "--calling-hours", "17:00-08:00")
    with pytest.raises(CommandError):
        call_command("campaign", "update", str(campaign.pk), "--max-attempts", "0")


@pytest.mark.django_db
def test_dnc_add_list_remove(user, other_user, capsys):
    out = run(capsys, "dnc", "add", "--email", user.email, "0901 234 567", "+84912345678")
    assert out == {"action": "add", "changed": 2, "invalid": []}
    assert run(capsys, "dnc", "list", "--email", user.email) == [
        {"phone_number": "0901234567", "note": ""},
        {"phone_number": "0912345678", "note": ""},
    ]
    assert run(capsys, "dnc", "list", "--email", other_user.email) == []
    assert run(capsys, "dnc", "remove", "--email", user.email, "0901234567")["changed"] == 1
    assert list(DoNotCall.objects.values_list("phone_e164", flat=True)) == ["+84912345678"]
    with pytest.raises(CommandError):
        call_command("dnc", "add", "--email", user.email, "12345")
    with pytest.raises(CommandError):
        call_command("dnc", "list", "--email", "nobody@example.com")
