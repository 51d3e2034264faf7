"""The contacts' own columns come out of the downloads in the order the customer gave them,
on SQLite and on PostgreSQL alike (whose jsonb would sort them by length, then bytes)."""

import csv
import io

from django.db import connection
from openpyxl import load_workbook

from aicall.calls.models import Call
from aicall.campaigns.columns import SCANNED_CONTACTS, names_in_order
from aicall.campaigns.models import Campaign
from aicall.campaigns.services import do_duplicate_campaign
from tests.web.helpers import csv_file, upload

# Deliberately not jsonb's order (z, kho, ghi_chu, so_tien, ma_don_hang) nor sorted.
GIVEN = ["ma_don_hang", "so_tien", "kho", "ghi_chu", "z"]


def _custom_header(header: list[str]) -> list[str]:
    start = header.index("Họ tên") + 1
    return header[start : header.index("Thời điểm gọi")]


def _csv_header(web, path: str) -> list[str]:
    text = b"".join(web.get(path).streaming_content).decode("utf-8-sig")
    return next(csv.reader(io.StringIO(text)))


def _xlsx_header(web, path: str) -> list[str]:
    book = load_workbook(io.BytesIO(b"".join(web.get(path).streaming_content)), read_only=True)
    return [cell.value for cell in next(book.active.iter_rows(max_row=1))]


def _import(api, token, campaign, contacts):
    status, body = api.post(
        f"/api/campaigns/{campaign.pk}/import", {"access_token": token, "contacts": contacts}
    )
    assert status == 200 and body["status"] == 1, body


def test_api_imports_keep_the_customers_column_order_in_downloads(web, api, token, ivr_campaign):
    contact = {"phone_number": "0901000001", "ho_ten": "An"}
    contact.update({name: f"v-{name}" for name in GIVEN})
    _import(api, token, ivr_campaign, [contact])
    stored = Call.objects.get(campaign=ivr_campaign).custom_fields
    if connection.vendor == "postgresql":  # what the fix is for: jsonb's own order
        assert list(stored) == ["z", "kho", "ghi_chu", "so_tien", "ma_don_hang"]
    # a later import bringing a new column: it goes after the known ones
    _import(api, token, ivr_campaign, [{"phone_number": "0901000002", "b_moi": "x", "kho": "HN"}])
    expected = [*GIVEN, "b_moi"]
    base = f"/campaigns/{ivr_campaign.pk}/calls/download"
    assert _custom_header(_csv_header(web, base + ".csv")) == expected
    assert _custom_header(_xlsx_header(web, base + ".xlsx")) == expected
    assert _custom_header(_csv_header(web, "/calls/download.csv")) == expected
    ivr_campaign.refresh_from_db()
    assert ivr_campaign.contact_columns == expected


def test_a_website_upload_keeps_the_files_column_order(web, ivr_campaign):
    header = ["Số điện thoại", "Họ tên", *GIVEN]
    rows = [header, ["0901000001", "An", *[f"v{i}" for i in range(len(GIVEN))]]]
    mapping_url = upload(web, ivr_campaign, csv_file(rows))
    choices = {"col_0": "phone_number", "col_1": "ho_ten"}
    choices.update({f"col_{i + 2}": "custom" for i in range(len(GIVEN))})
    assert web.post(mapping_url, choices).status_code == 302
    path = f"/campaigns/{ivr_campaign.pk}/calls/download.csv"
    assert _custom_header(_csv_header(web, path)) == GIVEN


def test_across_campaigns_each_campaigns_order_in_turn(web, api, token, ivr_campaign, user):
    second = do_duplicate_campaign(ivr_campaign, "Thứ hai")
    assert second.contact_columns == []  # a copy has no contacts, hence no columns
    _import(api, token, ivr_campaign, [{"phone_number": "0901000001", "so_tien": "1", "kho": "HN"}])
    _import(api, token, second, [{"phone_number": "0901000002", "z": "1", "ma_don_hang": "D"}])
    header = _custom_header(_csv_header(web, "/calls/download.csv"))
    assert header == ["so_tien", "kho", "z", "ma_don_hang"]
    assert Campaign.objects.get(pk=second.pk).contact_columns == ["z", "ma_don_hang"]


def test_the_order_is_read_from_the_first_contacts_only():
    class Contact:
        def __init__(self, fields):
            self.custom_fields = fields

    contacts = [Contact({"b": 1, "a": 1})] * SCANNED_CONTACTS + [Contact({"late": 1})]
    assert names_in_order(contacts) == ["b", "a"]
