"""In Chromium: upload a recording on the campaign form, press "Nghe thử", and the audio
element loads and plays a non-empty WAV."""

import pytest
from playwright.sync_api import expect

from tests.audiofiles import tone
from tests.web.browser.conftest import shot, sign_in

pytestmark = pytest.mark.browser


def test_upload_audio_then_listen(page, server, tmp_path):
    sign_in(page, server)
    page.goto(server.base_url + "/campaigns/new/")
    page.fill("#id_name", "Nghe thử ghi âm")
    page.fill("#id_script", "Xin chào {danh_xung} {ho_ten}")
    page.select_option("#id_voice", "vi-vn-x-south+f3")
    page.set_input_files("#id_audio_file", str(tone(tmp_path / "loi-chao.wav", 3)))
    page.click("#save-campaign")
    page.wait_for_url("**/campaigns/*/")
    campaign_url = page.url
    page.goto(campaign_url + "edit/")
    expect(page.locator("#current-audio")).to_contain_text("loi-chao.wav")
    expect(page.locator("#id_voice")).to_have_value("vi-vn-x-south+f3")

    page.click("#listen-button")
    player = page.locator("#listen-player")
    expect(player).to_be_visible()
    page.wait_for_function(
        "() => { const a = document.getElementById('listen-player');"
        " return a.readyState >= 1 && a.duration > 0; }"
    )
    duration = page.evaluate("document.getElementById('listen-player').duration")
    assert 2.9 < duration < 3.2, duration  # the uploaded file, not the spoken script
    page.evaluate("document.getElementById('listen-player').play()")
    page.wait_for_function("() => document.getElementById('listen-player').currentTime > 0.2")
    assert page.evaluate("document.getElementById('listen-player').paused") is False
    size = page.evaluate(
        "fetch(document.getElementById('listen-player').src).then(r => r.blob()).then(b => b.size)"
    )
    assert size > 44 + 16000 * 2.9
    shot(page, "campaign-listen")

    # Remove the recording: the preview is the spoken script again (not saved yet).
    page.check("#id_remove_audio")
    page.click("#listen-button")
    page.wait_for_function(
        f"() => {{ const a = document.getElementById('listen-player');"
        f" return a.duration > 0 && Math.abs(a.duration - {duration}) > 0.05; }}"
    )
