import argparse
import json
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction

from aicall.campaigns.audio import do_clear_campaign_audio, do_set_campaign_audio
from aicall.campaigns.models import Campaign
from aicall.campaigns.services import (
    CampaignError,
    do_create_campaign,
    do_start_campaign,
    do_stop_campaign,
    do_update_campaign,
)
from aicall.management.output import account_or_die, die, emit
from aicall.speech.voices import VOICES


def _menu(text: str) -> dict:
    """`--ivr-menu`: the key-press menu as JSON, or @FILE holding it."""
    if text.startswith("@"):
        text = Path(text[1:]).read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON: {exc}") from exc


_SETTINGS = [
    ("--name", "name", str, None),
    ("--script", "script", str, "text with {danh_xung}, {ho_ten} or custom-field placeholders"),
    ("--caller-id", "caller_id", str, "the number calls are placed from"),
    ("--calling-hours", "calling_hours", str, "HH:MM-HH:MM in Vietnam time; 00:00-24:00 = always"),
    ("--weekdays", "calling_weekdays", str, "digits 0 (Monday) .. 6 (Sunday), e.g. 01234"),
    ("--max-concurrent", "max_concurrent_calls", int, "simultaneous calls of this campaign"),
    ("--max-attempts", "max_attempts", int, "attempts per contact (busy/no answer/temp. fail)"),
    ("--retry-interval", "retry_interval_seconds", int, "seconds between attempts"),
    ("--otp-expiry", "otp_expiry_seconds", int, "an OTP call not placed within this is dropped"),
    ("--ring-timeout", "ring_timeout_seconds", int, "seconds to ring before giving up"),
    ("--ivr-menu", "ivr_menu", _menu, "key-press menu as JSON or @FILE (docs/web.md)"),
    ("--voice", "voice", str, ", ".join(VOICES)),
    ("--speech-rate", "speech_rate", int, "speaking pace in percent of normal, 50-200"),
    ("--otp-repeat", "otp_repeat_count", int, "voice OTP: how many times the code is read"),
    ("--otp-lead", "otp_lead_text", str, "voice OTP: said before the code"),
    ("--otp-again", "otp_again_text", str, "voice OTP: said before each further reading"),
    ("--otp-pause-ms", "otp_pause_ms", int, "voice OTP: pause between readings, ms"),
    ("--otp-replay", "otp_replay_text", str, "voice OTP: the press-1-to-hear-again sentence"),
    ("--otp-closing", "otp_closing_text", str, "voice OTP: the closing sentence"),
]


def _add_settings(parser) -> None:
    for flag, dest, kind, help_text in _SETTINGS:
        parser.add_argument(flag, dest=dest, type=kind, help=help_text)
    digits = parser.add_mutually_exclusive_group()
    digits.add_argument(
        "--otp-recorded-digits",
        dest="otp_recorded_digits",
        action="store_const",
        const=True,
        help="read OTP codes with the account's recorded digits",
    )
    digits.add_argument(
        "--otp-synthetic-digits", dest="otp_recorded_digits", action="store_const", const=False
    )
    audio = parser.add_mutually_exclusive_group()
    audio.add_argument("--audio", metavar="FILE", help="play this WAV/MP3 instead of the script")
    audio.add_argument("--no-audio", action="store_true", help="speak the script again")


def _settings_from(options: dict) -> dict:
    names = [dest for _, dest, _, _ in _SETTINGS] + ["otp_recorded_digits"]
    return {dest: options[dest] for dest in names if options.get(dest) is not None}


def _apply_audio(campaign: Campaign, options: dict) -> None:
    """--audio FILE / --no-audio, after the other settings were accepted."""
    if options.get("no_audio"):
        do_clear_campaign_audio(campaign)
    elif options.get("audio"):
        path = Path(options["audio"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise die(f"cannot read {path}: {exc.strerror}") from exc
        do_set_campaign_audio(campaign, data, path.name)


class Command(BaseCommand):
    help = "Create, update, start and stop campaigns."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a campaign; prints its campaign_id")
        create.add_argument("--email", required=True, help="the owning account")
        create.add_argument(
            "--type", dest="campaign_type", required=True, choices=["voice_otp", "ivr"]
        )
        create.add_argument("--start", action="store_true", help="start it right away")
        _add_settings(create)
        update = sub.add_parser("update", help="change a campaign's settings")
        update.add_argument("campaign_id", type=int)
        _add_settings(update)
        for name in ("start", "stop"):
            sub.add_parser(name, help=f"{name} a campaign").add_argument("campaign_id", type=int)

    def handle(self, *args, action: str, **options):
        try:
            # One transaction: a refused audio file leaves no campaign and no new settings.
            with transaction.atomic():
                result = self._handle(action, options)
        except CampaignError as exc:
            raise die(f"{exc.field}: {exc.message}") from exc
        emit(result)

    def _handle(self, action: str, options: dict) -> dict:
        if action == "create":
            created = self._create(options)
            _apply_audio(created, options)
            return {"campaign_id": created.pk}
        campaign = Campaign.objects.filter(pk=options["campaign_id"]).first()
        if campaign is None:
            raise die(f"no campaign {options['campaign_id']}")
        if action == "update":
            do_update_campaign(campaign, _settings_from(options))
            _apply_audio(campaign, options)
        elif action == "start":
            do_start_campaign(campaign)
        else:
            do_stop_campaign(campaign)
        result = {"campaign_id": campaign.pk, "status": campaign.status}
        if campaign.audio_file:
            result["audio_seconds"] = campaign.audio_seconds
        return result

    def _create(self, options: dict) -> Campaign:
        owner = account_or_die(options["email"])
        raw = {"campaign_type": options["campaign_type"], **_settings_from(options)}
        return do_create_campaign(owner.pk, raw, start=options["start"])
