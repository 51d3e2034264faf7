from django.db import models
from django.utils import timezone

from aicall.lib.secretbox import EncryptedTextField


class Transport(models.TextChoices):
    UDP = "udp", "UDP"
    TCP = "tcp", "TCP"


class NumberFormat(models.TextChoices):
    NATIONAL = "national", "National (0…)"
    E164 = "e164", "E.164 (+84…)"


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
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name
