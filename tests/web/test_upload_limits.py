"""Uploads within bounds: size, rows, columns, .xlsx unpacked size and shared strings,
entity declarations; files deleted a day after upload. (The memory of a live server under
a 25 MB CSV and a zip bomb: test_upload_memory.py.)"""

import os
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile

from aicall.calls.models import Call, DoNotCall
from aicall.web import uploads
from tests.web.helpers import (
    csv_file,
    upload,
    write_bomb_sheet,
    write_shared_strings,
    xlsx_file,
    xlsx_with_parts,
)


def stored_files():
    root = Path(django_settings.MEDIA_ROOT) / "uploads"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture(autouse=True)
def empty_uploads():
    for path in stored_files():
        path.unlink()


@pytest.fixture
def limits(settings):
    def apply(**values):
        settings.AICALL = {**settings.AICALL, **values}

    return apply


def post_contacts(web, campaign, file):
    return web.post(f"/campaigns/{campaign.pk}/contacts/", {"file": file})


def test_a_file_over_the_size_limit_is_refused_before_it_is_stored(web, ivr_campaign, limits):
    limits(MAX_UPLOAD_BYTES=64 * 1024)
    rows = [["phone_number", "ho_ten"]] + [[f"090{n:07d}", "Nguyễn Văn An"] for n in range(3000)]
    web.cookies["django_language"] = "en"
    answer = post_contacts(web, ivr_campaign, csv_file(rows))
    assert answer.status_code == 200
    assert "The file is larger than 0.0625 MB" in answer.text
    assert "This field is required" not in answer.text
    assert stored_files() == []
    # Just under the limit is fine.
    assert post_contacts(web, ivr_campaign, csv_file(rows[:1000])).status_code == 302


def test_the_size_limit_message_says_the_limit(web, ivr_campaign, limits):
    limits(MAX_UPLOAD_BYTES=2 * 1024 * 1024)
    content = b"phone_number\n" + b"0901234567\n" * 200_000
    web.cookies["django_language"] = "en"
    answer = post_contacts(web, ivr_campaign, SimpleUploadedFile("big.csv", content))
    assert "The file is larger than 2 MB, the most an upload may be." in answer.text
    answer = web.post("/do-not-call/upload/", {"file": SimpleUploadedFile("d.csv", content)})
    assert "The file is larger than 2 MB" in answer.text
    assert not DoNotCall.objects.exists()


def test_the_upload_page_says_the_limits(web, ivr_campaign):
    page = web.get(f"/campaigns/{ivr_campaign.pk}/contacts/")
    assert "Tối đa 20 MB và 100,000 dòng." in page.text


def test_vietnamese_message_for_a_large_file(web, ivr_campaign, limits):
    limits(MAX_UPLOAD_BYTES=1024 * 1024)
    big = SimpleUploadedFile("big.csv", b"phone_number\n" + b"0901234567\n" * 200_000)
    assert "Tệp lớn hơn 1 MB" in post_contacts(web, ivr_campaign, big).text


def test_row_and_column_caps(web, ivr_campaign, limits):
    limits(MAX_UPLOAD_ROWS=5, MAX_UPLOAD_COLUMNS=4)
    web.cookies["django_language"] = "en"
    header = ["phone_number"]
    six = [header] + [[f"090123456{n}"] for n in range(6)]
    assert "more than 5 rows" in post_contacts(web, ivr_campaign, csv_file(six)).text
    assert "more than 5 rows" in post_contacts(web, ivr_campaign, xlsx_file(six)).text
    wide = [["phone_number", "a", "b", "c", "d"], ["0901234567", "1", "2", "3", "4"]]
    assert "more than 4 columns" in post_contacts(web, ivr_campaign, csv_file(wide)).text
    assert "more than 4 columns" in post_contacts(web, ivr_campaign, xlsx_file(wide)).text
    assert stored_files() == []
    # Five rows (and empty cells past the cap) are fine.
    ok = [[*row, "", ""] for row in six[:6]]
    assert post_contacts(web, ivr_campaign, csv_file(ok)).status_code == 302
    answer = web.post("/do-not-call/upload/", {"file": csv_file(six, name="dnc.csv")})
    assert "more than 5 rows" in answer.text and not DoNotCall.objects.exists()


def test_a_line_or_field_too_long_is_refused_not_a_500(web, ivr_campaign):
    web.cookies["django_language"] = "en"
    commas = SimpleUploadedFile("c.csv", b"phone_number\n0901234567" + b"," * 300_000 + b"\n")
    assert "too long" in post_contacts(web, ivr_campaign, commas).text
    field = SimpleUploadedFile("f.csv", b'phone_number,ho_ten\n0901234567,"' + b"a" * 200_000)
    answer = post_contacts(web, ivr_campaign, field)
    assert answer.status_code == 200 and "could not be read as CSV" in answer.text


def test_an_xlsx_zip_bomb_is_refused_before_openpyxl_opens_it(
    web, ivr_campaign, limits, monkeypatch
):
    limits(MAX_XLSX_UNPACKED_BYTES=20 * 1024 * 1024)
    opened = []
    monkeypatch.setattr(
        "aicall.web.spreadsheets.load_workbook", lambda *a, **k: opened.append(a) or 1 / 0
    )
    bomb = xlsx_with_parts({"xl/worksheets/sheet1.xml": write_bomb_sheet(30 * 1024 * 1024)})
    assert len(bomb) < 200_000  # 30 MB of XML in a small file
    web.cookies["django_language"] = "en"
    answer = post_contacts(web, ivr_campaign, SimpleUploadedFile("bomb.xlsx", bomb))
    assert "unpacks to more data than an upload may hold" in answer.text
    assert opened == [] and stored_files() == []


def test_too_many_shared_strings_are_refused(web, ivr_campaign, limits):
    limits(MAX_XLSX_SHARED_STRINGS=1000)
    web.cookies["django_language"] = "en"
    many = xlsx_with_parts({"xl/sharedStrings.xml": write_shared_strings(1001)})
    answer = post_contacts(web, ivr_campaign, SimpleUploadedFile("s.xlsx", many))
    assert "unpacks to more data" in answer.text
    fine = xlsx_with_parts({"xl/sharedStrings.xml": write_shared_strings(1000)})
    assert (
        "unpacks to more data"
        not in post_contacts(web, ivr_campaign, SimpleUploadedFile("s.xlsx", fine)).text
    )


def test_a_row_with_too_many_cells_is_refused_while_counting(web, ivr_campaign):
    web.cookies["django_language"] = "en"
    cells = b"<c><v>1</v></c>" * 5_000
    sheet = xlsx_with_parts(
        {
            "xl/worksheets/sheet1.xml": (
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b"<sheetData><row>" + cells + b"</row></sheetData></worksheet>"
            )
        }
    )
    answer = post_contacts(web, ivr_campaign, SimpleUploadedFile("w.xlsx", sheet))
    assert "more than 100 columns" in answer.text


def test_an_xml_part_with_entity_declarations_is_refused(web, ivr_campaign):
    web.cookies["django_language"] = "en"
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<si><t>&lol2;</t></si></sst>"
    )
    evil = xlsx_with_parts({"xl/sharedStrings.xml": laughs})
    answer = post_contacts(web, ivr_campaign, SimpleUploadedFile("e.xlsx", evil))
    assert "could not be read as an Excel .xlsx workbook" in answer.text
    assert stored_files() == []


def test_a_real_workbook_and_csv_still_import(web, ivr_campaign):
    rows = [["phone_number", "ho_ten"], ["0901234567", "An"], ["0912345678", "Bình"]]
    for file in (csv_file(rows), xlsx_file(rows)):
        mapping_url = upload(web, ivr_campaign, file)
        web.post(mapping_url, {"col_0": "phone_number", "col_1": "ho_ten"})
    assert Call.objects.filter(campaign=ivr_campaign).count() == 4
    cp1258 = SimpleUploadedFile(
        "v.csv", "phone_number,ho_ten\n0901234560,Văn Đăng\n".encode("cp1258")
    )
    mapping_url = upload(web, ivr_campaign, cp1258)
    assert "Văn Đăng" in web.get(mapping_url).text


def test_uploads_are_deleted_a_day_after_upload(web, ivr_campaign):
    mapping_url = upload(web, ivr_campaign, csv_file([["phone_number"], ["0901234567"]]))
    web.post(mapping_url, {"col_0": "phone_number"})
    assert web.get(mapping_url + "report/").status_code == 200
    old = stored_files()
    assert len(old) == 3  # the file, its meta, its report
    day_ago = time.time() - 86_400 - 60
    for path in old:
        os.utime(path, (day_ago, day_ago))
    # Due: no longer served, even before the sweep...
    assert web.get(mapping_url).status_code == 404
    assert web.get(mapping_url + "report.csv").status_code == 404
    # ...and the next upload (any account's) deletes them.
    upload(web, ivr_campaign, csv_file([["phone_number"], ["0901234568"]]))
    remaining = stored_files()
    assert not set(old) & set(remaining) and len(remaining) == 2
    assert uploads.sweep_old_uploads(now=time.time() + 86_400 + 60) == 2
    assert stored_files() == []
