"""Form-encoded/PHP imports, BOM, malformed JSON, big integers, CORS, OPTIONS/HEAD,
compression, ETag and the web process's own metrics."""

import gzip
import json

import brotli
from django.test import Client, override_settings

from aicall.api.responses import MSG_BAD_CONTACTS
from aicall.calls.models import Call

BAD_CONTACTS = {"status": 0, "code": "400", "message": MSG_BAD_CONTACTS}


def _import(campaign):
    return f"/api/campaigns/{campaign.pk}/import"


def test_php_bracket_form_import(token, ivr_campaign):
    body = (
        f"access_token={token}&contacts[0][phone_number]=0901234560&contacts[0][ho_ten]=A"
        "&contacts[1][phone_number]=0901234561"
    )
    response = Client().post(
        _import(ivr_campaign), body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200, response.content
    assert [r["phone_number"] for r in response.json()["results"]] == ["0901234560", "0901234561"]
    assert Call.objects.get(phone_e164="+84901234560").ho_ten == "A"


def test_form_field_holding_json_and_multipart(token, ivr_campaign):
    contacts = json.dumps([{"phone_number": "0901234562"}])
    client = Client()
    form = client.post(
        _import(ivr_campaign),
        f"access_token={token}&contacts={contacts}",
        content_type="application/x-www-form-urlencoded",
    )
    assert form.status_code == 200 and form.json()["results"][0]["phone_number"] == "0901234562"
    multipart = client.post(
        _import(ivr_campaign),
        {"access_token": token, "contacts[0][phone_number]": "0901234563"},
    )
    assert multipart.status_code == 200, multipart.content
    assert Call.objects.filter(phone_e164="+84901234563").exists()


def test_bom_and_malformed_json(token, ivr_campaign):
    client = Client()
    raw = b'\xef\xbb\xbf {"access_token": "%s", "contacts": [{"phone_number": "0901234564"}]}\n'
    ok = client.post(_import(ivr_campaign), raw % token.encode(), content_type="application/json")
    assert ok.status_code == 200, ok.content
    broken = b'{"access_token": "%s", "contacts": [' % token.encode()
    response = client.post(_import(ivr_campaign), broken, content_type="application/json")
    assert (response.status_code, response.json()) == (400, BAD_CONTACTS)
    response = client.post(
        _import(ivr_campaign),
        b"{nope",
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert (response.status_code, response.json()) == (400, BAD_CONTACTS)
    response = client.post(
        "/api/campaigns",
        b"{nope",
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400 and response.json()["field"] == "body"


def test_offsets_beyond_64_bits_fall_back(token, ivr_campaign):
    client = Client()
    for path in ("/api/campaigns", "/api/do-not-call", f"/api/campaigns/{ivr_campaign.pk}/export"):
        response = client.get(path, {"access_token": token, "offset": "9223372036854775808"})
        assert response.status_code == 200, (path, response.content)
    big = client.post(
        "/api/campaigns",
        b'{"name": "x", "campaign_type": "ivr", "max_attempts": 18446744073709551616}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert big.status_code == 400, big.content


def test_options_head_and_cors(token, ivr_campaign):
    client = Client()
    options = client.options(f"/api/campaigns/{ivr_campaign.pk}/export")
    assert options.status_code == 204
    assert set(options["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert client.options("/api/nowhere").status_code == 404
    path = f"/api/campaigns/{ivr_campaign.pk}/export"
    get = client.get(path, {"access_token": token})
    head = client.head(path, {"access_token": token})
    assert head.status_code == 200 and head.content == b""
    assert head["Content-Length"] == str(len(get.content))
    assert "Access-Control-Allow-Origin" not in client.get(
        path, {"access_token": token}, headers={"Origin": "https://shop.example"}
    )
    with override_settings(CORS_ALLOWED_ORIGINS=["https://shop.example"]):
        allowed = client.get(
            path, {"access_token": token}, headers={"Origin": "https://shop.example"}
        )
        assert allowed["Access-Control-Allow-Origin"] == "https://shop.example"
        preflight = client.options(
            path,
            headers={
                "Origin": "https://shop.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "idempotency-key, authorization",
            },
        )
        assert preflight.status_code == 200
        assert "idempotency-key" in preflight["Access-Control-Allow-Headers"]


def test_compression_and_etag(token, ivr_campaign):
    from aicall.calls.services import import_contacts

    import_contacts(ivr_campaign, [{"phone_number": f"09012{n:05d}"} for n in range(300)])
    Call.objects.update(status="done", state=40, called_at=ivr_campaign.created_at)
    client = Client()
    params = {"access_token": token, "limit": "1000", "start_time": "0"}
    path = f"/api/campaigns/{ivr_campaign.pk}/export"
    plain = client.get(path, params)
    assert plain["Cache-Control"] == "no-store" and plain["ETag"]
    zipped = client.get(path, params, headers={"Accept-Encoding": "gzip"})
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == plain.content
    br = client.get(path, params, headers={"Accept-Encoding": "gzip, br"})
    assert br["Content-Encoding"] == "br" and brotli.decompress(br.content) == plain.content
    again = client.get(path, params, headers={"If-None-Match": plain["ETag"]})
    assert again.status_code == 304
    csv = client.get(path, {**params, "format": "csv"}, headers={"Accept-Encoding": "br"})
    assert csv["Content-Encoding"] == "br"
    assert brotli.decompress(b"".join(csv.streaming_content)).startswith(b"call_id,")


def test_web_metrics(token, ivr_campaign):
    client = Client()
    client.post(
        _import(ivr_campaign),
        json.dumps({"access_token": token, "contacts": [{"phone_number": "0901234565"}]}),
        content_type="application/json",
    )
    text = client.get("/metrics").content.decode()
    assert (
        'aicall_api_requests_total{method="POST",route="/api/campaigns/<campaign_id>/import",status="200"}'
        in text
    )
    assert "aicall_api_request_duration_seconds_bucket" in text
    assert "aicall_api_contacts_accepted_total" in text
    assert "_created" not in text


def test_database_locked_is_503_with_retry_after(token, ivr_campaign, monkeypatch):
    from django.db import OperationalError

    from aicall.api import imports

    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(imports, "import_contacts", locked)
    response = Client().post(
        _import(ivr_campaign),
        json.dumps({"access_token": token, "contacts": [{"phone_number": "0901234566"}]}),
        content_type="application/json",
    )
    assert response.status_code == 503 and response["Retry-After"] == "2"
    assert response.json()["code"] == "503"
