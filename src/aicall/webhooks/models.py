import json

from django.db import models
from django.db.models import Q
from django.utils import timezone


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed (gave up)"


def message_id(delivery_id: int) -> str:
    """`webhook-id`: the same on every attempt and resend, for receivers to deduplicate."""
    return f"msg_{delivery_id}"


class WebhookDelivery(models.Model):
    """An outbox row: one call event to POST to a campaign's webhook URL.

    Written in the same transaction that stores the call's state, so an event exists if
    and only if the state change does; a separate sender delivers it (at least once).
    """

    # No index of its own: `webhook_campaign_log` leads with the campaign. Every index is
    # paid for on the dialer's hot path (the outbox rows go in with the calls' results).
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, db_index=False)
    # None for a campaign event (campaign.status).
    call = models.ForeignKey("calls.Call", on_delete=models.CASCADE, null=True, blank=True)
    event = models.CharField(max_length=32)  # call.started, call.finished, campaign.status
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # Retries stop after this; None: created_at + the retry window (a resend moves it).
    retry_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=Q(status="pending"), name="webhook_due"
            ),
            models.Index(fields=["campaign", "-created_at"], name="webhook_campaign_log"),
        ]

    @property
    def message_id(self) -> str:
        return message_id(self.pk)

    @property
    def payload_json(self) -> str:
        return json.dumps(self.payload, ensure_ascii=False, indent=2)
