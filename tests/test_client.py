"""aicall.client against the real API (in-process WSGI transport, no network)."""

import csv
import io

import httpx
import pytest
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections

from aicall.accounts.services import do_rotate_secret_key
from aicall.calls.models import Call
from aicall.client import ApiError, Client


@pytest.fixture
def client(user):
    # As Django's own test client does: requests must not close the test's connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    transport = httpx.WSGITransport(app=get_wsgi_application())
    try:
        with Client("http://testserver", secret_key=user.secret_key, transport=transport) as api:
            yield api
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def test_campaign_life_cycle_import_and_export(client, user):
    campaign = client.create_campaign(name="OTP", campaign_type="voice_otp", caller_id="0281234567")
    campaign_id = campaign["campaign_id"]
    assert client.start_campaign(campaign_id)["status"] == "running"
    contacts = [{"phone_number": f"0901{i:06d}", "otp_code": "123456"} for i in range(30)]
    first = client.import_contacts(campaign_id, contacts, idempotency_key="batch-1")
    again = client.import_contacts(campaign_id, contacts, idempotency_key="batch-1")
    assert first == again and len(first["results"]) == 30
    assert Call.objects.count() == 30
    assert client.progress(campaign_id)["queued"] == 30
    Call.objects.update(status="done", state=40, called_at=campaign_created(campaign_id))
    calls = list(client.iter_export(campaign_id))
    assert [c["call_id"] for c in calls] == [r["call_id"] for r in first["results"]]
    assert list(client.iter_export()) == calls
    assert client.update_campaign(campaign_id, max_attempts=2)["max_attempts"] == 2
    assert [c["campaign_id"] for c in client.list_campaigns()["campaigns"]] == [campaign_id]
    assert client.stop_campaign(campaign_id)["status"] == "stopped"


def campaign_created(campaign_id):
    from aicall.campaigns.models import Campaign

    return Campaign.objects.get(pk=campaign_id).created_at


def test_csv_download(client, user, tmp_path):
    campaign_id = client.create_campaign(name="c", campaign_type="ivr")["campaign_id"]
    client.import_contacts(campaign_id, [{"phone_number": "0901234567"}])
    Call.objects.update(status="done", state=50, called_at=campaign_created(campaign_id))
    target = tmp_path / "calls.csv"
    assert client.download_csv(str(target), campaign_id) > 0
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert [r["callee_id"] for r in rows] == ["0901234567"] and rows[0]["state"] == "50"


def test_errors_and_token_refresh(client, user):
    with pytest.raises(ApiError) as bad:
        client.create_campaign(name="x", campaign_type="fax")
    assert (bad.value.code, bad.value.field, bad.value.http_status) == ("400", "campaign_type", 400)
    with pytest.raises(ApiError) as unknown:
        client.get_campaign(424242)
    assert unknown.value.code == "01"
    assert client.add_do_not_call(["0901234567"]) == ["0901234567"]
    assert client.do_not_call()["total"] == 1
    # A rotated secret_key revokes the token; the client's old key cannot mint a new one.
    do_rotate_secret_key(user)
    with pytest.raises(ApiError) as revoked:
        client.list_campaigns()
    assert revoked.value.code == "401"
    client.secret_key = user.secret_key
    assert client.remove_do_not_call(["0901234567"]) == ["0901234567"]


def test_client_typed_errors_and_retry_after_cap(monkeypatch):
    import httpx

    from aicall import client as client_module
    from aicall.client import AuthError, Client, RateLimited

    slept: list[float] = []
    monkeypatch.setattr(client_module.time, "sleep", slept.append)
    calls = {"token": 0, "limited": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("generate-access-token"):
            calls["token"] += 1
            body = {"status": 0, "code": "401", "message": "secret_key không chính xác"}
            return httpx.Response(401, json=body)
        calls["limited"] += 1
        body = {"status": 0, "code": "429", "message": "too many requests, retry after 120 s"}
        return httpx.Response(429, json=body, headers={"Retry-After": "120"})

    transport = httpx.MockTransport(handler)
    with Client("http://127.0.0.1:1", secret_key="wrong", transport=transport) as api:
        try:
            api.generate_access_token()
            raise AssertionError("expected AuthError")
        except AuthError as exc:
            assert exc.code == "401" and "secret_key" in exc.message
    assert calls["token"] == 1  # a wrong secret_key is never retried
    with Client(
        "http://127.0.0.1:1", access_token="t", transport=transport, max_wait_seconds=60
    ) as api:
        try:
            api.progress(1)
            raise AssertionError("expected RateLimited")
        except RateLimited as exc:
            assert exc.retry_after == 120
    assert slept == [] and calls["limited"] == 1  # 120 s is over the cap: raised, not slept
    with Client("http://127.0.0.1:1", access_token="t", transport=transport, max_retries=2) as api:
        try:
            api.progress(1)
        except RateLimited:
            pass
    assert slept == [120.0, 120.0]  # waits what Retry-After says, not a 60 s cap
