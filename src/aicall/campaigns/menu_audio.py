"""Writes of a key-press menu's recordings: a prompt or a message played from a file.

Each recording is checked and converted like the campaign's own audio (speech/uploads.py:
WAV or MP3, at most ten minutes, 8 kHz mono), stored as `menu-audio/<owner>/<id>.wav`, and
listed in `Campaign.menu_audio` by id; the menu refers to the id where the recording
replaces its text (campaigns/ivr_menu.py). A refused file changes nothing. A recording the
menu no longer refers to is forgotten at the next change, and its file deleted unless
another campaign of the account (a duplicate) still plays it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from aicall.campaigns.audio import convert_audio
from aicall.campaigns.errors import CampaignError
from aicall.campaigns.ivr_menu import (
    AUDIO_ID,
    PENDING_AUDIO,
    MenuError,
    audio_refs,
    menu_spot,
    replace_refs,
    validate_menu,
)
from aicall.campaigns.models import Campaign

_FIELD = {"prompt": "prompt_audio", "message": "message_audio"}
_TEXT = {"prompt": "prompt", "message": "message"}

# A converted upload waiting to be stored: (8 kHz WAV bytes, seconds, uploaded file name).
Converted = tuple[bytes, float, str]


def storage_name(owner_id: int, audio_id: str) -> str:
    return f"menu-audio/{owner_id}/{audio_id}.wav"


def _spot(campaign: Campaign, keys: str) -> tuple[dict, dict, str]:
    """A copy of the campaign's menu, the prompt's or message's dict in it, and its kind."""
    menu = replace_refs(campaign.ivr_menu or {}, lambda ref: ref)
    try:
        holder, kind = menu_spot(menu, keys)
    except MenuError as exc:
        raise CampaignError("keys", exc.message) from exc
    return menu, holder, kind


def _locked(campaign: Campaign) -> Campaign:
    """The campaign re-read under its row lock: two uploads never lose each other's ids."""
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    campaign.ivr_menu, campaign.menu_audio = locked.ivr_menu, locked.menu_audio
    return campaign


def _store(campaign: Campaign, converted: Converted, audio_id: str = "") -> str:
    wav, seconds, name = converted
    audio_id = audio_id or uuid.uuid4().hex
    stored = default_storage.save(storage_name(campaign.owner_id, audio_id), ContentFile(wav))
    entries = dict(campaign.menu_audio or {})
    entries[audio_id] = {"file": stored, "seconds": seconds, "name": Path(name).name[:200]}
    campaign.menu_audio = entries
    return audio_id


def _save(campaign: Campaign, menu: dict) -> list[str]:
    """Write the menu and its recordings; forget those it no longer uses (their stored
    names are returned, for `delete_unused` once the change is committed)."""
    used = audio_refs(menu)
    entries = dict(campaign.menu_audio or {})
    dropped = [entries.pop(i)["file"] for i in list(entries) if i not in used]
    campaign.ivr_menu = menu
    campaign.menu_audio = entries
    campaign.save(update_fields=["ivr_menu", "menu_audio", "updated_at"])
    return dropped


def delete_unused(owner_id: int, campaign_id: int | None, names: list[str]) -> None:
    """Delete these stored recordings unless another campaign of the account plays them.

    A test call's companion does not count: it takes over its campaign's settings again at
    every test call, so it would keep a forgotten recording forever.
    """
    for name in names:
        audio_id = Path(name).stem
        others = Campaign.objects.filter(
            owner_id=owner_id, menu_audio__has_key=audio_id, test_for__isnull=True
        )
        if campaign_id is not None:
            others = others.exclude(pk=campaign_id)
        if not others.exists():
            default_storage.delete(name)


def do_set_menu_audio(campaign: Campaign, keys: str, data: bytes, name: str) -> dict[str, Any]:
    """Play this WAV/MP3 instead of the text of the prompt or message reached by `keys`.

    Returns {"audio_id", "audio_seconds"}. CampaignError: `keys` when they lead to nothing
    that plays, `file` for a refused file; nothing changes then.
    """
    _spot(campaign, keys)  # the keys are checked before the file is converted
    wav, seconds = convert_audio(data, name, "file")
    audio_id = ""
    try:
        with transaction.atomic():
            _locked(campaign)
            menu, holder, kind = _spot(campaign, keys)
            audio_id = _store(campaign, (wav, seconds, name))
            holder[_FIELD[kind]] = audio_id
            dropped = _save(campaign, menu)
    except BaseException:
        if audio_id:  # stored, then the transaction was undone: no file without its row
            default_storage.delete(storage_name(campaign.owner_id, audio_id))
        campaign.refresh_from_db()
        raise
    delete_unused(campaign.owner_id, campaign.pk, dropped)
    return {"audio_id": audio_id, "audio_seconds": seconds}


def do_clear_menu_audio(campaign: Campaign, keys: str) -> Campaign:
    """Back to speaking the text of that prompt or message.

    CampaignError (`keys`) when the spot has no text to speak instead (a message or a
    sub-menu prompt must say something): give it a text first.
    """
    with transaction.atomic():
        _locked(campaign)
        menu, holder, kind = _spot(campaign, keys)
        if (
            holder.get(_FIELD[kind])
            and not holder.get(_TEXT[kind])
            and (kind, keys)
            != (
                "prompt",
                "",
            )
        ):
            raise CampaignError(
                "keys", f"this {kind} has no text to speak instead; give it a text first"
            )
        holder.pop(_FIELD[kind], None)
        dropped = _save(campaign, menu)
    delete_unused(campaign.owner_id, campaign.pk, dropped)
    return campaign


def convert_pending(
    menu: Any, files: Mapping[str, Any], field: str = "ivr_menu"
) -> tuple[Any, dict[str, Converted]]:
    """The menu with each `new:N` reference (a file chosen in the website's editor, sent
    as `menu_audio_N`) replaced by a fresh id, and those files converted (not stored yet).

    A reference without its file is left out (the text is spoken). CampaignError (`field`)
    for a refused file.
    """
    converted: dict[str, Converted] = {}
    mapping: dict[str, str] = {}
    for ref in sorted(audio_refs(menu)):
        if not PENDING_AUDIO.fullmatch(ref):
            continue
        upload = files.get("menu_audio_" + ref.removeprefix("new:"))
        if upload is None:
            continue
        data = upload.read()
        wav, seconds = convert_audio(data, upload.name or "", field)
        mapping[ref] = uuid.uuid4().hex
        converted[mapping[ref]] = (wav, seconds, upload.name or "")

    def new_id(ref: str) -> str | None:
        if PENDING_AUDIO.fullmatch(ref):
            return mapping.get(ref)
        return ref

    return replace_refs(menu, new_id), converted


def do_attach_menu_audio(campaign: Campaign, converted: Mapping[str, Converted]) -> Campaign:
    """Store the recordings `convert_pending` prepared for the menu the campaign now has
    (saved with their ids, checked by do_create_campaign / do_update_campaign), and forget
    those it no longer refers to. An id that stopped being the campaign's in between (a
    recording removed over the API meanwhile) is left out of the menu (its text is
    spoken)."""
    stored: list[str] = []
    try:
        with transaction.atomic():
            _locked(campaign)
            for audio_id, item in converted.items():
                _store(campaign, item, audio_id)
                stored.append(storage_name(campaign.owner_id, audio_id))
            known = set(campaign.menu_audio or {})
            menu = replace_refs(campaign.ivr_menu or {}, lambda ref: ref if ref in known else None)
            if menu != campaign.ivr_menu:
                # A reference to no recording of this campaign is left out: the text must
                # then say what to play (MenuError, and the form's transaction undoes all).
                validate_menu(menu, allow_restricted=True)
            dropped = _save(campaign, menu)
            # Called inside the form's transaction: files go only once it is committed.
            owner, pk = campaign.owner_id, campaign.pk
            transaction.on_commit(lambda: delete_unused(owner, pk, dropped))
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    return campaign


def menu_audio_file(campaign: Campaign, audio_id: str) -> str | None:
    """The stored file of one of the campaign's menu recordings (absolute path), or None."""
    entry = (campaign.menu_audio or {}).get(audio_id) if AUDIO_ID.fullmatch(audio_id) else None
    if not entry or not default_storage.exists(entry["file"]):
        return None
    return default_storage.path(entry["file"])


def resolved_menu(campaign: Campaign) -> dict[str, Any]:
    """The menu as calls use it: each recording reference replaced by
    {"path": absolute WAV path, "seconds": length}; unknown ones left out."""
    entries: dict[str, Any] = campaign.menu_audio or {}
    if not audio_refs(campaign.ivr_menu):
        return campaign.ivr_menu or {}
    resolve: Callable[[str], Any] = lambda ref: (  # noqa: E731
        {"path": default_storage.path(entries[ref]["file"]), "seconds": entries[ref]["seconds"]}
        if ref in entries
        else None
    )
    return replace_refs(campaign.ivr_menu or {}, resolve)
