"""The website's audio: upload on the campaign form, "Nghe thử", recorded digits."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from aicall.campaigns.models import Campaign, DigitRecording
from aicall.campaigns.services import do_start_campaign
from aicall.speech.clips import default_engine, wav_seconds
from aicall.telephony.sandbox import SandboxCarrier
from tests.audiofiles import digit_zip, tone
from tests.dialer.conftest import harness, settled, wait_until  # noqa: F401 - fixture
from tests.web.test_campaigns import form_data


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AICALL = {**settings.AICALL, "AUDIO_CACHE_DIR": tmp_path / "audio"}


def _file(path, name=None):
    return SimpleUploadedFile(name or path.name, path.read_bytes())


def test_upload_on_the_form_then_the_sandbox_call_lasts_as_long(
    web,
    user,
    api,
    token,
    tmp_path,
    transactional_db,
    harness,  # noqa: F811 - the fixture
):
    data = form_data(script="Xin chào", calling_hours_start="00:00", ivr_menu="")
    data["calling_weekdays"] = list("0123456")
    data["audio_file"] = _file(tone(tmp_path / "loi-chao.wav", 7))
    response = web.post(reverse("web:campaign_create"), data)
    assert response.status_code == 302, response.content[-2000:]
    campaign = Campaign.objects.get(owner=user)
    assert campaign.audio_seconds == 7.0 and campaign.audio_name == "loi-chao.wav"
    page = web.get(reverse("web:campaign_edit", args=[campaign.pk])).content.decode()
    player = reverse("web:campaign_audio", args=[campaign.pk])
    assert f'src="{player}"' in page and "loi-chao.wav" in page
    played = web.get(player)
    assert played["Content-Type"] == "audio/wav"
    assert b"".join(played.streaming_content) == open(campaign.audio_file.path, "rb").read()

    api.post(
        f"/api/campaigns/{campaign.pk}/import",
        {"access_token": token, "contacts": [{"phone_number": "0901234568"}]},
    )
    do_start_campaign(campaign)
    h = harness(SandboxCarrier(speed=400))
    wait_until(settled(campaign), timeout=30)
    h.stop()
    _, body = api.get(f"/api/campaigns/{campaign.pk}/export", access_token=token)
    assert [c["duration"] for c in body["results"]["calls"]] == [7]


def test_a_refused_file_changes_nothing_on_the_form(web, ivr_campaign, tmp_path):
    fake = tmp_path / "fake.mp3"
    fake.write_text("đây là văn bản, không phải âm thanh")
    url = reverse("web:campaign_edit", args=[ivr_campaign.pk])
    response = web.post(url, form_data(name="Đổi tên", audio_file=_file(fake), speech_rate="150"))
    assert response.status_code == 200
    assert "không phải âm thanh WAV hoặc MP3" in response.content.decode()
    campaign = Campaign.objects.get(pk=ivr_campaign.pk)
    assert campaign.name == "Reminders" and campaign.speech_rate == 100
    assert not campaign.audio_file


def test_remove_audio_and_voice_settings_on_the_form(web, ivr_campaign, tmp_path):
    url = reverse("web:campaign_edit", args=[ivr_campaign.pk])
    web.post(url, form_data(audio_file=_file(tone(tmp_path / "a.wav", 2))))
    assert Campaign.objects.get(pk=ivr_campaign.pk).audio_seconds == 2.0
    response = web.post(
        url,
        form_data(
            remove_audio="on",
            voice="vi-vn-x-central+f3",
            speech_rate="85",
            otp_lead_text="Mã của bạn là",
            otp_closing_text="Chào tạm biệt",
            otp_pause_ms="1200",
        ),
    )
    assert response.status_code == 302
    campaign = Campaign.objects.get(pk=ivr_campaign.pk)
    assert not campaign.audio_file and campaign.audio_seconds is None
    assert (campaign.voice, campaign.speech_rate, campaign.otp_pause_ms) == (
        "vi-vn-x-central+f3",
        85,
        1200,
    )
    assert (campaign.otp_lead_text, campaign.otp_closing_text) == ("Mã của bạn là", "Chào tạm biệt")
    assert campaign.otp_replay_text == "Bấm phím 1 để nghe lại"  # not in the post: kept


def test_listen_renders_the_form_as_it_stands(web, ivr_campaign, tmp_path):
    listen = reverse("web:listen")
    response = web.post(
        listen,
        {
            "campaign_id": ivr_campaign.pk,
            "script": "Chào {danh_xung} {ho_ten}",
            "voice": "vi-vn-x-south",
            "speech_rate": "130",
            "sample_danh_xung": "cô",
            "sample_ho_ten": "Hoa",
        },
    )
    assert response.status_code == 200 and response["Content-Type"] == "audio/wav"
    expected = default_engine("vi-vn-x-south", 130).render("Chào cô Hoa")
    assert response.content[44:] == expected.read_bytes()[44:]
    # Not saved by listening.
    assert Campaign.objects.get(pk=ivr_campaign.pk).voice == "vi"

    # A file chosen but not saved yet is what plays.
    chosen = web.post(
        listen, {"campaign_id": ivr_campaign.pk, "audio_file": _file(tone(tmp_path / "c.wav", 3))}
    )
    assert abs((len(chosen.content) - 44) / 16000 - 3.0) < 0.01
    assert not Campaign.objects.get(pk=ivr_campaign.pk).audio_file
    bad = web.post(listen, {"campaign_id": ivr_campaign.pk, "voice": "en"})
    assert bad.status_code == 400 and bad.json()["field"] == "voice"


def test_another_accounts_audio_is_not_found(web, other_web, ivr_campaign, tmp_path):
    url = reverse("web:campaign_edit", args=[ivr_campaign.pk])
    web.post(url, form_data(audio_file=_file(tone(tmp_path / "a.wav", 1))))
    assert other_web.get(reverse("web:campaign_audio", args=[ivr_campaign.pk])).status_code == 404
    listen = other_web.post(reverse("web:listen"), {"campaign_id": ivr_campaign.pk})
    assert listen.status_code == 404


def test_digits_page_zip_single_digit_and_delete(web, user, tmp_path):
    page = reverse("web:digits")
    assert web.get(page).status_code == 200
    zipped = SimpleUploadedFile("digits.zip", digit_zip(tmp_path))
    assert web.post(page, {"archive": zipped}).status_code == 302
    assert DigitRecording.objects.filter(owner=user).count() == 10
    text = web.get(page).content.decode()
    assert text.count('src="/digits/') == 10
    replaced = web.post(page, {"digit_4": _file(tone(tmp_path / "bon.wav", 0.8))})
    assert replaced.status_code == 302
    four = DigitRecording.objects.get(owner=user, digit="4")
    assert abs(four.audio_seconds - 0.9) < 0.02  # trimmed, 50 ms of quiet kept each side
    assert abs(wav_seconds(four.audio_file.path) - four.audio_seconds) < 0.01
    fake = tmp_path / "5.wav"
    fake.write_text("no")
    refused = web.post(page, {"digit_5": _file(fake)})
    assert (
        refused.status_code == 200
        and "không phải âm thanh WAV hoặc MP3" in refused.content.decode()
    )
    assert web.post(reverse("web:digits_delete")).status_code == 302
    assert not DigitRecording.objects.filter(owner=user).exists()
