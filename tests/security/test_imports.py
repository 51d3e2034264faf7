"""Premium-rate and service numbers, short codes and over-long text are skipped at import."""

import pytest

from aicall.accounts.services import do_set_restricted_destinations
from aicall.calls.contacts import MAX_TEXT_CHARS, SkipReason, check_contacts
from aicall.calls.models import Call
from tests.web.helpers import csv_file, upload

pytestmark = pytest.mark.django_db


def _import(api, token, campaign, contacts):
    return api.post(
        f"/api/campaigns/{campaign.pk}/import", {"access_token": token, "contacts": contacts}
    )


def test_premium_and_service_numbers_are_skipped_with_their_reason(api, token, ivr_campaign):
    contacts = [
        {"phone_number": "19001234"},
        {"phone_number": "1900 123 456"},
        {"phone_number": "+84 1800 1234"},
        {"phone_number": "113"},
        {"phone_number": "0901234567"},
    ]
    status, body = _import(api, token, ivr_campaign, contacts)
    assert status == 200 and body["message"] == "Ghi nhận thành công 1 trên 5 bản ghi"
    assert [c.phone_e164 for c in Call.objects.all()] == ["+84901234567"]
    checked = check_contacts(contacts, otp_required=False)
    assert [reason for _, reason in checked.skipped] == [
        SkipReason.RESTRICTED_NUMBER,
        SkipReason.RESTRICTED_NUMBER,
        SkipReason.RESTRICTED_NUMBER,
        SkipReason.SHORT_CODE,
    ]


def test_the_operator_may_allow_them_for_one_account(api, token, ivr_campaign, user):
    do_set_restricted_destinations(user, True)
    status, body = _import(api, token, ivr_campaign, [{"phone_number": "19001234"}])
    assert body["message"] == "Ghi nhận thành công 1 trên 1 bản ghi"


def test_text_longer_than_the_cap_is_skipped(api, token, ivr_campaign):
    n = MAX_TEXT_CHARS
    contacts = [
        {"phone_number": "0901234561", "ho_ten": "N" * n, "note": "x" * n},
        {"phone_number": "0901234562", "ho_ten": "N" * (n + 1)},
        {"phone_number": "0901234563", "danh_xung": "a" * (n + 1)},
        {"phone_number": "0901234564", "note": "x" * (n + 1)},
        {"phone_number": "0901234565", "k" * 101: "x"},
        {"phone_number": "0901234566", "order": {"items": ["x" * n]}},
    ]
    status, body = _import(api, token, ivr_campaign, contacts)
    assert body["message"] == "Ghi nhận thành công 1 trên 6 bản ghi"
    reasons = [r for _, r in check_contacts(contacts, otp_required=False).skipped]
    assert reasons == [SkipReason.TEXT_TOO_LONG] * 5


def test_the_website_upload_reports_the_reason(web, ivr_campaign):
    mapping_url = upload(
        web,
        ivr_campaign,
        csv_file([["so_dien_thoai", "ho_ten"], ["19001234", "A"], ["0901234567", "B"]]),
    )
    report_url = web.post(mapping_url, {"col_0": "phone_number", "col_1": "ho_ten"})["Location"]
    text = b"".join(web.get(report_url.replace("/report/", "/report.csv")).streaming_content)
    assert b"premium_or_service_number" in text
    assert Call.objects.count() == 1
