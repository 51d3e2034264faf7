from aicall.api.responses import MSG_BAD_CAMPAIGN, MSG_BAD_TOKEN
from aicall.calls.models import Call
from aicall.campaigns.models import Campaign
from aicall.campaigns.services import do_create_campaign
from aicall.webhooks.signing import secret_bytes


class Json:
    """JSON requests with a Bearer token (or none)."""

    def __init__(self, client, token=None):
        self.client, self.token = client, token

    def __call__(self, method: str, path: str, body=None, **params):
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if method == "get":
            response = self.client.get(path, params, headers=headers)
        else:
            import json

            response = getattr(self.client, method)(
                path, json.dumps(body or {}), content_type="application/json", headers=headers
            )
        return response.status_code, response.json()


def test_create_read_update_start_stop(api, token):
    call = Json(api.client, token)
    status, body = call(
        "post",
        "/api/campaigns",
        {
            "name": "Nhắc lịch",
            "campaign_type": "ivr",
            "caller_id": "0281234567",
            "script": "Xin chào {danh_xung} {ho_ten}",
            "calling_hours": "07:30-20:00",
            "max_attempts": 3,
            "webhook_url": "https://example.com/hook",
        },
    )
    assert status == 200 and body["status"] == 1
    created = body["results"]
    campaign_id = created["campaign_id"]
    assert created["status"] == "draft" and created["calling_hours"] == "07:30-20:00"
    assert created["waiting_reason"] == "draft" and created["scheduled_start_at"] == ""
    assert created["progress"] == {
        "queued": 0,
        "in_progress": 0,
        "answered": 0,
        "failed": 0,
        "total": 0,
    }
    # A URL without a secret gets one, so that every delivery can be signed.
    assert len(secret_bytes(created["webhook_secret"])) == 32
    stored = Campaign.objects.get(pk=campaign_id)
    assert stored.name == "Nhắc lịch" and stored.max_attempts == 3

    status, body = call("patch", f"/api/campaigns/{campaign_id}", {"max_attempts": 5})
    assert status == 200 and body["results"]["max_attempts"] == 5
    assert body["results"]["webhook_secret"] == created["webhook_secret"]
    assert call("get", f"/api/campaigns/{campaign_id}")[1]["results"]["max_attempts"] == 5

    assert call("post", f"/api/campaigns/{campaign_id}/start")[1]["results"]["status"] == "running"
    assert Campaign.objects.get(pk=campaign_id).is_running
    assert call("post", f"/api/campaigns/{campaign_id}/stop")[1]["results"]["status"] == "stopped"
    assert not Campaign.objects.get(pk=campaign_id).is_running

    status, body = call("post", f"/api/campaigns/{campaign_id}/webhook-secret")
    assert status == 200 and body["results"]["webhook_secret"] != created["webhook_secret"]


def test_validation_errors_name_the_field_and_change_nothing(api, token, ivr_campaign):
    call = Json(api.client, token)
    cases = [
        ({"campaign_type": "ivr"}, "name"),
        ({"name": "x", "campaign_type": "fax"}, "campaign_type"),
        ({"name": "x", "campaign_type": "ivr", "max_attempts": 99}, "max_attempts"),
        ({"name": "x", "campaign_type": "ivr", "calling_hours": "9-5"}, "calling_hours"),
        ({"name": "x", "campaign_type": "ivr", "webhook_url": "ftp://x"}, "webhook_url"),
        ({"name": "x", "campaign_type": "ivr", "webhook_secret": "hunter2"}, "webhook_secret"),
        ({"name": "x", "campaign_type": "ivr", "colour": "red"}, "colour"),
        ({"name": "x", "campaign_type": "ivr", "ivr_menu": {"keys": {}}}, "ivr_menu"),
    ]
    for body, field in cases:
        status, answer = call("post", "/api/campaigns", body)
        assert status == 400, body
        assert answer["status"] == 0 and answer["code"] == "400" and answer["field"] == field
        assert isinstance(answer["message"], str) and answer["message"]
    assert Campaign.objects.count() == 1
    path = f"/api/campaigns/{ivr_campaign.pk}"
    status, answer = call("patch", path, {"max_attempts": 3, "ring_timeout_seconds": 1})
    assert (status, answer["field"]) == (400, "ring_timeout_seconds")
    status, answer = call("patch", path, {"campaign_type": "voice_otp"})
    assert (status, answer["field"]) == (400, "campaign_type")
    ivr_campaign.refresh_from_db()
    assert ivr_campaign.max_attempts == 1 and ivr_campaign.campaign_type == "ivr"
    status, answer = (
        api.client.post(
            "/api/campaigns",
            b"[1,2]",
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        ).status_code,
        None,
    )
    assert status == 400


def test_list_and_progress(api, token, user):
    call = Json(api.client, token)
    for n in range(3):
        do_create_campaign(user.pk, {"name": f"c{n}", "campaign_type": "ivr"})
    status, body = call("get", "/api/campaigns", limit="2")
    assert status == 200 and body["results"]["total"] == 3 and body["results"]["limit"] == 2
    assert [c["name"] for c in body["results"]["campaigns"]] == ["c2", "c1"]
    rest = call("get", "/api/campaigns", limit="2", offset="2")[1]["results"]["campaigns"]
    assert [c["name"] for c in rest] == ["c0"]
    campaign_id = body["results"]["campaigns"][0]["campaign_id"]
    api.post(
        f"/api/campaigns/{campaign_id}/import",
        {"contacts": [{"phone_number": "0901234567"}, {"phone_number": "0901234568"}]},
        Authorization=f"Bearer {token}",
    )
    Call.objects.filter(phone_e164="+84901234568").update(status="done", state=40)
    status, body = call("get", f"/api/campaigns/{campaign_id}/progress")
    assert status == 200
    assert body["results"] == {
        "campaign_id": campaign_id,
        "status": "draft",
        "waiting_reason": "draft",
        "next_call_at": "",
        "queued": 1,
        "in_progress": 0,
        "answered": 1,
        "failed": 0,
        "total": 2,
    }


def test_other_accounts_campaigns_are_01_and_untouched(api, token, other_user):
    foreign = do_create_campaign(
        other_user.pk,
        {"name": "theirs", "campaign_type": "ivr", "webhook_url": "https://example.com/x"},
    )
    their_secret = foreign.webhook_secret
    call = Json(api.client, token)
    expected = {"status": 0, "code": "01", "message": MSG_BAD_CAMPAIGN}
    for method, suffix in [
        ("get", ""),
        ("patch", ""),
        ("post", "/start"),
        ("post", "/stop"),
        ("get", "/progress"),
        ("post", "/webhook-secret"),
    ]:
        body = {"name": "mine now"} if method == "patch" else None
        assert call(method, f"/api/campaigns/{foreign.pk}{suffix}", body) == (404, expected)
    assert call("get", "/api/campaigns/abc") == (404, expected)
    assert call("get", "/api/campaigns")[1]["results"]["total"] == 0
    foreign.refresh_from_db()
    assert foreign.name == "theirs" and not foreign.is_running
    assert foreign.webhook_secret == their_secret  # the rotate endpoint did not touch it


def test_every_extension_endpoint_wants_a_token(api, token, ivr_campaign):
    expected = {"status": 0, "code": "401", "message": MSG_BAD_TOKEN}
    new = {"name": "n", "campaign_type": "ivr"}
    numbers = {"phone_numbers": ["0901234567"]}
    endpoints = [
        ("get", "/api/campaigns", None),
        ("post", "/api/campaigns", new),
        ("get", f"/api/campaigns/{ivr_campaign.pk}", None),
        ("patch", f"/api/campaigns/{ivr_campaign.pk}", {"name": "renamed"}),
        ("post", f"/api/campaigns/{ivr_campaign.pk}/start", None),
        ("post", f"/api/campaigns/{ivr_campaign.pk}/stop", None),
        ("get", f"/api/campaigns/{ivr_campaign.pk}/progress", None),
        ("post", f"/api/campaigns/{ivr_campaign.pk}/webhook-secret", None),
        ("get", "/api/do-not-call", None),
        ("post", "/api/do-not-call", numbers),
        ("post", "/api/do-not-call/remove", numbers),
    ]
    for method, path, body in endpoints:
        assert Json(api.client)(method, path, body) == (401, expected), path
        assert Json(api.client, "garbage")(method, path, body) == (401, expected), path
        assert Json(api.client, token)(method, path, body)[0] == 200, path
        if method == "get":
            assert Json(api.client)(method, path, access_token=token)[0] == 200, path
        else:
            with_token = {**(body or {}), "access_token": token}
            assert Json(api.client)(method, path, with_token)[0] == 200, path


def test_original_endpoints_accept_bearer(api, token, ivr_campaign):
    headers = {"Authorization": f"Bearer {token}"}
    for path in (f"/api/campaigns/{ivr_campaign.pk}/export", "/api/users/call-log"):
        assert api.client.get(path, headers=headers).status_code == 200
    status, body = api.post(
        f"/api/campaigns/{ivr_campaign.pk}/import",
        {"contacts": [{"phone_number": "0901234567"}]},
        **headers,
    )
    assert status == 200 and body["status"] == 1


def test_extensions_are_in_the_openapi_description(api):
    from django.test import Client

    spec = Client().get("/api/openapi.json").json()
    paths = spec["paths"]
    assert {"get", "post"} <= set(paths["/api/campaigns"])
    assert {"get", "patch"} <= set(paths["/api/campaigns/{campaign_id}"])
    for suffix in ("start", "stop", "progress", "webhook-secret"):
        assert f"/api/campaigns/{{campaign_id}}/{suffix}" in paths
    assert "/api/do-not-call" in paths and "/api/do-not-call/remove" in paths
    export_params = {
        p["name"] for p in paths["/api/campaigns/{campaign_id}/export"]["get"]["parameters"]
    }
    assert "format" in export_params
    assert "Idempotency-Key" in spec["info"]["description"]
