"""`aicall campaign … --voice --speech-rate --audio/--no-audio` and `aicall digits`."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from aicall.accounts.models import User
from aicall.campaigns.models import Campaign
from tests.audiofiles import digit_zip, tone


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def run(*args) -> dict:
    out = io.StringIO()
    import contextlib

    with contextlib.redirect_stdout(out):
        call_command(*args)
    return json.loads(out.getvalue())


def test_voice_speed_and_audio_flags(db, tmp_path):
    User.objects.create_user(email="c@example.com", password="x")
    made = run(
        "campaign",
        "create",
        "--email",
        "c@example.com",
        "--name",
        "Giọng",
        "--type",
        "ivr",
        "--voice",
        "vi-vn-x-south",
        "--speech-rate",
        "120",
        "--audio",
        str(tone(tmp_path / "hello.wav", 4)),
    )
    campaign = Campaign.objects.get(pk=made["campaign_id"])
    assert (campaign.voice, campaign.speech_rate, campaign.audio_seconds) == (
        "vi-vn-x-south",
        120,
        4.0,
    )
    updated = run("campaign", "update", str(campaign.pk), "--no-audio", "--otp-pause-ms", "300")
    assert "audio_seconds" not in updated
    campaign.refresh_from_db()
    assert not campaign.audio_file and campaign.otp_pause_ms == 300

    # A refused file or voice changes nothing, not even the other flags given with it.
    bad = tmp_path / "fake.mp3"
    bad.write_text("hello")
    with pytest.raises(CommandError, match="file: the file is not WAV or MP3 audio"):
        run("campaign", "update", str(campaign.pk), "--speech-rate", "60", "--audio", str(bad))
    with pytest.raises(CommandError, match="voice"):
        run("campaign", "update", str(campaign.pk), "--voice", "en-us")
    campaign.refresh_from_db()
    assert (campaign.speech_rate, campaign.voice) == (120, "vi-vn-x-south")
    with pytest.raises(CommandError, match="file"):
        run(
            "campaign",
            "create",
            "--email",
            "c@example.com",
            "--name",
            "x",
            "--type",
            "ivr",
            "--audio",
            str(bad),
        )
    assert Campaign.objects.count() == 1


def test_digits_command(db, tmp_path):
    User.objects.create_user(email="d@example.com", password="x")
    archive = tmp_path / "digits.zip"
    archive.write_bytes(digit_zip(tmp_path))
    listed = run("digits", "upload", "--email", "d@example.com", str(archive))
    assert sorted(listed["digits"]) == list("0123456789")
    # A 0.4 s tone replaces 7 (0.5 s in the zip); kept with 50 ms of quiet either side.
    one = tone(tmp_path / "7.wav", 0.4, hz=900)
    replaced = run("digits", "upload", "--email", "d@example.com", str(one))["digits"]
    assert replaced["7"] == 0.5 and replaced["6"] == 0.6
    assert run("digits", "remove", "--email", "d@example.com") == {"digits": {}}
