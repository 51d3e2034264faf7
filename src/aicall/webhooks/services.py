"""Writes to webhook deliveries."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from aicall.webhooks.models import DeliveryStatus, WebhookDelivery


def do_resend_delivery(delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again (same webhook-id), with a fresh day of retries."""
    now = timezone.now()
    window = timedelta(seconds=int(settings.AICALL["WEBHOOK_RETRY_WINDOW_SECONDS"]))
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING, next_attempt_at=now, retry_until=now + window
    )
    delivery.refresh_from_db()
    return delivery
