"""What the callee hears: a call's prompt tree as cached clip paths for a media worker.

The carrier renders the script, the menu's prompts and messages (or takes the campaign's
uploaded audio) into 8 kHz WAV clips before the call is placed, and hands the worker this
plan: each node's clips and their length, how long to wait for a key, and what each key
does. The worker never renders anything.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aicall.lib.phones import to_e164, to_national
from aicall.speech.base import SpeechEngine
from aicall.speech.clips import wav_seconds
from aicall.telephony.base import CallRequest, TrunkConfig
from aicall.telephony.prompts import engine_for, message_clips, opening_clips, prompt_clips
from aicall.telephony.transfer import checked_transfer_target

OTP_REPLAY_TIMEOUT_SECONDS = 6


@lru_cache(maxsize=8192)
def _clip_seconds(path: str) -> float:
    # Cached clips are named by the hash of their content, so a path's length never changes.
    return wav_seconds(path)


def trunk_host(trunk: TrunkConfig) -> str:
    """`sip:HOST:PORT;params` -> `HOST:PORT`."""
    proxy = trunk.proxy.strip()
    for prefix in ("sips:", "sip:"):
        if proxy.startswith(prefix):
            proxy = proxy[len(prefix) :]
    return proxy.split(";", 1)[0].split("@")[-1]


def dial_number(trunk: TrunkConfig, number: str) -> str:
    """The number as the trunk wants it: national `0…` or E.164 `+84…`."""
    e164 = to_e164(number) or number
    return e164 if trunk.number_format == "e164" else to_national(e164)


def sip_uri(trunk: TrunkConfig, target: str) -> str:
    if target.startswith(("sip:", "sips:")):
        return target
    uri = f"sip:{dial_number(trunk, target)}@{trunk_host(trunk)}"
    return uri + ";transport=tcp" if trunk.transport == "tcp" else uri


def menu_node(
    engine: SpeechEngine, menu: dict[str, Any], trunk: TrunkConfig, clips: list[str]
) -> dict[str, Any]:
    """One menu of the plan: its prompt's clips, key timeout, and each key's action."""
    keys: dict[str, Any] = {}
    for digit, option in (menu.get("keys") or {}).items():
        action = option["action"]
        entry: dict[str, Any] = {"action": action}
        if action == "message":
            entry["clips"] = [str(p) for p in message_clips(engine, option)]
            entry["seconds"] = sum(_clip_seconds(c) for c in entry["clips"])
            entry["then"] = option.get("then", "hangup")
        elif action == "submenu":
            sub = option["menu"]
            prompt = [str(p) for p in prompt_clips(engine, sub)]
            entry["menu"] = menu_node(engine, sub, trunk, prompt)
        elif action == "transfer":
            # Checked again here: a target stored before a rule tightened must not go out.
            target = checked_transfer_target(option["target"])
            if target is None:
                entry = {"action": "hangup"}
            else:
                entry["uri"] = sip_uri(trunk, target)
        keys[digit] = entry
    return {
        "clips": clips,
        "seconds": sum(_clip_seconds(c) for c in clips),
        "timeout_seconds": menu.get("timeout_seconds", 8),
        "keys": keys,
    }


def build_plan(speech: SpeechEngine, request: CallRequest, trunk: TrunkConfig) -> dict[str, Any]:
    """The prompt tree for one call, as clip paths the worker plays (renders if needed)."""
    engine = engine_for(speech, request)
    clips = [str(p) for p in opening_clips(engine, request)]
    menu: dict[str, Any]
    if request.otp_code:
        # "Press 1 to hear again" only when the campaign still says it.
        replay = bool(request.otp_wording.replay_hint.strip())
        menu = {
            "timeout_seconds": OTP_REPLAY_TIMEOUT_SECONDS,
            "keys": {"1": {"action": "repeat"}} if replay else {},
        }
    else:
        menu = request.ivr_menu or {}
    return menu_node(engine, menu, trunk, clips)


def may_transfer(node: dict[str, Any]) -> bool:
    """Whether some key of this menu (or of a submenu) transfers the call."""
    for option in (node.get("keys") or {}).values():
        if option["action"] == "transfer":
            return True
        if option["action"] == "submenu" and may_transfer(option["menu"]):
            return True
    return False
