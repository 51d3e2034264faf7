from django.db import models
from django.utils import timezone

from aicall.lib.secretbox import EncryptedTextField


class Transport(models.TextChoices):
    UDP = "udp", "UDP"
    TCP = "tcp", "TCP"


class NumberFormat(models.TextChoices):
    NATIONAL = "national", "National (0…)"
    E164 = "e164", "E.164 (+84…)"


class RegistrationState(models.TextChoices):
    """Whether the SIP edge holds a registration with the trunk (`--register`)."""

    NOT_NEEDED = "not_needed", "Not needed"
    REGISTERING = "registering", "Registering"
    REGISTERED = "registered", "Registered"
    FAILED = "failed", "Failed"


class CallerIdFormat(models.TextChoices):
    """How the caller ID is written in From and P-Asserted-Identity."""

    NATIONAL = "national", "National (028…)"
    E164 = "e164", "E.164 (+8428…)"
    AS_STORED = "as_stored", "As stored"


class TrunkHealth(models.TextChoices):
    """Whether the dialer places calls on a trunk (see docs/dialer.md, trunk health)."""

    UP = "up", "Up"
    DOWN = "down", "Down (probed with OPTIONS; calls wait)"


# What an operator sets on a trunk (the CLI's `trunk add` and the admin form).
SETTABLE_FIELDS = (
    "name",
    "proxy",
    "transport",
    "username",
    "password",
    "caller_id",
    "max_channels",
    "calls_per_second",
    "number_format",
    "dtmf_payload_type",
    "failover_proxies",
    "register",
    "register_expiry_seconds",
    "auth_username",
    "realm",
    "caller_id_format",
    "display_name",
    "send_pai",
    "privacy",
    "extra_headers",
    "media_timeout_seconds",
)


class Trunk(models.Model):
    """A SIP trunk to a carrier, managed by the operator (`aicall trunk add`)."""

    name = models.CharField(max_length=100, unique=True)
    proxy = models.CharField(max_length=255)  # sip:HOST:PORT
    transport = models.CharField(max_length=8, choices=Transport.choices, default=Transport.UDP)
    username = models.CharField(max_length=100, blank=True)
    # Encrypted at rest (lib/secretbox.py); reads give the plaintext.
    password = EncryptedTextField(blank=True)
    caller_id = models.CharField(max_length=32, blank=True)
    max_channels = models.PositiveIntegerField(default=30)
    calls_per_second = models.FloatField(default=10)
    number_format = models.CharField(
        max_length=10, choices=NumberFormat.choices, default=NumberFormat.NATIONAL
    )
    dtmf_payload_type = models.PositiveSmallIntegerField(default=101)
    # Through the SIP edge (telephony/edge): more targets tried in order when the proxy is
    # down or answers 503, and a registration the edge keeps with the trunk's registrar.
    failover_proxies = models.JSONField(default=list, blank=True)  # ["sip:HOST:PORT", …]
    register = models.BooleanField(default=False)
    register_expiry_seconds = models.PositiveIntegerField(default=300)
    auth_username = models.CharField(max_length=100, blank=True)  # digest user, if not username
    realm = models.CharField(max_length=200, blank=True)  # only answer this digest realm
    # The next trunk in priority order for calls this one cannot carry (down, 503).
    fallback_trunk = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the edge last saw (written by the dialer process that supervises it).
    registration_state = models.CharField(
        max_length=12, choices=RegistrationState.choices, default=RegistrationState.NOT_NEEDED
    )
    registration_code = models.PositiveSmallIntegerField(null=True, blank=True)
    registration_checked_at = models.DateTimeField(null=True, blank=True)
    # {"sip:HOST:PORT": "up" | "down" | "probing"}, from the edge's OPTIONS keepalives.
    target_health = models.JSONField(default=dict, blank=True)
    # Caller identity (From / P-Asserted-Identity / Privacy / static headers), as carriers
    # and hosted PBXs require it; validated by telephony.services.clean_trunk.
    caller_id_format = models.CharField(
        max_length=10, choices=CallerIdFormat.choices, default=CallerIdFormat.NATIONAL
    )
    display_name = models.CharField(max_length=64, blank=True)
    send_pai = models.BooleanField(default=False)
    privacy = models.CharField(max_length=64, blank=True)  # e.g. "id", "none"
    extra_headers = models.JSONField(default=dict, blank=True)  # {"X-Account": "42"}
    # No RTP received for this long ends an answered call with a BYE (MEDIA TIMEOUT).
    media_timeout_seconds = models.PositiveIntegerField(default=20)
    # Health, shared by every dialer process: after AICALL_TRUNK_DOWN_AFTER_TIMEOUTS
    # timeouts in a row the trunk is marked down, probed with OPTIONS, and calls on it wait.
    health = models.CharField(max_length=8, choices=TrunkHealth.choices, default=TrunkHealth.UP)
    consecutive_timeouts = models.PositiveIntegerField(default=0)
    down_since_at = models.DateTimeField(null=True, blank=True)
    last_probe_at = models.DateTimeField(null=True, blank=True)
    last_probe_result = models.CharField(max_length=100, blank=True)
    # A 503 with Retry-After: no new call on this trunk before then.
    paused_until_at = models.DateTimeField(null=True, blank=True)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name
