"""The four original endpoints answer byte for byte as the contract says, whatever the
extensions add around them (Bearer tokens, Idempotency-Key, rate-limit headers, CSV)."""

from datetime import UTC, datetime

import jwt
import pytest
from django.conf import settings
from django.test import Client

from aicall.calls.models import Call
from aicall.campaigns.models import Campaign
from aicall.campaigns.services import do_create_campaign, do_stop_campaign
from tests.factories import finished_call

T0 = datetime(2020, 1, 31, 3, 0, 0, tzinfo=UTC)  # 10:00 in Vietnam


@pytest.fixture
def dataset(user, token):
    user.created_at = T0
    user.save(update_fields=["created_at"])
    campaign = do_create_campaign(
        user.pk, {"name": "Golden", "campaign_type": "ivr", "caller_id": "0281234567"}
    )
    Campaign.objects.filter(pk=campaign.pk).update(created_at=T0)
    calls = [
        finished_call(
            campaign, "+84901234567", T0.replace(minute=16, second=44), key_press="1 (29), 2 (35)"
        ),
        finished_call(campaign, "+84912345678", T0.replace(minute=20), state=50, note="USER BUSY"),
        finished_call(campaign, "+84931234567", T0.replace(minute=20), duration=3, key_press=""),
    ]
    otp = do_create_campaign(user.pk, {"name": "OTP", "campaign_type": "voice_otp"})
    do_stop_campaign(otp)
    return campaign, otp, [c.pk for c in calls]


def _calls_json(ids: list[int]) -> str:
    a, b, c = ids
    return (
        f'{{"call_id":{a},"caller_id":"0281234567","callee_id":"0901234567",'
        '"called_at":"2020-01-31 10:16:44","duration":8,"key_press":"1 (29), 2 (35)",'
        '"note":"NORMAL CLEARING","state":40},'
        f'{{"call_id":{b},"caller_id":"0281234567","callee_id":"0912345678",'
        '"called_at":"2020-01-31 10:20:00","duration":0,"key_press":"","note":"USER BUSY",'
        '"state":50},'
        f'{{"call_id":{c},"caller_id":"0281234567","callee_id":"0931234567",'
        '"called_at":"2020-01-31 10:20:00","duration":3,"key_press":"",'
        '"note":"NORMAL CLEARING","state":40}'
    )


BAD_TOKEN = (
    '{"status":0,"code":"401","message":"access token không chính xác. '
    'bạn không có quyền truy cập"}'
).encode()
BAD_CAMPAIGN = '{"status":0,"code":"01","message":"campaign_id không hợp lệ"}'.encode()
BAD_CONTACTS = '{"status":0,"code":"400","message":"contacts không đúng định dạng"}'.encode()
STOPPED = b'{"status":0,"code":"03","message":"The campaign stopped. Can not import data"}'
BAD_SECRET = '{"status":0,"code":"401","message":"secret_key không chính xác"}'.encode()


def _modes(token: str):
    """The same request, as an original client and as clients using the extensions."""
    yield "query", {"access_token": token}, {}
    yield "bearer", {}, {"Authorization": f"Bearer {token}"}
    yield "both", {"access_token": token}, {"Authorization": "Bearer not-a-token"}


def test_export_and_call_log_bodies(dataset, token):
    campaign, _, ids = dataset
    client = Client()
    full = f'{{"status":1,"results":{{"limit":10,"total":3,"calls":[{_calls_json(ids)}]}}}}'
    for _mode, params, headers in _modes(token):
        export = client.get(f"/api/campaigns/{campaign.pk}/export", params, headers=headers)
        assert (export.status_code, export.content) == (200, full.encode())
        log = client.get("/api/users/call-log", params, headers=headers)
        assert (log.status_code, log.content) == (200, full.encode())
        paged = client.get(
            "/api/users/call-log", {**params, "limit": "1", "offset": "1"}, headers=headers
        )
        middle = _calls_json(ids).split("},{")[1]
        expected = f'{{"status":1,"results":{{"limit":1,"total":3,"calls":[{{{middle}}}]}}}}'
        assert paged.content == expected.encode()
        window = {**params, "start_time": "1580440000000", "end_time": "1580440000001"}
        empty = client.get(f"/api/campaigns/{campaign.pk}/export", window, headers=headers)
        assert empty.content == b'{"status":1,"results":{"limit":10,"total":0,"calls":[]}}'
        assert export["Content-Type"] == "application/json; charset=utf-8"


def test_error_bodies(dataset, token, other_user):
    campaign, otp, _ = dataset
    foreign = do_create_campaign(other_user.pk, {"name": "x", "campaign_type": "ivr"})
    client = Client()
    for path in (f"/api/campaigns/{campaign.pk}/export", "/api/users/call-log"):
        response = client.get(path, {"access_token": "garbage"})
        assert (response.status_code, response.content) == (401, BAD_TOKEN)
    response = client.get(f"/api/campaigns/{foreign.pk}/export", {"access_token": token})
    assert (response.status_code, response.content) == (404, BAD_CAMPAIGN)
    post = f"/api/campaigns/{campaign.pk}/import?access_token={token}"
    response = client.post(post, b'{"contacts": 5}', content_type="application/json")
    assert (response.status_code, response.content) == (400, BAD_CONTACTS)
    response = client.post(
        f"/api/campaigns/{otp.pk}/import?access_token={token}",
        b'{"contacts": [{"phone_number": "0901234567", "otp_code": "123456"}]}',
        content_type="application/json",
        headers={"Idempotency-Key": "k-stopped"},
    )
    assert (response.status_code, response.content) == (409, STOPPED)
    response = client.get("/api/users/generate-access-token", {"secret_key": "nope"})
    assert (response.status_code, response.content) == (401, BAD_SECRET)


def test_generate_access_token_body(user):
    response = Client().get("/api/users/generate-access-token", {"secret_key": user.secret_key})
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["status", "results"] and list(body["results"]) == ["access_token"]
    token = body["results"]["access_token"]
    assert response.content == f'{{"status":1,"results":{{"access_token":"{token}"}}}}'.encode()
    claims = jwt.decode(token, settings.SECRET_KEY, algorithms=["HS256"])
    assert claims["user_id"] == user.pk and set(claims) == {"user_id", "sign", "iat", "exp"}


def test_import_body_with_and_without_extensions(dataset, token):
    campaign, _, _ = dataset
    client = Client()
    contacts = '[{"phone_number": "0987 654 321"}, {"phone_number": "bad"}]'
    bodies = []
    for n, (mode, params, headers) in enumerate(_modes(token)):
        extra = {"Idempotency-Key": f"key-{n}"} if mode != "query" else {}
        Call.objects.filter(phone_e164="+84987654321").delete()
        query = f"?access_token={params['access_token']}" if params else ""
        response = client.post(
            f"/api/campaigns/{campaign.pk}/import{query}",
            f'{{"contacts": {contacts}}}\t'.encode(),
            content_type="application/json",
            headers={**headers, **extra},
        )
        call_id = Call.objects.get(phone_e164="+84987654321").pk
        expected = (
            '{"status":1,"message":"Ghi nhận thành công 1 trên 2 bản ghi",'
            f'"results":[{{"phone_number":"0987 654 321","call_id":{call_id}}}]}}'
        )
        assert (response.status_code, response.content) == (200, expected.encode()), mode
        bodies.append(response.content)
    assert len(bodies) == 3
