"""A deleted campaign's uploaded files: deleted once the deletion is committed, except those
a duplicate still plays; a rolled-back deletion keeps them."""

import os

import pytest
from django.core.files.storage import default_storage
from django.db import transaction

from aicall.calls.test_calls import do_place_test_call
from aicall.campaigns.audio import do_set_campaign_audio
from aicall.campaigns.menu_audio import do_set_menu_audio
from aicall.campaigns.models import Campaign
from aicall.campaigns.services import (
    do_create_campaign,
    do_delete_campaign,
    do_duplicate_campaign,
)
from tests.audiofiles import tone

pytestmark = pytest.mark.django_db

MENU = {
    "prompt": "Bấm 1 để nghe lời nhắn",
    "keys": {"1": {"action": "message", "message": "Cảm ơn quý khách"}},
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AICALL = {**settings.AICALL, "AUDIO_CACHE_DIR": tmp_path / "audio"}


def with_recordings(owner_id: int, tmp_path, name: str) -> Campaign:
    """A campaign playing an uploaded audio and a recorded menu message."""
    campaign = do_create_campaign(
        owner_id, {"name": name, "campaign_type": "ivr", "ivr_menu": MENU}
    )
    do_set_campaign_audio(campaign, tone(tmp_path / f"{name}.wav", 1).read_bytes(), "a.wav")
    do_set_menu_audio(campaign, "1", tone(tmp_path / f"{name}-1.wav", 1).read_bytes(), "m.wav")
    return Campaign.objects.get(pk=campaign.pk)


def files_of(campaign: Campaign) -> list[str]:
    names = [campaign.audio_file.name, *(e["file"] for e in campaign.menu_audio.values())]
    return [default_storage.path(n) for n in names]


def test_files_go_once_no_campaign_plays_them(user, tmp_path, django_capture_on_commit_callbacks):
    original = with_recordings(user.pk, tmp_path, "goc")
    copy = do_duplicate_campaign(original, "Bản sao")
    # The copy's own recording of the prompt; it shares the rest with the original.
    do_set_menu_audio(copy, "", tone(tmp_path / "p.wav", 1).read_bytes(), "p.wav")
    copy = Campaign.objects.get(pk=copy.pk)
    shared, own = files_of(original), set(files_of(copy)) - set(files_of(original))
    assert len(shared) == 2 and len(own) == 1
    assert all(os.path.exists(p) for p in [*shared, *own])

    # A deletion undone by its transaction keeps every file.
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            do_delete_campaign(copy)
            raise RuntimeError("undone")
    assert Campaign.objects.filter(pk=copy.pk).exists()
    assert all(os.path.exists(p) for p in [*shared, *own])

    # Before the commit nothing is deleted; after it, only what the original does not play.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        do_delete_campaign(copy)
        assert all(os.path.exists(p) for p in [*shared, *own])
    assert len(callbacks) == 1
    assert not any(os.path.exists(p) for p in own)
    assert all(os.path.exists(p) for p in shared)

    # The original, with a test call's companion that carries the same settings: the
    # companion goes with it and keeps nothing.
    do_place_test_call(original, {"phone_number": "0901234567"})
    assert Campaign.objects.filter(test_for=original).exists()
    with django_capture_on_commit_callbacks(execute=True):
        do_delete_campaign(original)
    assert not Campaign.objects.filter(owner=user).exists()
    assert not any(os.path.exists(p) for p in shared)


def test_another_accounts_campaign_keeps_its_files(
    user, other_user, tmp_path, django_capture_on_commit_callbacks
):
    mine = with_recordings(user.pk, tmp_path, "cua-toi")
    theirs = with_recordings(other_user.pk, tmp_path, "cua-ho")
    with django_capture_on_commit_callbacks(execute=True):
        do_delete_campaign(mine)
    assert not any(os.path.exists(p) for p in files_of(mine))
    assert all(os.path.exists(p) for p in files_of(theirs))
