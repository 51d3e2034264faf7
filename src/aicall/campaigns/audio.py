"""Writes of customers' audio: a campaign's recorded prompt and an account's digits.

Every upload is checked and converted before anything is stored (speech/uploads.py), so a
refused file changes nothing; a replaced file is deleted once the new one is saved, a
deleted campaign's files once the deletion is committed (services.do_delete_campaign), each
only when no other campaign plays it.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Mapping
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from aicall.campaigns.errors import CampaignError
from aicall.campaigns.models import Campaign, DigitRecording
from aicall.speech.uploads import AudioRejected, convert_upload
from aicall.upload_limits import max_upload_bytes, max_upload_megabytes

DIGITS = "0123456789"
MAX_DIGIT_SECONDS = 5.0


def check_size(size: int, field: str) -> None:
    """CampaignError when a file passes `AICALL_MAX_UPLOAD_BYTES`."""
    if size > max_upload_bytes():
        raise too_large(field)


def too_large(field: str) -> CampaignError:
    """The error for a file the upload handler dropped at the limit (aicall.upload_limits)."""
    return CampaignError(field, f"the file is larger than {max_upload_megabytes()} MB")


def convert_audio(data: bytes, name: str, field: str, **kwargs) -> tuple[bytes, float]:
    """(8 kHz WAV, seconds) of an upload, or CampaignError naming `field`."""
    check_size(len(data), field)
    try:
        return convert_upload(data, name, **kwargs)
    except AudioRejected as exc:
        raise CampaignError(field, exc.message) from exc


def _delete_file(file_field) -> None:
    if file_field:
        file_field.storage.delete(file_field.name)


def delete_if_unused(name: str, campaign_id: int | None = None) -> None:
    """Delete a campaign's former (or deleted campaign's) recording unless another campaign
    than `campaign_id` still plays it: a duplicate takes over the settings, file included.
    A test call's companion does not count: it takes the settings over again at every test
    call."""
    others = Campaign.objects.filter(audio_file=name, test_for__isnull=True)
    if campaign_id is not None:
        others = others.exclude(pk=campaign_id)
    if name and not others.exists():
        Campaign.audio_file.field.storage.delete(name)


def do_set_campaign_audio(campaign: Campaign, data: bytes, name: str) -> Campaign:
    """Play this WAV/MP3 (at most ten minutes) instead of the spoken script."""
    wav, seconds = convert_audio(data, name, "file")
    old = (campaign.audio_file.name or "") if campaign.audio_file else ""
    with transaction.atomic():
        campaign.audio_file.save(f"{campaign.pk}-{uuid.uuid4().hex}.wav", ContentFile(wav), False)
        campaign.audio_seconds = seconds
        campaign.audio_name = Path(name).name[:200]
        campaign.save(update_fields=["audio_file", "audio_seconds", "audio_name", "updated_at"])
    delete_if_unused(old, campaign.pk)
    return campaign


def do_clear_campaign_audio(campaign: Campaign) -> Campaign:
    """Back to speaking the script."""
    old = (campaign.audio_file.name or "") if campaign.audio_file else ""
    campaign.audio_file = ""
    campaign.audio_seconds = None
    campaign.audio_name = ""
    campaign.save(update_fields=["audio_file", "audio_seconds", "audio_name", "updated_at"])
    delete_if_unused(old, campaign.pk)
    return campaign


def digit_files_from_zip(data: bytes) -> dict[str, tuple[bytes, str]]:
    """`0.wav` … `9.wav` (or .mp3) from a zip, wherever they sit in it."""
    check_size(len(data), "file")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise CampaignError("file", "the file is not a zip archive") from exc
    files: dict[str, tuple[bytes, str]] = {}
    with archive:
        for info in archive.infolist():
            path = Path(info.filename)
            if info.is_dir() or path.stem not in DIGITS or path.name.startswith("."):
                continue
            if info.file_size > max_upload_bytes():
                raise CampaignError(path.name, "the file is too large")
            files[path.stem] = (archive.read(info), path.name)
    if not files:
        raise CampaignError("file", "the zip holds none of 0.wav … 9.wav")
    return files


def do_save_digit_recordings(owner_id: int, files: Mapping[str, tuple[bytes, str]]) -> list[str]:
    """Store the account's recordings of these digits (digit -> (bytes, file name)).

    All files are checked first: one bad file refuses the whole upload. Returns the digits
    saved.
    """
    converted: dict[str, tuple[bytes, float]] = {}
    for digit, (data, name) in sorted(files.items()):
        if digit not in DIGITS or len(digit) != 1:
            raise CampaignError("digit", f"{digit!r} is not a digit 0-9")
        converted[digit] = convert_audio(
            data, name, digit, max_seconds=MAX_DIGIT_SECONDS, trim_silence=True
        )
    replaced: list[str] = []
    with transaction.atomic():
        existing = {r.digit: r for r in DigitRecording.objects.filter(owner_id=owner_id)}
        for digit, (wav, seconds) in converted.items():
            row = existing.get(digit) or DigitRecording(owner_id=owner_id, digit=digit)
            if row.audio_file and row.audio_file.name:
                replaced.append(row.audio_file.name)
            row.audio_file.save(
                f"{owner_id}/{digit}-{uuid.uuid4().hex}.wav", ContentFile(wav), False
            )
            row.audio_seconds = seconds
            row.uploaded_at = timezone.now()
            row.save()
    for name in replaced:
        DigitRecording.audio_file.field.storage.delete(name)
    return sorted(converted)


def do_delete_digit_recordings(owner_id: int) -> int:
    """Forget the account's digits; its campaigns go back to synthetic digits."""
    rows = list(DigitRecording.objects.filter(owner_id=owner_id))
    with transaction.atomic():
        Campaign.objects.filter(owner_id=owner_id, otp_recorded_digits=True).update(
            otp_recorded_digits=False, updated_at=timezone.now()
        )
        DigitRecording.objects.filter(owner_id=owner_id).delete()
    for row in rows:
        _delete_file(row.audio_file)
    return len(rows)
