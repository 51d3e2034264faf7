"""Recordings for the key-press menu's prompts and messages, over the API."""

import json
import os
import wave

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from aicall.campaigns.menu_audio import do_set_menu_audio
from aicall.campaigns.models import Campaign
from aicall.campaigns.services import (
    do_create_campaign,
    do_duplicate_campaign,
)
from aicall.speech.clips import default_engine, wav_seconds
from tests.api.sandbox_run import sandbox_calls
from tests.audiofiles import tone
from tests.dialer.conftest import harness, settled, wait_until  # noqa: F401 - fixture

MENU = {
    "prompt": "Bấm 1 để nghe lời nhắn, bấm 2 để chọn tiếp",
    "keys": {
        "1": {"action": "message", "message": "Cảm ơn quý khách", "then": "hangup"},
        "2": {
            "action": "submenu",
            "menu": {"prompt": "Bấm 1 để quay lại", "keys": {"1": {"action": "back"}}},
        },
        "#": {"action": "message", "message": "Tạm biệt"},
        "9": {"action": "hangup"},
    },
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AICALL = {**settings.AICALL, "AUDIO_CACHE_DIR": tmp_path / "audio"}
    return settings.MEDIA_ROOT


@pytest.fixture
def menu_campaign(user):
    return do_create_campaign(
        user.pk,
        {
            "name": "Menu ghi âm",
            "campaign_type": "ivr",
            "script": "Xin chào",  # 8 characters: under a second if it were spoken
            "ivr_menu": MENU,
            "calling_hours": "00:00-24:00",
        },
    )


def _auth(token):
    return {"Authorization": f"Bearer {token}"}


def _url(campaign_id, keys=""):
    if not keys:
        return f"/api/campaigns/{campaign_id}/menu/audio"
    return f"/api/campaigns/{campaign_id}/menu/keys/{keys.replace('#', '%23')}/audio"


def upload(client, token, campaign_id, keys, path, name=None, field="file"):
    response = client.post(
        _url(campaign_id, keys),
        {field: SimpleUploadedFile(name or path.name, path.read_bytes())},
        headers=_auth(token),
    )
    return response.status_code, response.json()


def delete(client, token, campaign_id, keys):
    response = client.delete(_url(campaign_id, keys), headers=_auth(token))
    return response.status_code, response.json()


def _stored(campaign, audio_id):
    return default_storage.path(campaign.menu_audio[audio_id]["file"])


def test_upload_to_the_prompt_a_message_and_a_sub_menu_then_list(
    api, token, menu_campaign, tmp_path
):
    status, body = upload(api.client, token, menu_campaign.pk, "", tone(tmp_path / "p.wav", 2))
    assert status == 200, body
    prompt_id = body["results"]["audio_id"]
    assert body["results"]["keys"] == "" and body["results"]["audio_seconds"] == 2.0
    assert body["results"]["ivr_menu"]["prompt_audio"] == prompt_id
    # The text stays, spoken no more (it is what a person reads on the website).
    assert body["results"]["ivr_menu"]["prompt"] == MENU["prompt"]

    status, body = upload(api.client, token, menu_campaign.pk, "1", tone(tmp_path / "m.mp3", 3))
    assert status == 200, body
    message_id = body["results"]["audio_id"]
    assert abs(body["results"]["audio_seconds"] - 3.0) < 0.1
    status, body = upload(api.client, token, menu_campaign.pk, "2", tone(tmp_path / "s.wav", 1))
    sub_id = body["results"]["audio_id"]
    status, body = upload(api.client, token, menu_campaign.pk, "#", tone(tmp_path / "h.wav", 1))
    assert status == 200, body
    hash_id = body["results"]["audio_id"]
    menu = body["results"]["ivr_menu"]
    assert menu["prompt_audio"] == prompt_id
    assert menu["keys"]["1"]["message_audio"] == message_id
    assert menu["keys"]["2"]["menu"]["prompt_audio"] == sub_id
    assert menu["keys"]["#"]["message_audio"] == hash_id

    menu_campaign.refresh_from_db()
    assert menu_campaign.ivr_menu == menu
    for audio_id in (prompt_id, message_id, sub_id, hash_id):
        with wave.open(_stored(menu_campaign, audio_id)) as stored:
            assert (stored.getframerate(), stored.getnchannels(), stored.getsampwidth()) == (
                8000,
                1,
                2,
            )
    status, body = api.get(f"/api/campaigns/{menu_campaign.pk}/menu/audio", access_token=token)
    assert status == 200
    assert [(r["keys"], r["audio_id"], r["audio_name"]) for r in body["results"]["recordings"]] == [
        ("", prompt_id, "p.wav"),
        ("1", message_id, "m.mp3"),
        ("2", sub_id, "s.wav"),
        ("#", hash_id, "h.wav"),
    ]
    # The campaign's own read shows the menu with its references.
    status, body = api.get(f"/api/campaigns/{menu_campaign.pk}", access_token=token)
    assert body["results"]["ivr_menu"] == menu


def test_replace_and_delete_go_back_to_the_text(api, token, menu_campaign, tmp_path):
    _, first = upload(api.client, token, menu_campaign.pk, "1", tone(tmp_path / "a.wav", 2))
    menu_campaign.refresh_from_db()
    first_file = _stored(menu_campaign, first["results"]["audio_id"])
    _, second = upload(api.client, token, menu_campaign.pk, "1", tone(tmp_path / "b.wav", 1))
    menu_campaign.refresh_from_db()
    # The replaced recording is forgotten and its file deleted.
    assert list(menu_campaign.menu_audio) == [second["results"]["audio_id"]]
    assert not os.path.exists(first_file)
    second_file = _stored(menu_campaign, second["results"]["audio_id"])

    status, body = delete(api.client, token, menu_campaign.pk, "1")
    assert status == 200
    assert body["results"]["audio_id"] is None and body["results"]["audio_seconds"] is None
    assert body["results"]["ivr_menu"]["keys"]["1"] == MENU["keys"]["1"]
    menu_campaign.refresh_from_db()
    assert menu_campaign.menu_audio == {} and not os.path.exists(second_file)
    # Deleting where there is no recording changes nothing.
    assert delete(api.client, token, menu_campaign.pk, "1")[0] == 200


def test_a_message_may_be_only_a_recording_but_then_keeps_it(api, token, menu_campaign, tmp_path):
    _, body = upload(api.client, token, menu_campaign.pk, "1", tone(tmp_path / "a.wav", 2))
    menu = body["results"]["ivr_menu"]
    del menu["keys"]["1"]["message"]  # the recording instead of the text
    response = api.client.patch(
        f"/api/campaigns/{menu_campaign.pk}",
        {"ivr_menu": menu},
        content_type="application/json",
        headers=_auth(token),
    )
    assert response.status_code == 200, response.json()
    status, body = delete(api.client, token, menu_campaign.pk, "1")
    assert status == 400 and body["field"] == "keys" and "no text" in body["message"]
    menu_campaign.refresh_from_db()
    assert menu_campaign.ivr_menu["keys"]["1"]["message_audio"] in menu_campaign.menu_audio
    # A reference that is not an uploaded recording's id is refused.
    menu["keys"]["1"]["message_audio"] = "../../etc/passwd"
    response = api.client.patch(
        f"/api/campaigns/{menu_campaign.pk}",
        {"ivr_menu": menu},
        content_type="application/json",
        headers=_auth(token),
    )
    assert response.status_code == 400 and response.json()["field"] == "ivr_menu"


def _patch(client, token, campaign_id, body):
    response = client.patch(
        f"/api/campaigns/{campaign_id}", body, content_type="application/json", headers=_auth(token)
    )
    return response.status_code, response.json()


def test_a_menu_refers_only_to_its_own_recordings(api, token, menu_campaign, other_user, tmp_path):
    _, body = upload(api.client, token, menu_campaign.pk, "1", tone(tmp_path / "a.wav", 1))
    mine = body["results"]["audio_id"]
    theirs = do_create_campaign(
        other_user.pk, {"name": "Của người khác", "campaign_type": "ivr", "ivr_menu": MENU}
    )
    foreign = do_set_menu_audio(theirs, "1", tone(tmp_path / "b.wav", 1).read_bytes(), "b.wav")
    before = Campaign.objects.get(pk=menu_campaign.pk)
    # Another account's recording, and an id of no recording at all: refused, nothing changes
    # (not even the other setting sent with it).
    for ref in (foreign["audio_id"], "a" * 32):
        menu = json.loads(json.dumps(before.ivr_menu))
        menu["keys"]["2"]["menu"]["prompt_audio"] = ref  # the sub-menu's prompt has a text
        status, body = _patch(api.client, token, menu_campaign.pk, {"name": "x", "ivr_menu": menu})
        assert status == 400, body
        assert body == {
            "status": 0,
            "code": "400",
            "message": "menu.2: an audio reference must be the id of an uploaded recording",
            "field": "ivr_menu",
        }
        after = Campaign.objects.get(pk=menu_campaign.pk)
        assert (after.name, after.ivr_menu, after.menu_audio) == (
            before.name,
            before.ivr_menu,
            before.menu_audio,
        )
    # The campaign's own recording, played at a second spot: accepted.
    menu = json.loads(json.dumps(before.ivr_menu))
    menu["keys"]["#"]["message_audio"] = mine
    status, body = _patch(api.client, token, menu_campaign.pk, {"ivr_menu": menu})
    assert status == 200 and body["results"]["ivr_menu"]["keys"]["#"]["message_audio"] == mine
    # A new campaign has no recordings yet: its menu can refer to none.
    status, body = api.post(
        "/api/campaigns",
        {"name": "Mới", "campaign_type": "ivr", "ivr_menu": menu},
        Authorization=f"Bearer {token}",
    )
    assert status == 400 and body["field"] == "ivr_menu", body
    assert body["message"] in {
        f"menu.{key}: an audio reference must be the id of an uploaded recording"
        for key in ("1", "#")  # both refer to it; jsonb does not keep the keys' order
    }
    assert not Campaign.objects.filter(name="Mới").exists()


@pytest.mark.parametrize(
    ("keys", "why"),
    [
        ("9", "plays nothing"),  # a hangup key
        ("21", "plays nothing"),  # a back key in the sub-menu
        ("5", "no key leads there"),
        ("22", "no key leads there"),
        ("1a", "keys are 0-9"),
    ],
)
def test_keys_that_play_nothing_are_refused(api, token, menu_campaign, tmp_path, keys, why):
    status, body = upload(api.client, token, menu_campaign.pk, keys, tone(tmp_path / "a.wav", 1))
    assert status == 400 and body["code"] == "400" and body["field"] == "keys", body
    assert why in body["message"]
    menu_campaign.refresh_from_db()
    assert menu_campaign.ivr_menu == Campaign.objects.get(pk=menu_campaign.pk).ivr_menu
    assert menu_campaign.menu_audio == {}
    assert not (
        default_storage.exists("menu-audio") and os.listdir(default_storage.path("menu-audio"))
    )


def test_a_campaign_without_a_menu_has_nowhere_to_put_it(api, token, ivr_campaign, tmp_path):
    status, body = upload(api.client, token, ivr_campaign.pk, "", tone(tmp_path / "a.wav", 1))
    assert status == 400 and body["field"] == "keys" and "no key-press menu" in body["message"]


@pytest.mark.parametrize(
    ("make", "name", "message"),
    [
        (lambda p: p.write_text("không phải âm thanh\n" * 50) or p, "fake.mp3", "not WAV or MP3"),
        (lambda p: tone(p, 1), "notes.txt", "must be a WAV or MP3"),
        (lambda p: tone(p, 601, rate=8000, channels=1), "long.wav", "at most 600 s"),
    ],
)
def test_bad_files_are_refused_and_change_nothing(
    api, token, menu_campaign, tmp_path, make, name, message
):
    status, ok = upload(api.client, token, menu_campaign.pk, "1", tone(tmp_path / "ok.wav", 2))
    assert status == 200
    before = Campaign.objects.get(pk=menu_campaign.pk)
    path = tmp_path / ("src" + (".mp3" if name.endswith(".mp3") else ".wav"))
    make(path)
    for keys in ("", "1"):
        status, body = upload(api.client, token, menu_campaign.pk, keys, path, name=name)
        assert status == 400 and body["code"] == "400" and body["field"] == "file", body
        assert message in body["message"]
    after = Campaign.objects.get(pk=menu_campaign.pk)
    assert (after.ivr_menu, after.menu_audio) == (before.ivr_menu, before.menu_audio)
    assert os.listdir(default_storage.path(f"menu-audio/{after.owner_id}")) == [
        f"{ok['results']['audio_id']}.wav"
    ]


def test_too_large_missing_field_and_other_accounts(
    api, token, menu_campaign, other_user, tmp_path, settings
):
    status, _ = upload(api.client, token, menu_campaign.pk, "1", tone(tmp_path / "ok.wav", 1))
    assert status == 200
    before = Campaign.objects.get(pk=menu_campaign.pk)
    settings.AICALL = {**settings.AICALL, "MAX_UPLOAD_BYTES": 10_000}
    status, body = upload(api.client, token, menu_campaign.pk, "1", tone(tmp_path / "big.wav", 2))
    assert status == 400 and body["field"] == "file" and "larger than" in body["message"]
    status, body = upload(api.client, token, menu_campaign.pk, "", tmp_path / "ok.wav", field="x")
    assert status == 400 and body["field"] == "file"

    # Another account: 404 for every menu-audio endpoint, and nothing changes.
    other_token = api.get("/api/users/generate-access-token", secret_key=other_user.secret_key)[1][
        "results"
    ]["access_token"]
    settings.AICALL = {**settings.AICALL, "MAX_UPLOAD_BYTES": 20 * 1024 * 1024}
    for keys in ("", "1"):
        status, body = upload(api.client, other_token, menu_campaign.pk, keys, tmp_path / "ok.wav")
        assert status == 404 and body["code"] == "01"
        status, body = delete(api.client, other_token, menu_campaign.pk, keys)
        assert status == 404 and body["code"] == "01"
    status, body = api.get(
        f"/api/campaigns/{menu_campaign.pk}/menu/audio", access_token=other_token
    )
    assert status == 404 and body["code"] == "01"
    after = Campaign.objects.get(pk=menu_campaign.pk)
    assert (after.ivr_menu, after.menu_audio) == (before.ivr_menu, before.menu_audio)
    assert all(os.path.exists(_stored(after, i)) for i in after.menu_audio)


def test_a_duplicate_keeps_playing_a_recording_the_original_replaces(
    api, token, menu_campaign, tmp_path
):
    _, body = upload(api.client, token, menu_campaign.pk, "1", tone(tmp_path / "a.wav", 1))
    copy = do_duplicate_campaign(Campaign.objects.get(pk=menu_campaign.pk), "Bản sao")
    shared = _stored(copy, body["results"]["audio_id"])
    assert delete(api.client, token, menu_campaign.pk, "1")[0] == 200
    assert os.path.exists(shared)  # the copy still plays it
    assert delete(api.client, token, copy.pk, "1")[0] == 200
    assert not os.path.exists(shared)


def test_deleting_the_campaign_deletes_its_files_once_committed(
    api, token, menu_campaign, tmp_path, django_capture_on_commit_callbacks
):
    upload(api.client, token, menu_campaign.pk, "1", tone(tmp_path / "m.wav", 1))
    response = api.client.post(
        f"/api/campaigns/{menu_campaign.pk}/audio",
        {"file": SimpleUploadedFile("a.wav", tone(tmp_path / "a.wav", 1).read_bytes())},
        headers=_auth(token),
    )
    assert response.status_code == 200
    campaign = Campaign.objects.get(pk=menu_campaign.pk)
    files = [campaign.audio_file.path, *(_stored(campaign, i) for i in campaign.menu_audio)]
    assert len(files) == 2 and all(os.path.exists(p) for p in files)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.client.delete(f"/api/campaigns/{campaign.pk}", headers=_auth(token))
    assert response.status_code == 200, response.json()
    assert not any(os.path.exists(p) for p in files)


def test_preview_plays_the_prompt_recording_instead_of_its_text(
    api, token, menu_campaign, tmp_path
):
    _, body = upload(api.client, token, menu_campaign.pk, "", tone(tmp_path / "p.wav", 3))
    menu_campaign.refresh_from_db()
    recording = _stored(menu_campaign, body["results"]["audio_id"])
    response = api.client.get(
        f"/api/campaigns/{menu_campaign.pk}/preview.wav", {"access_token": token}
    )
    assert response.status_code == 200 and response["Content-Type"] == "audio/wav"
    script = default_engine().render("Xin chào")
    with open(recording, "rb") as f:
        recorded = f.read()[44:]
    # The script as spoken, then the recording's samples exactly (not the prompt's text).
    assert response.content[44:] == script.read_bytes()[44:] + recorded
    path = tmp_path / "preview.wav"
    path.write_bytes(response.content)
    assert abs(wav_seconds(path) - (wav_seconds(script) + 3.0)) < 0.01


def test_the_sandbox_call_lasts_as_long_as_the_recordings(
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
            "name": "Menu ghi âm",
            "campaign_type": "ivr",
            "script": "Xin chào",
            "ivr_menu": MENU,
            "calling_hours": "00:00-24:00",
        },
    )
    assert upload(api.client, token, campaign.pk, "", tone(tmp_path / "p.wav", 4))[0] == 200
    assert upload(api.client, token, campaign.pk, "1", tone(tmp_path / "m.wav", 7))[0] == 200
    calls = sandbox_calls(api, token, campaign, harness)
    # "Xin chào" (8 characters, 0.67 s) and the 4 s prompt recording: 5 s.
    assert calls["0901234560"]["duration"] == 5
    # Key 1 at 2 s, then its 7 s message recording: 9 s.
    assert calls["0901234561"]["duration"] == 9 and calls["0901234561"]["key_press"] == "1 (2)"


def test_openapi_declares_the_menu_audio_endpoints(api):
    spec = api.client.get("/api/openapi.json").json()
    for path in (
        "/api/campaigns/{campaign_id}/menu/audio",
        "/api/campaigns/{campaign_id}/menu/keys/{key_path}/audio",
    ):
        post = spec["paths"][path]["post"]
        body = post["requestBody"]["content"]["multipart/form-data"]["schema"]
        assert body["properties"]["file"] == {"type": "string", "format": "binary"}
        assert {"200", "400", "401", "404"} <= set(post["responses"])
        assert "delete" in spec["paths"][path]
    assert "get" in spec["paths"]["/api/campaigns/{campaign_id}/menu/audio"]
