import pytest
from django.test import Client, override_settings


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/nothing/here")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"status": 0, "code": "404", "message": "not found"}


def test_wrong_method_is_json_405(client, ivr_campaign):
    response = client.get(f"/api/campaigns/{ivr_campaign.pk}/import")
    assert response.status_code == 405
    assert response.json()["code"] == "405"


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_oversized_body_is_json_413(client, token, ivr_campaign):
    body = '{"contacts": [' + ",".join(['{"phone_number": "0901234567"}'] * 100) + "]}"
    response = client.post(
        f"/api/campaigns/{ivr_campaign.pk}/import?access_token={token}",
        body,
        content_type="application/json",
    )
    assert response.status_code == 413
    assert response.json() == {"status": 0, "code": "413", "message": "request body too large"}


def test_unexpected_error_is_json_500(token, ivr_campaign, monkeypatch):
    import aicall.api.original as original

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(original, "export_page", explode)
    client = Client(raise_request_exception=False)
    response = client.get(f"/api/campaigns/{ivr_campaign.pk}/export", {"access_token": token})
    assert response.status_code == 500
    assert response.json() == {"status": 0, "code": "500", "message": "internal error"}


@pytest.mark.parametrize("path", ["/api/docs", "/api/openapi.json"])
def test_openapi_docs_are_served(client, path):
    response = client.get(path)
    assert response.status_code == 200


def test_openapi_documents_the_four_original_endpoints(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in (
        "/api/campaigns/{campaign_id}/import",
        "/api/campaigns/{campaign_id}/export",
        "/api/users/generate-access-token",
        "/api/users/call-log",
    ):
        assert path in paths
