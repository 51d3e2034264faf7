"""What a running campaign waits for when its SIP trunk stops answering, and where its
status changes go: the website says "waiting for the trunk" (in the reader's language)
while the dialer holds the trunk down, and no longer once a probe brings it back; a
campaign made on the website sends its status changes to its webhook unless its owner
unticks the box, while one made over the API only when asked."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from aicall.calls.services import import_contacts
from aicall.campaigns.models import Campaign
from aicall.campaigns.services import do_create_campaign, do_start_campaign
from aicall.dialer.models import DialerProcess
from aicall.telephony.base import RECOVERY_ON_TIMER_EXPIRE, CallOutcome
from aicall.telephony.edge.status import TrunkStatus
from aicall.telephony.health import TrunkTally, do_record_probe, record_trunk_outcomes
from aicall.telephony.models import Trunk, TrunkHealth
from aicall.telephony.services import do_add_trunk, do_record_edge_status
from aicall.webhooks.models import WebhookDelivery
from aicall.webhooks.outbox import CAMPAIGN_STATUS
from tests.web.test_campaigns import form_data

TIMEOUT = CallOutcome(answered=False, hangup_cause=RECOVERY_ON_TIMER_EXPIRE, sip_code=408)
WAITING_VI = "Đang chờ đường trung kế"
WAITING_EN = "Waiting for the trunk"


@pytest.fixture
def trunk_campaign(user, monkeypatch):
    """A running campaign whose calls go out over a SIP trunk, with contacts queued and a
    dialer alive (so the only thing it can wait for is the trunk)."""
    monkeypatch.setitem(settings.AICALL, "TELEPHONY", "auto")
    trunk = do_add_trunk({"name": "carrier", "proxy": "sip:192.0.2.10:5060"})
    campaign = do_create_campaign(
        user.pk,
        {"name": "Nhắc lịch", "campaign_type": "ivr", "calling_hours": "00:00-24:00"},
        start=True,
    )
    import_contacts(campaign, [{"phone_number": f"090123456{i}"} for i in range(3)])
    now = timezone.now()
    DialerProcess.objects.create(name="web-test", hostname="test", pid=1, heartbeat_at=now)
    return campaign, trunk


def _shown(client, campaign) -> str:
    pages = [
        reverse("web:campaign", args=[campaign.pk]),
        reverse("web:campaign_progress", args=[campaign.pk]),
        reverse("web:campaign_rows"),
    ]
    return "\n".join(client.get(page).text for page in pages)


def _time_out_calls(trunk: Trunk, count: int) -> None:
    """What the dialer records after `count` calls in a row timed out on the trunk."""
    tally = TrunkTally()
    for _ in range(count):
        tally.add(TIMEOUT)
    record_trunk_outcomes({trunk.pk: tally}, timezone.now(), down_after=3)


def _edge_reports(trunk: Trunk, health: str) -> None:
    """What the dialer stores when the SIP edge's OPTIONS probing reports the trunk."""
    do_record_edge_status({trunk.pk: TrunkStatus(targets={trunk.proxy: health})})


def _assert_waiting_shown(web, campaign) -> None:
    shown = _shown(web, campaign)
    assert shown.count(WAITING_VI) == 3  # campaign page, its live panel, the list
    assert WAITING_EN not in shown
    web.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert _shown(web, campaign).count(WAITING_EN) == 3
    web.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"


def test_waiting_for_the_trunk_while_calls_time_out_without_the_edge(
    web, trunk_campaign, monkeypatch
):
    monkeypatch.setitem(settings.AICALL, "SIP_EDGE", "direct")  # the dialer counts timeouts
    campaign, trunk = trunk_campaign
    assert WAITING_VI not in _shown(web, campaign)  # up: nothing to wait for

    _time_out_calls(trunk, 2)  # not yet down
    assert WAITING_VI not in _shown(web, campaign)
    _time_out_calls(trunk, 1)
    trunk.refresh_from_db()
    assert trunk.health == TrunkHealth.DOWN
    _assert_waiting_shown(web, campaign)

    assert do_record_probe(trunk.pk, up=True, result="200 OK", now=timezone.now())
    shown = _shown(web, campaign)
    assert WAITING_VI not in shown and WAITING_EN not in shown


def test_waiting_for_the_trunk_while_the_edge_finds_no_target_up(web, trunk_campaign):
    campaign, trunk = trunk_campaign
    _edge_reports(trunk, "up")
    assert WAITING_VI not in _shown(web, campaign)
    _edge_reports(trunk, "down")
    trunk.refresh_from_db()
    assert trunk.health == TrunkHealth.DOWN
    _assert_waiting_shown(web, campaign)

    _edge_reports(trunk, "up")
    shown = _shown(web, campaign)
    assert WAITING_VI not in shown and WAITING_EN not in shown


def test_a_503_pause_is_waiting_for_the_trunk_until_it_ends(web, trunk_campaign):
    campaign, trunk = trunk_campaign
    Trunk.objects.filter(pk=trunk.pk).update(paused_until_at=timezone.now() + timedelta(hours=1))
    assert WAITING_VI in _shown(web, campaign)
    Trunk.objects.filter(pk=trunk.pk).update(paused_until_at=timezone.now() - timedelta(seconds=1))
    assert WAITING_VI not in _shown(web, campaign)


def _status_events(campaign: Campaign) -> list[str]:
    return [
        d.payload["data"]["status"]
        for d in WebhookDelivery.objects.filter(campaign=campaign, event=CAMPAIGN_STATUS).order_by(
            "pk"
        )
    ]


def test_a_campaign_made_on_the_website_sends_its_status_changes_by_default(web, user):
    form = web.get(reverse("web:campaign_create")).text
    box = form.split('name="webhook_campaign_events"')[1].split(">")[0]
    assert "checked" in box
    # a browser sends a ticked box as "on"
    data = form_data(webhook_url="https://hooks.example.com/x", webhook_campaign_events="on")
    assert web.post(reverse("web:campaign_create"), data).status_code == 302
    campaign = Campaign.objects.get(owner=user)
    assert campaign.webhook_campaign_events
    web.post(reverse("web:campaign_start", args=[campaign.pk]), {"confirm": "1"})
    web.post(reverse("web:campaign_stop", args=[campaign.pk]))
    assert _status_events(campaign) == ["running", "stopped"]


def test_unticked_it_sends_none_and_an_api_campaign_only_when_asked(web, user):
    data = form_data(webhook_url="https://hooks.example.com/x", name="Không báo")
    assert web.post(reverse("web:campaign_create"), data).status_code == 302
    unticked = Campaign.objects.get(owner=user, name="Không báo")
    assert not unticked.webhook_campaign_events
    do_start_campaign(unticked)
    assert _status_events(unticked) == []

    api_made = do_create_campaign(
        user.pk,
        {"name": "api", "campaign_type": "ivr", "webhook_url": "https://hooks.example.com/y"},
    )
    assert not api_made.webhook_campaign_events
    do_start_campaign(api_made)
    assert _status_events(api_made) == []
