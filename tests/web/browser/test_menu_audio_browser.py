"""In Chromium on a phone: choose recordings for a menu prompt and a message in the menu
editor, hear the prompt's in "Nghe thử", save, and play them back from the editor."""

import pytest
from playwright.sync_api import expect

from tests.audiofiles import tone
from tests.web.browser.conftest import shot, sign_in

PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.browser


def _duration(page, selector: str) -> float:
    page.wait_for_function(
        f"() => {{ const a = document.querySelector({selector!r});"
        " return a && a.readyState >= 1 && a.duration > 0 && isFinite(a.duration); }"
    )
    return page.evaluate(f"document.querySelector({selector!r}).duration")


def test_menu_recordings_on_a_phone(browser, server, tmp_path):
    context = browser.new_context(viewport=PHONE, locale="vi-VN")
    context.set_default_timeout(20_000)
    page = context.new_page()
    sign_in(page, server)
    page.goto(server.base_url + "/campaigns/new/")
    page.fill("#id_name", "Menu ghi âm")
    page.fill("#id_script", "Xin chào")
    editor = page.locator("#menu-editor")
    editor.locator(".menu-start").click()
    editor.locator(".menu-prompt").fill("Bấm 1 để nghe lời nhắn")
    editor.locator(".menu-action").first.select_option("message")
    editor.locator(".menu-message").fill("Cảm ơn quý khách")

    # Every control, the recording choosers included, is wide enough and labelled.
    controls = editor.locator("input, select, textarea")
    for n in range(controls.count()):
        box = controls.nth(n).bounding_box()
        assert box and box["width"] >= 120, (n, controls.nth(n).get_attribute("class"), box)
        assert controls.nth(n).get_attribute("aria-label")
    assert editor.locator(".menu-audio-file").count() == 2  # the prompt and the message
    # The prompt's recording (first chooser), then the message's.
    editor.locator(".menu-audio-file").first.set_input_files(str(tone(tmp_path / "moi.wav", 3)))
    expect(editor.locator(".menu-audio-player")).to_have_count(1)
    expect(editor.locator(".menu-audio-name").first).to_contain_text("moi.wav")
    editor.locator(".menu-audio-file").set_input_files(str(tone(tmp_path / "nhan.wav", 2)))
    expect(editor.locator(".menu-audio-player")).to_have_count(2)
    assert '"prompt_audio": "new:1"' in page.input_value("#id_ivr_menu")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # "Nghe thử": the script, then the chosen prompt recording (not its text).
    page.click("#listen-button")
    heard = _duration(page, "#listen-player")
    assert 0.4 < heard - 3.0 < 2.0, heard  # "Xin chào" spoken, then the 3 s recording
    shot(page, "menu-audio-phone")

    page.click("#save-campaign")
    page.wait_for_url("**/campaigns/*/")
    expect(page.locator(".tree-audio")).to_have_count(2)
    page.goto(page.url + "edit/")
    players = page.locator("#menu-editor .menu-audio-player")
    expect(players).to_have_count(2)
    expect(page.locator("#menu-editor .menu-audio-name").first).to_contain_text("moi.wav")
    first = _duration(page, "#menu-editor .menu-audio-player")
    assert 2.9 < first < 3.2, first
    # Remove the message's recording in the editor and save: its text is spoken again.
    page.locator("#menu-editor .menu-audio-remove").last.click()
    expect(players).to_have_count(1)
    page.click("#save-campaign")
    page.wait_for_url("**/campaigns/*/")
    expect(page.locator(".tree-audio")).to_have_count(1)
    context.close()
