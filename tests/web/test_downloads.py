"""The website's CSV and Excel downloads, made for people: names, the contact's own
columns, words, real dates; the API's CSV stays as it was."""

import csv
import io
from datetime import datetime

from openpyxl import load_workbook

from aicall.calls.models import Call
from aicall.calls.services import import_contacts
from aicall.lib.vntime import VIETNAM
from tests.web.helpers import finish


def _contacts(campaign):
    import_contacts(
        campaign,
        [
            {"phone_number": "0901000001", "ho_ten": "An", "ma_don_hang": "DH-1", "kho": "HN"},
            {"phone_number": "0901000002", "ho_ten": "Bình", "ma_don_hang": "DH-2"},
            {"phone_number": "0901000003", "ho_ten": "=cmd()", "ghi_chu": "+gấp"},
        ],
    )
    calls = list(Call.objects.filter(campaign=campaign).order_by("id"))
    finish(calls[0], state=40, cause="NORMAL CLEARING", key_press="1 (2)", duration=9)
    finish(calls[1], state=50, cause="USER BUSY")
    return calls


def _csv(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_rows_carry_the_campaign_name_and_the_contacts_own_columns(web, ivr_campaign):
    calls = _contacts(ivr_campaign)
    response = web.get(f"/campaigns/{ivr_campaign.pk}/calls/download.csv")
    assert "Reminders" in response["Content-Disposition"]
    rows = _csv(response)
    assert [int(r["call_id"]) for r in rows] == [c.pk for c in calls]
    first, second, third = rows
    assert first["Chiến dịch"] == "Reminders" and first["campaign_id"] == str(ivr_campaign.pk)
    # Custom columns after the name: the first contact's fields first (in the order the
    # database keeps them: PostgreSQL's jsonb sorts keys), then the others.
    header = list(first)
    custom = header[header.index("Họ tên") + 1 : header.index("Thời điểm gọi")]
    assert set(custom[:2]) == {"ma_don_hang", "kho"} and custom[2:] == ["ghi_chu"]
    assert first["ma_don_hang"] == "DH-1" and first["kho"] == "HN"
    assert second["ma_don_hang"] == "DH-2" and second["kho"] == ""
    # Words for people, the API's raw values in their own columns.
    assert first["Kết quả"] == "Nghe máy" and first["Lý do kết thúc"] == "Kết thúc bình thường"
    assert (first["state"], first["note"]) == ("40", "NORMAL CLEARING")
    assert second["Lý do kết thúc"] == "Máy bận" and second["note"] == "USER BUSY"
    assert third["Kết quả"] == "" and third["Xử lý"] == "Chờ gọi" and third["state"] == ""
    # Every cell, custom ones included, is kept from running as a formula.
    assert third["Họ tên"] == "'=cmd()" and third["ghi_chu"] == "'+gấp"


def test_headers_follow_the_language(web, ivr_campaign):
    _contacts(ivr_campaign)
    web.cookies["django_language"] = "en"
    rows = _csv(web.get("/calls/download.csv"))
    assert {"Campaign", "Phone number", "How the call ended", "Result"} <= set(rows[0])
    assert rows[0]["How the call ended"] == "Ended normally"


def test_xlsx_has_real_dates_sized_columns_and_the_custom_columns(web, ivr_campaign):
    calls = _contacts(ivr_campaign)
    response = web.get(f"/campaigns/{ivr_campaign.pk}/calls/download.xlsx")
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    called_at = header.index("Thời điểm gọi")
    assert isinstance(rows[1][called_at], datetime)
    calls[0].refresh_from_db()
    local = calls[0].called_at.astimezone(VIETNAM)
    assert rows[1][called_at] == local.replace(tzinfo=None, microsecond=0)
    assert rows[3][called_at] is None  # never called
    assert rows[1][header.index("ma_don_hang")] == "DH-1"
    assert rows[1][header.index("Số điện thoại")] == "0901000001"  # text: the 0 stays
    assert sheet.column_dimensions["B"].width >= 20  # the campaign name's column
    assert sheet.freeze_panes == "A2"


def test_the_api_csv_is_unchanged(api, token, ivr_campaign):
    _contacts(ivr_campaign)
    response = api.client.get(
        f"/api/campaigns/{ivr_campaign.pk}/export",
        {"format": "csv", "start_time": "0"},
        headers={"Authorization": f"Bearer {token}"},
    )
    content = b"".join(response.streaming_content) if response.streaming else response.content
    header = content.decode("utf-8-sig").splitlines()[0]
    assert header.split(",")[:8] == [
        "call_id",
        "caller_id",
        "callee_id",
        "called_at",
        "duration",
        "key_press",
        "note",
        "state",
    ]
