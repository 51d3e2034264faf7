import re

import pytest
from django.test import Client
from django.urls import reverse

from aicall.calls.models import Call
from aicall.calls.services import import_contacts
from aicall.campaigns.models import Campaign
from tests.web.helpers import csv_file, upload


@pytest.fixture
def csrf_client(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def post_urls(campaign):
    return [
        reverse("web:campaign_create"),
        reverse("web:campaign_edit", args=[campaign.pk]),
        reverse("web:campaign_start", args=[campaign.pk]),
        reverse("web:campaign_stop", args=[campaign.pk]),
        reverse("web:campaign_schedule", args=[campaign.pk]),
        reverse("web:test_call", args=[campaign.pk]),
        reverse("web:campaign_duplicate", args=[campaign.pk]),
        reverse("web:campaign_archive", args=[campaign.pk]),
        reverse("web:campaign_restore", args=[campaign.pk]),
        reverse("web:campaign_delete", args=[campaign.pk]),
        reverse("web:script_preview"),
        reverse("web:menu_preview"),
        reverse("web:contacts_upload", args=[campaign.pk]),
        reverse("web:reveal_secret"),
        reverse("web:rotate_secret"),
        reverse("web:new_token"),
        reverse("web:password_change"),
        reverse("web:dnc"),
        reverse("web:dnc_remove"),
        reverse("web:dnc_upload"),
        reverse("web:logout"),
        reverse("set_language"),
    ]


def test_every_form_refuses_a_post_without_csrf_token(csrf_client, web, ivr_campaign, user):
    secret = user.secret_key
    mapping_url = upload(web, ivr_campaign, csv_file([["phone_number"], ["0901234567"]]))
    for url in [*post_urls(ivr_campaign), mapping_url]:
        assert csrf_client.post(url, {"col_0": "phone_number"}).status_code == 403, url
    assert not Call.objects.exists()
    user.refresh_from_db()
    assert user.secret_key == secret
    ivr_campaign.refresh_from_db()
    assert ivr_campaign.status == "draft"


def test_login_refuses_a_post_without_csrf_token(user):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("web:login"),
        {"username": "owner@example.com", "password": "correct horse battery"},
    )
    assert response.status_code == 403


def test_forms_carry_a_csrf_token_that_works(csrf_client, ivr_campaign):
    page = csrf_client.get(reverse("web:campaign", args=[ivr_campaign.pk]))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = csrf_client.post(
        reverse("web:campaign_start", args=[ivr_campaign.pk]), {"csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    ivr_campaign.refresh_from_db()
    assert ivr_campaign.status == "running"


def test_another_account_gets_404_everywhere(web, other_web, ivr_campaign):
    mapping_url = upload(web, ivr_campaign, csv_file([["phone_number"], ["0901234567"]]))
    web.post(mapping_url, {"col_0": "phone_number"})
    report_url = mapping_url + "report/"
    pk = ivr_campaign.pk
    gets = [
        f"/campaigns/{pk}/",
        f"/campaigns/{pk}/edit/",
        f"/campaigns/{pk}/calls/",
        f"/campaigns/{pk}/calls/download.csv",
        f"/campaigns/{pk}/calls/download.xlsx",
        f"/campaigns/{pk}/charts/",
        f"/campaigns/{pk}/progress/",
        f"/campaigns/{pk}/start/",
        f"/campaigns/{pk}/test-call/",
        f"/campaigns/{pk}/delete/",
        f"/campaigns/{pk}/contacts/",
        mapping_url,
        report_url,
        mapping_url + "report.csv",
    ]
    for url in gets:
        assert web.get(url).status_code == 200, url
        assert other_web.get(url).status_code == 404, url
    posts = ["start", "stop", "edit", "schedule", "test-call", "duplicate", "archive", "delete"]
    campaigns_before = Campaign.objects.count()
    for url in (f"/campaigns/{pk}/{action}/" for action in posts):
        assert other_web.post(url, {"name": "hijacked"}).status_code == 404, url
    assert Campaign.objects.count() == campaigns_before
    ivr_campaign.refresh_from_db()
    assert ivr_campaign.status == "draft" and ivr_campaign.name == "Reminders"


def test_account_wide_pages_show_only_own_calls(web, other_web, ivr_campaign):
    import_contacts(ivr_campaign, [{"phone_number": "0901234567", "ho_ten": "Chủ tài khoản"}])
    assert "Chủ tài khoản" in web.get("/calls/").text
    assert "Chủ tài khoản" not in other_web.get("/calls/").text
    text = b"".join(other_web.get("/calls/download.csv").streaming_content).decode("utf-8-sig")
    assert text.strip().count("\n") == 0  # header only
    assert other_web.get("/calls/", {"campaign": ivr_campaign.pk}).status_code == 200
    assert "Chủ tài khoản" not in other_web.get("/calls/", {"campaign": ivr_campaign.pk}).text
    assert "Reminders" not in other_web.get("/campaigns/").text


def test_script_tags_in_uploaded_names_are_shown_as_text(web, ivr_campaign):
    evil = '<script>alert("x")</script>'
    mapping_url = upload(
        web, ivr_campaign, csv_file([["phone_number", "ho_ten"], ["0901234567", evil], ["1", evil]])
    )
    preview = web.get(mapping_url).text
    report = web.post(mapping_url, {"col_0": "phone_number", "col_1": "ho_ten"})
    report = web.get(report["Location"]).text
    calls = web.get(f"/campaigns/{ivr_campaign.pk}/calls/").text
    assert Call.objects.get(campaign=ivr_campaign).ho_ten == evil
    for html in (preview, report, calls):
        assert evil not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_the_404_page_is_the_sites_own(other_web, ivr_campaign):
    response = other_web.get(f"/campaigns/{ivr_campaign.pk}/")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.text
    assert "Reminders" not in response.text
