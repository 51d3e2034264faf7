"""What the callee hears from the answer until the first key is awaited, as clip paths.

The SIP carrier plays these clips and the website's "listen" preview joins them into one
WAV, so the preview is exactly the call's audio: same engine, voice, speed and wording.
"""

from __future__ import annotations

from pathlib import Path

from aicall.speech.base import SpeechEngine
from aicall.speech.clips import otp_clips, uploaded_audio
from aicall.telephony.base import CallRequest


def engine_for(engine: SpeechEngine, request: CallRequest) -> SpeechEngine:
    """The engine speaking with the request's voice and speed."""
    return engine.with_voice(request.voice, request.speech_rate)


def spoken(engine: SpeechEngine, texts: list[str]) -> list[Path]:
    return [engine.render(t) for t in texts if t.strip()]


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
    return clips + spoken(engine, [str((request.ivr_menu or {}).get("prompt", ""))])
