"""What an operations person needs, in Chromium at 1366x768 and at 390x844: states that
explain themselves, a confirmed start and a test call, hangup reasons in words, downloads
with the contacts' own columns, a usable phone layout, /api/docs offline, screenshots."""

import csv
import io
import re
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.web.browser.conftest import shot, sign_in

pytestmark = pytest.mark.browser

VIEWPORTS = {"laptop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(params=list(VIEWPORTS))
def screen(request, browser, server):
    """A signed-in page at one of the two sizes; confirmation dialogs are accepted."""
    context = browser.new_context(
        viewport=VIEWPORTS[request.param], accept_downloads=True, locale="en-US"
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.size = request.param
    sign_in(page, server)
    yield page
    context.close()


def api(server, method: str, path: str, body=None):
    _status, token = server.api("/api/users/generate-access-token", secret_key=server.secret_key)
    response = httpx.request(
        method,
        server.base_url + path,
        json=body,
        headers={"Authorization": f"Bearer {token['results']['access_token']}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()["results"]


def new_campaign(server, **settings) -> int:
    body = {"name": "Chiến dịch", "campaign_type": "ivr", "caller_id": "0281234567", **settings}
    return api(server, "post", "/api/campaigns", body)["campaign_id"]


def test_waiting_for_calling_hours_says_when_the_first_calls_go_out(screen, server):
    today = timezone.localtime()
    tomorrow = today + timedelta(days=1)
    # Every day but today, 08:00-17:00: whatever the hour now, the first call is tomorrow.
    days = "".join(d for d in "0123456" if d != str(today.weekday()))
    campaign_id = new_campaign(
        server, name=f"Chờ giờ {screen.size}", calling_hours="08:00-17:00", calling_weekdays=days
    )
    api(
        server,
        "post",
        f"/api/campaigns/{campaign_id}/import",
        {"contacts": [{"phone_number": "0901234560"}, {"phone_number": "0901234561"}]},
    )
    api(server, "post", f"/api/campaigns/{campaign_id}/start")
    screen.goto(f"{server.base_url}/campaigns/{campaign_id}/")
    expect(screen.locator("#campaign-activity")).to_have_attribute("data-waiting", "calling_hours")
    reason = screen.locator("#waiting-reason")
    expect(reason).to_contain_text("Đang chờ đến giờ gọi")
    expect(reason).to_contain_text(f"08:00, {tomorrow:%d/%m/%Y}")
    expect(screen.locator('#progress-stats [data-count="queued"]')).to_have_text("2")
    shot(screen, f"campaign-waiting-{screen.size}")
    assert api(server, "get", f"/api/campaigns/{campaign_id}")["waiting_reason"] == (
        "calling_hours"
    )
    # The campaign list says it too.
    screen.goto(server.base_url + "/campaigns/")
    row = screen.locator(f'tr[data-campaign-id="{campaign_id}"]')
    expect(row.locator(".waiting")).to_contain_text("08:00")


def test_draft_test_call_confirmed_start_running_completed(screen, server):
    campaign_id = new_campaign(
        server,
        name=f"Vòng đời {screen.size}",
        calling_hours="00:00-24:00",
        script="Xin chào {ho_ten}, đơn {ma_don_hang}",
        ivr_menu={"prompt": "Bấm 1 để xác nhận", "keys": {"1": {"action": "hangup"}}},
    )
    page = screen
    page.goto(f"{server.base_url}/campaigns/{campaign_id}/")
    expect(page.locator("#campaign-status")).to_have_text("Nháp")
    expect(page.locator("#campaign-settings")).to_contain_text("Bấm 1 để xác nhận")
    expect(page.locator("#settings-hours")).to_contain_text("00:00-24:00")

    # A test call to a number typed in, placed by the dialer; its result appears.
    page.click("#test-call")
    page.fill("#id_phone_number", "0901234561")  # the sandbox answers and presses 1
    page.click("#place-test-call")
    expect(page.locator("#test-call-state")).to_have_attribute(
        "data-call-status", "done", timeout=60_000
    )
    expect(page.locator("#test-call-note")).to_have_text("Kết thúc bình thường")
    expect(page.locator("#test-call-state")).to_contain_text("1 (")
    shot(page, f"test-call-{page.size}")
    page.click("#test-call-details")
    expect(page.locator("#call-timeline")).to_contain_text("Bấm phím 1")
    shot(page, f"call-detail-{page.size}")

    # The test is not one of the campaign's contacts.
    page.goto(f"{server.base_url}/campaigns/{campaign_id}/")
    expect(page.locator('#progress-stats [data-count="total"]')).to_have_text("0")
    contacts = [
        {"phone_number": "0901234570", "ho_ten": "An", "ma_don_hang": "DH-70"},
        {"phone_number": "0901234573", "ho_ten": "Bình", "ma_don_hang": "DH-73"},  # busy
        {"phone_number": "0901234571", "ho_ten": "Chi", "ma_don_hang": "DH-71"},
    ]
    api(server, "post", f"/api/campaigns/{campaign_id}/import", {"contacts": contacts})

    # Start: a summary to confirm; nothing is dialled before the confirmation.
    page.goto(f"{server.base_url}/campaigns/{campaign_id}/")
    page.click("#start-campaign")
    expect(page.locator("#summary-contacts")).to_contain_text("3")
    expect(page.locator("#summary-hours")).to_contain_text("00:00–24:00")
    expect(page.locator("#summary-caller-id")).to_have_text("0281234567")
    expect(page.locator("#summary-route")).to_contain_text("môi trường thử")
    shot(page, f"campaign-start-{page.size}")
    assert api(server, "get", f"/api/campaigns/{campaign_id}")["status"] == "draft"
    page.click("#confirm-start")
    expect(page.locator("#campaign-status")).to_have_text("Đang chạy")
    activity = page.locator("#campaign-activity")
    expect(activity).to_have_attribute("data-status", "completed", timeout=90_000)
    expect(activity).to_contain_text("Đã hoàn tất")
    # The page follows: its title and buttons are those of a completed campaign.
    expect(page.locator("#campaign-status")).to_have_text("Đã hoàn tất", timeout=15_000)
    expect(page.locator("#stop-campaign")).to_have_count(0)
    expect(page.locator('#progress-stats [data-count="total"]')).to_have_text("3")
    expect(page.locator("#chart-causes")).to_contain_text("Máy bận", timeout=15_000)
    shot(page, f"campaign-completed-{page.size}")
    assert api(server, "get", f"/api/campaigns/{campaign_id}")["status"] == "completed"

    # The calls: reasons in words, the raw code on hover; a download with the custom columns.
    page.goto(f"{server.base_url}/campaigns/{campaign_id}/calls/")
    busy = page.locator('#calls-table .cause[data-note="USER BUSY"]')
    expect(busy).to_have_text("Máy bận")
    expect(busy).to_have_attribute("title", "USER BUSY")
    expect(page.locator("#calls-table")).not_to_contain_text("NORMAL CLEARING")
    shot(page, f"calls-{page.size}")
    with page.expect_download() as download:
        page.click("#download-csv")
    text = download.value.path().read_text(encoding="utf-8-sig")
    rows = {r["ma_don_hang"]: r for r in csv.DictReader(io.StringIO(text))}
    assert set(rows) == {"DH-70", "DH-71", "DH-73"}
    assert rows["DH-73"]["Lý do kết thúc"] == "Máy bận" and rows["DH-73"]["note"] == "USER BUSY"
    assert {r["Chiến dịch"] for r in rows.values()} == {f"Vòng đời {page.size}"}


def test_menu_editor_is_usable_on_a_phone(browser, server):
    context = browser.new_context(viewport=VIEWPORTS["phone"], locale="en-US")
    page = context.new_page()
    sign_in(page, server)
    page.goto(server.base_url + "/campaigns/new/")
    editor = page.locator("#menu-editor")
    editor.locator(".menu-start").click()
    editor.locator(".menu-action").nth(0).select_option("message")
    editor.locator(".menu-add-key").last.click()
    editor.locator(".menu-action").nth(1).select_option("transfer")
    editor.locator(".menu-add-key").last.click()
    editor.locator(".menu-action").nth(2).select_option("submenu")
    editor.locator(".node .node .menu-add-key").click()
    editor.locator(".node .node .menu-action").nth(1).select_option("message")
    editor.locator(".node .node .menu-prompt").fill("Bấm 1 để quay lại")
    editor.locator(".menu-message").first.fill("Cảm ơn quý khách")
    controls = editor.locator("input, select, textarea")
    assert controls.count() >= 12
    for n in range(controls.count()):
        control = controls.nth(n)
        box = control.bounding_box()
        assert box and box["width"] >= 120, (n, control.get_attribute("class"), box)
        # Every control says what it is to a screen reader.
        assert control.get_attribute("aria-label"), control.evaluate("e => e.outerHTML")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "menu-editor-phone")
    context.close()


def test_api_docs_render_with_every_other_host_blocked(browser, server):
    context = browser.new_context(viewport=VIEWPORTS["laptop"])
    own = urlsplit(server.base_url).netloc
    blocked: list[str] = []

    def only_this_server(route):
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_this_server)
    page = context.new_page()
    page.goto(server.base_url + "/api/docs")
    # Swagger UI fetches and renders the whole OpenAPI document: seconds on a loaded machine
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("aicall API", timeout=30_000)
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    assert page.locator(".swagger-ui .opblock").count() > 10
    assert not blocked, blocked  # it did not even try another host
    shot(page, "api-docs-laptop")
    context.close()


def _contrast_failures(page) -> list[str]:
    """Text whose contrast with its background is below WCAG AA (4.5:1, large text 3:1)."""
    return page.evaluate(
        """() => {
      function rgb(text) { const m = text.match(/[\\d.]+/g); return m ? m.map(Number) : null; }
      function lum([r, g, b]) {
        const f = c => {
          c /= 255;
          return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
        };
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
      }
      function background(node) {
        for (let el = node; el; el = el.parentElement) {
          const c = rgb(getComputedStyle(el).backgroundColor);
          if (c && (c.length < 4 || c[3] > 0.5)) return c;
        }
        return [255, 255, 255];
      }
      const bad = [];
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      while (walker.nextNode()) {
        const text = walker.currentNode.textContent.trim();
        const el = walker.currentNode.parentElement;
        if (!text || !el || el.closest("svg, script, style, [hidden], option")) continue;
        const style = getComputedStyle(el);
        const box = el.getBoundingClientRect();
        if (style.visibility === "hidden" || box.width === 0 || box.height === 0) continue;
        const fg = rgb(style.color), bg = background(el);
        const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
        const ratio = (a + 0.05) / (b + 0.05);
        const size = parseFloat(style.fontSize), weight = parseInt(style.fontWeight, 10);
        const large = size >= 24 || (size >= 18.66 && weight >= 700);
        if (ratio < (large ? 3 : 4.5)) bad.push(`${text.slice(0, 40)} (${ratio.toFixed(2)})`);
      }
      return bad;
    }"""
    )


def test_every_main_page_at_both_sizes(screen, server):
    """Screenshots of every main page; on the phone nothing runs off to the side, tables are
    cards, the menu is behind a button; text everywhere meets 4.5:1 contrast."""
    campaign_id = new_campaign(server, name=f"Trang {screen.size}", calling_hours="00:00-24:00")
    api(
        server,
        "post",
        f"/api/campaigns/{campaign_id}/import",
        {"contacts": [{"phone_number": "0901234593", "ho_ten": "Dũng"}]},
    )
    pages = {
        "dashboard": "/dashboard/",
        "campaigns": "/campaigns/",
        "campaign": f"/campaigns/{campaign_id}/",
        "campaign-edit": f"/campaigns/{campaign_id}/edit/",
        "campaign-new": "/campaigns/new/",
        "campaign-start-confirm": f"/campaigns/{campaign_id}/start/",
        "test-call-form": f"/campaigns/{campaign_id}/test-call/",
        "contacts-upload": f"/campaigns/{campaign_id}/contacts/",
        "calls-all": "/calls/",
        "webhooks": f"/campaigns/{campaign_id}/webhooks/",
        "do-not-call": "/do-not-call/",
        "profile": "/profile/",
        "digits": "/digits/",
        "password": "/password/",
    }
    low_contrast = {}
    for name, path in pages.items():
        screen.goto(server.base_url + path)
        screen.wait_for_load_state("networkidle")
        if screen.size == "phone":
            width = screen.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, (name, width)
            expect(screen.locator("#main-nav")).to_be_hidden()
        failures = _contrast_failures(screen)
        if failures:
            low_contrast[name] = failures
        shot(screen, f"page-{name}-{screen.size}")
    assert not low_contrast, low_contrast
    if screen.size == "phone":
        screen.goto(server.base_url + "/calls/")
        expect(screen.locator("#calls-table thead")).to_be_hidden()  # cards, not columns
        screen.click("#nav-toggle")
        expect(screen.locator("#main-nav")).to_be_visible()
        shot(screen, "phone-menu-open")
        screen.click("#main-nav >> text=Chiến dịch")
        expect(screen).to_have_url(re.compile(r".*/campaigns/$"))
