import pytest
from django.urls import reverse


@pytest.mark.parametrize(
    "name",
    [
        "web:dashboard",
        "web:campaigns",
        "web:campaign_create",
        "web:calls",
        "web:dnc",
        "web:profile",
        "web:password_change",
        "web:account_charts",
        "web:campaign_rows",
    ],
)
def test_pages_render(web, ivr_campaign, name):
    response = web.get(reverse(name))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "name",
    [
        "web:campaign",
        "web:campaign_edit",
        "web:campaign_calls",
        "web:campaign_charts",
        "web:campaign_progress",
        "web:contacts_upload",
    ],
)
def test_campaign_pages_render(web, ivr_campaign, name):
    response = web.get(reverse(name, args=[ivr_campaign.pk]))
    assert response.status_code == 200
