"""What the callee hears, as clip paths: the opening until the first key is awaited, and
each menu prompt and message.

The SIP carrier plays these clips and the website's "listen" preview joins them into one
WAV, so the preview is exactly the call's audio: same engine, voice, speed and wording.
A menu prompt or message that is an uploaded recording is played from its file (already
in telephone format, see campaigns/menu_audio.py) instead of speaking its text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aicall.speech.base import SpeechEngine
from aicall.speech.clips import otp_clips, uploaded_audio
from aicall.telephony.base import CallRequest


def engine_for(engine: SpeechEngine, request: CallRequest) -> SpeechEngine:
    """The engine speaking with the request's voice and speed."""
    return engine.with_voice(request.voice, request.speech_rate)


def spoken(engine: SpeechEngine, texts: list[str]) -> list[Path]:
    return [engine.render(t) for t in texts if t.strip()]


def recording(holder: dict[str, Any], field: str) -> dict[str, Any] | None:
    """The uploaded recording {"path", "seconds"} a request's menu has at this spot."""
    audio = holder.get(field)
    return audio if isinstance(audio, dict) and audio.get("path") else None


def prompt_clips(engine: SpeechEngine, node: dict[str, Any]) -> list[Path]:
    """A menu node's prompt: its recording, else its text spoken."""
    audio = recording(node, "prompt_audio")
    if audio is not None:
        return [Path(audio["path"])]
    return spoken(engine, [str(node.get("prompt", ""))])


def message_clips(engine: SpeechEngine, option: dict[str, Any]) -> list[Path]:
    """A message key's message: its recording, else its text spoken."""
    audio = recording(option, "message_audio")
    if audio is not None:
        return [Path(audio["path"])]
    return spoken(engine, [str(option.get("message", ""))])


def opening_clips(engine: SpeechEngine, request: CallRequest) -> list[Path]:
    """The uploaded audio or else the spoken script (if any); then, for a voice OTP, the
    code's readings and the closing words, otherwise the menu's prompt."""
    if request.audio_path:
        clips = [uploaded_audio(engine.cache_dir, request.audio_path)]
    else:
        clips = spoken(engine, [request.script_text])
    if request.otp_code:
        return clips + otp_clips(
            engine,
            request.otp_code,
            request.otp_repeat_count,
            request.otp_wording,
            request.otp_digit_clips,
        )
    return clips + prompt_clips(engine, request.ivr_menu or {})
