"""The callee presses a key and hears that key's uploaded message, not its text."""

import asyncio

import pytest

from aicall.campaigns.menu_audio import do_set_menu_audio, resolved_menu
from aicall.campaigns.services import do_create_campaign
from aicall.speech.clips import default_engine
from aicall.speech.normalize import normalize_vi
from aicall.telephony import base
from tests.audiofiles import bursts
from tests.sip.rtp import RtpEar, best_alignment, frame_energy, read_wav, voiced_seconds
from tests.sip.test_audio import _call
from tests.sip.test_calls import request

pytestmark = pytest.mark.sip

# Bursts and gaps of irregular lengths: an envelope only this file has.
PATTERN = [(0.4, 0.2), (0.8, 0.3), (0.2, 0.5), (1.0, 0.2), (0.3, 0.4), (0.6, 0.3)]
MESSAGE_TEXT = "Đây là lời nhắn bằng chữ, không được đọc lên"


def test_the_key_plays_its_uploaded_message(sipp, settings, tmp_path, user):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AICALL = {**settings.AICALL, "AUDIO_CACHE_DIR": tmp_path / "audio"}
    campaign = do_create_campaign(
        user.pk,
        {
            "name": "Lời nhắn ghi âm",
            "campaign_type": "ivr",
            "ivr_menu": {
                "prompt": "Bấm phím 1",
                "timeout_seconds": 10,
                "keys": {"1": {"action": "message", "message": MESSAGE_TEXT}},
            },
        },
    )
    source = bursts(tmp_path / "loi-nhan.wav", PATTERN)
    done = do_set_menu_audio(campaign, "1", source.read_bytes(), "loi-nhan.wav")
    seconds = done["audio_seconds"]
    menu = resolved_menu(campaign)
    stored = menu["keys"]["1"]["message_audio"]["path"]

    ear = RtpEar()
    try:
        # SIPp answers with the ear as its media address and presses 1 (SIP INFO) at 2.5 s,
        # after the spoken prompt (about a second) has ended.
        callee = sipp("record_press1_info.xml", keys={"rtp_port": str(ear.port)})
        outcome = asyncio.run(_call(request(callee, script_text="", ivr_menu=menu)))
    finally:
        ear.close()
    assert callee.proc.wait(10) == 0, callee.errors()
    assert outcome.answered and outcome.hangup_cause == base.NORMAL_CLEARING
    assert [k for k, _ in outcome.key_presses] == ["1"]
    # The message plays whole after the key, then the call ends (then: hangup).
    key_second = outcome.key_presses[0][1]
    assert abs(outcome.duration_seconds - (key_second + seconds)) < 1.0, outcome

    sent = read_wav(stored)
    # The last second before the message is the quiet between the prompt and the key.
    after_key = ear.samples[-int((seconds + 1.0) * 8000) :]
    prompt = default_engine().render("Bấm phím 1")
    assert len(ear.samples) / 8000 > seconds + 1.0 + 0.5
    assert abs(voiced_seconds(after_key) - voiced_seconds(sent)) < 0.3
    # The loudness after the key follows the file's bursts, 100 ms by 100 ms.
    assert best_alignment(frame_energy(after_key), frame_energy(sent)) > 0.9
    # The message's text was never spoken: nothing was rendered for it.
    engine = default_engine()
    assert not engine.cache_path(normalize_vi(MESSAGE_TEXT)).exists()
    assert prompt == engine.cache_path(normalize_vi("Bấm phím 1"))
