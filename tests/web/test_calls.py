import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from aicall.calls.models import Call
from aicall.calls.services import import_contacts
from tests.web.helpers import finish


@pytest.fixture
def finished_calls(ivr_campaign):
    numbers = ["0901000001", "0901000002", "0901000003", "0901000004", "0901000005"]
    import_contacts(ivr_campaign, [{"phone_number": n, "ho_ten": f"K{n[-1]}"} for n in numbers])
    calls = list(Call.objects.filter(campaign=ivr_campaign).order_by("id"))
    now = timezone.now()
    finish(calls[0], state=40, cause="NORMAL CLEARING", key_press="1 (2)", duration=9)
    finish(calls[1], state=40, cause="NORMAL CLEARING", key_press="2 (2), 9 (4)", duration=12)
    finish(calls[2], state=50, cause="USER BUSY", called_at=now - timedelta(days=2))
    finish(calls[3], state=40, cause="NORMAL CLEARING", duration=5)
    return calls  # calls[4] stays queued


def ids(response):
    import re

    return [
        int(n)
        for n in re.findall(r'<td class="mono call-id"[^>]*><a [^>]*>(\d+)</a></td>', response.text)
    ]


def test_filters_by_state_cause_key_phone_and_time(web, ivr_campaign, finished_calls):
    c = finished_calls
    url = f"/campaigns/{ivr_campaign.pk}/calls/"
    assert sorted(ids(web.get(url))) == sorted(x.pk for x in c)
    assert sorted(ids(web.get(url, {"state": "answered"}))) == sorted([c[0].pk, c[1].pk, c[3].pk])
    assert ids(web.get(url, {"state": "failed"})) == [c[2].pk]
    assert ids(web.get(url, {"state": "queued"})) == [c[4].pk]
    assert ids(web.get(url, {"cause": "USER BUSY"})) == [c[2].pk]
    assert ids(web.get(url, {"key": "9"})) == [c[1].pk]
    assert ids(web.get(url, {"key": "1"})) == [c[0].pk]
    assert ids(web.get(url, {"key": "none"})) == [c[3].pk]
    assert ids(web.get(url, {"phone": "+84 901 000 002"})) == [c[1].pk]
    assert ids(web.get(url, {"phone": "000003"})) == [c[2].pk]
    since = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    assert sorted(ids(web.get(url, {"start": since}))) == sorted([c[0].pk, c[1].pk, c[3].pk])


def test_account_wide_table_and_campaign_filter(web, ivr_campaign, otp_campaign, finished_calls):
    import_contacts(otp_campaign, [{"phone_number": "0987654321", "otp_code": "123456"}])
    other = Call.objects.get(campaign=otp_campaign)
    assert other.pk in ids(web.get("/calls/"))
    assert other.pk not in ids(web.get("/calls/", {"campaign": ivr_campaign.pk}))


def test_paging(web, ivr_campaign):
    import_contacts(ivr_campaign, [{"phone_number": f"09020{n:05d}"} for n in range(120)])
    first = ids(web.get(f"/campaigns/{ivr_campaign.pk}/calls/"))
    third = ids(web.get(f"/campaigns/{ivr_campaign.pk}/calls/", {"page": 3}))
    assert len(first) == 50 and len(third) == 20 and not set(first) & set(third)


def test_csv_download_is_exactly_the_filtered_calls(web, ivr_campaign, finished_calls):
    c = finished_calls
    response = web.get(
        f"/campaigns/{ivr_campaign.pk}/calls/download.csv", {"state": "answered", "key": "2"}
    )
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [int(r["call_id"]) for r in rows] == [c[1].pk]
    assert rows[0]["Số điện thoại"] == "0901000002"
    assert rows[0]["Phím"] == "2 (2), 9 (4)"
    assert rows[0]["note"] == "NORMAL CLEARING" and rows[0]["state"] == "40"
    assert rows[0]["Kết quả"] == "Nghe máy"
    assert rows[0]["Lý do kết thúc"] == "Kết thúc bình thường"
    everything = b"".join(web.get("/calls/download.csv").streaming_content).decode("utf-8-sig")
    assert len(list(csv.DictReader(io.StringIO(everything)))) == 5


def test_xlsx_download_is_exactly_the_filtered_calls(web, ivr_campaign, finished_calls):
    c = finished_calls
    response = web.get("/calls/download.xlsx", {"state": "answered"})
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "call_id"
    assert [r[0] for r in rows[1:]] == [c[0].pk, c[1].pk, c[3].pk]


def test_spreadsheet_formulas_in_names_are_neutralised(web, ivr_campaign):
    import_contacts(ivr_campaign, [{"phone_number": "0901234567", "ho_ten": "=HYPERLINK(1)"}])
    text = b"".join(web.get("/calls/download.csv").streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text


def test_dashboard_figures(web, ivr_campaign, finished_calls):
    account = web.get("/dashboard/charts/").text
    assert 'id="stat-finished">4<' in account and 'id="stat-answered">3<' in account
    assert 'id="stat-rate">75%<' in account
    html = web.get(f"/campaigns/{ivr_campaign.pk}/charts/").text
    # How calls ended, in words, with the raw note kept for the tooltip.
    assert 'title="USER BUSY"' in html and ">Máy bận<" in html
    assert "<svg" in html and "<rect" in html
    # The campaign page shows its counts once (its progress panel), not twice.
    assert 'id="stat-finished"' not in html
