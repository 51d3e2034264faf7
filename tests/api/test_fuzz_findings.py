"""Inputs the schemathesis run (tests/api/test_schemathesis.py) once answered with a 500:
each is now a `"400"` in the contract's envelope that names the input, and changes nothing."""

import json

import pytest
from django.test import Client

from aicall.campaigns.models import Campaign


@pytest.mark.parametrize(
    "path",
    ["/api/campaigns/{id}/audio", "/api/recorded-digits", "/api/campaigns/{id}/import"],
)
def test_multipart_without_a_boundary_is_400(token, ivr_campaign, path):
    response = Client().post(
        path.format(id=ivr_campaign.pk),
        b"",
        content_type="multipart/form-data",  # no boundary: Django cannot parse it
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["status"] == 0 and body["code"] == "400"


@pytest.mark.parametrize(
    "field,value",
    [("voice", {}), ("voice", ["vi"]), ("max_attempts", "1e400"), ("otp_pause_ms", "1e999")],
)
def test_odd_setting_types_are_400_naming_the_field(token, field, value):
    literal = value if isinstance(value, str) else json.dumps(value)  # 1e400 as JSON text
    raw = '{"name": "x", "campaign_type": "ivr", "' + field + '": ' + literal + "}"
    response = Client().post(
        "/api/campaigns",
        raw,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert not Campaign.objects.exists()
