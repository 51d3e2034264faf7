import json

from django.urls import reverse

from aicall.campaigns.models import Campaign

MENU = {
    "prompt": "Bấm 1 để xác nhận",
    "keys": {
        "1": {"action": "message", "message": "Cảm ơn"},
        "2": {"action": "repeat"},
        "3": {
            "action": "submenu",
            "menu": {"prompt": "Bấm 0 gặp nhân viên", "keys": {"0": {"action": "back"}}},
        },
    },
}


def form_data(**overrides):
    data = {
        "name": "Xác nhận đơn",
        "campaign_type": "ivr",
        "caller_id": "0281234567",
        "script": "Chào {danh_xung} {ho_ten}",
        "ivr_menu": json.dumps(MENU),
        "otp_repeat_count": "3",
        "otp_expiry_seconds": "300",
        "max_concurrent_calls": "5",
        "max_attempts": "2",
        "retry_interval_seconds": "120",
        "ring_timeout_seconds": "30",
        "calling_hours_start": "07:30",
        "calling_hours_end": "00:00",
        "calling_weekdays": ["0", "1", "2", "3", "4"],
    }
    data.update(overrides)
    return data


def test_create_campaign_stores_every_setting(web, user):
    response = web.post(reverse("web:campaign_create"), form_data())
    campaign = Campaign.objects.get(owner=user, name="Xác nhận đơn")
    assert response["Location"] == reverse("web:campaign", args=[campaign.pk])
    assert campaign.campaign_type == "ivr"
    assert campaign.max_concurrent_calls == 5 and campaign.max_attempts == 2
    assert campaign.retry_interval_seconds == 120 and campaign.ring_timeout_seconds == 30
    assert str(campaign.calling_hours_start) == "07:30:00"
    assert str(campaign.calling_hours_end) == "00:00:00"
    assert campaign.calling_weekdays == "01234"
    assert campaign.ivr_menu["keys"]["3"]["menu"]["keys"]["0"]["action"] == "back"
    assert campaign.status == "draft"


def test_errors_sit_next_to_their_field_and_input_is_kept(web, user):
    response = web.post(
        reverse("web:campaign_create"),
        form_data(name="", max_attempts="99", script="Giữ nguyên {ho_ten}"),
    )
    assert response.status_code == 200
    assert Campaign.objects.filter(owner=user).count() == 0
    html = response.text
    name_field = html.split('id="field-name"')[1].split('id="field-')[0]
    assert "errorlist" in name_field
    attempts = html.split('id="field-max_attempts"')[1].split('id="field-')[0]
    assert "errorlist" in attempts and 'value="99"' in attempts
    assert "Giữ nguyên {ho_ten}" in html


def test_invalid_menu_is_refused_with_the_validator_message(web, user):
    dead_end = {"keys": {"1": {"action": "submenu", "menu": {"prompt": "x", "keys": {}}}}}
    response = web.post(reverse("web:campaign_create"), form_data(ivr_menu=json.dumps(dead_end)))
    menu_field = response.text.split('id="field-ivr_menu"')[1].split('id="field-')[0]
    assert "ngõ cụt" in menu_field
    assert Campaign.objects.filter(owner=user).count() == 0
    broken = web.post(reverse("web:campaign_create"), form_data(ivr_menu="{not json"))
    assert "JSON" in broken.text.split('id="field-ivr_menu"')[1].split('id="field-')[0]
    assert "{not json" in broken.text


def test_edit_start_and_stop(web, ivr_campaign):
    url = reverse("web:campaign_edit", args=[ivr_campaign.pk])
    page = web.get(url)
    assert 'value="Reminders"' in page.text
    web.post(url, form_data(name="Renamed", ivr_menu=""))
    ivr_campaign.refresh_from_db()
    assert ivr_campaign.name == "Renamed" and ivr_campaign.ivr_menu == {}
    web.post(reverse("web:campaign_start", args=[ivr_campaign.pk]))
    ivr_campaign.refresh_from_db()
    assert ivr_campaign.status == "running"
    web.post(reverse("web:campaign_stop", args=[ivr_campaign.pk]))
    ivr_campaign.refresh_from_db()
    assert ivr_campaign.status == "stopped"


def test_campaign_rows_show_live_counts(web, ivr_campaign):
    from aicall.calls.services import import_contacts

    import_contacts(ivr_campaign, [{"phone_number": "0901234567"}, {"phone_number": "0912345678"}])
    rows = web.get(reverse("web:campaign_rows")).text
    assert 'data-count="total">2<' in rows and 'data-count="queued">2<' in rows


def test_script_preview_fills_placeholders_and_names_missing_ones(web):
    response = web.post(
        reverse("web:script_preview"),
        {"script": "Chào {danh_xung} {ho_ten}, mã {ma_la}", "sample_ho_ten": "<b>Lan</b>"},
    )
    assert "Chào anh &lt;b&gt;Lan&lt;/b&gt;, mã {ma_la}" in response.text
    assert "<code>{ma_la}</code>" in response.text


def test_menu_preview_draws_the_tree_or_the_error(web):
    tree = web.post(reverse("web:menu_preview"), {"ivr_menu": json.dumps(MENU)}).text
    assert 'id="menu-ok"' in tree and "Bấm 0 gặp nhân viên" in tree
    bad = {"keys": {"1": {"action": "back"}}}
    error = web.post(reverse("web:menu_preview"), {"ivr_menu": json.dumps(bad)}).text
    assert 'id="menu-error"' in error and "không có chỗ để quay về" in error


def test_a_webhook_url_set_on_the_website_gets_a_signing_secret(web, user):
    url = "https://shop.example.vn/hook"
    response = web.post(reverse("web:campaign_create"), form_data(webhook_url=url))
    assert response.status_code == 302
    campaign = Campaign.objects.get(owner=user)
    assert campaign.webhook_url == url
    assert campaign.webhook_secret.startswith("whsec_")
    secret = campaign.webhook_secret
    edit = reverse("web:campaign_edit", args=[campaign.pk])
    assert web.post(edit, form_data(webhook_url=url, name="renamed")).status_code == 302
    campaign.refresh_from_db()
    assert campaign.name == "renamed" and campaign.webhook_secret == secret
