"""Formula cells are neutralised in every download (lib/spreadsheet.py), and only there."""

import csv
import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from aicall.calls.models import Call
from aicall.calls.services import import_contacts
from aicall.lib.spreadsheet import safe_row
from tests.factories import finished_call
from tests.web.helpers import csv_file, finish, upload

FORMULAS = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=1", "\r=1"]
T0 = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)


def test_the_one_function():
    assert safe_row(FORMULAS) == ["'" + text for text in FORMULAS]
    plain = ["Nguyễn Văn A", "0901234567", "1 (2)", "a=b", "", 5, -3, 1.5, None]
    assert safe_row(plain) == plain
    assert safe_row(["=x", 7, "ok"]) == ["'=x", 7, "ok"]


def _csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.django_db
def test_api_csv_export_and_call_log(api, token, ivr_campaign, client):
    finished_call(ivr_campaign, "+84901234560", T0, note="=HYPERLINK(1)", key_press="@SUM(1)")
    json_status, body = api.get(
        f"/api/campaigns/{ivr_campaign.pk}/export", access_token=token, start_time="0"
    )
    # The JSON export is the stored text, unchanged.
    assert body["results"]["calls"][0]["note"] == "=HYPERLINK(1)"
    for path in (f"/api/campaigns/{ivr_campaign.pk}/export", "/api/users/call-log"):
        rows = _csv_rows(
            client.get(path, {"access_token": token, "format": "csv", "start_time": "0"})
        )
        header, row = rows[0], rows[1]
        assert row[header.index("note")] == "'=HYPERLINK(1)"
        assert row[header.index("key_press")] == "'@SUM(1)"
        assert row[header.index("callee_id")] == "0901234560"


@pytest.fixture
def formula_calls(ivr_campaign):
    contacts = [
        {"phone_number": f"090123456{i}", "ho_ten": text, "danh_xung": text}
        for i, text in enumerate(FORMULAS)
    ]
    import_contacts(ivr_campaign, contacts)
    for call in Call.objects.filter(campaign=ivr_campaign):
        finish(call, state=40, cause="NORMAL CLEARING")
    return contacts


def _no_live_formula(cells) -> None:
    for cell in cells:
        assert not (isinstance(cell, str) and cell.startswith(tuple("=+-@\t\r"))), repr(cell)


@pytest.mark.django_db
def test_website_csv_and_xlsx_downloads(web, formula_calls):
    rows = _csv_rows(web.get("/calls/download.csv"))
    cells = [cell for row in rows[1:] for cell in row]
    _no_live_formula(cells)
    for text in FORMULAS:  # name and salutation of each contact, neutralised
        assert cells.count("'" + text) == 2, text
    response = web.get("/calls/download.xlsx")
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet_cells = [c for row in workbook.worksheets[0].iter_rows(min_row=2) for c in row]
    _no_live_formula([c.value for c in sheet_cells])
    assert all(c.data_type != "f" for c in sheet_cells)  # no formula cell at all
    for text in FORMULAS:
        assert [c.value for c in sheet_cells].count("'" + text) == 2, text


@pytest.mark.django_db
def test_upload_summary_download(web, ivr_campaign):
    mapping_url = upload(
        web,
        ivr_campaign,
        csv_file(
            [["so_dien_thoai", "ho_ten"], ["0901234567", "=cmd|' /C calc'!A0"], ["+84 bad", "x"]]
        ),
    )
    report_url = web.post(mapping_url, {"col_0": "phone_number", "col_1": "ho_ten"})["Location"]
    rows = _csv_rows(web.get(report_url.replace("/report/", "/report.csv")))
    assert rows[1][2] == "'=cmd|' /C calc'!A0"
    assert rows[2][1] == "'+84 bad"  # as sent, starting with +: neutralised like any text
