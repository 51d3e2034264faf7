import re

from django.urls import reverse

from aicall.calls.models import Call
from tests.web.helpers import csv_file, upload, xlsx_file


def summary(html):
    return {
        name: int(re.search(rf'id="sum-{name}"[^>]*>(\d+)<', html).group(1))
        for name in ("total", "accepted", "duplicate", "invalid")
    }


ROWS = [
    ["So dien thoai", "Họ tên", "danh_xung", "ma_don_hang"],
    ["0901234567", "Nguyễn Văn An", "anh", "DH1"],
    ["0901234567", "Trùng số", "chị", "DH2"],
    ["12345", "Sai số", "anh", "DH3"],
    ["", "Không số", "anh", "DH4"],
    ["+84 912 345 678", "<script>alert(1)</script>", "chị", "DH5"],
]


def test_csv_upload_maps_imports_and_reports(web, ivr_campaign):
    mapping_url = upload(web, ivr_campaign, csv_file(ROWS))
    page = web.get(mapping_url)
    assert page.status_code == 200
    # Guessed from the header: phone, name, salutation; the rest kept as custom fields.
    assert '<option value="phone_number" selected>' in page.text
    assert '<option value="ho_ten" selected>' in page.text
    response = web.post(
        mapping_url,
        {"col_0": "phone_number", "col_1": "ho_ten", "col_2": "danh_xung", "col_3": "custom"},
    )
    report_url = response["Location"]
    report = web.get(report_url).text
    assert summary(report) == {"total": 5, "accepted": 2, "duplicate": 1, "invalid": 2}
    calls = Call.objects.filter(campaign=ivr_campaign).order_by("id")
    assert [c.phone_e164 for c in calls] == ["+84901234567", "+84912345678"]
    assert calls[0].custom_fields == {"ma_don_hang": "DH1"} and calls[0].danh_xung == "anh"
    download = web.get(report_url.replace("/report/", "/report.csv"))
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0] == "line,phone_number,ho_ten,result,reason,call_id"
    assert lines[2].startswith("3,0901234567,Trùng số,duplicate,duplicate_in_request")
    assert ",invalid,invalid_phone_number," in lines[3]
    assert ",invalid,missing_phone_number," in lines[4]
    assert lines[1].endswith(f",accepted,,{calls[0].pk}")


def test_mapping_needs_a_phone_column_and_keeps_the_choices(web, ivr_campaign):
    mapping_url = upload(web, ivr_campaign, csv_file(ROWS))
    response = web.post(mapping_url, {"col_0": "", "col_1": "ho_ten", "col_2": "ho_ten"})
    assert response.status_code == 200
    assert Call.objects.count() == 0
    assert "errorlist" in response.text
    assert '<option value="ho_ten" selected>' in response.text


def test_xlsx_upload_keeps_leading_zero_numbers_and_otp_codes(web, otp_campaign):
    rows = [
        ["phone_number", "otp_code"],
        ["0901234567", "012345"],
        [912345678, 123456],
        [None, None],
    ]
    mapping_url = upload(web, otp_campaign, xlsx_file(rows))
    web.post(mapping_url, {"col_0": "phone_number", "col_1": "otp_code"})
    calls = Call.objects.filter(campaign=otp_campaign).order_by("id")
    assert [(c.phone_e164, c.otp_code) for c in calls] == [
        ("+84901234567", "012345"),
        ("+84912345678", "123456"),
    ]


def test_stopped_voice_otp_campaign_refuses_like_the_api(web, otp_campaign):
    from aicall.campaigns.services import do_stop_campaign

    do_stop_campaign(otp_campaign)
    page = web.get(reverse("web:contacts_upload", args=[otp_campaign.pk]))
    assert 'id="upload-blocked"' in page.text
    mapping_url = upload(
        web, otp_campaign, csv_file([["phone_number", "otp_code"], ["0901234567", "111111"]])
    )
    response = web.post(mapping_url, {"col_0": "phone_number", "col_1": "otp_code"})
    assert response.status_code == 200 and 'id="upload-blocked"' in response.text
    assert Call.objects.filter(campaign=otp_campaign).count() == 0


def test_a_file_that_is_not_csv_or_xlsx_is_refused_next_to_the_field(web, ivr_campaign):
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("contacts.xlsx", b"this is not a zip")
    response = web.post(f"/campaigns/{ivr_campaign.pk}/contacts/", {"file": bad})
    assert response.status_code == 200
    field = response.text.split('id="field-file"')[1]
    assert "errorlist" in field.split("</div>")[0] + field


def test_mapping_step_names_the_placeholder_of_each_column(web, ivr_campaign):
    from tests.web.helpers import csv_file, upload

    url = upload(
        web, ivr_campaign, csv_file([["phone_number", "Mã đơn hàng"], ["0901234567", "A"]])
    )
    html = web.get(url).text
    from aicall.web.uploads import custom_key

    assert f'data-placeholder="{{{custom_key("Mã đơn hàng", 1)}}}"' in html


def test_an_otp_code_that_a_spreadsheet_made_a_number_gets_its_zeros_back(web, otp_campaign):
    rows = [
        ["phone_number", "otp_code"],
        ["0901234567", 12345],  # 012345 typed into Excel
        ["0901234568", "1234"],  # a CSV saved by Excel: 001234
        ["0901234569", "0"],  # not a code
        ["0901234570", "1234567"],  # too long: refused as before
    ]
    mapping_url = upload(web, otp_campaign, xlsx_file(rows))
    web.post(mapping_url, {"col_0": "phone_number", "col_1": "otp_code"})
    codes = list(Call.objects.filter(campaign=otp_campaign).order_by("id").values_list("otp_code"))
    assert codes == [("012345",), ("001234",)]
