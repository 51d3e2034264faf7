"""Extension: what the callee hears. Upload a campaign's audio or its menu's recordings,
listen before launch, and the account's recorded digits for voice OTP.

Uploads are `multipart/form-data` with the file in the field `file` (recorded digits: a zip
of `0.wav` … `9.wav` in `file`, or one file per digit in fields `0` … `9`). A file that is
not WAV/MP3 audio, lasts too long or is too large is `400` with `field` naming it, and
nothing changes.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from aicall.api import campaign_schemas as s
from aicall.api.auth import account_and_campaign, account_of
from aicall.api.bodies import TOKEN_PARAM
from aicall.api.responses import fail, ok
from aicall.campaigns.audio import (
    DIGITS,
    check_size,
    digit_files_from_zip,
    do_clear_campaign_audio,
    do_delete_digit_recordings,
    do_save_digit_recordings,
    do_set_campaign_audio,
    too_large,
)
from aicall.campaigns.errors import CampaignError
from aicall.campaigns.ivr_menu import audio_spots
from aicall.campaigns.menu_audio import do_clear_menu_audio, do_set_menu_audio
from aicall.campaigns.models import Campaign
from aicall.campaigns.queries import digit_recordings_of
from aicall.dialer.preview import PREVIEW_CHARACTERS, preview_wav
from aicall.lib.vntime import format_called_at
from aicall.speech.base import SpeechError
from aicall.upload_limits import upload_too_large

router = Router(tags=["Audio (extension)"])

_FAIL = {400: s.FieldFailure, 401: s.FieldFailure, 404: s.FieldFailure, 429: s.FieldFailure}
_BINARY = {"type": "string", "format": "binary"}
SHORTENED = "X-Preview-Shortened"


def _multipart(*names: str, required: tuple[str, ...] = ()) -> dict[str, Any]:
    schema = {"type": "object", "properties": {name: _BINARY for name in names}}
    if required:
        schema["required"] = list(required)
    return {"content": {"multipart/form-data": {"schema": schema}}}


def _form_token(request: HttpRequest) -> dict[str, Any]:
    """An access_token sent as a form field of the upload, like one in a JSON body."""
    return {"access_token": request.POST.get("access_token")}


def _read(upload: Any, field: str) -> bytes:
    check_size(upload.size, field)
    return upload.read()


def _audio_file(request: HttpRequest) -> tuple[bytes, str]:
    """The multipart field `file` (its bytes and name), or the CampaignError that says why not."""
    upload = request.FILES.get("file")
    if upload is None:
        if upload_too_large(request):
            raise too_large("file")
        raise CampaignError("file", "send the audio file in the multipart field file")
    return _read(upload, "file"), upload.name or ""


def _invalid(exc: CampaignError) -> HttpResponse:
    return fail("400", exc.message, 400, field=exc.field)


@router.post(
    "/campaigns/{campaign_id}/audio",
    response={200: s.AudioSuccess, **_FAIL},
    openapi_extra={
        "parameters": [TOKEN_PARAM],
        "requestBody": _multipart("file", required=("file",)),
    },
    summary="Play an uploaded WAV/MP3 (at most 10 minutes) instead of the spoken script",
)
def upload_audio(request: HttpRequest, campaign_id: str) -> HttpResponse:
    _, campaign = account_and_campaign(request, campaign_id, _form_token(request))
    try:
        campaign = do_set_campaign_audio(campaign, *_audio_file(request))
    except CampaignError as exc:
        return _invalid(exc)
    return ok(results={"audio_seconds": campaign.audio_seconds})


@router.delete(
    "/campaigns/{campaign_id}/audio",
    response={200: s.AudioSuccess, **_FAIL},
    openapi_extra={"parameters": [TOKEN_PARAM]},
    summary="Remove the uploaded audio: the campaign speaks its script again",
)
def delete_audio(request: HttpRequest, campaign_id: str) -> HttpResponse:
    _, campaign = account_and_campaign(request, campaign_id)
    do_clear_campaign_audio(campaign)
    return ok(results={"audio_seconds": None})


class MenuAudioOut(Schema):
    keys: str
    audio_id: str | None
    audio_seconds: float | None
    ivr_menu: dict


class MenuAudioSuccess(Schema):
    status: int = 1
    results: MenuAudioOut


class MenuRecording(Schema):
    keys: str
    audio_id: str
    audio_seconds: float | None
    audio_name: str


class MenuRecordingsOut(Schema):
    recordings: list[MenuRecording]


class MenuRecordingsSuccess(Schema):
    status: int = 1
    results: MenuRecordingsOut


_KEYS_DOC = (
    " The recording is addressed by the keys pressed to reach it: none for the top menu's "
    "prompt, `3` for the message (or sub-menu prompt) behind key 3, `31` for key 1 of that "
    "sub-menu; `#` is written `%23`."
)


def _menu_answer(campaign: Campaign, keys: str, audio_id: str | None, seconds: float | None):
    return ok(
        results={
            "keys": keys,
            "audio_id": audio_id,
            "audio_seconds": seconds,
            "ivr_menu": campaign.ivr_menu,
        }
    )


def _set_menu_audio(request: HttpRequest, campaign_id: str, keys: str) -> HttpResponse:
    _, campaign = account_and_campaign(request, campaign_id, _form_token(request))
    try:
        done = do_set_menu_audio(campaign, keys, *_audio_file(request))
    except CampaignError as exc:
        return _invalid(exc)
    return _menu_answer(campaign, keys, done["audio_id"], done["audio_seconds"])


def _clear_menu_audio(request: HttpRequest, campaign_id: str, keys: str) -> HttpResponse:
    _, campaign = account_and_campaign(request, campaign_id)
    try:
        do_clear_menu_audio(campaign, keys)
    except CampaignError as exc:
        return _invalid(exc)
    return _menu_answer(campaign, keys, None, None)


_MENU_UPLOAD: dict[str, Any] = {
    "response": {200: MenuAudioSuccess, **_FAIL},
    "openapi_extra": {
        "parameters": [TOKEN_PARAM],
        "requestBody": _multipart("file", required=("file",)),
    },
}
_MENU_DELETE: dict[str, Any] = {
    "response": {200: MenuAudioSuccess, **_FAIL},
    "openapi_extra": {"parameters": [TOKEN_PARAM]},
}


@router.get(
    "/campaigns/{campaign_id}/menu/audio",
    response={200: MenuRecordingsSuccess, **_FAIL},
    openapi_extra={"parameters": [TOKEN_PARAM]},
    summary="The key-press menu's recordings: where each is played, its id and length",
)
def list_menu_audio(request: HttpRequest, campaign_id: str) -> HttpResponse:
    _, campaign = account_and_campaign(request, campaign_id)
    entries = campaign.menu_audio or {}
    recordings = [
        {
            "keys": keys,
            "audio_id": ref,
            "audio_seconds": entries[ref].get("seconds"),
            "audio_name": entries[ref].get("name", ""),
        }
        for keys, ref in audio_spots(campaign.ivr_menu)
        if ref in entries
    ]
    return ok(results={"recordings": recordings})


@router.post(
    "/campaigns/{campaign_id}/menu/audio",
    **_MENU_UPLOAD,
    summary="Play an uploaded WAV/MP3 instead of the top menu's spoken prompt",
    description="Multipart field `file`, checked like the campaign's audio." + _KEYS_DOC,
)
def upload_menu_prompt_audio(request: HttpRequest, campaign_id: str) -> HttpResponse:
    return _set_menu_audio(request, campaign_id, "")


@router.delete(
    "/campaigns/{campaign_id}/menu/audio",
    **_MENU_DELETE,
    summary="Remove the top menu prompt's recording: its text is spoken again",
)
def delete_menu_prompt_audio(request: HttpRequest, campaign_id: str) -> HttpResponse:
    return _clear_menu_audio(request, campaign_id, "")


@router.post(
    "/campaigns/{campaign_id}/menu/keys/{key_path}/audio",
    **_MENU_UPLOAD,
    summary="Play an uploaded WAV/MP3 instead of the message or sub-menu prompt behind keys",
    description="Multipart field `file`, checked like the campaign's audio." + _KEYS_DOC,
)
def upload_menu_key_audio(request: HttpRequest, campaign_id: str, key_path: str) -> HttpResponse:
    return _set_menu_audio(request, campaign_id, key_path)


@router.delete(
    "/campaigns/{campaign_id}/menu/keys/{key_path}/audio",
    **_MENU_DELETE,
    summary="Remove the recording behind keys: its text is spoken again",
)
def delete_menu_key_audio(request: HttpRequest, campaign_id: str, key_path: str) -> HttpResponse:
    return _clear_menu_audio(request, campaign_id, key_path)


@router.get(
    "/campaigns/{campaign_id}/preview.wav",
    response={**_FAIL, 503: s.FieldFailure},
    openapi_extra={
        "parameters": [
            TOKEN_PARAM,
            *(
                {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
                for name in ("phone_number", "danh_xung", "ho_ten", "otp_code")
            ),
        ],
        "responses": {
            "200": {
                "description": "What this contact hears (8 kHz mono WAV). Other query "
                "parameters are the contact's custom fields. The script and the menu's "
                f"prompt are spoken up to their first {PREVIEW_CHARACTERS:,} characters "
                "(about a minute each); calls speak them whole.",
                "content": {"audio/wav": {"schema": _BINARY}},
                "headers": {
                    SHORTENED: {
                        "schema": {"type": "string", "enum": ["true", "false"]},
                        "description": "`true` when a text was longer than the preview "
                        "speaks: only its start is heard.",
                    }
                },
            }
        },
    },
    summary="Listen before launch: the audio a sample contact hears, as a WAV",
)
def preview(request: HttpRequest, campaign_id: str) -> HttpResponse:
    _, campaign = account_and_campaign(request, campaign_id)
    fields = {k: v for k, v in request.GET.items() if k != "access_token"}
    try:
        audio = preview_wav(campaign, fields)
    except CampaignError as exc:
        return _invalid(exc)
    except SpeechError:
        return fail("503", "the speech engine could not render the preview", 503)
    response = HttpResponse(audio.wav, content_type="audio/wav")
    response[SHORTENED] = "true" if audio.shortened else "false"
    # It may hold a sample OTP code and a contact's name: never kept by a cache.
    response["Cache-Control"] = "no-store"
    return response


def digits_object(owner_id: int) -> dict[str, Any]:
    rows = digit_recordings_of(owner_id)
    return {
        "complete": len(rows) == 10,
        "digits": [
            {
                "digit": d,
                "audio_seconds": rows[d].audio_seconds,
                "uploaded_at": format_called_at(rows[d].uploaded_at),
            }
            for d in DIGITS
            if d in rows
        ],
    }


@router.get(
    "/recorded-digits",
    response={200: s.DigitsSuccess, **_FAIL},
    openapi_extra={"parameters": [TOKEN_PARAM]},
    summary="The account's recordings of the digits 0-9 for voice OTP",
)
def list_digits(request: HttpRequest) -> HttpResponse:
    user = account_of(request)
    return ok(results=digits_object(user.pk))


@router.post(
    "/recorded-digits",
    response={200: s.DigitsSuccess, **_FAIL},
    openapi_extra={"parameters": [TOKEN_PARAM], "requestBody": _multipart("file", *DIGITS)},
    summary="Upload recordings of digits: a zip of 0.wav … 9.wav, or fields 0 … 9",
)
def upload_digits(request: HttpRequest) -> HttpResponse:
    user = account_of(request, _form_token(request))
    try:
        files: dict[str, tuple[bytes, str]] = {}
        archive = request.FILES.get("file")
        if archive is not None:
            files.update(digit_files_from_zip(_read(archive, "file")))
        for digit in DIGITS:
            upload = request.FILES.get(digit)
            if upload is not None:
                files[digit] = (_read(upload, digit), upload.name or "")
        if not files:
            if upload_too_large(request):
                raise too_large("file")
            raise CampaignError("file", "send a zip in the field file, or files in fields 0-9")
        do_save_digit_recordings(user.pk, files)
    except CampaignError as exc:
        return _invalid(exc)
    return ok(results=digits_object(user.pk))


@router.delete(
    "/recorded-digits",
    response={200: s.DigitsSuccess, **_FAIL},
    openapi_extra={"parameters": [TOKEN_PARAM]},
    summary="Delete the recorded digits (campaigns using them go back to the engine's)",
)
def delete_digits(request: HttpRequest) -> HttpResponse:
    user = account_of(request)
    do_delete_digit_recordings(user.pk)
    return ok(results=digits_object(user.pk))
