from datetime import UTC, datetime, timedelta

import pytest

from aicall.api.responses import MSG_BAD_CAMPAIGN
from aicall.calls.models import Call, CallStatus
from aicall.campaigns.services import do_create_campaign


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def make_call(campaign, phone, *, called_at, state=40, status=CallStatus.DONE, **fields):
    return Call.objects.create(
        campaign=campaign,
        owner_id=campaign.owner_id,
        phone_e164=phone,
        phone_as_sent=phone,
        status=status,
        state=state,
        called_at=called_at,
        caller_id="0281234567",
        **fields,
    )


@pytest.fixture
def t0():
    return datetime(2026, 1, 31, 3, 16, 44, tzinfo=UTC)  # 10:16:44 in Vietnam


@pytest.fixture
def finished(ivr_campaign, t0):
    ivr_campaign.created_at = t0 - timedelta(days=1)
    ivr_campaign.save()
    a = make_call(
        ivr_campaign,
        "+84901234567",
        called_at=t0,
        duration_seconds=8,
        key_press="1 (29)",
        key_presses=[["1", 29]],
        hangup_cause="NORMAL CLEARING",
    )
    b = make_call(
        ivr_campaign,
        "+84901234568",
        called_at=t0 + timedelta(minutes=1),
        state=50,
        hangup_cause="USER BUSY",
    )
    # Same second as b: ties go by call_id.
    c = make_call(
        ivr_campaign,
        "+84901234569",
        called_at=t0 + timedelta(minutes=1),
        hangup_cause="NORMAL CLEARING",
        duration_seconds=3,
    )
    make_call(ivr_campaign, "+84901234560", called_at=None, state=None, status=CallStatus.QUEUED)
    make_call(ivr_campaign, "+84901234561", called_at=t0, state=None, status=CallStatus.DIALING)
    return [a, b, c]


def export(api, campaign, **params):
    return api.get(f"/api/campaigns/{campaign.pk}/export", **params)


def test_export_shape_matches_the_contract(api, token, ivr_campaign, finished):
    status, body = export(api, ivr_campaign, access_token=token)
    assert status == 200
    assert body["status"] == 1
    assert body["results"]["limit"] == 10 and body["results"]["total"] == 3
    assert body["results"]["calls"][0] == {
        "call_id": finished[0].pk,
        "caller_id": "0281234567",
        "callee_id": "0901234567",
        "called_at": "2026-01-31 10:16:44",
        "duration": 8,
        "key_press": "1 (29)",
        "note": "NORMAL CLEARING",
        "state": 40,
    }
    assert [c["call_id"] for c in body["results"]["calls"]] == [f.pk for f in finished]
    assert body["results"]["calls"][1]["key_press"] == ""


def test_export_paging_and_time_range(api, token, ivr_campaign, finished, t0):
    _, body = export(api, ivr_campaign, access_token=token, limit=1, offset=1)
    assert body["results"]["limit"] == 1 and body["results"]["total"] == 3
    assert [c["call_id"] for c in body["results"]["calls"]] == [finished[1].pk]
    _, body = export(
        api, ivr_campaign, access_token=token, start_time=_ms(t0 + timedelta(seconds=30))
    )
    assert [c["call_id"] for c in body["results"]["calls"]] == [finished[1].pk, finished[2].pk]
    _, body = export(api, ivr_campaign, access_token=token, end_time=_ms(t0))
    assert [c["call_id"] for c in body["results"]["calls"]] == [finished[0].pk]
    _, body = export(api, ivr_campaign, access_token=token, offset=5)
    assert body["results"]["total"] == 3 and body["results"]["calls"] == []


def test_bad_paging_numbers_fall_back_to_defaults_and_limit_is_capped(
    api, token, ivr_campaign, finished
):
    for params in (
        {"limit": "abc"},
        {"limit": "-5"},
        {"limit": "0"},
        {"offset": "x"},
        {"start_time": "yesterday"},
        {"end_time": "1e99"},
        {"offset": "-1"},
    ):
        status, body = export(api, ivr_campaign, access_token=token, **params)
        assert status == 200, params
        assert body["results"]["limit"] == 10 and len(body["results"]["calls"]) == 3, params
    _, body = export(api, ivr_campaign, access_token=token, limit=5000)
    assert body["results"]["limit"] == 1000


def test_default_start_is_campaign_creation(api, token, ivr_campaign, finished, t0):
    ivr_campaign.created_at = t0 + timedelta(seconds=30)
    ivr_campaign.save()
    _, body = export(api, ivr_campaign, access_token=token)
    assert body["results"]["total"] == 2


def test_export_of_another_accounts_campaign_is_01(api, other_user, finished, ivr_campaign):
    from aicall.accounts.tokens import mint_access_token

    other_token = mint_access_token(other_user)
    expected = (404, {"status": 0, "code": "01", "message": MSG_BAD_CAMPAIGN})
    assert export(api, ivr_campaign, access_token=other_token) == expected
    status, body = api.get("/api/users/call-log", access_token=other_token)
    assert status == 200 and body["results"]["total"] == 0 and body["results"]["calls"] == []


def test_call_log_spans_all_campaigns_of_the_account_only(
    api, token, user, other_user, ivr_campaign, finished, t0
):
    second = do_create_campaign(user.pk, {"name": "second", "campaign_type": "ivr"})
    extra = make_call(
        second,
        "+84911111111",
        called_at=t0 + timedelta(hours=1),
        hangup_cause="NO ANSWER",
        state=50,
    )
    theirs = do_create_campaign(other_user.pk, {"name": "theirs", "campaign_type": "ivr"})
    make_call(theirs, "+84922222222", called_at=t0)
    user.created_at = t0 - timedelta(days=1)
    user.save()
    status, body = api.get("/api/users/call-log", access_token=token, limit=100)
    assert status == 200
    assert body["results"]["total"] == 4
    assert body["results"]["limit"] == 100
    ids = [c["call_id"] for c in body["results"]["calls"]]
    assert ids == [finished[0].pk, finished[1].pk, finished[2].pk, extra.pk]
