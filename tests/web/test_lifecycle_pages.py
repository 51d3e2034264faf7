"""The website's campaign life cycle: a confirmation before starting (now or later), test
calls, duplicate, archive / restore, delete, what a campaign waits for, the call page."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from aicall.calls.models import Call, CallAttempt
from aicall.calls.services import import_contacts
from aicall.campaigns.models import Campaign
from aicall.campaigns.services import do_start_campaign
from tests.web.helpers import csv_file, finish


def test_start_asks_first_and_says_what_will_happen(web, ivr_campaign):
    import_contacts(ivr_campaign, [{"phone_number": f"090123456{n}"} for n in range(3)])
    detail = web.get(reverse("web:campaign", args=[ivr_campaign.pk])).text
    # The campaign page's start button leads to the summary; it does not dial.
    assert f'href="/campaigns/{ivr_campaign.pk}/start/"' in detail
    page = web.get(reverse("web:campaign_start", args=[ivr_campaign.pk])).text
    ivr_campaign.refresh_from_db()
    assert ivr_campaign.status == "draft"
    assert 'id="summary-contacts"><strong>3</strong>' in page
    assert "08:00–17:00" in page and "0281234567" in page
    assert "môi trường thử" in page  # the sandbox: nobody is really called
    assert "Bắt đầu gọi 3 liên hệ" in page
    response = web.post(reverse("web:campaign_start", args=[ivr_campaign.pk]))
    assert response.status_code == 302
    ivr_campaign.refresh_from_db()
    assert ivr_campaign.status == "running"


def test_schedule_a_start(web, ivr_campaign):
    url = reverse("web:campaign_schedule", args=[ivr_campaign.pk])
    past = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    page = web.post(url, {"start_at": past})
    assert page.status_code == 200 and "tương lai" in page.text
    later = timezone.localtime() + timedelta(days=1)
    web.post(url, {"start_at": later.strftime("%Y-%m-%dT%H:%M")})
    ivr_campaign.refresh_from_db()
    assert ivr_campaign.status == "scheduled"
    assert ivr_campaign.scheduled_start_at == later.replace(second=0, microsecond=0)
    detail = web.get(reverse("web:campaign", args=[ivr_campaign.pk])).text
    assert 'data-waiting="scheduled"' in detail and "Đã hẹn giờ" in detail


def test_waiting_for_calling_hours_is_shown_with_the_first_call_time(web, user):
    from aicall.campaigns.services import do_create_campaign

    now = timezone.localtime()
    # Hours that have just closed today: the first call is tomorrow at their opening.
    start, end = (now - timedelta(hours=3)), (now - timedelta(hours=2))
    if start.date() != now.date() or end.hour == 0:
        start, end = now + timedelta(hours=2), now + timedelta(hours=3)
    campaign = do_create_campaign(
        user.pk,
        {
            "name": "Đêm",
            "campaign_type": "ivr",
            "calling_hours": f"{start:%H:00}-{end:%H:00}" if end.hour else f"{start:%H:00}-24:00",
        },
        start=True,
    )
    import_contacts(campaign, [{"phone_number": "0901234567"}])
    html = web.get(reverse("web:campaign_progress", args=[campaign.pk])).text
    assert 'data-waiting="calling_hours"' in html
    assert "Đang chờ đến giờ gọi" in html and f"{start:%H}:00" in html
    rows = web.get(reverse("web:campaign_rows")).text
    assert "Đang chờ đến giờ gọi" in rows


def test_test_call_is_queued_and_its_result_appears(web, ivr_campaign):
    url = reverse("web:test_call", args=[ivr_campaign.pk])
    assert "Gọi số này" in web.get(url).text
    bad = web.post(url, {"phone_number": "123"}, headers={"HX-Request": "true"})
    assert "Không phải số điện thoại Việt Nam hợp lệ" in bad.text
    assert not Call.objects.exists()
    response = web.post(url, {"phone_number": "0901234561"}, headers={"HX-Request": "true"})
    call = Call.objects.get()
    assert call.campaign.test_for_id == ivr_campaign.pk
    assert 'id="test-call-state"' in response.text and 'hx-trigger="every 1s"' in response.text
    result_url = reverse("web:test_call_result", args=[ivr_campaign.pk, call.pk])
    finish(call, state=40, cause="NORMAL CLEARING", key_press="1 (2)", duration=6)
    result = web.get(result_url).text
    assert "Kết thúc bình thường" in result and "1 (2)" in result
    assert "hx-trigger" not in result  # polling stops once the call is over
    # Not one of the campaign's contacts.
    page = web.get(reverse("web:campaign", args=[ivr_campaign.pk])).text
    assert 'data-count="total">0<' in page


def test_duplicate_archive_restore_and_delete(web, ivr_campaign):
    web.post(reverse("web:campaign_duplicate", args=[ivr_campaign.pk]))
    copy = Campaign.objects.exclude(pk=ivr_campaign.pk).get()
    assert copy.name == "Reminders (bản sao)" and copy.status == "draft"
    web.post(reverse("web:campaign_archive", args=[ivr_campaign.pk]))
    ivr_campaign.refresh_from_db()
    assert ivr_campaign.status == "archived"
    listed = web.get(reverse("web:campaigns")).text
    assert "Reminders (bản sao)" in listed and ">Reminders<" not in listed
    assert ">Reminders<" in web.get(reverse("web:campaigns") + "?archived=1").text
    web.post(reverse("web:campaign_restore", args=[ivr_campaign.pk]))
    ivr_campaign.refresh_from_db()
    assert ivr_campaign.status == "draft"
    # A campaign with contacts cannot be deleted; an empty one can.
    import_contacts(ivr_campaign, [{"phone_number": "0901234567"}])
    page = web.post(reverse("web:campaign_delete", args=[ivr_campaign.pk]))
    assert page.status_code == 200 and 'id="cannot-delete"' in page.text
    assert Campaign.objects.filter(pk=ivr_campaign.pk).exists()
    assert 'id="confirm-delete"' in web.get(reverse("web:campaign_delete", args=[copy.pk])).text
    assert web.post(reverse("web:campaign_delete", args=[copy.pk])).status_code == 302
    assert not Campaign.objects.filter(pk=copy.pk).exists()


def test_campaign_page_shows_script_menu_hours_pacing_and_retries(web, user):
    from aicall.campaigns.services import do_create_campaign

    campaign = do_create_campaign(
        user.pk,
        {
            "name": "Đơn hàng",
            "campaign_type": "ivr",
            "script": "Xin chào {ho_ten}, đơn {ma_don_hang}",
            "ivr_menu": {"prompt": "Bấm 1 để xác nhận", "keys": {"1": {"action": "hangup"}}},
            "calling_hours": "07:30-20:00",
            "calling_weekdays": "01234",
            "max_attempts": 3,
            "retry_interval_seconds": 600,
            "max_concurrent_calls": 7,
        },
    )
    html = web.get(reverse("web:campaign", args=[campaign.pk])).text
    assert "Xin chào {ho_ten}, đơn {ma_don_hang}" in html
    assert "Xin chào Nguyễn Văn An, đơn DH-1024" in html  # the sample contact
    assert "Bấm 1 để xác nhận" in html and 'class="tree"' in html
    assert "07:30-20:00" in html and "T2" in html
    assert ">7<" in html and "cách nhau 600 giây" in html


def test_call_page_shows_attempts_timeline_sip_code_and_keys(web, ivr_campaign, other_web):
    import_contacts(ivr_campaign, [{"phone_number": "0901234567", "ma_don_hang": "DH-9"}])
    call = Call.objects.get()
    finish(call, state=40, cause="NORMAL CLEARING", key_press="1 (3)", duration=8)
    Call.objects.filter(pk=call.pk).update(
        sip_code=200, key_presses=[["1", 3.2]], answered_at=timezone.now(), attempt_count=2
    )
    for n, cause in ((1, "USER BUSY"), (2, "NORMAL CLEARING")):
        CallAttempt.objects.create(
            call=call, attempt=n, called_at=timezone.now(), hangup_cause=cause, sip_code=200
        )
    html = web.get(reverse("web:call", args=[call.pk])).text
    assert "DH-9" in html and "Máy bận" in html and "Kết thúc bình thường" in html
    assert "Bấm phím 1" in html and 'id="call-sip-code">200<' in html
    assert other_web.get(reverse("web:call", args=[call.pk])).status_code == 404
    listing = web.get(reverse("web:campaign_calls", args=[ivr_campaign.pk])).text
    assert f'href="/calls/{call.pk}/"' in listing


def test_do_not_call_removal_asks_and_upload_notes_say_where_from(web):
    web.post(reverse("web:dnc_upload"), {"file": csv_file([["0901234567"]], name="chan.csv")})
    html = web.get(reverse("web:dnc")).text
    assert "Từ tệp chan.csv" in html and ">upload<" not in html
    assert 'data-confirm="Gỡ +84901234567 khỏi danh sách không gọi?' in html


def test_stopped_otp_upload_says_why(web, otp_campaign):
    from aicall.campaigns.services import do_stop_campaign

    do_stop_campaign(otp_campaign)
    html = web.get(reverse("web:contacts_upload", args=[otp_campaign.pk])).text
    assert 'id="upload-blocked"' in html and "03" in html
    assert f'href="/campaigns/{otp_campaign.pk}/start/"' in html


def test_running_campaign_not_yet_started_is_neither_stopped_nor_running(web, ivr_campaign):
    html = web.get(reverse("web:campaigns")).text
    assert "Nháp" in html and "Đã dừng" not in html
    do_start_campaign(ivr_campaign)
    assert "Đang chạy" in web.get(reverse("web:campaigns")).text
