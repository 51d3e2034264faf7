"""The whole path: API import -> dialer -> SIP carrier -> SIPp phones -> export API."""

import pytest

from aicall.accounts.callerids import do_verify_caller_id
from aicall.campaigns.services import do_create_campaign, do_start_campaign
from aicall.telephony.services import do_add_trunk
from aicall.telephony.sip.carrier import SipCarrier
from tests.dialer.conftest import settled, wait_until

pytestmark = [pytest.mark.sip, pytest.mark.django_db(transaction=True)]


def test_dialer_places_real_calls_and_the_export_shows_keys(api, token, user, sipp, harness):
    callee = sipp("answer_press1.xml", calls=2)
    busy = sipp("busy_486.xml")
    do_add_trunk({"name": "sipp", "proxy": callee.proxy, "caller_id": "02873001234"})
    busy_trunk = do_add_trunk({"name": "busy", "proxy": busy.proxy})
    campaign = do_create_campaign(
        user.pk,
        {
            "name": "Xác nhận đơn",
            "campaign_type": "ivr",
            "script": "Xin chào {danh_xung} {ho_ten}, đơn hàng của quý khách đã sẵn sàng.",
            "calling_hours": "00:00-24:00",
            "ivr_menu": {
                "prompt": "Bấm phím 1 để xác nhận",
                "timeout_seconds": 5,
                "keys": {
                    "1": {"action": "message", "message": "Cảm ơn quý khách, hẹn gặp lại"},
                },
            },
        },
    )
    contacts = [
        {"phone_number": "0901234561", "danh_xung": "chị", "ho_ten": "Lan"},
        {"phone_number": "0901234562", "danh_xung": "anh", "ho_ten": "Minh"},
    ]
    status, _ = api.post(
        f"/api/campaigns/{campaign.pk}/import", {"access_token": token, "contacts": contacts}
    )
    assert status == 200
    do_start_campaign(campaign)
    # A second campaign on its own trunk, whose phone is busy.
    busy_campaign = do_create_campaign(
        user.pk,
        {
            "name": "Nhắc lịch",
            "campaign_type": "ivr",
            "caller_id": "0281234567",
            "script": "Xin chào",
            "calling_hours": "00:00-24:00",
        },
    )
    busy_campaign.trunk = busy_trunk
    busy_campaign.save()
    status, _ = api.post(
        f"/api/campaigns/{busy_campaign.pk}/import",
        {"access_token": token, "contacts": [{"phone_number": "0901234563"}]},
    )
    assert status == 200
    do_start_campaign(busy_campaign)
    h = harness(SipCarrier(bind_address="127.0.0.1"))
    wait_until(settled(campaign), timeout=60)
    wait_until(settled(busy_campaign), timeout=30)
    h.stop()
    assert callee.proc.wait(10) == 0, callee.errors()
    assert busy.proc.wait(10) == 0, busy.errors()

    status, body = api.get(f"/api/campaigns/{campaign.pk}/export", access_token=token, limit=10)
    assert status == 200 and body["results"]["total"] == 2
    for call in body["results"]["calls"]:
        assert (call["state"], call["note"]) == (40, "NORMAL CLEARING")
        assert call["caller_id"] == "02873001234"
        assert call["key_press"] in ("1 (0)", "1 (1)")  # SIPp presses 1 right after answering
        assert 2 <= call["duration"] <= 8

    status, body = api.get(
        f"/api/campaigns/{busy_campaign.pk}/export", access_token=token, limit=10
    )
    assert status == 200
    [call] = body["results"]["calls"]
    assert (call["state"], call["note"], call["duration"], call["key_press"]) == (
        50,
        "USER BUSY",
        0,
        "",
    )
    assert call["caller_id"] == "0281234567"


def test_voice_otp_campaign_end_to_end_keeps_the_code_out_of_the_logs(
    api,
    token,
    user,
    sipp,
    harness,
    caplog,  # noqa: F811
):
    import logging

    caplog.set_level(logging.DEBUG)
    callee = sipp("callee_hangup.xml")  # answers, listens 5 s, hangs up
    do_add_trunk({"name": "otp", "proxy": callee.proxy, "caller_id": "02873001234"})
    campaign = do_create_campaign(
        user.pk,
        {
            "name": "OTP",
            "campaign_type": "voice_otp",
            "caller_id": "02873001234",
            "calling_hours": "00:00-24:00",
            "otp_repeat_count": 1,
        },
        start=True,  # a voice-OTP campaign takes contacts only while it runs
    )
    status, body = api.post(
        f"/api/campaigns/{campaign.pk}/import",
        {
            "access_token": token,
            "contacts": [{"phone_number": "0901234564", "otp_code": "730416"}],
        },
    )
    assert status == 200
    h = harness(SipCarrier(bind_address="127.0.0.1"))
    wait_until(settled(campaign), timeout=40)
    h.stop()
    assert callee.proc.wait(10) == 0, callee.errors()
    status, body = api.get(f"/api/campaigns/{campaign.pk}/export", access_token=token, limit=10)
    [call] = body["results"]["calls"]
    assert (call["state"], call["note"], call["key_press"]) == (40, "NORMAL CLEARING", "")
    assert call["duration"] == 5
    assert "730416" not in caplog.text


def test_dialer_records_a_g722_answer_as_incompatible_and_follows_a_302(
    api, token, user, sipp, harness, tmp_path
):
    from aicall.calls.models import Call
    from aicall.webhooks.models import WebhookDelivery
    from tests.sip.harness import scenario_with

    g722 = sipp("g722_only.xml")
    target = sipp("redirect_target.xml")  # checks it is asked for 0901234567
    redirecting = sipp(
        scenario_with("redirect.xml", tmp_path, code=302),
        keys={"target": f"sip:0901234567@127.0.0.1:{target.port}"},
    )
    g722_trunk = do_add_trunk({"name": "g722", "proxy": g722.proxy})
    redirect_trunk = do_add_trunk({"name": "redirect", "proxy": redirecting.proxy})
    campaigns = _one_call_campaigns(
        api,
        token,
        user,
        [(g722_trunk, "0901234565"), (redirect_trunk, "0901234566")],
        webhook_url="https://hooks.example.com/aicall",
        webhook_call_started=True,
    )
    h = harness(SipCarrier(bind_address="127.0.0.1"))
    for campaign in campaigns:
        wait_until(settled(campaign), timeout=40)
    h.stop()
    for callee in (g722, target, redirecting):
        assert callee.proc.wait(10) == 0, callee.errors()

    exported = _exported_calls(api, token, campaigns)
    incompatible, redirected = exported
    assert (incompatible["state"], incompatible["note"], incompatible["duration"]) == (
        50,
        "INCOMPATIBLE DESTINATION",
        0,
    )
    assert (redirected["state"], redirected["note"]) == (40, "NORMAL CLEARING")
    assert Call.objects.get(pk=incompatible["call_id"]).sip_code == 488
    events = set(
        WebhookDelivery.objects.filter(campaign__in=campaigns).values_list("call_id", "event")
    )
    assert events == {
        (incompatible["call_id"], "call.finished"),
        (redirected["call_id"], "call.started"),
        (redirected["call_id"], "call.finished"),
    }


def test_dialer_sends_the_stored_trunks_identity_and_ends_silent_calls(
    api, token, user, sipp, harness
):
    checking = sipp("identity_check.xml")  # regex-checks From, PAI, Privacy, X-Account-Code
    silent = sipp("silent_answer.xml")  # answers, never sends RTP
    identity_trunk = do_add_trunk(
        {
            "name": "identity",
            "proxy": checking.proxy,
            "caller_id_format": "e164",
            "display_name": "Shop ABC",
            "send_pai": True,
            "privacy": "id",
            "extra_headers": {"X-Account-Code": "acme-42"},
        }
    )
    silent_trunk = do_add_trunk(
        {"name": "silent", "proxy": silent.proxy, "media_timeout_seconds": 5}
    )
    campaigns = _one_call_campaigns(
        api,
        token,
        user,
        [(identity_trunk, "0901234567"), (silent_trunk, "0901234568")],
        ivr_menu={"timeout_seconds": 30, "keys": {"1": {"action": "hangup"}}},
    )
    h = harness(SipCarrier(bind_address="127.0.0.1"))
    for campaign in campaigns:
        wait_until(settled(campaign), timeout=40)
    h.stop()
    assert checking.proc.wait(10) == 0, checking.errors()
    assert silent.proc.wait(10) == 0, silent.errors()  # it got our BYE
    notes = [(c["state"], c["note"], c["duration"]) for c in _exported_calls(api, token, campaigns)]
    busy, timed_out = notes
    assert busy == (50, "USER BUSY", 0)
    assert timed_out[:2] == (40, "MEDIA TIMEOUT") and 5 <= timed_out[2] <= 7


def _one_call_campaigns(api, token, user, trunks_and_numbers, **settings) -> list:
    """A started ivr campaign per (trunk, number), one contact each, imported by the API."""
    # The trunks here have no caller ID of their own: the operator verified the number.
    do_verify_caller_id(user.pk, "02873001234", "test trunks")
    campaigns = []
    for trunk, number in trunks_and_numbers:
        campaign = do_create_campaign(
            user.pk,
            {
                "name": f"Trunk {trunk.name}",
                "campaign_type": "ivr",
                "caller_id": "02873001234",
                "script": "Xin chào",
                "calling_hours": "00:00-24:00",
                "max_attempts": 1,
                **settings,
            },
        )
        campaign.trunk = trunk
        campaign.save()
        status, _ = api.post(
            f"/api/campaigns/{campaign.pk}/import",
            {"access_token": token, "contacts": [{"phone_number": number}]},
        )
        assert status == 200
        do_start_campaign(campaign)
        campaigns.append(campaign)
    return campaigns


def _exported_calls(api, token, campaigns) -> list[dict]:
    calls = []
    for campaign in campaigns:
        status, body = api.get(f"/api/campaigns/{campaign.pk}/export", access_token=token, limit=10)
        assert status == 200
        [call] = body["results"]["calls"]
        calls.append(call)
    return calls
