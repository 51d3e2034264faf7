"""Uploaded audio, listen-before-launch previews and recorded digits over the API."""

import io
import wave

import pytest

from aicall.calls.models import Call
from aicall.campaigns.models import Campaign, DigitRecording
from aicall.campaigns.services import do_create_campaign
from aicall.speech.clips import OtpWording, default_engine, join_wav, otp_clips, wav_seconds
from aicall.speech.normalize import normalize_vi
from tests.api.sandbox_run import sandbox_calls
from tests.audiofiles import digit_zip, tone
from tests.dialer.conftest import harness, settled, wait_until  # noqa: F401 - fixture


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AICALL = {**settings.AICALL, "AUDIO_CACHE_DIR": tmp_path / "audio"}
    return settings.MEDIA_ROOT


def upload(client, token, campaign_id, path, name=None, field="file"):
    response = client.post(
        f"/api/campaigns/{campaign_id}/audio",
        {field: _named(path.read_bytes(), name or path.name)},
        headers={"Authorization": f"Bearer {token}"},
    )
    return response.status_code, response.json()


def test_upload_measures_converts_and_the_sandbox_call_lasts_as_long(
    api,
    token,
    user,
    harness,  # noqa: F811 - the fixture
    tmp_path,
    transactional_db,
):
    campaign = do_create_campaign(
        user.pk,
        {
            "name": "Ghi âm",
            "campaign_type": "ivr",
            "script": "Xin chào",  # 8 characters: 3 s if it were spoken
            "calling_hours": "00:00-24:00",
        },
    )
    status, body = upload(api.client, token, campaign.pk, tone(tmp_path / "msg.wav", 7))
    assert status == 200, body
    assert body == {"status": 1, "results": {"audio_seconds": 7.0}}
    campaign.refresh_from_db()
    with wave.open(campaign.audio_file.path) as stored:
        assert (stored.getframerate(), stored.getnchannels(), stored.getsampwidth()) == (8000, 1, 2)
    status, body = api.get(f"/api/campaigns/{campaign.pk}", access_token=token)
    assert body["results"]["audio_seconds"] == 7.0 and body["results"]["audio_name"] == "msg.wav"

    calls = sandbox_calls(api, token, campaign, harness)
    assert calls["0901234560"]["duration"] == 7
    assert calls["0901234561"]["duration"] == 7 and calls["0901234561"]["key_press"] == "1 (2)"


def test_mp3_upload_and_delete_back_to_speech(api, token, ivr_campaign, tmp_path):
    status, body = upload(api.client, token, ivr_campaign.pk, tone(tmp_path / "a.mp3", 2.5))
    assert status == 200 and abs(body["results"]["audio_seconds"] - 2.5) < 0.1
    ivr_campaign.refresh_from_db()
    stored = ivr_campaign.audio_file.path
    response = api.client.delete(
        f"/api/campaigns/{ivr_campaign.pk}/audio", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    assert response.json() == {"status": 1, "results": {"audio_seconds": None}}
    ivr_campaign.refresh_from_db()
    assert not ivr_campaign.audio_file and ivr_campaign.audio_seconds is None
    import os

    assert not os.path.exists(stored)


@pytest.mark.parametrize(
    ("make", "name", "message"),
    [
        (lambda p: p.write_text("không phải âm thanh\n" * 50) or p, "fake.mp3", "not WAV or MP3"),
        (lambda p: p.write_bytes(b"RIFF\0\0\0\0WAVEjunk") or p, "broken.wav", "not WAV or MP3"),
        (lambda p: tone(p, 1), "notes.txt", "must be a WAV or MP3"),
        (lambda p: tone(p, 601, rate=8000, channels=1), "long.wav", "at most 600 s"),
    ],
)
def test_bad_files_are_refused_and_change_nothing(
    api, token, ivr_campaign, tmp_path, make, name, message
):
    status, _ = upload(api.client, token, ivr_campaign.pk, tone(tmp_path / "ok.wav", 2))
    assert status == 200
    before = Campaign.objects.get(pk=ivr_campaign.pk)
    # The content is made under an audio name (sox needs one); it is sent as `name`.
    path = tmp_path / ("src" + (".mp3" if name.endswith(".mp3") else ".wav"))
    make(path)
    status, body = upload(api.client, token, ivr_campaign.pk, path, name=name)
    assert status == 400 and body["code"] == "400" and body["field"] == "file", body
    assert message in body["message"]
    after = Campaign.objects.get(pk=ivr_campaign.pk)
    assert (after.audio_file.name, after.audio_seconds) == (
        before.audio_file.name,
        before.audio_seconds,
    )


def test_too_large_missing_field_and_other_accounts(
    api, token, ivr_campaign, other_user, tmp_path, settings
):
    settings.AICALL = {**settings.AICALL, "MAX_UPLOAD_BYTES": 10_000}
    status, body = upload(api.client, token, ivr_campaign.pk, tone(tmp_path / "big.wav", 2))
    assert status == 400 and body["field"] == "file" and "larger than" in body["message"]
    status, body = upload(api.client, token, ivr_campaign.pk, tmp_path / "big.wav", field="audio")
    assert status == 400 and body["field"] == "file"
    theirs = do_create_campaign(other_user.pk, {"name": "x", "campaign_type": "ivr"})
    status, body = upload(api.client, token, theirs.pk, tmp_path / "big.wav")
    assert status == 404 and body["code"] == "01"
    status, body = api.get(f"/api/campaigns/{theirs.pk}/preview.wav", access_token=token)
    assert status == 404 and body["code"] == "01"
    assert not Campaign.objects.get(pk=ivr_campaign.pk).audio_file


def _preview(api, token, campaign_id, **params):
    response = api.client.get(
        f"/api/campaigns/{campaign_id}/preview.wav", {"access_token": token, **params}
    )
    return response


def test_preview_is_the_rendered_script_for_two_voices_and_two_speeds(api, token, user, tmp_path):
    script = "Xin chào {danh_xung} {ho_ten}, đơn hàng {ma_don} giao ngày 26/11/2026."
    rendered = "Xin chào chị Lan, đơn hàng DH-7 giao ngày 26/11/2026."
    lengths = {}
    for voice in ("vi", "vi-vn-x-south+f3"):
        for rate in (100, 160):
            campaign = do_create_campaign(
                user.pk,
                {"name": "p", "campaign_type": "ivr", "script": script, "voice": voice}
                | {"speech_rate": rate},
            )
            response = _preview(
                api, token, campaign.pk, danh_xung="chị", ho_ten="Lan", ma_don="DH-7"
            )
            assert response.status_code == 200 and response["Content-Type"] == "audio/wav"
            assert response["Cache-Control"] == "no-store"
            path = tmp_path / f"{voice}-{rate}.wav"
            path.write_bytes(response.content)
            expected = default_engine(voice, rate).render(rendered)
            assert abs(wav_seconds(path) - wav_seconds(expected)) < 0.01
            assert path.read_bytes()[44:] == expected.read_bytes()[44:]
            lengths[voice, rate] = wav_seconds(path)
    for voice in ("vi", "vi-vn-x-south+f3"):
        # 160 % of the pace: well under the normal length.
        assert lengths[voice, 160] < lengths[voice, 100] * 0.8
    assert lengths["vi", 100] > 3


def test_preview_includes_the_menu_prompt_and_uploaded_audio(api, token, ivr_campaign, tmp_path):
    menu = {"prompt": "Bấm phím 1 để xác nhận", "keys": {"1": {"action": "hangup"}}}
    api.client.patch(
        f"/api/campaigns/{ivr_campaign.pk}",
        {"ivr_menu": menu},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    upload(api.client, token, ivr_campaign.pk, tone(tmp_path / "m.wav", 3))
    response = _preview(api, token, ivr_campaign.pk)
    path = tmp_path / "p.wav"
    path.write_bytes(response.content)
    prompt = wav_seconds(default_engine().render(menu["prompt"]))
    assert abs(wav_seconds(path) - (3.0 + prompt)) < 0.01


def test_a_long_script_is_previewed_up_to_its_first_thousand_characters(api, token, ivr_campaign):
    # 10,000 characters, numbers included: about 12 minutes of speech if spoken whole.
    script = ("Xin chào quý khách, lịch hẹn số 12 của quý khách vào lúc 9:30 sáng mai. " * 150)[
        :10_000
    ]
    prompt = "Bấm 1 để xác nhận"
    status = api.client.patch(
        f"/api/campaigns/{ivr_campaign.pk}",
        {"script": script, "ivr_menu": {"prompt": prompt, "keys": {"1": {"action": "hangup"}}}},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    ).status_code
    assert status == 200
    response = _preview(api, token, ivr_campaign.pk)
    assert response.status_code == 200 and response["X-Preview-Shortened"] == "true"
    # The script as spoken (numbers in words), up to the last whole word of its first
    # 1,000 characters; then the menu's prompt, whole.
    spoken = normalize_vi(script)
    head = spoken[:1001].rsplit(" ", 1)[0]
    assert spoken.startswith(head + " ") and 900 < len(head) <= 1000
    engine = default_engine()
    assert response.content == join_wav([engine.render(head), engine.render(prompt)])
    assert wav_seconds(engine.render(head)) < 90

    # A long text pasted into a contact's field is cut the same way; a short one is whole.
    api.client.patch(
        f"/api/campaigns/{ivr_campaign.pk}",
        {"script": "Chào {ghi_chu}"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    long = _preview(api, token, ivr_campaign.pk, ghi_chu="chữ " * 3000)
    assert long.status_code == 200 and long["X-Preview-Shortened"] == "true"
    assert wav_seconds_of(long.content) < 90
    short = _preview(api, token, ivr_campaign.pk, ghi_chu="chị Lan")
    assert short["X-Preview-Shortened"] == "false"
    assert short.content == join_wav([engine.render("Chào chị Lan"), engine.render(prompt)])


def wav_seconds_of(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as wav:
        return wav.getnframes() / wav.getframerate()


def test_otp_preview_reads_the_sample_code_and_writes_no_code(api, token, otp_campaign, media):
    api.client.patch(
        f"/api/campaigns/{otp_campaign.pk}",
        {"otp_repeat_count": 1, "otp_closing_text": "Xin cảm ơn quý khách", "otp_pause_ms": 500},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    one = _preview(api, token, otp_campaign.pk, otp_code="135790")
    assert one.status_code == 200
    cache = default_engine().cache_dir
    files_before = {p for p in cache.rglob("*") if p.is_file()}
    two = _preview(api, token, otp_campaign.pk, otp_code="246802")
    # Another code: the same clips, nothing new rendered or stored.
    assert {p for p in cache.rglob("*") if p.is_file()} == files_before
    assert one.content != two.content
    wording = OtpWording(closing="Xin cảm ơn quý khách", pause_ms=500)
    clips = otp_clips(default_engine(), "135790", 1, wording)
    expected = sum(wav_seconds(c) for c in clips)
    assert abs((len(one.content) - 44) / 16000 - expected) < 0.01
    assert not any("135790" in p.name or "246802" in p.name for p in files_before)
    bad = _preview(api, token, otp_campaign.pk, otp_code="12ab")
    assert bad.status_code == 400 and bad.json()["field"] == "otp_code"


def test_settings_validate_voice_rate_and_wording(api, token, ivr_campaign):
    def patch(body):
        response = api.client.patch(
            f"/api/campaigns/{ivr_campaign.pk}",
            body,
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )
        return response.status_code, response.json()

    for body, field in [
        ({"voice": "en"}, "voice"),
        ({"speech_rate": 49}, "speech_rate"),
        ({"speech_rate": 201}, "speech_rate"),
        ({"otp_pause_ms": -1}, "otp_pause_ms"),
        ({"otp_lead_text": "x" * 301}, "otp_lead_text"),
        ({"otp_recorded_digits": True}, "otp_recorded_digits"),
    ]:
        status, answer = patch(body)
        assert status == 400 and answer["field"] == field, (body, answer)
    status, answer = patch({"voice": "vi-vn-x-central+f3", "speech_rate": 80})
    assert status == 200
    assert answer["results"]["voice"] == "vi-vn-x-central+f3"
    assert answer["results"]["speech_rate"] == 80
    assert answer["results"]["otp_lead_text"] == "Mã xác thực của quý khách là"


def test_recorded_digits_zip_then_a_campaign_uses_them(api, token, user, otp_campaign, tmp_path):
    headers = {"Authorization": f"Bearer {token}"}
    bad = api.client.post(
        "/api/recorded-digits", {"file": _named(b"not a zip", "d.zip")}, headers=headers
    )
    assert bad.status_code == 400 and bad.json()["field"] == "file"
    answer = api.client.post(
        "/api/recorded-digits", {"file": _named(digit_zip(tmp_path), "d.zip")}, headers=headers
    ).json()
    assert answer["status"] == 1 and answer["results"]["complete"] is True
    assert [d["digit"] for d in answer["results"]["digits"]] == list("0123456789")
    # The silence around each tone was trimmed: ~0.5 s of tone, not 1.1 s.
    assert all(0.45 < d["audio_seconds"] < 0.7 for d in answer["results"]["digits"])
    status, body = api.get("/api/recorded-digits", access_token=token)
    assert body["results"]["complete"] is True
    response = api.client.patch(
        f"/api/campaigns/{otp_campaign.pk}",
        {"otp_recorded_digits": True},
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 200 and response.json()["results"]["otp_recorded_digits"]
    # A bad replacement for one digit refuses the upload and keeps every recording.
    before = {r.digit: r.audio_file.name for r in DigitRecording.objects.filter(owner=user)}
    bad = api.client.post("/api/recorded-digits", {"3": _named(b"text", "3.wav")}, headers=headers)
    assert bad.status_code == 400 and bad.json()["field"] == "3"
    after = {r.digit: r.audio_file.name for r in DigitRecording.objects.filter(owner=user)}
    assert after == before
    response = api.client.delete("/api/recorded-digits", headers=headers)
    assert response.json()["results"] == {"complete": False, "digits": []}
    otp_campaign.refresh_from_db()
    assert otp_campaign.otp_recorded_digits is False
    assert Call.objects.count() == 0


def _named(data: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_openapi_declares_the_audio_endpoints(api):
    spec = api.client.get("/api/openapi.json").json()
    upload = spec["paths"]["/api/campaigns/{campaign_id}/audio"]["post"]
    body = upload["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert body["properties"]["file"] == {"type": "string", "format": "binary"}
    assert {"200", "400", "401", "404"} <= set(upload["responses"])
    assert "delete" in spec["paths"]["/api/campaigns/{campaign_id}/audio"]
    preview = spec["paths"]["/api/campaigns/{campaign_id}/preview.wav"]["get"]
    assert "audio/wav" in preview["responses"]["200"]["content"]
    names = {p["name"] for p in preview["parameters"]}
    assert {"access_token", "danh_xung", "ho_ten", "otp_code"} <= names
    assert set(spec["paths"]["/api/recorded-digits"]) == {"get", "post", "delete"}
