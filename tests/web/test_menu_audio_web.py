"""The menu editor's recordings: chosen per prompt or message, saved with the form, played
by the editor's players and by "Nghe thử"."""

import json
import os

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from aicall.campaigns.menu_audio import do_set_menu_audio
from aicall.campaigns.models import Campaign
from aicall.campaigns.services import do_create_campaign
from aicall.speech.clips import default_engine
from tests.audiofiles import tone
from tests.web.test_campaigns import form_data

MENU = {
    "prompt": "Bấm 1 để nghe lời nhắn",
    "prompt_audio": "new:1",
    "timeout_seconds": 8,
    "keys": {
        # A message that is only a recording: no text.
        "1": {"action": "message", "message_audio": "new:2", "then": "hangup"},
        "2": {
            "action": "submenu",
            "menu": {
                "prompt_audio": "new:3",
                "keys": {"1": {"action": "back"}},
            },
        },
    },
}


MENU_TEXT = {"keys": {"1": {"action": "message", "message": "Cảm ơn", "then": "hangup"}}}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AICALL = {**settings.AICALL, "AUDIO_CACHE_DIR": tmp_path / "audio"}


def _file(path, name=None):
    return SimpleUploadedFile(name or path.name, path.read_bytes())


def _files(tmp_path):
    return {
        "menu_audio_1": _file(tone(tmp_path / "loi-moi.wav", 2)),
        "menu_audio_2": _file(tone(tmp_path / "loi-nhan.mp3", 3)),
        "menu_audio_3": _file(tone(tmp_path / "menu-con.wav", 1)),
    }


def test_recordings_chosen_in_the_editor_are_saved_and_played_back(
    web, other_web, user, tmp_path, django_capture_on_commit_callbacks
):
    data = form_data(ivr_menu=json.dumps(MENU), **_files(tmp_path))
    response = web.post(reverse("web:campaign_create"), data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    campaign = Campaign.objects.get(owner=user)
    menu = campaign.ivr_menu
    ids = [
        menu["prompt_audio"],
        menu["keys"]["1"]["message_audio"],
        menu["keys"]["2"]["menu"]["prompt_audio"],
    ]
    assert set(ids) == set(campaign.menu_audio) and len(set(ids)) == 3
    assert [campaign.menu_audio[i]["name"] for i in ids] == [
        "loi-moi.wav",
        "loi-nhan.mp3",
        "menu-con.wav",
    ]
    assert [round(campaign.menu_audio[i]["seconds"]) for i in ids] == [2, 3, 1]
    assert "message" not in menu["keys"]["1"]

    # The edit page gives the editor the recordings and the address of their player.
    page = web.get(reverse("web:campaign_edit", args=[campaign.pk])).content.decode()
    player = reverse("web:campaign_menu_audio", args=[campaign.pk, "AUDIO_ID"])
    assert f'data-audio-url="{player}"' in page
    assert "loi-nhan.mp3" in page and 'id="menu-recordings"' in page
    played = web.get(reverse("web:campaign_menu_audio", args=[campaign.pk, ids[1]]))
    assert played["Content-Type"] == "audio/wav"
    stored = default_storage.path(campaign.menu_audio[ids[1]]["file"])
    assert b"".join(played.streaming_content) == open(stored, "rb").read()
    # The campaign page draws the tree with a player per recording.
    detail = web.get(reverse("web:campaign", args=[campaign.pk])).content.decode()
    assert detail.count('class="tree-audio"') == 3
    # Another account: not found.
    assert (
        other_web.get(reverse("web:campaign_menu_audio", args=[campaign.pk, ids[1]])).status_code
        == 404
    )
    assert (
        web.get(reverse("web:campaign_menu_audio", args=[campaign.pk, "0" * 32])).status_code == 404
    )

    # Saved again as it stands (the ids in the JSON): nothing changes. Then one recording
    # is removed in the editor (its reference left out): it is forgotten and deleted.
    edit = reverse("web:campaign_edit", args=[campaign.pk])
    assert web.post(edit, form_data(ivr_menu=json.dumps(menu))).status_code == 302
    assert Campaign.objects.get(pk=campaign.pk).menu_audio == campaign.menu_audio
    without = json.loads(json.dumps(menu))
    del without["prompt_audio"]
    with django_capture_on_commit_callbacks(execute=True):
        assert web.post(edit, form_data(ivr_menu=json.dumps(without))).status_code == 302
    after = Campaign.objects.get(pk=campaign.pk)
    assert set(after.menu_audio) == set(ids[1:])
    assert not os.path.exists(default_storage.path(campaign.menu_audio[ids[0]]["file"]))

    # The campaign deleted: its recordings go with it.
    kept = [default_storage.path(e["file"]) for e in after.menu_audio.values()]
    assert len(kept) == 2 and all(os.path.exists(p) for p in kept)
    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(reverse("web:campaign_delete", args=[campaign.pk]))
    assert response.status_code == 302 and not Campaign.objects.filter(pk=campaign.pk).exists()
    assert not any(os.path.exists(p) for p in kept)


def test_a_refused_recording_changes_nothing(web, ivr_campaign, tmp_path):
    fake = tmp_path / "fake.mp3"
    fake.write_text("đây là văn bản, không phải âm thanh")
    edit = reverse("web:campaign_edit", args=[ivr_campaign.pk])
    files = _files(tmp_path)
    files["menu_audio_2"] = _file(fake)
    response = web.post(edit, form_data(name="Đổi tên", ivr_menu=json.dumps(MENU), **files))
    assert response.status_code == 200
    assert "không phải âm thanh WAV hoặc MP3" in response.content.decode()
    campaign = Campaign.objects.get(pk=ivr_campaign.pk)
    assert campaign.name == "Reminders" and campaign.menu_audio == {}
    assert not default_storage.exists("menu-audio")


def test_a_reference_to_no_recording_of_the_campaign_is_refused(
    web, ivr_campaign, other_user, tmp_path
):
    theirs = do_create_campaign(
        other_user.pk, {"name": "Của người khác", "campaign_type": "ivr", "ivr_menu": MENU_TEXT}
    )
    foreign = do_set_menu_audio(theirs, "1", tone(tmp_path / "b.wav", 1).read_bytes(), "b.wav")
    edit = reverse("web:campaign_edit", args=[ivr_campaign.pk])
    # Another account's recording, or none at all; with a text to speak instead or without.
    for ref in (foreign["audio_id"], "a" * 32):
        for text in ({}, {"message": "Cảm ơn quý khách"}):
            menu = {"keys": {"1": {"action": "message", "message_audio": ref, **text}}}
            response = web.post(edit, form_data(name="Đổi tên", ivr_menu=json.dumps(menu)))
            assert response.status_code == 200
            assert (
                "menu.1: Tham chiếu âm thanh phải là mã của một bản ghi âm đã tải lên"
                in response.content.decode()
            )
            campaign = Campaign.objects.get(pk=ivr_campaign.pk)
            assert campaign.name == "Reminders" and campaign.ivr_menu == {}
            assert campaign.menu_audio == {}
    # "Nghe thử" holds the menu to the same rule.
    menu = {"keys": {"1": {"action": "message", "message_audio": foreign["audio_id"]}}}
    response = web.post(
        reverse("web:listen"), {"campaign_id": ivr_campaign.pk, "ivr_menu": json.dumps(menu)}
    )
    assert response.status_code == 400 and response.json()["field"] == "ivr_menu"


def test_listen_plays_a_chosen_prompt_recording_and_keeps_nothing(web, ivr_campaign, tmp_path):
    recording = tone(tmp_path / "p.wav", 2)
    response = web.post(
        reverse("web:listen"),
        {
            "campaign_id": ivr_campaign.pk,
            "script": "Xin chào",
            "ivr_menu": json.dumps(MENU),
            **_files(tmp_path),
        },
    )
    assert response.status_code == 200 and response["Content-Type"] == "audio/wav"
    script = default_engine().render("Xin chào").read_bytes()[44:]
    # The script, then the chosen prompt recording (2 s at 8 kHz, 16 bits), not its text.
    assert response.content[44 : 44 + len(script)] == script
    assert abs((len(response.content) - 44 - len(script)) / 16000 - 2.0) < 0.01
    assert not any(default_storage.listdir("menu-audio/preview")[1])
    assert Campaign.objects.get(pk=ivr_campaign.pk).menu_audio == {}
    assert recording.exists()


def test_the_editor_tree_accepts_a_chosen_file(web):
    tree = web.post(reverse("web:menu_preview"), {"ivr_menu": json.dumps(MENU)}).text
    assert 'id="menu-ok"' in tree and "🔊" in tree
