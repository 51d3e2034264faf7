"""What the callee hears, on the website: "Nghe thử" previews, a campaign's recorded audio,
its menu's recordings, and the account's recorded digits."""

from __future__ import annotations

import json
import os
import re
import tempfile
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

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
from aicall.campaigns.ivr_menu import audio_refs
from aicall.campaigns.menu_audio import (
    Converted,
    convert_pending,
    do_attach_menu_audio,
    menu_audio_file,
)
from aicall.campaigns.models import Campaign, CampaignType
from aicall.campaigns.queries import campaign_for_owner, digit_recordings_of
from aicall.campaigns.services import clean_settings
from aicall.dialer.preview import preview_wav
from aicall.speech.base import SpeechError
from aicall.speech.uploads import AudioRejected, convert_upload
from aicall.upload_limits import upload_too_large
from aicall.web.access import owned_campaign, owner_id
from aicall.web.forms import DigitsForm
from aicall.web.scripts import SAMPLE_CONTACT

# The form fields that change what the callee hears (the rest do not matter to a preview).
_HEARD = (
    "campaign_type",
    "script",
    "voice",
    "speech_rate",
    "otp_repeat_count",
    "otp_lead_text",
    "otp_again_text",
    "otp_pause_ms",
    "otp_replay_text",
    "otp_closing_text",
)


# The upload checks' messages (speech/uploads.py, campaigns/audio.py) as the website says
# them: the API keeps the English text, the website speaks the visitor's language.
_MESSAGES = [
    (r"the file must be a WAV or MP3 audio file", gettext_lazy("Choose a WAV or MP3 file.")),
    (r"the file is not WAV or MP3 audio", gettext_lazy("This file is not WAV or MP3 audio.")),
    (r"the file holds no sound", gettext_lazy("This file holds no sound.")),
    (
        r"the audio lasts (?P<seconds>\d+) s; at most (?P<limit>\d+) s",
        gettext_lazy("The audio lasts %(seconds)s s; at most %(limit)s s are allowed."),
    ),
    (
        r"the file is larger than (?P<mb>\d+) MB",
        gettext_lazy("The file is larger than %(mb)s MB."),
    ),
    (r"the file is not a zip archive", gettext_lazy("This file is not a zip archive.")),
    (r"the zip holds none of .*", gettext_lazy("The zip holds none of 0.wav … 9.wav.")),
    (r"the file is too large", gettext_lazy("The file is too large.")),
    (
        r"this \w+ has no text to speak instead; give it a text first",
        gettext_lazy("There is no text to speak instead of this recording: write one first."),
    ),
    # the sample contact of "Nghe thử" (dialer/preview.py)
    (
        r"phone_number is not a Vietnamese number",
        gettext_lazy("Not a valid Vietnamese phone number."),
    ),
    (
        r"otp_code must be 000001-999999",
        gettext_lazy("The OTP code must be six digits, 000001 to 999999."),
    ),
    (
        r"(?P<path>menu[^:]*): an audio reference must be the id of an uploaded recording",
        gettext_lazy("%(path)s: this is not one of the campaign's recordings."),
    ),
    (
        r"upload recordings of all ten digits \(0-9\) first",
        gettext_lazy("Upload recordings of all ten digits (0-9) first."),
    ),
]


def web_message(message: str) -> str:
    """An upload check's message in the website's language (unknown ones as they are)."""
    for pattern, text in _MESSAGES:
        match = re.fullmatch(pattern, message)
        if match:
            return str(text) % match.groupdict() if match.groupdict() else str(text)
    return message


def apply_audio_upload(request: HttpRequest, campaign: Campaign, data: dict[str, Any]) -> None:
    """The campaign form's audio part: remove, or replace with the chosen file.

    Raises CampaignError (field `audio_file`) for a refused file; the caller's transaction
    then undoes the other settings saved with it.
    """
    upload = request.FILES.get("audio_file")
    try:
        if upload is None and upload_too_large(request):
            raise too_large("audio_file")
        if upload is not None:
            check_size(upload.size or 0, "audio_file")
            do_set_campaign_audio(campaign, upload.read(), upload.name or "")
        elif data.get("remove_audio") and campaign.audio_file:
            do_clear_campaign_audio(campaign)
    except CampaignError as exc:
        raise CampaignError("audio_file", web_message(exc.message)) from exc


def menu_audio_labels() -> dict[str, str]:
    """The words the menu editor (static/web/menu.js) shows around recordings."""
    return {
        "chooseRecording": _("Recording instead of the text (WAV or MP3)"),
        "recording": _("Recording"),
        "removeRecording": _("Remove the recording"),
        "unsaved": _("saved with the campaign"),
    }


def menu_recordings(campaign: Campaign | None) -> dict[str, dict[str, Any]]:
    """The campaign's menu recordings for the editor: id -> name and seconds."""
    if campaign is None:
        return {}
    return {
        audio_id: {"name": entry.get("name") or "audio.wav", "seconds": entry.get("seconds", 0)}
        for audio_id, entry in (campaign.menu_audio or {}).items()
    }


def take_menu_uploads(request: HttpRequest, values: dict[str, Any]) -> dict[str, Converted]:
    """The files chosen in the menu editor (fields `menu_audio_N`, referenced as `new:N` in
    the menu's JSON), converted; the menu in `values` then refers to their new ids.

    Raises CampaignError (field `ivr_menu`) for a refused file, before anything is saved.
    """
    if not isinstance(values.get("ivr_menu"), dict):
        return {}
    try:
        values["ivr_menu"], converted = convert_pending(values["ivr_menu"], request.FILES)
    except CampaignError as exc:
        raise CampaignError("ivr_menu", web_message(exc.message)) from exc
    if upload_too_large(request) and any(
        r.startswith("new:") for r in audio_refs(values["ivr_menu"])
    ):
        raise too_large("ivr_menu")  # a chosen file the upload handler dropped at the limit
    return converted


def attach_menu_audio(campaign: Campaign, converted: dict[str, Converted]) -> None:
    """Store the menu's new recordings with the saved campaign (see take_menu_uploads)."""
    do_attach_menu_audio(campaign, converted)


def _unsaved_campaign(
    request: HttpRequest,
) -> tuple[Campaign, Campaign | None, dict[str, Converted]]:
    """The campaign as the form now stands (not saved), the saved one it edits, and the
    menu recordings chosen but not saved (their ids are in the unsaved campaign's menu)."""
    saved = None
    if request.POST.get("campaign_id"):
        saved = campaign_for_owner(owner_id(request), request.POST["campaign_id"])
        if saved is None:
            raise Http404
    raw: dict[str, Any] = {
        k: request.POST[k] for k in _HEARD if request.POST.get(k) not in (None, "")
    }
    for text in (
        "script",
        "otp_lead_text",
        "otp_again_text",
        "otp_replay_text",
        "otp_closing_text",
    ):
        if text in request.POST:
            raw[text] = request.POST[text]
    raw["otp_recorded_digits"] = request.POST.get("otp_recorded_digits") in ("on", "true", "1")
    menu_text = request.POST.get("ivr_menu", "").strip()
    converted: dict[str, Converted] = {}
    if menu_text:
        try:
            raw["ivr_menu"] = json.loads(menu_text)
        except json.JSONDecodeError as exc:
            raise CampaignError("ivr_menu", _("The key-press menu is not valid JSON.")) from exc
        converted = take_menu_uploads(request, raw)
    # The same rule as saving: the menu plays the campaign's recordings and those chosen.
    recordings = set(saved.menu_audio or {}) if saved is not None else set()
    values = clean_settings(raw, recordings=recordings | set(converted))
    campaign = Campaign(owner_id=owner_id(request), campaign_type=CampaignType.IVR)
    if saved is not None:
        for field in Campaign._meta.concrete_fields:
            setattr(campaign, field.attname, getattr(saved, field.attname))
    for name, value in values.items():
        setattr(campaign, name, value)
    return campaign, saved, converted


def _preview_recordings(campaign: Campaign, converted: dict[str, Converted]) -> list[str]:
    """Store chosen menu recordings for one preview (the caller deletes them after)."""
    names = []
    entries = dict(campaign.menu_audio or {})
    for audio_id, (wav, seconds, name) in converted.items():
        stored = default_storage.save(f"menu-audio/preview/{audio_id}.wav", ContentFile(wav))
        names.append(stored)
        entries[audio_id] = {"file": stored, "seconds": seconds, "name": name}
    campaign.menu_audio = entries
    return names


@login_required
@require_POST
def listen(request: HttpRequest) -> HttpResponse:
    """ "Nghe thử": the WAV a sample contact would hear with the form as it stands now."""
    contact = {
        key: request.POST.get(f"sample_{key}", value) for key, value in SAMPLE_CONTACT.items()
    }
    temp = None
    stored: list[str] = []
    try:
        campaign, saved, converted = _unsaved_campaign(request)
        stored = _preview_recordings(campaign, converted)
        audio_path: str | None = None
        upload = request.FILES.get("audio_file")
        if upload is None and upload_too_large(request):
            raise too_large("audio_file")
        if upload is not None:
            check_size(upload.size or 0, "audio_file")
            wav, _seconds = convert_upload(upload.read(), upload.name or "")
            fd, temp = tempfile.mkstemp(suffix=".wav", prefix="aicall-listen-")
            with os.fdopen(fd, "wb") as out:
                out.write(wav)
            audio_path = temp
        elif request.POST.get("remove_audio"):
            audio_path = ""
        audio = preview_wav(campaign, contact, audio_path)
    except CampaignError as exc:
        return JsonResponse({"field": exc.field, "message": web_message(exc.message)}, status=400)
    except AudioRejected as exc:
        return JsonResponse(
            {"field": "audio_file", "message": web_message(exc.message)}, status=400
        )
    except SpeechError:
        return JsonResponse({"message": _("The speech engine failed.")}, status=503)
    finally:
        if temp:
            os.unlink(temp)
        for name in stored:
            default_storage.delete(name)
    response = HttpResponse(audio.wav, content_type="audio/wav")
    response["Cache-Control"] = "no-store"
    response["X-Preview-Shortened"] = "true" if audio.shortened else "false"
    return response


@login_required
def campaign_audio(request: HttpRequest, campaign_id: int) -> HttpResponseBase:
    """The campaign's recorded audio as stored (8 kHz WAV), for its owner's player."""
    campaign = owned_campaign(request, campaign_id)
    if not campaign.audio_file or not campaign.audio_file.storage.exists(
        campaign.audio_file.name or ""
    ):
        raise Http404
    return FileResponse(campaign.audio_file.open("rb"), content_type="audio/wav")


@login_required
def campaign_menu_audio(request: HttpRequest, campaign_id: int, audio_id: str) -> HttpResponseBase:
    """One of the campaign's menu recordings as stored (8 kHz WAV), for the editor's player."""
    path = menu_audio_file(owned_campaign(request, campaign_id), audio_id)
    if path is None:
        raise Http404
    return FileResponse(open(path, "rb"), content_type="audio/wav")


@login_required
def digits(request: HttpRequest) -> HttpResponse:
    """Upload the account's own recordings of 0-9 (a zip, or one file per digit)."""
    form = DigitsForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            files: dict[str, tuple[bytes, str]] = {}
            archive = request.FILES.get("archive")
            if archive is not None:
                check_size(archive.size or 0, "archive")
                files.update(digit_files_from_zip(archive.read()))
            for digit in DIGITS:
                upload = request.FILES.get(f"digit_{digit}")
                if upload is not None:
                    check_size(upload.size or 0, f"digit_{digit}")
                    files[digit] = (upload.read(), upload.name or "")
            if not files and upload_too_large(request):
                raise too_large("archive")
            if not files:
                raise CampaignError("archive", _("Choose a zip or at least one digit's file."))
            with transaction.atomic():
                saved = do_save_digit_recordings(owner_id(request), files)
            messages.success(
                request, _("Saved recordings of: %(digits)s") % {"digits": " ".join(saved)}
            )
            return redirect("web:digits")
        except CampaignError as exc:
            field = exc.field if exc.field in form.fields else None
            if exc.field in DIGITS:
                field = f"digit_{exc.field}"
            form.add_error(field if field in form.fields else None, web_message(exc.message))
    rows = digit_recordings_of(owner_id(request))
    slots = [(d, rows.get(d), form[f"digit_{d}"]) for d in DIGITS]
    return render(
        request,
        "web/digits.html",
        {
            "nav": "digits",
            "form": form,
            "slots": slots,
            "complete": len(rows) == 10,
            "recorded": len(rows),
        },
    )


@login_required
def digit_audio(request: HttpRequest, digit: str) -> HttpResponseBase:
    row = digit_recordings_of(owner_id(request)).get(digit)
    if row is None or not row.audio_file.storage.exists(row.audio_file.name or ""):
        raise Http404
    return FileResponse(row.audio_file.open("rb"), content_type="audio/wav")


@login_required
@require_POST
def digits_delete(request: HttpRequest) -> HttpResponse:
    do_delete_digit_recordings(owner_id(request))
    messages.success(request, _("Recorded digits deleted; OTP codes are read by the voice again."))
    return redirect("web:digits")
