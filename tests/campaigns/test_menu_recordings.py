"""The menu tree's recording references: validated, found by keys, replaced for calls."""

import pytest

from aicall.campaigns.ivr_menu import MenuError, audio_spots, menu_spot, validate_menu
from aicall.telephony.base import CallRequest
from aicall.telephony.sandbox import after_key, speech_seconds

ID = "0123456789abcdef0123456789abcdef"
MENU = {
    "prompt_audio": ID,
    "keys": {
        "#": {"action": "message", "message": "Tạm biệt"},
        "1": {"action": "message", "message_audio": "f" * 32},
        "2": {
            "action": "submenu",
            "menu": {"prompt_audio": "e" * 32, "keys": {"1": {"action": "back"}}},
        },
    },
}


def test_references_replace_the_text_and_must_be_ids():
    cleaned = validate_menu(MENU)
    assert cleaned["prompt_audio"] == ID and "message" not in cleaned["keys"]["1"]
    assert cleaned["keys"]["2"]["menu"]["prompt_audio"] == "e" * 32
    for bad in ("../../etc/passwd", "new:1", 42, "A" * 32):
        with pytest.raises(MenuError, match="audio reference"):
            validate_menu({"keys": {"1": {"action": "message", "message_audio": bad}}})
    # A file chosen on the website and not sent yet: only for the editor's drawing.
    assert (
        validate_menu(
            {"prompt_audio": "new:3", "keys": {"1": {"action": "hangup"}}}, allow_pending=True
        )["prompt_audio"]
        == "new:3"
    )
    with pytest.raises(MenuError, match="needs the message"):
        validate_menu({"keys": {"1": {"action": "message"}}})


def test_spots_by_keys_in_keypad_order():
    assert menu_spot(MENU, "") == (MENU, "prompt")
    assert menu_spot(MENU, "1") == (MENU["keys"]["1"], "message")
    assert menu_spot(MENU, "2") == (MENU["keys"]["2"]["menu"], "prompt")
    for keys, why in (("21", "plays nothing"), ("3", "no key"), ("x", "keys are")):
        with pytest.raises(MenuError, match=why):
            menu_spot(MENU, keys)
    assert [k for k, _ in audio_spots(MENU)] == ["", "1", "2"]


def test_the_sandbox_times_recordings_not_text():
    menu = {
        "prompt_audio": {"path": "/p.wav", "seconds": 4.2},
        "keys": {
            "1": {"action": "message", "message_audio": {"path": "/m.wav", "seconds": 7.0}},
            "2": {"action": "message", "message": "Cảm ơn quý khách"},
        },
    }
    request = CallRequest(1, 1, "+84901234560", "0281234567", "Xin chào", ivr_menu=menu)
    assert speech_seconds(request) == 5  # 8 characters (0.67 s) + 4.2 s
    assert after_key(request, "1") == 7.0 and after_key(request, "2") == 0.0
