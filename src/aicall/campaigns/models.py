from datetime import time

from django.conf import settings
from django.db import models
from django.utils import timezone

from aicall.campaigns.limits import TEXT_LIMITS
from aicall.speech.clips import OTP_AGAIN, OTP_CLOSING, OTP_LEAD, OTP_PAUSE_MS, OTP_REPLAY_HINT
from aicall.speech.voices import DEFAULT_RATE_PERCENT, DEFAULT_VOICE


class CampaignType(models.TextChoices):
    VOICE_OTP = "voice_otp", "Voice OTP"
    IVR = "ivr", "IVR broadcast"


class CampaignStatus(models.TextChoices):
    """A campaign's life: draft -> (scheduled) -> running -> completed, or stopped; archived.

    Only `running` campaigns are dialled. The dialer moves `scheduled` to `running` at
    `scheduled_start_at`, and an ivr campaign from `running` to `completed` when none of its
    calls is left to place (an import into a completed campaign reopens it).
    """

    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    STOPPED = "stopped", "Stopped"
    ARCHIVED = "archived", "Archived"


ALL_WEEKDAYS = "0123456"  # Monday=0, as datetime.weekday() counts


class Campaign(models.Model):
    """What to say to whom, and the rules for when and how fast to call."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="campaigns"
    )
    name = models.CharField(max_length=TEXT_LIMITS["name"])
    campaign_type = models.CharField(max_length=16, choices=CampaignType.choices)
    status = models.CharField(
        max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    caller_id = models.CharField(max_length=TEXT_LIMITS["caller_id"], blank=True)
    script = models.TextField(blank=True)
    # The key-press menu tree, as the original service has it; see campaigns/ivr_menu.py.
    ivr_menu = models.JSONField(default=dict, blank=True)
    # Uploaded audio played instead of the spoken script: stored already converted to
    # 8 kHz mono WAV (speech/uploads.py), with its length.
    audio_file = models.FileField(upload_to="campaign-audio/", blank=True)
    audio_seconds = models.FloatField(null=True, blank=True)
    audio_name = models.CharField(max_length=200, blank=True)  # the uploaded file's name
    # Uploaded audio of the key-press menu's prompts and messages (campaigns/menu_audio.py):
    # {audio id: {"file": storage name, "seconds": length, "name": uploaded file name}};
    # the menu refers to an id as a node's `prompt_audio` or an option's `message_audio`.
    menu_audio = models.JSONField(default=dict, blank=True)
    # The speech engine's voice (speech/voices.py) and pace in percent of normal.
    voice = models.CharField(max_length=40, default=DEFAULT_VOICE)
    speech_rate = models.PositiveSmallIntegerField(default=DEFAULT_RATE_PERCENT)
    otp_repeat_count = models.PositiveSmallIntegerField(default=3)
    # How a voice OTP call is worded: the sentences around the code and the pause between
    # two readings. An empty sentence is left out.
    otp_lead_text = models.CharField(
        max_length=TEXT_LIMITS["otp_lead_text"], default=OTP_LEAD, blank=True
    )
    otp_again_text = models.CharField(
        max_length=TEXT_LIMITS["otp_again_text"], default=OTP_AGAIN, blank=True
    )
    otp_replay_text = models.CharField(
        max_length=TEXT_LIMITS["otp_replay_text"], default=OTP_REPLAY_HINT, blank=True
    )
    otp_closing_text = models.CharField(
        max_length=TEXT_LIMITS["otp_closing_text"], default=OTP_CLOSING, blank=True
    )
    otp_pause_ms = models.PositiveIntegerField(default=OTP_PAUSE_MS)
    # Read the code with the account's own recordings of the digits (DigitRecording).
    otp_recorded_digits = models.BooleanField(default=False)
    otp_expiry_seconds = models.PositiveIntegerField(default=300)
    max_concurrent_calls = models.PositiveIntegerField(default=10)
    max_attempts = models.PositiveSmallIntegerField(default=1)
    retry_interval_seconds = models.PositiveIntegerField(default=300)
    calling_hours_start = models.TimeField(default=time(8, 0))
    # 00:00 as the end means midnight at the end of the day (with start 00:00: all day).
    calling_hours_end = models.TimeField(default=time(17, 0))
    calling_weekdays = models.CharField(max_length=7, default=ALL_WEEKDAYS)
    ring_timeout_seconds = models.PositiveIntegerField(default=45)
    record_calls = models.BooleanField(default=False)
    trunk = models.ForeignKey(
        "telephony.Trunk", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    webhook_url = models.URLField(max_length=TEXT_LIMITS["webhook_url"], blank=True)
    webhook_secret = models.CharField(max_length=TEXT_LIMITS["webhook_secret"], blank=True)
    webhook_call_started = models.BooleanField(default=False)
    # Also POST `campaign.status` events (started, completed, stopped, ...) to webhook_url.
    # Off by default: receivers written for the original expect call events only.
    webhook_campaign_events = models.BooleanField(default=False)
    # The contacts' own column names in the order the customer first gave them (jsonb on
    # PostgreSQL keeps a call's custom_fields keys in its own order); see columns.py.
    contact_columns = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # Set while the campaign is `scheduled`: the dialer starts it at this moment.
    scheduled_start_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    # A hidden companion that carries this campaign's test calls ("Gọi thử"): same settings,
    # its own calls, so a test never shows in the real campaign's counts, export or webhooks.
    test_for = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="test_companions"
    )

    class Meta:
        indexes = [models.Index(fields=["owner", "-created_at"], name="campaign_owner_created")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_voice_otp(self) -> bool:
        return self.campaign_type == CampaignType.VOICE_OTP

    @property
    def is_running(self) -> bool:
        return self.status == CampaignStatus.RUNNING

    @property
    def can_start(self) -> bool:
        return self.status in STARTABLE

    @property
    def can_stop(self) -> bool:
        return self.status in (CampaignStatus.RUNNING, CampaignStatus.SCHEDULED)


# States from which "start" is offered (an archived campaign is restored first).
STARTABLE = (
    CampaignStatus.DRAFT,
    CampaignStatus.SCHEDULED,
    CampaignStatus.STOPPED,
    CampaignStatus.COMPLETED,
)


class DigitRecording(models.Model):
    """An account's own recording of one digit, for voice OTP calls that sound like a
    person. Stored converted to 8 kHz mono WAV with the silence around it trimmed."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digit_recordings"
    )
    digit = models.CharField(max_length=1)
    audio_file = models.FileField(upload_to="digits/")
    audio_seconds = models.FloatField()
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "digit"], name="digit_recording_once")
        ]

    def __str__(self) -> str:
        return f"{self.owner_id}:{self.digit}"
