"""The website end to end in Chromium, against a real server with the sandbox dialer."""

import csv
import io
import json
import re

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from tests.web.browser.conftest import shot, sign_in

pytestmark = pytest.mark.browser

EVIL_NAME = '<script>alert("x")</script>'
MENU = {
    "prompt": "Bấm 1 để xác nhận, bấm 2 để nghe lại",
    "keys": {
        "1": {"action": "message", "message": "Cảm ơn quý khách"},
        "2": {"action": "repeat"},
        "9": {"action": "hangup"},
    },
}


def test_secret_key_reveal_and_rotation(page, server):
    sign_in(page, server)
    page.goto(server.base_url + "/profile/")
    expect(page.locator("#secret-value")).to_have_count(0)
    page.click("#mint-token")
    old_token = page.locator("#token-value").inner_text().strip()
    assert server.api("/api/users/call-log", access_token=old_token)[0] == 200
    page.click("#reveal-secret")
    expect(page.locator("#secret-value")).to_have_text(server.secret_key)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.click('#secret-box [data-copy="#secret-value"]')
    assert page.evaluate("navigator.clipboard.readText()") == server.secret_key
    shot(page, "profile")

    page.click("#rotate-secret")
    expect(page.locator(".alert-danger")).to_contain_text("access_token")
    shot(page, "rotate-confirm")
    page.click("#confirm-rotate")
    page.wait_for_url("**/profile/")
    status, body = server.api("/api/users/call-log", access_token=old_token)
    assert (status, body["code"]) == (401, "401")
    page.click("#reveal-secret")
    new_secret = page.locator("#secret-value").inner_text().strip()
    assert new_secret != server.secret_key
    status, body = server.api("/api/users/generate-access-token", secret_key=new_secret)
    assert status == 200 and body["results"]["access_token"]
    server.secret_key = new_secret


def _build_menu_with_the_editor(page):
    """The structured editor writes the JSON; the server validates and draws the tree."""
    page.click("#menu-editor .menu-clear")
    page.click("#menu-editor .menu-start")
    editor = page.locator("#menu-editor")
    editor.locator(".menu-prompt").first.fill(MENU["prompt"])
    editor.locator(".menu-action").nth(0).select_option("message")
    editor.locator(".menu-message").fill("Cảm ơn quý khách")
    editor.locator(".menu-add-key").last.click()
    editor.locator(".menu-action").nth(1).select_option("repeat")
    editor.locator(".menu-add-key").last.click()
    editor.locator(".menu-action").nth(2).select_option("submenu")
    expect(page.locator("#menu-error")).to_contain_text("lời nhắc")
    editor.locator(".node .node .menu-prompt").fill("Bấm 1 để quay lại")
    expect(page.locator("#menu-ok")).to_be_visible()
    expect(page.locator("#menu-tree")).to_contain_text("Bấm 1 để quay lại")
    menu = json.loads(page.input_value("#id_ivr_menu"))
    assert menu["keys"]["1"] == {
        "action": "message",
        "message": "Cảm ơn quý khách",
        "then": "hangup",
    }
    assert menu["keys"]["2"] == {"action": "repeat"}
    assert menu["keys"]["3"]["menu"]["keys"] == {"1": {"action": "back"}}


def _csv_contacts(path):
    # Last digits pick the sandbox's outcome: 0 listens, 1 presses 1, 2 presses 2 then 9,
    # 3 busy, 4 no answer, 5 rejects, 6 unallocated, 7 hangs up after 5 s.
    rows = [["So dien thoai", "Họ tên", "danh_xung", "ma_don_hang"]]
    for digit in range(8):
        rows.append([f"090123450{digit}", f"Khách {digit}", "anh", f"DH{digit}"])
    rows.append(["0901234500", "Trùng số", "chị", "DH9"])  # duplicate
    rows.append(["12345", "Sai số", "anh", "DH10"])  # invalid
    rows.append(["0912 345 678", EVIL_NAME, "chị", "DH11"])
    with path.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(rows)


def _xlsx_contacts(path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["phone_number", "ho_ten"])
    for digit in (0, 1, 3):
        sheet.append([f"0987 65 43 2{digit}", f"Excel {digit}"])
    sheet.append([912000111, "Số không có 0 đầu"])
    workbook.save(path)


def _summary(page):
    return {
        name: int(page.locator(f"#sum-{name}").inner_text())
        for name in ("total", "accepted", "duplicate", "invalid")
    }


def _upload(page, path):
    page.click("#upload-contacts")
    page.set_input_files("#id_file", str(path))
    page.click("#upload-submit")
    page.wait_for_selector("#mapping-form")


def test_campaign_contacts_calls_and_downloads(page, server, tmp_path):
    sign_in(page, server)
    shot(page, "dashboard-empty")

    # Create a campaign: a mistake first, then the real thing.
    page.click("#new-campaign") if page.locator("#new-campaign").count() else None
    page.goto(server.base_url + "/campaigns/new/")
    page.fill("#id_script", "Xin chào {danh_xung} {ho_ten}, đơn {ma_don_hang} đã sẵn sàng.")
    expect(page.locator("#script-preview-text")).to_contain_text("Xin chào anh Nguyễn Văn An")
    page.click("#menu-json summary")
    page.fill("#id_ivr_menu", json.dumps({"keys": {"1": {"action": "back"}}}))
    expect(page.locator("#menu-error")).to_contain_text("không có chỗ để quay về")
    page.click("#save-campaign")
    expect(page.locator("#field-name .errorlist")).to_be_visible()
    expect(page.locator("#id_script")).to_have_value(
        "Xin chào {danh_xung} {ho_ten}, đơn {ma_don_hang} đã sẵn sàng."
    )
    page.fill("#id_name", "Xác nhận đơn hàng")
    page.select_option("#id_campaign_type", "ivr")
    page.fill("#id_caller_id", "0281234567")
    _build_menu_with_the_editor(page)
    page.fill("#id_max_concurrent_calls", "20")
    page.fill("#id_ring_timeout_seconds", "20")
    page.fill("#id_calling_hours_start", "00:00")
    page.fill("#id_calling_hours_end", "00:00")
    shot(page, "campaign-form")
    page.click("#save-campaign")
    page.wait_for_url(re.compile(r".*/campaigns/\d+/$"))
    campaign_id = int(re.search(r"/campaigns/(\d+)/", page.url).group(1))

    # Contacts: a CSV with a mapping step, then an Excel file.
    csv_path, xlsx_path = tmp_path / "khach-hang.csv", tmp_path / "khach-hang.xlsx"
    _csv_contacts(csv_path)
    _xlsx_contacts(xlsx_path)
    _upload(page, csv_path)
    expect(page.locator("#id_col_0")).to_have_value("phone_number")
    expect(page.locator("#id_col_1")).to_have_value("ho_ten")
    shot(page, "contacts-mapping")
    page.click("#import-submit")
    page.wait_for_selector("#import-summary")
    assert _summary(page) == {"total": 11, "accepted": 9, "duplicate": 1, "invalid": 1}
    expect(page.locator("#problems")).to_contain_text("Sai số")
    shot(page, "contacts-summary")
    with page.expect_download() as download:
        page.click("#download-report")
    report = download.value.path().read_text(encoding="utf-8-sig").splitlines()
    assert len(report) == 12 and report[0].startswith("line,phone_number")
    page.click("text=" + page.locator(".actions .btn-primary").inner_text())
    _upload(page, xlsx_path)
    page.click("#import-submit")
    page.wait_for_selector("#import-summary")
    assert _summary(page) == {"total": 4, "accepted": 4, "duplicate": 0, "invalid": 0}

    # Start it with the sandbox carrier and watch the results arrive.
    page.goto(f"{server.base_url}/campaigns/{campaign_id}/")
    expect(page.locator('#progress-stats [data-count="total"]')).to_have_text("13")
    page.click("#start-campaign")
    # A summary to confirm first: nothing is dialled before that.
    expect(page.locator("#summary-contacts")).to_contain_text("13")
    expect(page.locator("#summary-route")).to_contain_text("môi trường thử")
    shot(page, "campaign-start-confirm")
    page.click("#confirm-start")
    expect(page.locator("#stop-campaign")).to_be_visible()
    answered = page.locator('#progress-stats [data-count="answered"]')
    expect(answered).not_to_have_text("0", timeout=60_000)
    done = page.locator('#progress-stats [data-count="queued"]')
    expect(done).to_have_text("0", timeout=90_000)
    expect(page.locator('#progress-stats [data-count="in_progress"]')).to_have_text(
        "0", timeout=90_000
    )
    expect(page.locator("#chart-timeline svg rect.s-answered").first).to_be_attached(timeout=15_000)
    expect(page.locator("#chart-causes")).to_contain_text("Máy bận", timeout=15_000)
    expect(page.locator('#chart-causes [data-note="USER BUSY"]')).to_have_attribute(
        "title", "USER BUSY"
    )
    # Everything called: the campaign completes by itself.
    expect(page.locator("#campaign-activity")).to_have_attribute(
        "data-status", "completed", timeout=30_000
    )
    assert not page.dialogs
    shot(page, "campaign-running")

    # The calls table: the <script> name is text, and filters narrow it.
    page.click("#campaign-calls")
    expect(page.locator("#calls-table")).to_contain_text(EVIL_NAME)
    assert not page.dialogs
    page.select_option("#id_state", "failed")
    page.click("#apply-filters")
    page.wait_for_url(re.compile(r".*state=failed.*"))
    failed_ids = [int(t) for t in page.locator("#calls-table td.call-id").all_inner_texts()]
    assert failed_ids and all(
        badge == "Không nghe máy" for badge in page.locator("#calls-table .badge").all_inner_texts()
    )
    page.select_option("#id_cause", "USER BUSY")
    page.click("#apply-filters")
    busy = page.locator("#calls-table tbody tr").all_inner_texts()
    assert busy and all("Máy bận" in row for row in busy)
    page.select_option("#id_cause", "")
    page.click("#apply-filters")
    shot(page, "calls-filtered")

    # The CSV download holds exactly the filtered rows, and agrees with the API export.
    with page.expect_download() as download:
        page.click("#download-csv")
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    assert sorted(int(r["call_id"]) for r in rows) == sorted(failed_ids)
    assert {r["state"] for r in rows} == {"50"}
    assert {r["Kết quả"] for r in rows} == {"Không nghe máy"}
    assert {r["Chiến dịch"] for r in rows} == {"Xác nhận đơn hàng"}
    assert any(r["ma_don_hang"].startswith("DH") for r in rows)  # the contacts' own column
    status, body = server.api("/api/users/generate-access-token", secret_key=server.secret_key)
    token = body["results"]["access_token"]
    status, export = server.api(
        f"/api/campaigns/{campaign_id}/export", access_token=token, limit=1000
    )
    api_failed = {c["call_id"]: c for c in export["results"]["calls"] if c["state"] == 50}
    assert set(api_failed) == {int(r["call_id"]) for r in rows}
    for row in rows:
        call = api_failed[int(row["call_id"])]
        assert (row["Số điện thoại"], row["note"], row["Thời điểm gọi"]) == (
            call["callee_id"],
            call["note"],
            call["called_at"],
        )
    assert export["results"]["total"] == 13

    # Key pressed: the sandbox's "…1" numbers pressed 1.
    page.goto(f"{server.base_url}/campaigns/{campaign_id}/calls/?key=1")
    pressed = page.locator("#calls-table tbody tr").all_inner_texts()
    assert pressed and all(re.search(r"\b1 \(\d+\)", row) for row in pressed)

    # The dashboard across campaigns.
    page.goto(server.base_url + "/dashboard/")
    expect(page.locator("#stat-finished")).to_have_text("13", timeout=15_000)
    shot(page, "dashboard")
    page.goto(server.base_url + "/campaigns/")
    expect(
        page.locator(f'tr[data-campaign-id="{campaign_id}"] [data-count="answered"]')
    ).not_to_have_text("0")
    shot(page, "campaigns")
    page.goto(server.base_url + "/do-not-call/")
    page.fill("#id_phone_number", "0901 234 599")
    page.click("#dnc-add button[type=submit]")
    expect(page.locator("#dnc-table")).to_contain_text("+84901234599")
    shot(page, "do-not-call")


def test_language_switch_and_phone_layout(browser, server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    page = context.new_page()
    sign_in(page, server)
    page.goto(server.base_url + "/campaigns/")
    expect(page.locator("h1")).to_have_text("Chiến dịch")
    shot(page, "phone-campaigns-vi")
    page.click('.lang-switch button[data-lang="en"]')
    expect(page.locator("h1")).to_have_text("Campaigns")
    expect(page).to_have_url(re.compile(r".*/campaigns/$"))
    page.goto(server.base_url + "/calls/")
    expect(page.locator("h1")).to_have_text("Calls")
    shot(page, "phone-calls-en")
    page.click('.lang-switch button[data-lang="vi"]')
    expect(page.locator("h1")).to_have_text("Cuộc gọi")
    # Nothing overflows sideways on a phone except the tables' own scroll boxes.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    context.close()


def test_upload_errors_show_next_to_the_field(page, server, tmp_path):
    sign_in(page, server)
    page.goto(server.base_url + "/campaigns/new/")
    page.fill("#id_name", "Lỗi tệp")
    page.click("#save-campaign")
    page.wait_for_url(re.compile(r".*/campaigns/\d+/$"))
    bad = tmp_path / "danh-ba.xlsx"
    bad.write_bytes(b"not a workbook at all")
    page.click("#upload-contacts")
    page.set_input_files("#id_file", str(bad))
    page.click("#upload-submit")
    expect(page.locator("#field-file .errorlist")).to_contain_text("Excel")
    # The page written from the upload's answer still works: a good file goes through.
    good = tmp_path / "danh-ba.csv"
    good.write_text("phone_number\n0901234560\n", encoding="utf-8")
    page.set_input_files("#id_file", str(good))
    page.click("#upload-submit")
    page.wait_for_selector("#mapping-form")
    page.click("#import-submit")
    expect(page.locator("#sum-accepted")).to_have_text("1")
